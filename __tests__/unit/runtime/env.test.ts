import { Testing } from 'cdktf';
import { loadSettings } from '../../../config/settings';
import { AUTOTERMINATE_MINUTES, VISIBILITY_TIMEOUT_SECONDS, WorkerEnv } from '../../../contracts';
import { loadConfig } from '../../../functions/orchestrator/config';
import { WorkQueue } from '../../../modules/sqs';
import { ConfigError, EnvReader, fail } from '../../../runtime/env';
import { loadWorkerConfig } from '../../../worker/config';
import { ENV as ORCHESTRATOR_ENV } from '../../support/orchestrator-kit';

const WORKER_ENV = {
  [WorkerEnv.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/111122223333/rag-pipeline-dev-work',
  [WorkerEnv.tableName]: 'rag-pipeline-dev-items',
  [WorkerEnv.bucketName]: 'rag-pipeline-dev-bucket',
  [WorkerEnv.region]: 'us-east-1',
  [WorkerEnv.instanceId]: 'i-0123456789abcdef0',
};

function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('the configuration was accepted');
}

describe('EnvReader', () => {
  it('reports every problem at once, each naming the variable and quoting the value', () => {
    const read = new EnvReader({ COUNT: 'many', FLAG: 'yes', SIZE: ' 7 ' });

    const value = {
      name: read.present('NAME'),
      count: read.integer('COUNT', 3, { min: 1, max: 5 }),
      flag: read.boolean('FLAG', false),
      size: read.integer('SIZE', 1, { min: 1, max: 5 }),
    };

    expect(value).toEqual({ name: '', count: 3, flag: false, size: 1 });
    expect(problemsOf(() => read.finish(value))).toEqual([
      'NAME must be set',
      'COUNT must be an integer from 1 to 5, got "many"',
      'FLAG must be "true" or "false", got "yes"',
      'SIZE must be an integer from 1 to 5, got "7"',
    ]);
  });

  it('joins the problems into the message', () => {
    expect(new ConfigError(['A must be set', 'B must be set']).message).toBe('A must be set; B must be set');
  });

  it('treats blank as unset and returns the value when nothing is wrong', () => {
    const read = new EnvReader({ BLANK: '  ', MINUTES: '0.5', URL: 'http://127.0.0.1:5000' });

    const value = {
      blank: read.integer('BLANK', 4, { min: 1, max: 5 }),
      minutes: read.positiveNumber('MINUTES', 5, 1440),
      url: read.optionalUrl('URL'),
    };

    expect(read.finish(value)).toEqual({ blank: 4, minutes: 0.5, url: 'http://127.0.0.1:5000' });
  });

  it('records the first problem of checks that depend on each other, then goes on with the next variable', () => {
    const read = new EnvReader({ NETWORK: '10.0.0.0/8', ZONES: 'one' });

    const network = read.guard(() => fail('NETWORK', 'a /16', '10.0.0.0/8'), 'fallback');
    const zones = read.integer('ZONES', 2, { min: 2, max: 6 });

    expect(network).toBe('fallback');
    expect(zones).toBe(2);
    expect(problemsOf(() => read.finish(null))).toEqual(['NETWORK must be a /16, got "10.0.0.0/8"', 'ZONES must be an integer from 2 to 6, got "one"']);
  });

  it('lets an error that is not a ConfigError through a guard', () => {
    const read = new EnvReader({});

    expect(() => read.guard(() => JSON.parse('{'), undefined)).toThrow(SyntaxError);
  });
});

describe('the three readers', () => {
  it('the settings report every bad variable of one synth at once', () => {
    expect(
      problemsOf(() =>
        loadSettings({ PIPELINE_MAX_WORKERS: '0', PIPELINE_EVENT_TRIGGER: 'yes', PIPELINE_VPC_CIDR: '10.0.0.0/8', PIPELINE_SCHEDULE: 'hourly' }),
      ),
    ).toEqual([
      'PIPELINE_VPC_CIDR must be an IPv4 network block from /16 to /28 such as 10.42.0.0/16, got "10.0.0.0/8"',
      'PIPELINE_EVENT_TRIGGER must be "true" or "false", got "yes"',
      'PIPELINE_MAX_WORKERS must be an integer from 1 to 100, got "0"',
      'PIPELINE_SCHEDULE must be rate(<n> minute|minutes|hour|hours|day|days) or cron(<6 fields>), got "hourly"',
    ]);
  });

  it('the worker reports every bad variable of one start at once', () => {
    expect(
      problemsOf(() =>
        loadWorkerConfig({
          ...WORKER_ENV,
          [WorkerEnv.tableName]: undefined,
          [WorkerEnv.concurrency]: '0',
          [WorkerEnv.autoterminateMinutes]: 'soon',
        }),
      ),
    ).toEqual([
      'EC2_AUTOTERMINATE_MINUTES must be a positive number no greater than 1440, got "soon"',
      'DYNAMODB_TABLE_NAME must be set',
      'WORKER_CONCURRENCY must be an integer from 1 to 100, got "0"',
    ]);
  });

  it('the orchestrator reports every bad variable of one cold start at once', () => {
    expect(problemsOf(() => loadConfig({ ...ORCHESTRATOR_ENV, EC2_SUBNET_ID: undefined, MAX_WORKERS: '0' }))).toEqual([
      'EC2_SUBNET_ID must be set',
      'MAX_WORKERS must be an integer from 1 to 100, got "0"',
    ]);
  });
});

describe('defaults and ranges shared by the infrastructure and the runtimes', () => {
  const orchestratorWith = (overrides: Record<string, string | undefined>) => loadConfig({ ...ORCHESTRATOR_ENV, ...overrides });

  it('the visibility timeout defaults to the same value in the setting, the queue construct and the worker', () => {
    let queue!: WorkQueue;
    Testing.synthScope((scope) => {
      queue = new WorkQueue(scope, 'sqs', { baseName: 'rag-pipeline-dev' });
    });

    expect(loadSettings({}).queueVisibilityTimeoutSeconds).toBe(VISIBILITY_TIMEOUT_SECONDS.default);
    expect(queue.visibilityTimeoutSeconds).toBe(VISIBILITY_TIMEOUT_SECONDS.default);
    expect(loadWorkerConfig(WORKER_ENV).visibilityTimeoutSeconds).toBe(VISIBILITY_TIMEOUT_SECONDS.default);
  });

  it('the setting, the queue construct and the orchestrator accept the same visibility range', () => {
    const { min, max } = VISIBILITY_TIMEOUT_SECONDS;
    const construct = (seconds: number) => () =>
      Testing.synthScope((scope) => {
        new WorkQueue(scope, 'sqs', { baseName: 'rag-pipeline-dev', visibilityTimeoutSeconds: seconds });
      });

    for (const accepted of [min, max]) {
      expect(loadSettings({ PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS: String(accepted) }).queueVisibilityTimeoutSeconds).toBe(accepted);
      expect(construct(accepted)).not.toThrow();
      expect(orchestratorWith({ SQS_VISIBILITY_TIMEOUT_SECONDS: String(accepted) }).visibilityTimeoutSeconds).toBe(accepted);
    }
    for (const refused of [min - 1, max + 1]) {
      expect(() => loadSettings({ PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS: String(refused) })).toThrow(`from ${min} to ${max}`);
      expect(construct(refused)).toThrow(`from ${min} to ${max}`);
      expect(() => orchestratorWith({ SQS_VISIBILITY_TIMEOUT_SECONDS: String(refused) })).toThrow(`from ${min} to ${max}`);
    }
  });

  it('the autoterminate minutes default and cap are the same in the setting, the orchestrator and the worker', () => {
    const { default: fallback, max } = AUTOTERMINATE_MINUTES;

    expect(loadSettings({}).autoterminateMinutes).toBe(fallback);
    expect(orchestratorWith({ EC2_AUTOTERMINATE_MINUTES: undefined }).autoterminateMinutes).toBe(fallback);
    expect(loadWorkerConfig(WORKER_ENV).idleTimeoutMs).toBe(fallback * 60_000);
    const over = String(max + 1);
    expect(() => loadSettings({ PIPELINE_AUTOTERMINATE_MINUTES: over })).toThrow(`no greater than ${max}`);
    expect(() => orchestratorWith({ EC2_AUTOTERMINATE_MINUTES: over })).toThrow(`no greater than ${max}`);
    expect(() => loadWorkerConfig({ ...WORKER_ENV, [WorkerEnv.autoterminateMinutes]: over })).toThrow(`no greater than ${max}`);
  });
});
