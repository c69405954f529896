import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { OrchestratorEnv, type OrchestratorEnvironment } from '../../../contracts';
import { Orchestrator, type OrchestratorProps } from '../../../modules/lambda';
import { onlyResource, parseSynth, refTo, statementsOf } from '../../support/synth';

const fixtureDirs: string[] = [];
function fixtureDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-code-'));
  fixtureDirs.push(dir);
  return dir;
}
afterAll(() => fixtureDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A stand-in for dist/orchestrator: the module only packages the directory. */
function codeDirectory(): string {
  const directory = path.join(fixtureDir(), 'orchestrator');
  mkdirSync(directory);
  writeFileSync(path.join(directory, 'index.js'), 'exports.handler = async () => undefined;\n');
  return directory;
}

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:111122223333:work';
/** Every variable the construct requires, empty but the queue's: the module only passes them through. */
const ENVIRONMENT = {
  ...(Object.fromEntries(Object.values(OrchestratorEnv).map((name) => [name, ''])) as OrchestratorEnvironment),
  SQS_QUEUE_URL: 'https://sqs/work',
};

function synth(overrides: Partial<OrchestratorProps> = {}): string {
  return Testing.synthScope((scope) => {
    new Orchestrator(scope, 'lambda', {
      baseName: 'rag-pipeline-dev',
      codeDirectory: codeDirectory(),
      environment: ENVIRONMENT,
      statements: [{ sid: 'WorkQueueAttributes', actions: ['sqs:GetQueueAttributes'], resources: [QUEUE_ARN] }],
      ...overrides,
    });
  });
}

describe('Orchestrator', () => {
  it('runs the zipped bundle on nodejs22.x with a bounded timeout and no reserved concurrency', () => {
    const json = parseSynth(synth());
    const fn = onlyResource(json, 'aws_lambda_function').config;

    expect(fn).toMatchObject({
      function_name: 'rag-pipeline-dev-orchestrator',
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      timeout: 60,
      role: refTo(json, 'aws_iam_role', 'arn'),
    });
    // New accounts cannot reserve any concurrency: a reservation would fail the first apply.
    expect(fn).not.toHaveProperty('reserved_concurrent_executions');
    expect(fn.filename).toMatch(/^assets\/lambda_code_[0-9A-F]+\/[0-9A-F]{32}\/archive\.zip$/);
    // The asset's content hash: a code change changes it, which `cdktf diff` shows as an update.
    expect(fn.source_code_hash).toMatch(/^[0-9A-F]{32}$/);
    expect(fn.filename).toContain(String(fn.source_code_hash));
  });

  it('reserves concurrency only when asked', () => {
    expect(onlyResource(parseSynth(synth({ reservedConcurrentExecutions: 2 })), 'aws_lambda_function').config.reserved_concurrent_executions).toBe(2);
  });

  it('passes the environment through, with source maps on', () => {
    const fn = onlyResource(parseSynth(synth()), 'aws_lambda_function').config;

    expect(fn.environment).toEqual({
      variables: { ...ENVIRONMENT, NODE_OPTIONS: '--enable-source-maps' },
    });
  });

  it('creates its log group with a retention before the function', () => {
    const json = parseSynth(synth({ logRetentionDays: 90 }));
    const logGroup = onlyResource(json, 'aws_cloudwatch_log_group');

    expect(logGroup.config).toEqual({ name: '/aws/lambda/rag-pipeline-dev-orchestrator', retention_in_days: 90 });
    expect(onlyResource(json, 'aws_lambda_function').config.depends_on).toEqual([`aws_cloudwatch_log_group.${logGroup.id}`]);
  });

  it('gives its role the given grants plus writes to its own log group only', () => {
    const json = parseSynth(synth());
    const role = onlyResource(json, 'aws_iam_role').config;

    expect(statementsOf(role.assume_role_policy)).toEqual([
      {
        Sid: 'TrustedService',
        Effect: 'Allow',
        Principal: { Service: 'lambda.amazonaws.com' },
        Action: 'sts:AssumeRole',
        // Only Lambda acting for this account; the account is taken from the log group's ARN.
        Condition: { StringEquals: { 'aws:SourceAccount': `\${element(split(":", ${refTo(json, 'aws_cloudwatch_log_group', 'arn').slice(2, -1)}), 4)}` } },
      },
    ]);
    expect(statementsOf(onlyResource(json, 'aws_iam_role_policy').config.policy)).toEqual([
      { Sid: 'WorkQueueAttributes', Effect: 'Allow', Action: ['sqs:GetQueueAttributes'], Resource: [QUEUE_ARN] },
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [`${refTo(json, 'aws_cloudwatch_log_group', 'arn')}:*`],
      },
    ]);
  });

  it('drops failed or throttled ticks instead of retrying them late', () => {
    const json = parseSynth(synth());

    expect(onlyResource(json, 'aws_lambda_function_event_invoke_config').config).toEqual({
      function_name: refTo(json, 'aws_lambda_function', 'function_name'),
      maximum_retry_attempts: 0,
      maximum_event_age_in_seconds: 60,
    });
  });

  it('rejects a timeout Lambda does not allow', () => {
    expect(() => synth({ timeoutSeconds: 901 })).toThrow('timeoutSeconds must be an integer from 1 to 900, got 901');
  });

  it('rejects a reservation of zero', () => {
    expect(() => synth({ reservedConcurrentExecutions: 0 })).toThrow('reservedConcurrentExecutions must be a positive integer or unset, got 0');
  });

  describe('with a queue trigger', () => {
    const WAKE_ARN = 'arn:aws:sqs:us-east-1:111122223333:wake';

    it('maps the queue to the function with the given batching, by default 1,000 a batch, 1 s, 2 at once', () => {
      const json = parseSynth(synth({ queueTrigger: { queueArn: WAKE_ARN, visibilityTimeoutSeconds: 60 } }));

      expect(onlyResource(json, 'aws_lambda_event_source_mapping').config).toMatchObject({
        function_name: refTo(json, 'aws_lambda_function', 'arn'),
        event_source_arn: WAKE_ARN,
        batch_size: 1000,
        maximum_batching_window_in_seconds: 1,
        scaling_config: { maximum_concurrency: 2 },
      });
    });

    it('has no mapping without one', () => {
      expect(parseSynth(synth()).resource).not.toHaveProperty('aws_lambda_event_source_mapping');
    });

    it.each([
      { case: 'a queue visibility timeout under the function timeout', trigger: { visibilityTimeoutSeconds: 30 }, message: "visibilityTimeoutSeconds (30) must be at least the function's timeoutSeconds (60)" },
      { case: 'a concurrency under 2', trigger: { maximumConcurrency: 1 }, message: 'maximumConcurrency must be an integer from 2 to 1000, got 1' },
      { case: 'more than 10 a batch without a window', trigger: { batchSize: 11, maximumBatchingWindowSeconds: 0 }, message: 'maximumBatchingWindowSeconds must be at least 1 when batchSize (11) is above 10' },
      { case: 'a batch over 10,000', trigger: { batchSize: 10_001 }, message: 'batchSize must be an integer from 1 to 10000, got 10001' },
    ])('rejects $case', ({ trigger, message }) => {
      expect(() => synth({ queueTrigger: { queueArn: WAKE_ARN, visibilityTimeoutSeconds: 60, ...trigger } })).toThrow(message);
    });
  });
});
