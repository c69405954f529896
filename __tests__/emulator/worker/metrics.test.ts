import { readFileSync, writeFileSync } from 'node:fs';
import { CloudWatchClient, GetMetricStatisticsCommand, type Statistic } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { INPUT_PREFIX, WorkerMetrics } from '../../../contracts';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startEmulator, type Emulator } from '../../../local/emulator/moto';
import type { WorkerConfig } from '../../../worker/config';
import { runWorker } from '../../../worker/main';
import { cloudWatchClientConfig } from '../../../worker/metrics-client';
import { queueNameOf } from '../../../worker/metrics';
import {
  createTestPipeline,
  destroyTestPipeline,
  ensureWorkerBundle,
  inputPath,
  startWorker,
  submitRow,
  temporaryLogPath,
  workerEnvironment,
  type TestPipeline,
} from '../../support/worker-fixtures';
import { recordingLogger } from '../../support/worker-logger';

jest.setTimeout(120_000);

let emulator: Emulator;
let pipeline: TestPipeline | undefined;

beforeAll(async () => {
  emulator = await startEmulator();
  await ensureWorkerBundle();
});

afterEach(async () => {
  destroyTestPipeline(pipeline);
  pipeline = undefined;
  await emulator.reset();
});

afterAll(async () => {
  await emulator?.stop();
});

const clientConfig = () => ({
  endpoint: emulator.endpoint,
  region: EMULATOR_REGION,
  credentials: {
    accessKeyId: EMULATOR_CREDENTIALS.AWS_ACCESS_KEY_ID,
    secretAccessKey: EMULATOR_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    sessionToken: EMULATOR_CREDENTIALS.AWS_SESSION_TOKEN,
  },
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
    pipeline = await createTestPipeline(emulator.endpoint, { visibilityTimeoutSeconds: 30 });
    await pipeline.s3.send(new PutObjectCommand({ Bucket: pipeline.bucketName, Key: `${INPUT_PREFIX}a.txt`, Body: '12345' }));
    await pipeline.s3.send(new PutObjectCommand({ Bucket: pipeline.bucketName, Key: `${INPUT_PREFIX}b.txt`, Body: '1234567' }));
    await submitRow(pipeline, 'a', inputPath(pipeline, 'a.txt'));
    await submitRow(pipeline, 'b', inputPath(pipeline, 'b.txt'));
    await submitRow(pipeline, 'missing', inputPath(pipeline, 'missing.txt'));
    const logPath = temporaryLogPath();
    writeFileSync(logPath, '');
    const config: WorkerConfig = {
      queueUrl: pipeline.queueUrl,
      tableName: pipeline.tableName,
      bucketName: pipeline.bucketName,
      region: EMULATOR_REGION,
      instanceId: 'i-0123456789abcdef0',
      idleTimeoutMs: 3_000,
      concurrency: 2,
      visibilityTimeoutSeconds: 30,
      maxReceiveCount: 5,
      multipartThresholdBytes: 5 * 1024 ** 3,
      logPath,
      endpoint: emulator.endpoint,
    };
    // The worker's own client configuration, with the emulator's credentials.
    const cloudwatch = new CloudWatchClient({ ...cloudWatchClientConfig(config), credentials: clientConfig().credentials });
    const clients = {
      s3: new S3Client({ ...clientConfig(), forcePathStyle: true }),
      sqs: new SQSClient(clientConfig()),
      documentClient: DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig())),
    };
    const { logger, events } = recordingLogger();

    try {
      expect(await runWorker(config, clients, logger, cloudwatch)).toBe(0);

      const queueName = queueNameOf(pipeline.queueUrl);
      expect(events.filter((event) => event.event === 'metrics_publish_failed')).toEqual([]);
      expect(events.map((event) => event.event)).toContain('metrics_published');
      expect(await statistic(cloudwatch, queueName, WorkerMetrics.filesCopied, 'Sum')).toBe(2);
      expect(await statistic(cloudwatch, queueName, WorkerMetrics.bytesCopied, 'Sum')).toBe(12);
      expect(await statistic(cloudwatch, queueName, WorkerMetrics.filesFailed, 'Sum')).toBe(1);
    } finally {
      cloudwatch.destroy();
      clients.s3.destroy();
      clients.sqs.destroy();
      clients.documentClient.destroy();
    }
  });

  it('are published by the worker process itself, with the client main() builds from its environment', async () => {
    pipeline = await createTestPipeline(emulator.endpoint, { visibilityTimeoutSeconds: 30 });
    await pipeline.s3.send(new PutObjectCommand({ Bucket: pipeline.bucketName, Key: `${INPUT_PREFIX}c.txt`, Body: 'abc' }));
    await submitRow(pipeline, 'c', inputPath(pipeline, 'c.txt'));
    const logPath = temporaryLogPath();

    const worker = startWorker(workerEnvironment(pipeline, { logPath, autoterminateMinutes: '0.05' }));
    const { code } = await worker.exited;

    expect(code).toBe(0);
    const events = readFileSync(logPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { event: string }).event);
    expect(events).toContain('metrics_published');
    const cloudwatch = new CloudWatchClient({
      ...cloudWatchClientConfig({ region: EMULATOR_REGION, endpoint: emulator.endpoint }),
      credentials: clientConfig().credentials,
    });
    try {
      expect(await statistic(cloudwatch, queueNameOf(pipeline.queueUrl), WorkerMetrics.bytesCopied, 'Sum')).toBe(3);
    } finally {
      cloudwatch.destroy();
    }
  });
});
