import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { WorkerMetrics, WorkerLogEvent } from '../contracts';
import { describeError } from './describe-error';
import type { WorkerLogger } from './logger';
import { MetricsAggregator, metricData, type ProcessingMetrics } from './metrics';

/** A minute: CloudWatch's standard resolution, so nothing finer would show anyway. */
export const METRICS_FLUSH_INTERVAL_MS = 60_000;
/** A publish must not hold up a stop (and the power-off after it) for long. */
const PUBLISH_TIMEOUT_MS = 10_000;

export interface MetricsPublisherOptions {
  readonly cloudwatch: CloudWatchClient;
  /** The work queue's name: the value of every datum's dimension. */
  readonly queueName: string;
  readonly logger: WorkerLogger;
  /** @default METRICS_FLUSH_INTERVAL_MS */
  readonly flushIntervalMs?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * Sends the aggregated metrics with PutMetricData every minute and at stop. A failed publish is logged
 * (`metrics_publish_failed`) and its window dropped: metrics never delay or fail a copy.
 */
export class MetricsPublisher implements ProcessingMetrics {
  private readonly aggregator = new MetricsAggregator();
  private readonly options: MetricsPublisherOptions;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: MetricsPublisherOptions) {
    this.options = options;
  }

  recordProcessed(bytes: number, durationMs: number): void {
    this.aggregator.recordProcessed(bytes, durationMs);
  }

  recordFailure(): void {
    this.aggregator.recordFailure();
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs ?? METRICS_FLUSH_INTERVAL_MS);
    // The timer alone must not keep the process alive once the consumer has stopped.
    this.timer.unref();
  }

  /** Stops the timer and sends what is left. Never throws. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Sends the current window, if anything was recorded. Never throws. */
  async flush(): Promise<void> {
    const now = (this.options.now ?? (() => new Date()))();
    const data = metricData(this.aggregator.take(), this.options.queueName, now);
    if (data.length === 0) return;
    try {
      await this.options.cloudwatch.send(new PutMetricDataCommand({ Namespace: WorkerMetrics.namespace, MetricData: data }), {
        abortSignal: AbortSignal.timeout(PUBLISH_TIMEOUT_MS),
      });
      this.options.logger.info({ event: WorkerLogEvent.metricsPublished, namespace: WorkerMetrics.namespace, metrics: data.length });
    } catch (error) {
      this.options.logger.warn({
        event: WorkerLogEvent.metricsPublishFailed,
        namespace: WorkerMetrics.namespace,
        dropped: data.map((datum) => datum.MetricName),
        error: describeError(error),
      });
    }
  }
}
