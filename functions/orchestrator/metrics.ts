import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { OrchestratorMetrics, type LaunchDeferralKind, type LaunchFailureKind } from '../../contracts';

/** The orchestrator's CloudWatch metrics (contracts/metrics.ts), one datum per call. */
export interface LaunchMetrics {
  /** LaunchFailures, Kind = kind: one slot (or the image check) failed. */
  launchFailed(kind: LaunchFailureKind): void;
  /** LaunchesDeferred, Kind = kind: `count` launches the tick wanted and held back. */
  launchesDeferred(kind: LaunchDeferralKind, count: number): void;
}

/**
 * Writes each datum at once as a CloudWatch Embedded Metric Format line on stdout, with Powertools for AWS
 * Lambda: CloudWatch Logs turns the line into the metric, so no cloudwatch:PutMetricData grant is needed,
 * and nothing is buffered that a failing tick could lose. The dimensions are exactly FunctionName and
 * Kind, which the alarms match: Powertools' default `service` dimension is removed.
 */
export function createLaunchMetrics(functionName: string): LaunchMetrics {
  const metrics = new Metrics({ namespace: OrchestratorMetrics.namespace });
  metrics.clearDefaultDimensions();
  const emit = (name: string, kind: string, count: number) => {
    metrics.addDimension(OrchestratorMetrics.functionDimension, functionName);
    metrics.addDimension(OrchestratorMetrics.kindDimension, kind);
    metrics.addMetric(name, MetricUnit.Count, count);
    metrics.publishStoredMetrics();
  };
  return {
    launchFailed: (kind) => emit(OrchestratorMetrics.launchFailures, kind, 1),
    launchesDeferred: (kind, count) => emit(OrchestratorMetrics.launchesDeferred, kind, count),
  };
}
