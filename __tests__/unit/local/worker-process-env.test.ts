import { ENDPOINT_ENV, OrchestratorEnv, WORKER_LOG_PATH, WorkerEnv } from '../../../contracts';
import { EMULATOR_CREDENTIALS } from '../../../local/emulator/moto';
import { decodeUserData, workerCodeLocation, workerProcessEnv } from '../../../local/standins/worker-process-env';
import { parseWorkerEnvironment, renderUserData } from '../../../runtime/bootstrap/user-data';

const userData = renderUserData({
  region: 'us-east-1',
  queueUrl: 'http://127.0.0.1:5000/123456789012/rag-pipeline-dev-work',
  tableName: 'rag-pipeline-dev-items',
  bucketName: "rag-pipeline-dev-bucket-o'brien",
  workerCodeKey: 'worker/worker.js',
  autoterminateMinutes: 0.25,
  concurrency: 4,
  visibilityTimeoutSeconds: 60,
});
const overrides = {
  endpoint: 'http://127.0.0.1:5000',
  logPath: '/tmp/rag-local-x/i-0123/sqs_worker.logs',
  instanceId: 'i-0123',
  home: '/tmp/rag-local-x/i-0123',
  scratchDir: '/tmp/rag-local-x/i-0123/scratch',
  path: '/usr/bin:/bin',
};

describe('workerProcessEnv', () => {
  it('is the user data environment with only the endpoint, log path, instance ID and credentials substituted', () => {
    const fromUserData = parseWorkerEnvironment(userData);

    const env = workerProcessEnv(fromUserData, overrides);

    expect(env).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: overrides.home,
      [WorkerEnv.region]: 'us-east-1',
      [WorkerEnv.queueUrl]: 'http://127.0.0.1:5000/123456789012/rag-pipeline-dev-work',
      [WorkerEnv.tableName]: 'rag-pipeline-dev-items',
      [WorkerEnv.bucketName]: "rag-pipeline-dev-bucket-o'brien",
      [OrchestratorEnv.workerCodeKey]: 'worker/worker.js',
      [WorkerEnv.autoterminateMinutes]: '0.25',
      [WorkerEnv.concurrency]: '4',
      [WorkerEnv.visibilityTimeoutSeconds]: '60',
      [WorkerEnv.logPath]: overrides.logPath,
      [WorkerEnv.instanceId]: 'i-0123',
      [WorkerEnv.scratchDir]: overrides.scratchDir,
      [ENDPOINT_ENV]: 'http://127.0.0.1:5000',
      ...EMULATOR_CREDENTIALS,
    });
  });

  it('replaces the instance log path the user data exports', () => {
    const fromUserData = parseWorkerEnvironment(userData);

    expect(fromUserData[WorkerEnv.logPath]).toBe(WORKER_LOG_PATH);
    expect(workerProcessEnv(fromUserData, overrides)[WorkerEnv.logPath]).toBe(overrides.logPath);
  });

  it('takes nothing from the local shell but PATH', () => {
    process.env.RAG_LOCAL_TEST_LEAK = 'leaked';
    try {
      expect(workerProcessEnv({}, overrides)).not.toHaveProperty('RAG_LOCAL_TEST_LEAK');
    } finally {
      delete process.env.RAG_LOCAL_TEST_LEAK;
    }
  });
});

describe('decodeUserData', () => {
  it('decodes the base64 DescribeInstanceAttribute returns to the rendered script', () => {
    expect(decodeUserData(Buffer.from(userData).toString('base64'), 'i-0123')).toBe(userData);
  });

  it('names the instance when it has no user data', () => {
    expect(() => decodeUserData(undefined, 'i-0123')).toThrow('i-0123 has no user data');
  });
});

describe('workerCodeLocation', () => {
  it('reads the bucket and the bundle key from the user data', () => {
    expect(workerCodeLocation(parseWorkerEnvironment(userData), 'i-0123')).toEqual({
      bucket: "rag-pipeline-dev-bucket-o'brien",
      key: 'worker/worker.js',
    });
  });

  it.each([WorkerEnv.bucketName, OrchestratorEnv.workerCodeKey])('names %s when the user data does not export it', (name) => {
    const env = parseWorkerEnvironment(userData);
    delete env[name];

    expect(() => workerCodeLocation(env, 'i-0123')).toThrow(name);
  });
});
