import { Testing } from 'cdktf';
import { WorkQueue, type WorkQueueProps } from '../../../modules/sqs';
import { decodeJsonAttribute, onlyResource, parseSynth, refTo } from '../../support/synth';

function synth(overrides: Partial<WorkQueueProps> = {}): string {
  return Testing.synthScope((scope) => {
    new WorkQueue(scope, 'sqs', { baseName: 'rag-pipeline-dev', ...overrides });
  });
}

describe('WorkQueue', () => {
  it('creates an encrypted long-polling work queue with the default visibility timeout', () => {
    expect(synth()).toHaveResourceWithProperties({ tfResourceType: 'aws_sqs_queue' }, {
      name: 'rag-pipeline-dev-work',
      receive_wait_time_seconds: 20,
      visibility_timeout_seconds: 300,
      sqs_managed_sse_enabled: true,
    });
  });

  it('redrives to an encrypted dead-letter queue keeping messages 14 days after 5 receives by default', () => {
    const json = parseSynth(synth());
    const queue = onlyResource(json, 'aws_sqs_queue', (config) => config.name === 'rag-pipeline-dev-work').config;
    const deadLetters = onlyResource(json, 'aws_sqs_queue', (config) => config.name === 'rag-pipeline-dev-work-dlq').config;

    expect(decodeJsonAttribute(queue.redrive_policy)).toEqual({
      deadLetterTargetArn: refTo(json, 'aws_sqs_queue', 'arn', (config) => config.name === 'rag-pipeline-dev-work-dlq'),
      maxReceiveCount: 5,
    });
    expect(deadLetters).toMatchObject({ message_retention_seconds: 1_209_600, sqs_managed_sse_enabled: true });
  });

  it('uses the configured visibility timeout and receive count', () => {
    const json = parseSynth(synth({ visibilityTimeoutSeconds: 900, maxReceiveCount: 3 }));
    const queue = onlyResource(json, 'aws_sqs_queue', (config) => config.name === 'rag-pipeline-dev-work').config;

    expect(queue.visibility_timeout_seconds).toBe(900);
    expect(decodeJsonAttribute(queue.redrive_policy)).toMatchObject({ maxReceiveCount: 3 });
  });

  it.each([
    { case: 'receive count of zero', props: { maxReceiveCount: 0 }, message: 'maxReceiveCount must be an integer from 1 to 1000, got 0' },
    { case: 'visibility timeout beyond 12 h', props: { visibilityTimeoutSeconds: 50_000 }, message: 'visibilityTimeoutSeconds must be an integer from 60 to 43200 (12 h), got 50000' },
  ])('rejects a $case', ({ props, message }) => {
    expect(() => synth(props)).toThrow(message);
  });

  it('grants consume, attribute reads and sends on the work queue only', () => {
    let queue!: WorkQueue;
    Testing.synthScope((scope) => {
      queue = new WorkQueue(scope, 'sqs', { baseName: 'rag-pipeline-dev' });
    });

    expect(queue.consumeStatement()).toEqual({
      sid: 'WorkQueueConsume',
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:SendMessage'],
      resources: [queue.queueArn],
    });
    expect(queue.readAttributesStatement()).toEqual({ sid: 'WorkQueueAttributes', actions: ['sqs:GetQueueAttributes'], resources: [queue.queueArn] });
    expect(queue.sendStatement()).toEqual({ sid: 'WorkQueueSend', actions: ['sqs:SendMessage'], resources: [queue.queueArn] });
  });
});
