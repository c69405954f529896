import { Testing } from 'cdktf';
import { ItemsPipe, type ItemsPipeProps } from '../../../modules/eventbridge';
import { PENDING_FILTER_PATTERNS } from '../../../contracts';
import { onlyResource, parseSynth, refTo, statementsOf } from '../../support/synth';

const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:111122223333:table/items/stream/2026-01-01T00:00:00.000';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:111122223333:work';

const props: ItemsPipeProps = {
  baseName: 'rag-pipeline-dev',
  tableStreamArn: STREAM_ARN,
  streamReadStatements: [{ sid: 'ItemsStreamRead', actions: ['dynamodb:GetRecords'], resources: [STREAM_ARN] }],
  queueArn: QUEUE_ARN,
  queueSendStatement: { sid: 'WorkQueueSend', actions: ['sqs:SendMessage'], resources: [QUEUE_ARN] },
  region: 'us-east-1',
  partition: 'aws',
};

function synth(overrides: Partial<ItemsPipeProps> = {}): string {
  return Testing.synthScope((scope) => {
    new ItemsPipe(scope, 'eventbridge', { ...props, ...overrides });
  });
}

describe('ItemsPipe', () => {
  it('pipes the table stream to the queue from the trim horizon, 10 records a batch, bounded retries, into its DLQ', () => {
    const json = parseSynth(synth());

    expect(onlyResource(json, 'aws_pipes_pipe').config).toMatchObject({
      name: 'rag-pipeline-dev-items-to-queue',
      source: STREAM_ARN,
      target: QUEUE_ARN,
      desired_state: 'RUNNING',
      role_arn: refTo(json, 'aws_iam_role', 'arn'),
      source_parameters: {
        dynamodb_stream_parameters: {
          starting_position: 'TRIM_HORIZON',
          batch_size: 10,
          maximum_retry_attempts: 10,
          dead_letter_config: { arn: refTo(json, 'aws_sqs_queue', 'arn') },
        },
      },
    });
  });

  it('filters with exactly the shared PENDING patterns, one filter each', () => {
    const pipe = onlyResource(parseSynth(synth()), 'aws_pipes_pipe').config as {
      source_parameters: { filter_criteria: { filter: Array<{ pattern: string }> } };
    };

    const patterns = pipe.source_parameters.filter_criteria.filter.map((filter) => JSON.parse(filter.pattern));

    expect(patterns).toEqual(JSON.parse(JSON.stringify(PENDING_FILTER_PATTERNS)));
  });

  it('keeps dead letters in an encrypted queue for 14 days', () => {
    expect(synth()).toHaveResourceWithProperties({ tfResourceType: 'aws_sqs_queue' }, {
      name: 'rag-pipeline-dev-pipe-dlq',
      message_retention_seconds: 1_209_600,
      sqs_managed_sse_enabled: true,
    });
  });

  it('lets its role read the stream, send to the queue and to its dead-letter queue, nothing else', () => {
    const json = parseSynth(synth());
    const role = onlyResource(json, 'aws_iam_role').config;
    const policy = onlyResource(json, 'aws_iam_role_policy').config;

    expect(statementsOf(role.assume_role_policy)[0]).toMatchObject({ Principal: { Service: 'pipes.amazonaws.com' }, Action: 'sts:AssumeRole' });
    expect(statementsOf(policy.policy)).toEqual([
      { Sid: 'ItemsStreamRead', Effect: 'Allow', Action: ['dynamodb:GetRecords'], Resource: [STREAM_ARN] },
      { Sid: 'WorkQueueSend', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [QUEUE_ARN] },
      { Sid: 'PipeDeadLetterSend', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [refTo(json, 'aws_sqs_queue', 'arn')] },
    ]);
  });

  it('lets only this pipe, in this account, assume its role', () => {
    const account = '${element(split(":", "arn:aws:sqs:us-east-1:111122223333:work"), 4)}';
    const role = onlyResource(parseSynth(synth()), 'aws_iam_role').config;

    expect(statementsOf(role.assume_role_policy)).toEqual([
      {
        Sid: 'TrustedService',
        Effect: 'Allow',
        Principal: { Service: 'pipes.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: {
            'aws:SourceAccount': account,
            'aws:SourceArn': `arn:aws:pipes:us-east-1:${account}:pipe/rag-pipeline-dev-items-to-queue`,
          },
        },
      },
    ]);
  });

  it('creates the pipe only after its role policy exists and a create-time wait for IAM has passed', () => {
    const json = parseSynth(synth({ iamPropagationSeconds: 120 }));
    const wait = onlyResource(json, 'terraform_data');

    expect(onlyResource(json, 'aws_pipes_pipe').config.depends_on).toEqual([`terraform_data.${wait.id}`]);
    expect(wait.config).toMatchObject({
      depends_on: [`aws_iam_role_policy.${onlyResource(json, 'aws_iam_role_policy').id}`],
      provisioner: [{ 'local-exec': { command: 'sleep 120' } }],
      // Only a new role (unique_id changes even under the same name) or a new stream re-runs the wait.
      triggers_replace: { role: refTo(json, 'aws_iam_role', 'unique_id'), source: STREAM_ARN },
    });
  });

  it('waits 180 seconds by default, and keeps the wait without a command when told 0', () => {
    expect(onlyResource(parseSynth(synth()), 'terraform_data').config.provisioner).toEqual([{ 'local-exec': { command: 'sleep 180' } }]);
    expect(onlyResource(parseSynth(synth({ iamPropagationSeconds: 0 })), 'terraform_data').config).not.toHaveProperty('provisioner');
  });

  it.each([
    { case: 'batch larger than an SQS target accepts', overrides: { batchSize: 11 }, message: 'batchSize must be an integer from 1 to 10 for an SQS or event bus target, got 11' },
    { case: 'unbounded retries', overrides: { maximumRetryAttempts: -1 }, message: 'maximumRetryAttempts must be an integer from 0 to 10000, got -1' },
    { case: 'negative IAM wait', overrides: { iamPropagationSeconds: -1 }, message: 'seconds must be an integer from 0 to 900, got -1' },
  ])('rejects a $case', ({ overrides, message }) => {
    expect(() => synth(overrides)).toThrow(message);
  });
});
