import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { LaunchDeferralKind, LaunchFailureKind, OrchestratorLogEvent, OrchestratorMetrics, WorkerMetrics } from '../../contracts';

export interface PipelineDashboardProps {
  /** Stem of resource names, e.g. `rag-pipeline-dev`. */
  readonly baseName: string;
  readonly region: string;
  readonly workQueueName: string;
  readonly workDeadLetterQueueName: string;
  readonly pipeDeadLetterQueueName: string;
  readonly eventsPipeDeadLetterQueueName: string;
  /** @default undefined — no outcome queue, so no line for its dead-letter queue */
  readonly outcomeDeadLetterQueueName?: string;
  readonly orchestratorFunctionName: string;
  /** The orchestrator's log group: its `tick_completed` lines say how many workers run. */
  readonly orchestratorLogGroupName: string;
}

/** One line of a metric widget: namespace, metric name, dimension name/value pairs, then rendering options. */
type MetricLine = Array<string | { stat: string; label: string }>;

const WIDTH = 12;
const HEIGHT = 6;

/**
 * One dashboard for the pipeline's health at a glance: queue depth and dead letters, workers running,
 * throughput and failures, copy duration, orchestrator errors, launch failures and deferrals. The body is `jsonencode(...)`, not a JSON
 * string, because it holds references and `cdktf synth --hcl` mangles references inside JSON strings.
 */
export class PipelineDashboard extends Construct {
  readonly dashboardName: string;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const sqs = (metricName: string, queueName: string, label: string): MetricLine => [
      'AWS/SQS', metricName, 'QueueName', queueName, { stat: 'Maximum', label },
    ];
    const worker = (metricName: string, stat: string, label: string): MetricLine => [
      WorkerMetrics.namespace, metricName, WorkerMetrics.queueDimension, props.workQueueName, { stat, label },
    ];
    const lambda = (metricName: string, label: string): MetricLine => [
      'AWS/Lambda', metricName, 'FunctionName', props.orchestratorFunctionName, { stat: 'Sum', label },
    ];
    const launch = (metricName: string, kind: string): MetricLine => [
      OrchestratorMetrics.namespace, metricName,
      OrchestratorMetrics.functionDimension, props.orchestratorFunctionName,
      OrchestratorMetrics.kindDimension, kind,
      { stat: 'Sum', label: metricName === OrchestratorMetrics.launchesDeferred ? `deferred: ${kind}` : kind },
    ];
    const metricWidget = (title: string, metrics: MetricLine[], extra: Record<string, unknown> = {}) => ({
      type: 'metric',
      width: WIDTH,
      height: HEIGHT,
      properties: { title, region: props.region, view: 'timeSeries', period: 60, metrics, ...extra },
    });

    const widgets = [
      metricWidget('Work queue depth', [
        sqs('ApproximateNumberOfMessagesVisible', props.workQueueName, 'waiting'),
        sqs('ApproximateNumberOfMessagesNotVisible', props.workQueueName, 'in flight'),
      ]),
      metricWidget('Dead-letter queues (alarm above 0)', [
        sqs('ApproximateNumberOfMessagesVisible', props.workDeadLetterQueueName, 'work DLQ'),
        sqs('ApproximateNumberOfMessagesVisible', props.pipeDeadLetterQueueName, 'pipe DLQ'),
        sqs('ApproximateNumberOfMessagesVisible', props.eventsPipeDeadLetterQueueName, 'events pipe DLQ'),
        ...(props.outcomeDeadLetterQueueName === undefined
          ? []
          : [sqs('ApproximateNumberOfMessagesVisible', props.outcomeDeadLetterQueueName, 'outcome queue DLQ')]),
      ]),
      {
        type: 'log',
        width: WIDTH,
        height: HEIGHT,
        properties: {
          title: 'Workers running (orchestrator ticks)',
          region: props.region,
          view: 'timeSeries',
          query: [
            `SOURCE '${props.orchestratorLogGroupName}'`,
            // Single quotes: cdktf writes jsonencode strings into HCL without escaping double quotes.
            `filter event = '${OrchestratorLogEvent.tickCompleted}'`,
            'stats max(workers) as workers_running, sum(launchRequested) as launches by bin(1m)',
          ].join(' | '),
        },
      },
      metricWidget('Files processed and failed per minute', [
        worker(WorkerMetrics.filesProcessed, 'Sum', 'processed'),
        worker(WorkerMetrics.filesFailed, 'Sum', 'failed'),
      ]),
      metricWidget('Input bytes processed per minute', [worker(WorkerMetrics.bytesProcessed, 'Sum', 'bytes')]),
      metricWidget('Copy duration (ms)', [
        worker(WorkerMetrics.processingDuration, 'Average', 'average'),
        worker(WorkerMetrics.processingDuration, 'Maximum', 'maximum'),
      ]),
      metricWidget('Orchestrator invocations and errors', [
        lambda('Invocations', 'invocations'),
        lambda('Errors', 'errors'),
      ]),
      metricWidget('Launch failures and deferrals by kind', [
        ...Object.values(LaunchFailureKind).map((kind) => launch(OrchestratorMetrics.launchFailures, kind)),
        ...Object.values(LaunchDeferralKind).map((kind) => launch(OrchestratorMetrics.launchesDeferred, kind)),
      ]),
    ];

    const dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: props.baseName,
      dashboardBody: Fn.jsonencode({ widgets }),
    });
    this.dashboardName = dashboard.dashboardName;
  }
}
