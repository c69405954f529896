import { Testing } from 'cdktf';
import { WakeQueue, type WakeQueueProps } from '../../../modules/wake';
import { onlyResource, parseSynth, refTo, statementsOf } from '../../support/synth';

const props: WakeQueueProps = {
  baseName: 'rag-pipeline-dev',
  eventBusName: 'default',
  eventPattern: '{"source":["rag-file-pipeline"]}',
  visibilityTimeoutSeconds: 60,
};

function synth(overrides: Partial<WakeQueueProps> = {}): { json: ReturnType<typeof parseSynth>; wake: WakeQueue } {
  let wake!: WakeQueue;
  const synthesized = Testing.synthScope((scope) => {
    wake = new WakeQueue(scope, 'wake', { ...props, ...overrides });
  });
  return { json: parseSynth(synthesized), wake };
}

describe('WakeQueue', () => {
  it('sends the matching events of the bus to an encrypted queue that keeps them 15 minutes', () => {
    const { json } = synth();

    expect(onlyResource(json, 'aws_sqs_queue').config).toMatchObject({
      name: 'rag-pipeline-dev-wake',
      message_retention_seconds: 900,
      visibility_timeout_seconds: 60,
      sqs_managed_sse_enabled: true,
    });
    expect(onlyResource(json, 'aws_cloudwatch_event_rule').config).toMatchObject({ event_bus_name: 'default', event_pattern: props.eventPattern });
    expect(onlyResource(json, 'aws_cloudwatch_event_target').config).toMatchObject({
      rule: refTo(json, 'aws_cloudwatch_event_rule', 'name'),
      event_bus_name: 'default',
      arn: refTo(json, 'aws_sqs_queue', 'arn'),
    });
  });

  it('lets only its rule send to the queue', () => {
    const { json } = synth();

    expect(statementsOf(onlyResource(json, 'aws_sqs_queue_policy').config.policy)).toEqual([
      {
        Sid: 'WakeRuleSends',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['sqs:SendMessage'],
        Resource: [refTo(json, 'aws_sqs_queue', 'arn')],
        Condition: { ArnEquals: { 'aws:SourceArn': refTo(json, 'aws_cloudwatch_event_rule', 'arn') } },
      },
    ]);
  });

  it("grants a consumer what Lambda's mapping needs on this queue only", () => {
    const { wake } = synth();

    expect(wake.consumeStatement()).toEqual({
      sid: 'WakeQueueConsume',
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      resources: [wake.queueArn],
    });
  });

  it.each([
    { case: 'a retention under SQS minimum', overrides: { retentionSeconds: 59 }, message: 'retentionSeconds must be an integer from 60 to 1209600, got 59' },
    { case: 'a negative visibility timeout', overrides: { visibilityTimeoutSeconds: -1 }, message: 'visibilityTimeoutSeconds must be an integer from 0 to 43200, got -1' },
  ])('rejects $case', ({ overrides, message }) => {
    expect(() => synth(overrides)).toThrow(message);
  });
});
