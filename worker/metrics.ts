import type { WorkerLogger } from './logger';

/** The worker's counters: what issue "worker metrics" asks for, and nothing the log lines do not already say. */
export interface CopyMetrics {
  recordCopy(bytes: number, durationMs: number): void;
  recordFailure(): void;
}

/** CloudWatch namespace of the worker's metrics. */
export const METRICS_NAMESPACE = 'RagPipeline/Worker';

/**
 * Writes CloudWatch Embedded Metric Format lines into the worker's log: no API calls and no extra IAM.
 * They become metrics wherever the log is ingested by CloudWatch Logs (agent or log shipping); until then
 * they are ordinary, greppable log lines (`event: "metrics"`).
 */
export function createEmfMetrics(logger: WorkerLogger, now: () => number = Date.now): CopyMetrics {
  const emit = (metrics: ReadonlyArray<{ name: string; unit: string; value: number }>): void => {
    logger.info({
      event: 'metrics',
      _aws: {
        Timestamp: now(),
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [[]],
            Metrics: metrics.map(({ name, unit }) => ({ Name: name, Unit: unit })),
          },
        ],
      },
      ...Object.fromEntries(metrics.map(({ name, value }) => [name, value])),
    });
  };
  return {
    recordCopy(bytes, durationMs) {
      emit([
        { name: 'FilesCopied', unit: 'Count', value: 1 },
        { name: 'BytesCopied', unit: 'Bytes', value: bytes },
        { name: 'CopyDuration', unit: 'Milliseconds', value: durationMs },
      ]);
    },
    recordFailure() {
      emit([{ name: 'FilesFailed', unit: 'Count', value: 1 }]);
    },
  };
}
