import { WORKER_LOG_PATH, WORKER_SCRATCH_DIR, WorkerEnv, ENDPOINT_ENV } from '../../../contracts';
import { ConfigError } from '../../../runtime/env';
import { loadWorkerConfig } from '../../../worker/config';

const VALID: NodeJS.ProcessEnv = {
  [WorkerEnv.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/111122223333/rag-pipeline-dev-queue',
  [WorkerEnv.tableName]: 'rag-pipeline-dev-items',
  [WorkerEnv.bucketName]: 'rag-pipeline-dev-bucket',
  [WorkerEnv.region]: 'us-east-1',
  [WorkerEnv.instanceId]: 'i-0123456789abcdef0',
};

describe('loadWorkerConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadWorkerConfig(VALID)).toEqual({
      queueUrl: VALID[WorkerEnv.queueUrl],
      tableName: 'rag-pipeline-dev-items',
      bucketName: 'rag-pipeline-dev-bucket',
      region: 'us-east-1',
      instanceId: 'i-0123456789abcdef0',
      idleTimeoutMs: 5 * 60_000,
      concurrency: 10,
      visibilityTimeoutSeconds: 300,
      maxReceiveCount: undefined,
      multipartThresholdBytes: 5 * 1024 ** 3,
      logPath: WORKER_LOG_PATH,
      processorCatalogKey: undefined,
      scratchDir: WORKER_SCRATCH_DIR,
      scratchReserveBytes: 1024 ** 3,
      endpoint: undefined,
      interruptionRetries: 5,
      shutdownGraceMs: 20_000,
      imdsEndpoint: undefined,
    });
  });

  it('reads the interruption bound and a loopback instance metadata stand-in', () => {
    expect(
      loadWorkerConfig({ ...VALID, [WorkerEnv.interruptionRetries]: '0', [WorkerEnv.imdsEndpoint]: 'http://127.0.0.1:41234' }),
    ).toMatchObject({ interruptionRetries: 0, imdsEndpoint: 'http://127.0.0.1:41234' });
  });

  it.each([
    { case: 'the real IMDS address', value: 'http://169.254.169.254' },
    { case: 'another host', value: 'http://imds.example.com:80' },
    { case: 'HTTPS on loopback', value: 'https://127.0.0.1:8443' },
  ])('refuses an instance metadata endpoint that is not a loopback stand-in: $case', ({ value }) => {
    expect(() => loadWorkerConfig({ ...VALID, [WorkerEnv.imdsEndpoint]: value })).toThrow(
      `WORKER_IMDS_ENDPOINT must be a loopback URL such as http://127.0.0.1:8080 (local runs and tests only), got "${value}"`,
    );
  });

  it('reads every setting, decimal minutes included', () => {
    const config = loadWorkerConfig({
      ...VALID,
      [WorkerEnv.autoterminateMinutes]: '0.5',
      [WorkerEnv.concurrency]: '3',
      [WorkerEnv.visibilityTimeoutSeconds]: '120',
      [WorkerEnv.maxReceiveCount]: '5',
      [WorkerEnv.multipartThresholdBytes]: String(5 * 1024 * 1024),
      [WorkerEnv.logPath]: '/tmp/worker.log',
      [WorkerEnv.scratchDir]: '/tmp/run-1/scratch',
      [WorkerEnv.scratchReserveBytes]: '0',
      [WorkerEnv.shutdownGraceSeconds]: '2',
      [ENDPOINT_ENV]: 'http://127.0.0.1:5000',
    });

    expect(config).toMatchObject({
      idleTimeoutMs: 30_000,
      concurrency: 3,
      visibilityTimeoutSeconds: 120,
      maxReceiveCount: 5,
      multipartThresholdBytes: 5 * 1024 * 1024,
      logPath: '/tmp/worker.log',
      scratchDir: '/tmp/run-1/scratch',
      scratchReserveBytes: 0,
      shutdownGraceMs: 2000,
      endpoint: 'http://127.0.0.1:5000',
    });
  });

  it.each([
    { case: 'a missing queue URL', env: { [WorkerEnv.queueUrl]: undefined }, message: 'SQS_QUEUE_URL must be set' },
    { case: 'a blank table name', env: { [WorkerEnv.tableName]: '  ' }, message: 'DYNAMODB_TABLE_NAME must be set' },
    { case: 'a missing bucket', env: { [WorkerEnv.bucketName]: undefined }, message: 'S3_BUCKET_NAME must be set' },
    { case: 'a missing region', env: { [WorkerEnv.region]: undefined }, message: 'AWS_REGION must be set' },
    { case: 'a missing instance ID', env: { [WorkerEnv.instanceId]: undefined }, message: 'WORKER_INSTANCE_ID must be set' },
    {
      case: 'an instance ID with a slash',
      env: { [WorkerEnv.instanceId]: 'i-1/../x' },
      message: 'WORKER_INSTANCE_ID must be an instance ID such as i-0123456789abcdef0, got "i-1/../x"',
    },
    {
      case: 'a queue URL that is not a URL',
      env: { [WorkerEnv.queueUrl]: 'my-queue' },
      message: 'SQS_QUEUE_URL must be an http(s) URL, got "my-queue"',
    },
    {
      case: 'idle minutes that are not a number',
      env: { [WorkerEnv.autoterminateMinutes]: 'abc' },
      message: 'EC2_AUTOTERMINATE_MINUTES must be a positive number no greater than 1440, got "abc"',
    },
    {
      case: 'zero idle minutes',
      env: { [WorkerEnv.autoterminateMinutes]: '0' },
      message: 'EC2_AUTOTERMINATE_MINUTES must be a positive number no greater than 1440, got "0"',
    },
    { case: 'negative idle minutes', env: { [WorkerEnv.autoterminateMinutes]: '-1' }, message: 'got "-1"' },
    {
      case: 'a fractional concurrency',
      env: { [WorkerEnv.concurrency]: '2.5' },
      message: 'WORKER_CONCURRENCY must be an integer from 1 to 100, got "2.5"',
    },
    {
      case: 'zero concurrency',
      env: { [WorkerEnv.concurrency]: '0' },
      message: 'WORKER_CONCURRENCY must be an integer from 1 to 100, got "0"',
    },
    {
      // The unit's TimeoutStopSec is sized for 20 s of grace.
      case: 'a shutdown grace longer than the unit waits for',
      env: { [WorkerEnv.shutdownGraceSeconds]: '21' },
      message: 'WORKER_SHUTDOWN_GRACE_SECONDS must be an integer from 1 to 20, got "21"',
    },
    {
      case: 'no shutdown grace',
      env: { [WorkerEnv.shutdownGraceSeconds]: '0' },
      message: 'WORKER_SHUTDOWN_GRACE_SECONDS must be an integer from 1 to 20, got "0"',
    },
    {
      case: 'a visibility timeout of 1 s',
      env: { [WorkerEnv.visibilityTimeoutSeconds]: '1' },
      message: 'SQS_VISIBILITY_TIMEOUT_SECONDS must be an integer from 2 to 43200, got "1"',
    },
    {
      case: 'a receive count of 0',
      env: { [WorkerEnv.maxReceiveCount]: '0' },
      message: 'SQS_MAX_RECEIVE_COUNT must be an integer from 1 to 1000, got "0"',
    },
    {
      case: 'a receive count that is not a number',
      env: { [WorkerEnv.maxReceiveCount]: 'five' },
      message: 'SQS_MAX_RECEIVE_COUNT must be an integer from 1 to 1000, got "five"',
    },
    {
      case: 'a threshold below 5 MiB',
      env: { [WorkerEnv.multipartThresholdBytes]: '1000' },
      message: 'S3_MULTIPART_THRESHOLD_BYTES must be an integer from 5242880 to 5368709120, got "1000"',
    },
    {
      case: 'a threshold above 5 GiB',
      env: { [WorkerEnv.multipartThresholdBytes]: String(6 * 1024 ** 3) },
      message: 'S3_MULTIPART_THRESHOLD_BYTES must be an integer',
    },
    {
      case: 'a relative scratch directory',
      env: { [WorkerEnv.scratchDir]: 'scratch' },
      message: 'WORKER_SCRATCH_DIR must be an absolute directory path, got "scratch"',
    },
    {
      case: 'a negative scratch reserve',
      env: { [WorkerEnv.scratchReserveBytes]: '-1' },
      message: 'WORKER_SCRATCH_RESERVE_BYTES must be an integer from 0 to 9007199254740991, got "-1"',
    },
    {
      case: 'an endpoint that is not a URL',
      env: { [ENDPOINT_ENV]: 'localhost:5000' },
      message: 'AWS_ENDPOINT_URL must be an http(s) URL, got "localhost:5000"',
    },
  ])('refuses $case, naming the variable', ({ env, message }) => {
    const load = () => loadWorkerConfig({ ...VALID, ...env });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });
});
