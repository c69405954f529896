import type { MetricDatum, StatisticSet } from '@aws-sdk/client-cloudwatch';
import { WorkerMetrics } from '../contracts';

/** The worker's counters, as job.ts records them. */
export interface ProcessingMetrics {
  recordProcessed(bytes: number, durationMs: number): void;
  recordFailure(): void;
}

/** What was recorded since the last flush. */
export interface MetricsWindow {
  readonly filesProcessed: number;
  readonly filesFailed: number;
  /** Undefined when nothing was processed: CloudWatch refuses a statistic set with no samples. */
  readonly bytes?: StatisticSet;
  readonly durationMs?: StatisticSet;
}

/**
 * Aggregates in memory, so a busy worker sends one PutMetricData a minute rather than one per file:
 * counts as sums, sizes and durations as statistic sets (count, sum, min, max).
 */
export class MetricsAggregator implements ProcessingMetrics {
  private window: Mutable<MetricsWindow> = { filesProcessed: 0, filesFailed: 0 };

  recordProcessed(bytes: number, durationMs: number): void {
    this.window.filesProcessed += 1;
    this.window.bytes = addSample(this.window.bytes, bytes);
    this.window.durationMs = addSample(this.window.durationMs, durationMs);
  }

  recordFailure(): void {
    this.window.filesFailed += 1;
  }

  /** Returns what was recorded and starts a new window, so records made during a publish are kept. */
  take(): MetricsWindow {
    const taken = this.window;
    this.window = { filesProcessed: 0, filesFailed: 0 };
    return taken;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function addSample(set: StatisticSet | undefined, value: number): StatisticSet {
  if (set === undefined) return { SampleCount: 1, Sum: value, Minimum: value, Maximum: value };
  return {
    SampleCount: (set.SampleCount ?? 0) + 1,
    Sum: (set.Sum ?? 0) + value,
    Minimum: Math.min(set.Minimum ?? value, value),
    Maximum: Math.max(set.Maximum ?? value, value),
  };
}

/** The window as PutMetricData data; empty when nothing happened, so an idle worker sends nothing. */
export function metricData(window: MetricsWindow, queueName: string, timestamp: Date): MetricDatum[] {
  const common = { Dimensions: [{ Name: WorkerMetrics.queueDimension, Value: queueName }], Timestamp: timestamp };
  const data: MetricDatum[] = [];
  if (window.filesProcessed > 0) {
    data.push({ ...common, MetricName: WorkerMetrics.filesProcessed, Unit: 'Count', Value: window.filesProcessed });
  }
  if (window.bytes !== undefined) {
    data.push({ ...common, MetricName: WorkerMetrics.bytesProcessed, Unit: 'Bytes', StatisticValues: window.bytes });
  }
  if (window.durationMs !== undefined) {
    data.push({ ...common, MetricName: WorkerMetrics.processingDuration, Unit: 'Milliseconds', StatisticValues: window.durationMs });
  }
  if (window.filesFailed > 0) {
    data.push({ ...common, MetricName: WorkerMetrics.filesFailed, Unit: 'Count', Value: window.filesFailed });
  }
  return data;
}

/** The queue's name, the last segment of its URL: the metrics' dimension value, as the dashboard knows it. */
export function queueNameOf(queueUrl: string): string {
  const name = new URL(queueUrl).pathname.split('/').filter(Boolean).pop();
  if (name === undefined) throw new Error(`queue URL has no queue name: "${queueUrl}"`);
  return name;
}
