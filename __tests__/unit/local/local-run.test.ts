import * as path from 'node:path';
import { deployedPipes, localSettingsEnv, parseOutputs } from '../../../local/emulator/deploy';
import { settingsEnvFor } from '../../../local/pipeline';
import { TERRAFORM_CLI_CONFIG, VENV_BIN } from '../../../local/emulator/paths';
import { missingPrerequisite, PROVIDER_MIRROR_PATH, type Probe } from '../../../local/emulator/preflight';
import { formatProgress, outputsFileContent } from '../../../local/cli/progress';
import { functionProcessEnv, scheduledEvent } from '../../../local/standins/schedule';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { DEMO_CHUNK_PROCESSOR } from '../../../local/cli/chunk-demo';
import { DEMO_FILES, DEMO_PROCESSORS, demoCatalog, expectedOutput, summarizeDemo } from '../../../local/cli/demo';

describe('settingsEnvFor', () => {
  it('maps the local flags to PIPELINE_* settings over the caller environment, in the emulator region, with no IAM wait', () => {
    const env = settingsEnvFor({ PIPELINE_ENVIRONMENT: 'qa', PIPELINE_REGION: 'eu-west-1' }, { maxWorkers: 2, autoterminateMinutes: 0.5 });

    expect(env).toEqual({
      PIPELINE_ENVIRONMENT: 'qa',
      PIPELINE_REGION: 'us-east-1',
      PIPELINE_MAX_WORKERS: '2',
      PIPELINE_AUTOTERMINATE_MINUTES: '0.5',
      PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS: '60',
      PIPELINE_IAM_PROPAGATION_SECONDS: '0',
      PIPELINE_AMI_ID: 'ami-00000000002404c01',
    });
  });

  it('pins moto’s Canonical Ubuntu image, whatever AMI the caller set', () => {
    expect(settingsEnvFor({ PIPELINE_AMI_ID: 'ami-0123456789abcdef0' }).PIPELINE_AMI_ID).toBe('ami-00000000002404c01');
  });
});

describe('localSettingsEnv', () => {
  it('keeps PIPELINE_* settings, drops remote state and everything else, and keeps the state in the run directory', () => {
    expect(
      localSettingsEnv(
        {
          PIPELINE_MAX_WORKERS: '3',
          PIPELINE_STATE_BUCKET: 'prod-state',
          PIPELINE_STATE_KEY: 'k',
          PIPELINE_STATE_REGION: 'us-east-1',
          PIPELINE_STATE_PATH: 'x.tfstate',
          AWS_PROFILE: 'prod',
        },
        '/tmp/run-1',
      ),
    ).toEqual({ PIPELINE_MAX_WORKERS: '3', PIPELINE_STATE_PATH: '/tmp/run-1/terraform.tfstate' });
  });
});

describe('parseOutputs', () => {
  it('turns terraform output -json into name → value', () => {
    const json = JSON.stringify({ table_name: { sensitive: false, type: 'string', value: 'items' }, count: { value: 2 } });

    expect(parseOutputs(json)).toEqual({ table_name: 'items', count: 2 });
  });
});

describe('deployedPipes', () => {
  const pattern = { dynamodb: { NewImage: { status: { S: ['PENDING'] } } } };
  const show = (pipes: unknown[]) =>
    JSON.stringify({ values: { root_module: { resources: [{ type: 'aws_sqs_queue', address: 'q', values: {} }], child_modules: [{ resources: pipes }] } } });
  const pipe = (values: Record<string, unknown>) => ({ type: 'aws_pipes_pipe', address: 'aws_pipes_pipe.items', values });

  it('reads the name, source, target, filter patterns and batch size from the state', () => {
    const state = show([
      pipe({
        name: 'items-to-queue',
        source: 'arn:stream',
        target: 'arn:aws:sqs:us-east-1:123456789012:work',
        source_parameters: [
          { filter_criteria: [{ filter: [{ pattern: JSON.stringify(pattern) }] }], dynamodb_stream_parameters: [{ batch_size: 10 }] },
        ],
      }),
    ]);

    expect(deployedPipes(state)).toEqual([
      {
        name: 'items-to-queue',
        sourceArn: 'arn:stream',
        targetArn: 'arn:aws:sqs:us-east-1:123456789012:work',
        filterPatterns: [pattern],
        batchSize: 10,
      },
    ]);
  });

  it("reads every pipe, and an event bus target's template, source, detail type and resources", () => {
    const filter_criteria = [{ filter: [{ pattern: JSON.stringify(pattern) }] }];
    const state = show([
      pipe({ name: 'to-queue', source: 'arn:stream', target: 'arn:aws:sqs:us-east-1:1:work', source_parameters: [{ filter_criteria }] }),
      pipe({
        name: 'to-events',
        source: 'arn:stream',
        target: 'arn:aws:events:us-east-1:1:event-bus/default',
        source_parameters: [{ filter_criteria, dynamodb_stream_parameters: [{ batch_size: 4 }] }],
        target_parameters: [
          { input_template: '{"id": "<$.dynamodb.Keys.id.S>"}', eventbridge_event_bus_parameters: [{ source: 'src', detail_type: 'Thing Happened', resources: ['arn:table'] }] },
        ],
      }),
    ]);

    const [toQueue, toEvents] = deployedPipes(state);

    expect(toQueue).not.toHaveProperty('inputTemplate');
    expect(toQueue).not.toHaveProperty('eventBus');
    expect(toEvents).toEqual({
      name: 'to-events',
      sourceArn: 'arn:stream',
      targetArn: 'arn:aws:events:us-east-1:1:event-bus/default',
      filterPatterns: [pattern],
      batchSize: 4,
      inputTemplate: '{"id": "<$.dynamodb.Keys.id.S>"}',
      eventBus: { source: 'src', detailType: 'Thing Happened', resources: ['arn:table'] },
    });
  });

  it('refuses a pipe without a filter rather than forwarding every record', () => {
    const state = show([pipe({ name: 'p', source: 'arn:stream', target: 'arn:q', source_parameters: [{}] })]);

    expect(() => deployedPipes(state)).toThrow('has no filter');
  });

  it('refuses a state without a pipe', () => {
    expect(() => deployedPipes(show([]))).toThrow('no aws_pipes_pipe');
  });
});

describe('scheduledEvent', () => {
  it('is an EventBridge scheduled event for the rule, with a fresh id each time', () => {
    const now = new Date('2026-11-25T16:00:00.123Z');
    const first = scheduledEvent('rag-pipeline-dev-orchestrator-schedule', '123456789012', 'us-east-1', now);
    const second = scheduledEvent('rag-pipeline-dev-orchestrator-schedule', '123456789012', 'us-east-1', now);

    expect(first).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: '2026-11-25T16:00:00Z',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:123456789012:rule/rag-pipeline-dev-orchestrator-schedule'],
      detail: {},
    });
    expect(second.id).not.toBe(first.id);
  });
});

describe('functionProcessEnv', () => {
  it('is the deployed environment plus what Lambda provides, with only the endpoint pointed at the emulator', () => {
    const env = functionProcessEnv(
      {
        functionName: 'orch',
        functionArn: 'arn:aws:lambda:us-east-1:1:function:orch',
        handler: 'index.handler',
        timeoutSeconds: 60,
        memorySizeMb: 256,
        logGroupName: '/aws/lambda/orch',
        accountId: '1',
        environment: { SQS_QUEUE_URL: 'q', AWS_ENDPOINT_URL: 'x' },
      },
      'http://127.0.0.1:5000',
      'us-east-1',
      '/tmp/home',
      '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef',
    );

    expect(env).toMatchObject({
      SQS_QUEUE_URL: 'q',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'orch',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/orch',
      AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef',
      AWS_ACCESS_KEY_ID: 'testing',
      HOME: '/tmp/home',
    });
    expect(env).not.toHaveProperty('AWS_ENDPOINT_URL_EC2');
  });

  it("points EC2 alone at the client-token stand-in when given", () => {
    const deployed = { functionName: 'orch', functionArn: 'arn', handler: 'index.handler', timeoutSeconds: 60, memorySizeMb: 256, logGroupName: '/g', accountId: '1', environment: {} };

    const env = functionProcessEnv(deployed, 'http://127.0.0.1:5000', 'us-east-1', '/tmp/home', 'stream', 'http://127.0.0.1:6000');

    expect(env).toMatchObject({ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:6000' });
  });
});

describe('missingPrerequisite', () => {
  const mirror = '/opt/tf-plugins';
  const probe = (overrides: Partial<{ commands: string[]; files: string[]; rc: string }> = {}): Probe => {
    const commands = overrides.commands ?? ['terraform', 'python3'];
    const files = overrides.files ?? [path.join(VENV_BIN, 'moto_server'), TERRAFORM_CLI_CONFIG, path.join(mirror, PROVIDER_MIRROR_PATH)];
    return {
      commandWorks: (command) => commands.includes(command),
      fileExists: (file) => files.includes(file),
      readFile: () => overrides.rc ?? `provider_installation { filesystem_mirror { path = "${mirror}" } }`,
    };
  };

  it.each([
    { case: 'nothing is missing', probe: probe(), expected: undefined },
    { case: 'terraform is missing', probe: probe({ commands: ['python3'] }), expected: { line: expect.stringContaining('terraform not found'), setupNeeded: false } },
    {
      case: 'the virtualenv and Python are missing',
      probe: probe({ commands: ['terraform'], files: [] }),
      expected: { line: expect.stringContaining('Python 3 not found'), setupNeeded: false },
    },
    {
      case: 'the virtualenv is missing and Python is there',
      probe: probe({ files: [TERRAFORM_CLI_CONFIG] }),
      expected: { line: expect.stringContaining('node_modules/.cache/python-tools'), setupNeeded: true },
    },
    {
      case: 'the provider copy is missing',
      probe: probe({ files: [path.join(VENV_BIN, 'moto_server'), TERRAFORM_CLI_CONFIG] }),
      expected: { line: expect.stringContaining('hashicorp/aws 5.100.0 provider'), setupNeeded: false },
    },
  ])('$case', ({ probe: machine, expected }) => {
    expect(missingPrerequisite(machine, {})).toEqual(expected);
  });
});

describe('progress output', () => {
  it('lists the three statuses in order, then any other value', () => {
    expect(formatProgress({ FINISHED: 2, pending: 1, PENDING: 3 }, 1)).toBe('rows PENDING 3 · FINISHED 2 · FAILED 0 · pending 1 | workers running 1');
  });

  it('writes the outputs file with the endpoint and the outputs under the stack name', () => {
    expect(JSON.parse(outputsFileContent('rag-pipeline', 'http://127.0.0.1:1', 'us-east-1', { table_name: 't' }))).toEqual({
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      'rag-pipeline': { table_name: 't' },
    });
  });
});

describe('summarizeDemo', () => {
  const finished = { id: 'a', status: 'FINISHED', processor: 'copy' as const, inputKey: 'data/input/a', outputPath: 's3://b/data/output/a', verified: true };

  it.each([
    { case: 'all rows ended', rows: [finished, { id: 'b', status: 'FAILED', processor: 'copy' as const, inputKey: 'k', failureReason: 'missing' }], failed: false },
    { case: 'a row is stuck', rows: [finished, { id: 'b', status: 'PENDING', processor: 'copy' as const, inputKey: 'k' }], failed: true },
    { case: 'an output is wrong', rows: [{ ...finished, verified: false }], failed: true },
  ])('fails exactly when $case is a failure', ({ rows, failed }) => {
    const stuck = rows.filter((row) => row.status === 'PENDING');

    expect(summarizeDemo({ rows, stuck }).failed).toBe(failed);
  });

  it("shows a command row's outputs", () => {
    const row = { ...finished, processor: 'demo-gzip' as const, outputKeys: ['data/output/a/demo-gzip/a.gz'], check: 'gzip of its input' };

    expect(summarizeDemo({ rows: [row], stuck: [] }).text).toContain('      output data/output/a/demo-gzip/a.gz');
  });
});

describe('the demo outputs', () => {
  it.each([
    { processor: 'copy' as const, output: 'abc', ok: true },
    { processor: 'copy' as const, output: 'abd', ok: false },
    { processor: 'demo-checksum' as const, output: `${createHash('sha256').update('abc').digest('hex')}  f.txt\n`, ok: true },
    { processor: 'demo-checksum' as const, output: 'deadbeef  f.txt\n', ok: false },
    { processor: 'demo-gzip' as const, output: gzipSync('abc'), ok: true },
    { processor: 'demo-gzip' as const, output: 'abc', ok: false },
  ])('checks a $processor output: ok=$ok', ({ processor, output, ok }) => {
    const expected = expectedOutput('d/f.txt', processor);

    expect(expected.check(Buffer.from(output), 'abc') === undefined).toBe(ok);
    expect(expected.key).toBe(processor === 'copy' ? 'data/output/d/f.txt' : `data/output/d/f.txt/${processor}/f.txt.${processor === 'demo-gzip' ? 'gz' : 'sha256'}`);
  });

  it('deploys the demo processors beside those of pipeline.config.ts, every one valid', () => {
    const catalog = demoCatalog({ processors: { mirror: { type: 'copy' } } }, {});

    expect(Object.keys(catalog.processors).sort()).toEqual(['chunk', 'copy', 'demo-checksum', 'demo-gzip', 'mirror']);
    // Each is used: the command processors by the sample files' rows, the chunker by the chunk demo's documents.
    expect([...DEMO_FILES.map((file) => file.processor), DEMO_CHUNK_PROCESSOR]).toEqual(expect.arrayContaining(Object.keys(DEMO_PROCESSORS)));
  });
});

