import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import { mockClient } from 'aws-sdk-client-mock';
import { WorkerMetrics } from '../../../contracts';
import { MetricsAggregator, metricData, queueNameOf } from '../../../worker/metrics';
import { cloudWatchClientConfig } from '../../../worker/metrics-client';
import { METRICS_FLUSH_INTERVAL_MS, MetricsPublisher } from '../../../worker/metrics-publisher';
import { recordingLogger } from '../../support/worker-logger';

const cloudwatchMock = mockClient(CloudWatchClient);
const NOW = new Date('2026-11-25T16:05:00.000Z');
const QUEUE = [{ Name: 'QueueName', Value: 'rag-pipeline-dev-work' }];

beforeEach(() => cloudwatchMock.reset());
afterEach(() => jest.useRealTimers());

function publisher() {
  const { logger, events, names } = recordingLogger();
  const metrics = new MetricsPublisher({
    cloudwatch: new CloudWatchClient({ region: 'us-east-1' }),
    queueName: 'rag-pipeline-dev-work',
    logger,
    now: () => NOW,
  });
  return { metrics, events, names };
}

describe('MetricsAggregator and metricData', () => {
  it('sums counts and keeps sizes and durations as statistic sets', () => {
    const aggregator = new MetricsAggregator();
    aggregator.recordProcessed(2048, 150);
    aggregator.recordProcessed(1024, 50);
    aggregator.recordProcessed(4096, 400);
    aggregator.recordFailure();

    expect(metricData(aggregator.take(), 'rag-pipeline-dev-work', NOW)).toEqual([
      { MetricName: 'FilesProcessed', Unit: 'Count', Value: 3, Dimensions: QUEUE, Timestamp: NOW },
      {
        MetricName: 'BytesProcessed',
        Unit: 'Bytes',
        StatisticValues: { SampleCount: 3, Sum: 7168, Minimum: 1024, Maximum: 4096 },
        Dimensions: QUEUE,
        Timestamp: NOW,
      },
      {
        MetricName: 'ProcessingDuration',
        Unit: 'Milliseconds',
        StatisticValues: { SampleCount: 3, Sum: 600, Minimum: 50, Maximum: 400 },
        Dimensions: QUEUE,
        Timestamp: NOW,
      },
      { MetricName: 'FilesFailed', Unit: 'Count', Value: 1, Dimensions: QUEUE, Timestamp: NOW },
    ]);
  });

  it('starts a new window on take, and an empty window has no data', () => {
    const aggregator = new MetricsAggregator();
    aggregator.recordFailure();
    aggregator.take();

    expect(metricData(aggregator.take(), 'q', NOW)).toEqual([]);
  });

  it('sends only failures when nothing was copied (no empty statistic sets)', () => {
    const aggregator = new MetricsAggregator();
    aggregator.recordFailure();

    expect(metricData(aggregator.take(), 'q', NOW).map((datum) => datum.MetricName)).toEqual(['FilesFailed']);
  });
});

describe('queueNameOf', () => {
  it.each([
    { case: 'an AWS queue URL', url: 'https://sqs.us-east-1.amazonaws.com/123456789012/rag-pipeline-dev-work', name: 'rag-pipeline-dev-work' },
    { case: 'an emulator queue URL', url: 'http://127.0.0.1:5000/123456789012/worker-test-queue', name: 'worker-test-queue' },
  ])('takes the last path segment of $case', ({ url, name }) => {
    expect(queueNameOf(url)).toBe(name);
  });

  it('refuses a URL without a path, naming it', () => {
    expect(() => queueNameOf('https://sqs.us-east-1.amazonaws.com/')).toThrow('"https://sqs.us-east-1.amazonaws.com/"');
  });
});

describe('MetricsPublisher', () => {
  it('publishes the aggregated window under the worker namespace when flushed', async () => {
    cloudwatchMock.on(PutMetricDataCommand).resolves({});
    const { metrics, names } = publisher();
    metrics.recordProcessed(10, 5);
    metrics.recordProcessed(30, 15);

    await metrics.flush();

    expect(cloudwatchMock).toHaveReceivedCommandTimes(PutMetricDataCommand, 1);
    const input = cloudwatchMock.commandCalls(PutMetricDataCommand)[0].args[0].input;
    expect(input.Namespace).toBe(WorkerMetrics.namespace);
    expect(input.MetricData?.find((datum) => datum.MetricName === 'FilesProcessed')?.Value).toBe(2);
    expect(names()).toEqual(['metrics_published']);
  });

  it('sends nothing when nothing was recorded', async () => {
    const { metrics } = publisher();

    await metrics.flush();

    expect(cloudwatchMock).not.toHaveReceivedCommand(PutMetricDataCommand);
  });

  it('logs and drops a window whose publish fails, without throwing, and sends the next one', async () => {
    cloudwatchMock.on(PutMetricDataCommand).rejectsOnce(new Error('AccessDenied')).resolves({});
    const { metrics, events } = publisher();
    metrics.recordFailure();

    await expect(metrics.flush()).resolves.toBeUndefined();
    metrics.recordProcessed(1, 1);
    await metrics.flush();

    expect(events[0]).toMatchObject({ level: 'warn', event: 'metrics_publish_failed', dropped: ['FilesFailed'] });
    const second = cloudwatchMock.commandCalls(PutMetricDataCommand)[1].args[0].input;
    expect(second.MetricData?.map((datum) => datum.MetricName)).toEqual(['FilesProcessed', 'BytesProcessed', 'ProcessingDuration']);
  });

  it('flushes every interval once started, and what is left at stop', async () => {
    jest.useFakeTimers();
    cloudwatchMock.on(PutMetricDataCommand).resolves({});
    const { metrics } = publisher();
    metrics.start();

    metrics.recordProcessed(1, 1);
    await jest.advanceTimersByTimeAsync(METRICS_FLUSH_INTERVAL_MS);
    expect(cloudwatchMock).toHaveReceivedCommandTimes(PutMetricDataCommand, 1);

    await jest.advanceTimersByTimeAsync(METRICS_FLUSH_INTERVAL_MS);
    expect(cloudwatchMock).toHaveReceivedCommandTimes(PutMetricDataCommand, 1);

    metrics.recordFailure();
    await metrics.stop();
    expect(cloudwatchMock).toHaveReceivedCommandTimes(PutMetricDataCommand, 2);

    metrics.recordFailure();
    await jest.advanceTimersByTimeAsync(METRICS_FLUSH_INTERVAL_MS * 2);
    expect(cloudwatchMock).toHaveReceivedCommandTimes(PutMetricDataCommand, 2);
  });
});

describe('cloudWatchClientConfig', () => {
  it('uses the SDK default protocol in AWS and the query protocol against the emulator', () => {
    const inAws = cloudWatchClientConfig({ region: 'us-east-1', endpoint: undefined });
    const onEmulator = cloudWatchClientConfig({ region: 'us-east-1', endpoint: 'http://127.0.0.1:5000' });

    expect(inAws).not.toHaveProperty('protocol');
    expect(inAws).not.toHaveProperty('endpoint');
    expect(onEmulator).toMatchObject({ endpoint: 'http://127.0.0.1:5000', protocol: AwsQueryProtocol });
  });
});
