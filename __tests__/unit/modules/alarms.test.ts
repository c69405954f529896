import { Testing } from 'cdktf';
import { PipelineAlarms, type PipelineAlarmsProps } from '../../../modules/alarms';
import { onlyResource, parseSynth, refTo, resourcesOf, statementsOf } from '../../support/synth';

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

function synth(overrides: Partial<PipelineAlarmsProps> = {}): string {
  return Testing.synthScope((scope) => {
    new PipelineAlarms(scope, 'alarms', { ...props, ...overrides });
  });
}

const alarmsOf = (synthesized: string) =>
  Object.fromEntries(resourcesOf(parseSynth(synthesized), 'aws_cloudwatch_metric_alarm').map(([, alarm]) => [alarm.alarm_name as string, alarm]));

describe('PipelineAlarms', () => {
  it('watches every dead-letter queue, the queue age, orchestrator errors and both pipes’ failures', () => {
    const alarms = alarmsOf(synth({ queueAgeThresholdSeconds: 1200 }));

    expect(Object.keys(alarms).sort()).toEqual([
      'rag-pipeline-dev-events-pipe-dlq-messages',
      'rag-pipeline-dev-events-pipe-failures',
      'rag-pipeline-dev-launch-instance-profile-not-ready',
      'rag-pipeline-dev-launch-unauthorized',
      'rag-pipeline-dev-launch-unsupported-image',
      'rag-pipeline-dev-launches-deferred-boot-failures',
      'rag-pipeline-dev-orchestrator-errors',
      'rag-pipeline-dev-pipe-dlq-messages',
      'rag-pipeline-dev-pipe-failures',
      'rag-pipeline-dev-work-dlq-messages',
      'rag-pipeline-dev-work-queue-age',
    ]);
    const watched = (name: string) => {
      const { namespace, metric_name, dimensions, statistic, threshold, comparison_operator } = alarms[name];
      return { namespace, metric_name, dimensions, statistic, threshold, comparison_operator };
    };
    expect(watched('rag-pipeline-dev-work-dlq-messages')).toEqual({
      namespace: 'AWS/SQS', metric_name: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: 'rag-pipeline-dev-work-dlq' },
      statistic: 'Maximum', threshold: 0, comparison_operator: 'GreaterThanThreshold',
    });
    expect(watched('rag-pipeline-dev-pipe-dlq-messages')).toEqual({
      namespace: 'AWS/SQS', metric_name: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: 'rag-pipeline-dev-pipe-dlq' },
      statistic: 'Maximum', threshold: 0, comparison_operator: 'GreaterThanThreshold',
    });
    expect(watched('rag-pipeline-dev-work-queue-age')).toEqual({
      namespace: 'AWS/SQS', metric_name: 'ApproximateAgeOfOldestMessage', dimensions: { QueueName: 'rag-pipeline-dev-work' },
      statistic: 'Maximum', threshold: 1200, comparison_operator: 'GreaterThanThreshold',
    });
    expect(watched('rag-pipeline-dev-orchestrator-errors')).toEqual({
      namespace: 'AWS/Lambda', metric_name: 'Errors', dimensions: { FunctionName: 'rag-pipeline-dev-orchestrator' },
      statistic: 'Sum', threshold: 0, comparison_operator: 'GreaterThanThreshold',
    });
    expect(watched('rag-pipeline-dev-pipe-failures')).toEqual({
      namespace: 'AWS/EventBridge/Pipes', metric_name: 'ExecutionFailed', dimensions: { PipeName: 'rag-pipeline-dev-items-to-queue' },
      statistic: 'Sum', threshold: 0, comparison_operator: 'GreaterThanThreshold',
    });
    expect(watched('rag-pipeline-dev-events-pipe-dlq-messages')).toEqual({
      namespace: 'AWS/SQS', metric_name: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: 'rag-pipeline-dev-events-pipe-dlq' },
      statistic: 'Maximum', threshold: 0, comparison_operator: 'GreaterThanThreshold',
    });
    expect(watched('rag-pipeline-dev-events-pipe-failures')).toEqual({
      namespace: 'AWS/EventBridge/Pipes', metric_name: 'ExecutionFailed', dimensions: { PipeName: 'rag-pipeline-dev-items-to-events' },
      statistic: 'Sum', threshold: 0, comparison_operator: 'GreaterThanThreshold',
    });
    for (const name of ['work-dlq-messages', 'pipe-dlq-messages', 'work-queue-age', 'orchestrator-errors', 'pipe-failures', 'events-pipe-dlq-messages', 'events-pipe-failures']) {
      expect(alarms[`rag-pipeline-dev-${name}`]).toMatchObject({ period: 300, evaluation_periods: 1, treat_missing_data: 'notBreaching' });
    }
  });

  it('watches the outcome queue, when there is one: undelivered events, and an event unread for a day', () => {
    const alarms = alarmsOf(synth({ outcomeQueue: { queueName: 'rag-pipeline-dev-outcomes', deadLetterQueueName: 'rag-pipeline-dev-outcomes-dlq', ruleName: 'rag-pipeline-dev-outcomes' } }));

    expect(alarms['rag-pipeline-dev-outcomes-dlq-messages']).toMatchObject({
      metric_name: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: 'rag-pipeline-dev-outcomes-dlq' },
      threshold: 0,
    });
    expect(alarms['rag-pipeline-dev-outcomes-queue-age']).toMatchObject({
      metric_name: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: 'rag-pipeline-dev-outcomes' },
      threshold: 86_400,
    });
    expect(Object.keys(alarmsOf(synth())).filter((name) => name.includes('outcomes'))).toEqual([]);
  });

  it('pages on refused launches within minutes, on a refused instance profile only when it persists', () => {
    const alarms = alarmsOf(synth());
    const launch = (name: string) => {
      const { namespace, metric_name, dimensions, statistic, threshold, comparison_operator, period, evaluation_periods, treat_missing_data } =
        alarms[`rag-pipeline-dev-${name}`];
      return { namespace, metric_name, dimensions, statistic, threshold, comparison_operator, period, evaluation_periods, treat_missing_data };
    };
    // The orchestrator's EMF metrics carry exactly FunctionName and Kind; an alarm must match them in full.
    const failures = (kind: string) => ({
      namespace: 'RagPipeline/Orchestrator', metric_name: 'LaunchFailures', dimensions: { FunctionName: 'rag-pipeline-dev-orchestrator', Kind: kind },
      statistic: 'Sum', threshold: 0, comparison_operator: 'GreaterThanThreshold', period: 60, treat_missing_data: 'notBreaching',
    });

    expect(launch('launch-unauthorized')).toEqual({ ...failures('unauthorized'), evaluation_periods: 1 });
    expect(launch('launch-unsupported-image')).toEqual({ ...failures('unsupported-image'), evaluation_periods: 1 });
    expect(launch('launch-instance-profile-not-ready')).toEqual({ ...failures('instance-profile-not-ready'), evaluation_periods: 5 });
    expect(launch('launches-deferred-boot-failures')).toEqual({
      ...failures('boot-failures'),
      metric_name: 'LaunchesDeferred',
      evaluation_periods: 1,
    });
  });

  it('creates no topic and notifies nobody when no address is configured', () => {
    const synthesized = synth();

    expect(resourcesOf(parseSynth(synthesized), 'aws_sns_topic')).toEqual([]);
    expect(resourcesOf(parseSynth(synthesized), 'aws_kms_key')).toEqual([]);
    expect(resourcesOf(parseSynth(synthesized), 'aws_sns_topic_subscription')).toEqual([]);
    for (const alarm of Object.values(alarmsOf(synthesized))) {
      expect(alarm).toMatchObject({ alarm_actions: [], ok_actions: [] });
    }
  });

  it('e-mails an encrypted topic from every alarm when an address is configured', () => {
    const synthesized = synth({ alarmEmail: 'ops@example.com' });
    const json = parseSynth(synthesized);
    const topic = refTo(json, 'aws_sns_topic', 'arn');

    expect(onlyResource(json, 'aws_sns_topic').config).toEqual({ name: 'rag-pipeline-dev-alarms', kms_master_key_id: refTo(json, 'aws_kms_key', 'arn') });
    expect(onlyResource(json, 'aws_sns_topic_subscription').config).toEqual({ topic_arn: topic, protocol: 'email', endpoint: 'ops@example.com' });
    for (const alarm of Object.values(alarmsOf(synthesized))) {
      expect(alarm).toMatchObject({ alarm_actions: [topic], ok_actions: [topic] });
    }
  });

  it('encrypts the topic with a rotating key CloudWatch may encrypt with, administered by the account', () => {
    const json = parseSynth(synth({ alarmEmail: 'ops@example.com' }));
    const key = onlyResource(json, 'aws_kms_key').config;

    expect(key).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 7 });
    const statements = statementsOf(key.policy);
    expect(statements.map(({ Sid, Principal }) => ({ Sid, Principal }))).toEqual([
      { Sid: 'AccountAdministersKey', Principal: { AWS: 'arn:aws:iam::111122223333:root' } },
      { Sid: 'CloudWatchPublishesAlarms', Principal: { Service: 'cloudwatch.amazonaws.com' } },
    ]);
    expect(statements[0].Action).not.toContain('kms:*');
    expect(statements[0].Action).not.toContain('kms:Encrypt');
    expect(statements[0].Action).not.toContain('kms:Decrypt');
    expect(statements[1].Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(onlyResource(json, 'aws_kms_alias').config).toEqual({
      name: 'alias/rag-pipeline-dev-alarms',
      target_key_id: refTo(json, 'aws_kms_key', 'key_id'),
    });
  });

  it('rejects a queue-age threshold under a minute', () => {
    expect(() => synth({ queueAgeThresholdSeconds: 30 })).toThrow('queueAgeThresholdSeconds must be an integer of at least 60, got 30');
  });
});
