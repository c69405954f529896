import { createLaunchMetrics } from '../../../functions/orchestrator/metrics';

const NOW = Date.parse('2026-11-25T16:03:00Z');

/** The JSON lines written to stdout while `act` runs. */
function stdoutLines(act: () => void): unknown[] {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(chunk.toString());
    return true;
  });
  try {
    act();
  } finally {
    spy.mockRestore();
  }
  return written.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

beforeEach(() => {
  jest.useFakeTimers({ now: NOW });
});

afterEach(() => {
  jest.useRealTimers();
});

describe('createLaunchMetrics', () => {
  it('writes one Embedded Metric Format line per launch failure, with exactly the FunctionName and Kind dimensions', () => {
    const metrics = createLaunchMetrics('rag-pipeline-dev-orchestrator');

    const lines = stdoutLines(() => metrics.launchFailed('unauthorized'));

    expect(lines).toStrictEqual([
      {
        _aws: {
          Timestamp: NOW,
          CloudWatchMetrics: [
            {
              Namespace: 'RagPipeline/Orchestrator',
              Dimensions: [['FunctionName', 'Kind']],
              Metrics: [{ Name: 'LaunchFailures', Unit: 'Count' }],
            },
          ],
        },
        FunctionName: 'rag-pipeline-dev-orchestrator',
        Kind: 'unauthorized',
        LaunchFailures: 1,
      },
    ]);
  });

  it('writes the deferred launches with their count, and keeps data points apart', () => {
    const metrics = createLaunchMetrics('rag-pipeline-dev-orchestrator');

    const lines = stdoutLines(() => {
      metrics.launchesDeferred('boot-failures', 3);
      metrics.launchFailed('capacity');
    });

    expect(lines).toStrictEqual([
      {
        _aws: {
          Timestamp: NOW,
          CloudWatchMetrics: [
            { Namespace: 'RagPipeline/Orchestrator', Dimensions: [['FunctionName', 'Kind']], Metrics: [{ Name: 'LaunchesDeferred', Unit: 'Count' }] },
          ],
        },
        FunctionName: 'rag-pipeline-dev-orchestrator',
        Kind: 'boot-failures',
        LaunchesDeferred: 3,
      },
      {
        _aws: {
          Timestamp: NOW,
          CloudWatchMetrics: [
            { Namespace: 'RagPipeline/Orchestrator', Dimensions: [['FunctionName', 'Kind']], Metrics: [{ Name: 'LaunchFailures', Unit: 'Count' }] },
          ],
        },
        FunctionName: 'rag-pipeline-dev-orchestrator',
        Kind: 'capacity',
        LaunchFailures: 1,
      },
    ]);
  });
});
