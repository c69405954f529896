import { Testing } from 'cdktf';
import { PipelineAlarms, type PipelineAlarmsProps } from '../../../modules/alarms';
import { EVERY_OPTIONAL_FEATURE, onlyResource, parseSynth, refTo, removeSynthesizedStacks, resourcesOf, synthStack, type TerraformJson } from '../../support/synth';

const props: PipelineAlarmsProps = {
  baseName: 'rag-pipeline-dev',
  partition: 'aws',
  accountId: '111122223333',
  workQueueName: 'rag-pipeline-dev-work',
  workDeadLetterQueueName: 'rag-pipeline-dev-work-dlq',
  pipeDeadLetterQueueName: 'rag-pipeline-dev-pipe-dlq',
  pipeName: 'rag-pipeline-dev-items-to-queue',
  eventsPipeName: 'rag-pipeline-dev-items-to-events',
  eventsPipeDeadLetterQueueName: 'rag-pipeline-dev-events-pipe-dlq',
  orchestratorFunctionName: 'rag-pipeline-dev-orchestrator',
};
const OUTCOME_QUEUE = { queueName: 'rag-pipeline-dev-outcomes', deadLetterQueueName: 'rag-pipeline-dev-outcomes-dlq', ruleName: 'rag-pipeline-dev-outcomes' };

function alarmsOf(json: TerraformJson): Record<string, Record<string, unknown>> {
  return Object.fromEntries(resourcesOf(json, 'aws_cloudwatch_metric_alarm').map(([, alarm]) => [alarm.alarm_name as string, alarm]));
}

function synth(overrides: Partial<PipelineAlarmsProps>) {
  return alarmsOf(parseSynth(Testing.synthScope((scope) => void new PipelineAlarms(scope, 'alarms', { ...props, ...overrides }))));
}

const watched = ({ namespace, metric_name, dimensions, statistic, threshold, comparison_operator }: Record<string, unknown>) => ({
  namespace,
  metric_name,
  dimensions,
  statistic,
  threshold,
  comparison_operator,
});

afterAll(removeSynthesizedStacks);

/**
 * A failed rule delivery without a dead-letter queue is dropped and counted only as AWS/Events FailedInvocations
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). "Metrics that specify only the
 * RuleName dimension refer to the default event bus. Metrics that specify both the EventBusName and RuleName
 * dimensions refer to a custom event bus." (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html)
 */
describe('alarms on the item-event rules', () => {
  it('pages on a failed wake delivery, by RuleName alone on the default bus', () => {
    const alarms = synth({ wakeRuleName: 'rag-pipeline-dev-wake' });

    expect(watched(alarms['rag-pipeline-dev-wake-rule-failures'])).toEqual({
      namespace: 'AWS/Events', metric_name: 'FailedInvocations', dimensions: { RuleName: 'rag-pipeline-dev-wake' },
      statistic: 'Sum', threshold: 0, comparison_operator: 'GreaterThanThreshold',
    });
  });

  it('pages on outcome events lost outright or on the way to their dead-letter queue, by bus and rule on a custom bus', () => {
    const alarms = synth({ outcomeQueue: OUTCOME_QUEUE, wakeRuleName: 'rag-pipeline-dev-wake', itemEventBusName: 'rag-pipeline-dev-events' });
    const onRule = (ruleName: string) => ({ EventBusName: 'rag-pipeline-dev-events', RuleName: ruleName });

    expect(watched(alarms['rag-pipeline-dev-outcomes-rule-failures'])).toEqual({
      namespace: 'AWS/Events', metric_name: 'FailedInvocations', dimensions: onRule('rag-pipeline-dev-outcomes'),
      statistic: 'Sum', threshold: 0, comparison_operator: 'GreaterThanThreshold',
    });
    expect(watched(alarms['rag-pipeline-dev-outcomes-rule-dlq-failures'])).toEqual({
      namespace: 'AWS/Events', metric_name: 'InvocationsFailedToBeSentToDlq', dimensions: onRule('rag-pipeline-dev-outcomes'),
      statistic: 'Sum', threshold: 0, comparison_operator: 'GreaterThanThreshold',
    });
    expect(alarms['rag-pipeline-dev-wake-rule-failures'].dimensions).toEqual(onRule('rag-pipeline-dev-wake'));
  });

  it('has no rule alarm for a rule the stack does not create', () => {
    expect(Object.keys(synth({})).filter((name) => name.includes('-rule-'))).toEqual([]);
  });

  it('is wired in the stack to the real rules, notifying the alarm topic', () => {
    const { json } = synthStack(EVERY_OPTIONAL_FEATURE);
    const alarms = alarmsOf(json);
    const busName = refTo(json, 'aws_cloudwatch_event_bus', 'name');
    const ruleName = (name: string) => refTo(json, 'aws_cloudwatch_event_rule', 'name', (rule) => rule.name === name);
    const topic = refTo(json, 'aws_sns_topic', 'arn');

    expect(alarms['rag-pipeline-dev-wake-rule-failures']).toMatchObject({
      dimensions: { EventBusName: busName, RuleName: ruleName('rag-pipeline-dev-wake') },
      alarm_actions: [topic],
    });
    expect(alarms['rag-pipeline-dev-outcomes-rule-failures']).toMatchObject({
      dimensions: { EventBusName: busName, RuleName: ruleName('rag-pipeline-dev-outcomes') },
      alarm_actions: [topic],
    });
    expect(onlyResource(json, 'aws_cloudwatch_event_rule', (rule) => rule.name === 'rag-pipeline-dev-wake').config.event_bus_name).toBe(busName);
  });
});
