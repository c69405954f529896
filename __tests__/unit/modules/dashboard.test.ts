import { Testing } from 'cdktf';
import { PipelineDashboard, type PipelineDashboardProps } from '../../../modules/dashboard';
import { decodeJsonAttribute, onlyResource, parseSynth } from '../../support/synth';

const props: PipelineDashboardProps = {
  baseName: 'rag-pipeline-dev',
  region: 'eu-west-1',
  workQueueName: 'rag-pipeline-dev-work',
  workDeadLetterQueueName: 'rag-pipeline-dev-work-dlq',
  pipeDeadLetterQueueName: 'rag-pipeline-dev-pipe-dlq',
  eventsPipeDeadLetterQueueName: 'rag-pipeline-dev-events-pipe-dlq',
  orchestratorFunctionName: 'rag-pipeline-dev-orchestrator',
  orchestratorLogGroupName: '/aws/lambda/rag-pipeline-dev-orchestrator',
};

interface Widget {
  type: string;
  properties: { title: string; region: string; metrics?: unknown[][]; query?: string };
}

function synthesize() {
  const synthesized = Testing.synthScope((scope) => {
    new PipelineDashboard(scope, 'dashboard', props);
  });
  const { config } = onlyResource(parseSynth(synthesized), 'aws_cloudwatch_dashboard');
  const body = decodeJsonAttribute(config.dashboard_body) as { widgets: Widget[] };
  return { config, widgets: body.widgets };
}

/** Each widget's metrics as `namespace/metric dimension=value stat`, keyed by title. */
function metricsByTitle(widgets: Widget[]): Record<string, string[]> {
  return Object.fromEntries(
    widgets
      .filter((widget) => widget.type === 'metric')
      .map((widget) => [
        widget.properties.title,
        (widget.properties.metrics ?? []).map((line) => {
          const [namespace, metric, ...rest] = line as string[];
          const options = rest.pop() as unknown as { stat: string };
          const dimensions = rest.map((part, index) => (index % 2 === 0 ? `${part}=${rest[index + 1]}` : '')).filter(Boolean);
          return `${namespace}/${metric} ${dimensions.join(' ')} ${options.stat}`;
        }),
      ]),
  );
}

describe('PipelineDashboard', () => {
  it('is named after the deployment and encodes its body with jsonencode (references survive synth --hcl)', () => {
    const { config } = synthesize();

    expect(config.dashboard_name).toBe('rag-pipeline-dev');
    expect(config.dashboard_body).toMatch(/^\$\{jsonencode\(/);
    // cdktf does not escape double quotes inside jsonencode strings: none may appear in a value.
    expect(JSON.stringify(synthesize().widgets)).not.toContain('\\"');
  });

  it('charts queue depth, dead letters, throughput, failures, copy duration, orchestrator errors and launch failures', () => {
    const { widgets } = synthesize();

    expect(metricsByTitle(widgets)).toEqual({
      'Work queue depth': [
        'AWS/SQS/ApproximateNumberOfMessagesVisible QueueName=rag-pipeline-dev-work Maximum',
        'AWS/SQS/ApproximateNumberOfMessagesNotVisible QueueName=rag-pipeline-dev-work Maximum',
      ],
      'Dead-letter queues (alarm above 0)': [
        'AWS/SQS/ApproximateNumberOfMessagesVisible QueueName=rag-pipeline-dev-work-dlq Maximum',
        'AWS/SQS/ApproximateNumberOfMessagesVisible QueueName=rag-pipeline-dev-pipe-dlq Maximum',
        'AWS/SQS/ApproximateNumberOfMessagesVisible QueueName=rag-pipeline-dev-events-pipe-dlq Maximum',
      ],
      'Files processed and failed per minute': [
        'RagPipeline/Worker/FilesProcessed QueueName=rag-pipeline-dev-work Sum',
        'RagPipeline/Worker/FilesFailed QueueName=rag-pipeline-dev-work Sum',
      ],
      'Input bytes processed per minute': ['RagPipeline/Worker/BytesProcessed QueueName=rag-pipeline-dev-work Sum'],
      'Copy duration (ms)': [
        'RagPipeline/Worker/ProcessingDuration QueueName=rag-pipeline-dev-work Average',
        'RagPipeline/Worker/ProcessingDuration QueueName=rag-pipeline-dev-work Maximum',
      ],
      'Orchestrator invocations and errors': [
        'AWS/Lambda/Invocations FunctionName=rag-pipeline-dev-orchestrator Sum',
        'AWS/Lambda/Errors FunctionName=rag-pipeline-dev-orchestrator Sum',
      ],
      // Exactly the dimensions the orchestrator emits (contracts/metrics.ts): a series matches only in full.
      'Launch failures and deferrals by kind': [
        ...['unauthorized', 'instance-profile-not-ready', 'unsupported-image', 'capacity', 'throttled'].map(
          (kind) => `RagPipeline/Orchestrator/LaunchFailures FunctionName=rag-pipeline-dev-orchestrator Kind=${kind} Sum`,
        ),
        'RagPipeline/Orchestrator/LaunchesDeferred FunctionName=rag-pipeline-dev-orchestrator Kind=boot-failures Sum',
      ],
    });
    expect(new Set(widgets.map((widget) => widget.properties.region))).toEqual(new Set(['eu-west-1']));
  });

  it('counts running workers from the orchestrator’s tick log lines', () => {
    const { widgets } = synthesize();
    const logWidgets = widgets.filter((widget) => widget.type === 'log');

    expect(logWidgets).toHaveLength(1);
    expect(logWidgets[0].properties.query).toBe(
      "SOURCE '/aws/lambda/rag-pipeline-dev-orchestrator' | filter event = 'tick_completed' | " +
        'stats max(workers) as workers_running, sum(launchRequested) as launches by bin(1m)',
    );
  });
});
