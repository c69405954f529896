import { CloudWatchClient, GetMetricStatisticsCommand, type Statistic } from '@aws-sdk/client-cloudwatch';
import { WorkerMetrics } from '../../../contracts';
import { EMULATOR_REGION, EMULATOR_SDK_CREDENTIALS } from '../../../local/emulator/moto';
import { requireWorkerBundle } from '../../../local/emulator/paths';
import { runWorker } from '../../../worker/main';
import { cloudWatchClientConfig } from '../../../worker/metrics-client';
import { queueNameOf } from '../../../worker/metrics';
import { useEmulator } from '../../support/emulator';
import {
  createTestPipeline,
  destroyTestPipeline,
  inputPath,
  putInput,
  readLogEvents,
  startWorker,
  submitRow,
  temporaryLogPath,
  workerConfig,
  workerEnvironment,
  type TestPipeline,
} from '../../support/worker-fixtures';
import { recordingLogger } from '../../support/worker-logger';

jest.setTimeout(120_000);

const kit = useEmulator();
let pipeline: TestPipeline | undefined;

beforeAll(() => requireWorkerBundle());

afterEach(() => {
  destroyTestPipeline(pipeline);
  pipeline = undefined;
});

async function statistic(cloudwatch: CloudWatchClient, queueName: string, metricName: string, stat: Statistic) {
  const now = Date.now();
  const { Datapoints } = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: WorkerMetrics.namespace,
      MetricName: metricName,
      Dimensions: [{ Name: WorkerMetrics.queueDimension, Value: queueName }],
      StartTime: new Date(now - 3_600_000),
      EndTime: new Date(now + 3_600_000),
      Period: 7_200,
      Statistics: [stat],
    }),
  );
  return (Datapoints ?? []).reduce((total, point) => total + (point[stat] ?? 0), 0);
}

describe('worker metrics (emulator)', () => {
  it('reach CloudWatch with PutMetricData when the worker stops: files and bytes copied, failures', async () => {
    pipeline = await createTestPipeline(kit.emulator.endpoint, { visibilityTimeoutSeconds: 30 });
    await putInput(pipeline, 'a.txt', '12345');
    await putInput(pipeline, 'b.txt', '1234567');
    await submitRow(pipeline, 'a', inputPath(pipeline, 'a.txt'));
    await submitRow(pipeline, 'b', inputPath(pipeline, 'b.txt'));
    await submitRow(pipeline, 'missing', inputPath(pipeline, 'missing.txt'));
    const config = workerConfig(pipeline, { idleTimeoutMs: 3_000, concurrency: 2 });
    // The worker's own client configuration, with the emulator's credentials.
    const cloudwatch = new CloudWatchClient({ ...cloudWatchClientConfig(config), credentials: EMULATOR_SDK_CREDENTIALS });
    const clients = { s3: pipeline.s3, sqs: pipeline.sqs, documentClient: pipeline.documents };
    const { logger, events } = recordingLogger();

    try {
      expect(await runWorker(config, clients, logger, cloudwatch)).toBe(0);

      const queueName = queueNameOf(pipeline.queueUrl);
      expect(events.filter((event) => event.event === 'metrics_publish_failed')).toEqual([]);
      expect(events.map((event) => event.event)).toContain('metrics_published');
      expect(await statistic(cloudwatch, queueName, WorkerMetrics.filesProcessed, 'Sum')).toBe(2);
      expect(await statistic(cloudwatch, queueName, WorkerMetrics.bytesProcessed, 'Sum')).toBe(12);
      expect(await statistic(cloudwatch, queueName, WorkerMetrics.filesFailed, 'Sum')).toBe(1);
    } finally {
      cloudwatch.destroy();
    }
  });

  it('are published by the worker process itself, with the client main() builds from its environment', async () => {
    pipeline = await createTestPipeline(kit.emulator.endpoint, { visibilityTimeoutSeconds: 30 });
    await putInput(pipeline, 'c.txt', 'abc');
    await submitRow(pipeline, 'c', inputPath(pipeline, 'c.txt'));
    const logPath = temporaryLogPath();

    const worker = startWorker(workerEnvironment(pipeline, { logPath, autoterminateMinutes: '0.05' }));
    const { code } = await worker.exited;

    expect(code).toBe(0);
    const events = readLogEvents(logPath).map((line) => line.event);
    expect(events).toContain('metrics_published');
    const cloudwatch = new CloudWatchClient({
      ...cloudWatchClientConfig({ region: EMULATOR_REGION, endpoint: kit.emulator.endpoint }),
      credentials: EMULATOR_SDK_CREDENTIALS,
    });
    try {
      expect(await statistic(cloudwatch, queueNameOf(pipeline.queueUrl), WorkerMetrics.bytesProcessed, 'Sum')).toBe(3);
    } finally {
      cloudwatch.destroy();
    }
  });
});
