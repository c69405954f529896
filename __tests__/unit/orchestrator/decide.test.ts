import { decide, type Decision, type Observation, type ScalingSettings } from '../../../functions/orchestrator/decide';

const seed: ScalingSettings = { maxWorkers: 1, messagesPerWorker: 10 };
const scaled: ScalingSettings = { maxWorkers: 3, messagesPerWorker: 10 };

interface Case {
  readonly case: string;
  readonly observation: Observation;
  readonly settings: ScalingSettings;
  readonly expected: Decision;
}

const cases: Case[] = [
  {
    case: 'the queue is empty',
    observation: { visibleMessages: 0, inFlightMessages: 0, workers: 0 },
    settings: seed,
    expected: { launch: 0, targetWorkers: 0, reason: 'queue-empty' },
  },
  {
    case: 'the queue is empty and an idle worker still runs',
    observation: { visibleMessages: 0, inFlightMessages: 0, workers: 1 },
    settings: seed,
    expected: { launch: 0, targetWorkers: 0, reason: 'queue-empty' },
  },
  {
    case: 'a backlog and no worker (the seed launches one)',
    observation: { visibleMessages: 1, inFlightMessages: 0, workers: 0 },
    settings: seed,
    expected: { launch: 1, targetWorkers: 1, reason: 'scale-out' },
  },
  {
    case: 'a large backlog and no worker with MAX_WORKERS=1 still launches one',
    observation: { visibleMessages: 500, inFlightMessages: 0, workers: 0 },
    settings: seed,
    expected: { launch: 1, targetWorkers: 1, reason: 'scale-out' },
  },
  {
    case: 'a backlog and a worker running',
    observation: { visibleMessages: 5, inFlightMessages: 10, workers: 1 },
    settings: seed,
    expected: { launch: 0, targetWorkers: 1, reason: 'enough-workers' },
  },
  {
    case: 'a backlog and a worker pending',
    observation: { visibleMessages: 3, inFlightMessages: 0, workers: 1 },
    settings: seed,
    expected: { launch: 0, targetWorkers: 1, reason: 'enough-workers' },
  },
  {
    case: 'the only messages are in flight, held by a worker',
    observation: { visibleMessages: 0, inFlightMessages: 7, workers: 1 },
    settings: seed,
    expected: { launch: 0, targetWorkers: 0, reason: 'in-flight-only' },
  },
  {
    case: 'the only messages are in flight and no worker is left (it died)',
    observation: { visibleMessages: 0, inFlightMessages: 7, workers: 0 },
    settings: scaled,
    expected: { launch: 0, targetWorkers: 0, reason: 'in-flight-awaiting-redelivery' },
  },
  {
    case: 'the scale-out cap applies: 25 messages want 3 workers, the cap is 3',
    observation: { visibleMessages: 25, inFlightMessages: 0, workers: 0 },
    settings: scaled,
    expected: { launch: 3, targetWorkers: 3, reason: 'scale-out' },
  },
  {
    case: 'the scale-out cap applies: 1000 messages want 100 workers, the cap is 3',
    observation: { visibleMessages: 1000, inFlightMessages: 0, workers: 0 },
    settings: scaled,
    expected: { launch: 3, targetWorkers: 3, reason: 'scale-out' },
  },
  {
    case: 'the scale-out cap applies to the workers already there',
    observation: { visibleMessages: 1000, inFlightMessages: 20, workers: 2 },
    settings: scaled,
    expected: { launch: 1, targetWorkers: 3, reason: 'scale-out' },
  },
  {
    case: 'at the cap with a backlog that wants more',
    observation: { visibleMessages: 1000, inFlightMessages: 30, workers: 3 },
    settings: scaled,
    expected: { launch: 0, targetWorkers: 3, reason: 'at-capacity' },
  },
  {
    case: 'more workers than the cap (the cap was lowered) launches none',
    observation: { visibleMessages: 1000, inFlightMessages: 0, workers: 5 },
    settings: scaled,
    expected: { launch: 0, targetWorkers: 3, reason: 'at-capacity' },
  },
  {
    case: 'the target rounds up: 11 messages at 10 per worker want 2',
    observation: { visibleMessages: 11, inFlightMessages: 0, workers: 0 },
    settings: scaled,
    expected: { launch: 2, targetWorkers: 2, reason: 'scale-out' },
  },
  {
    case: 'a small backlog under the workers already there',
    observation: { visibleMessages: 4, inFlightMessages: 0, workers: 2 },
    settings: scaled,
    expected: { launch: 0, targetWorkers: 1, reason: 'enough-workers' },
  },
  {
    case: 'a wake batch of 1 with counts still 0/0 and no worker launches one (SQS counts lag)',
    observation: { visibleMessages: 0, inFlightMessages: 0, workers: 0, wakeMessages: 1 },
    settings: scaled,
    expected: { launch: 1, targetWorkers: 1, reason: 'woken-ahead-of-counts' },
  },
  {
    case: 'a wake batch of 1,000 with counts 0/0 and no worker launches at most MAX_WORKERS',
    observation: { visibleMessages: 0, inFlightMessages: 0, workers: 0, wakeMessages: 1000 },
    settings: scaled,
    expected: { launch: 3, targetWorkers: 3, reason: 'woken-ahead-of-counts' },
  },
  {
    case: 'a wake batch of 15 with counts 0/0 wants the workers 15 visible messages would',
    observation: { visibleMessages: 0, inFlightMessages: 0, workers: 0, wakeMessages: 15 },
    settings: scaled,
    expected: { launch: 2, targetWorkers: 2, reason: 'woken-ahead-of-counts' },
  },
  {
    case: 'a wake batch with counts 0/0 and a worker there launches none (the worker long-polls)',
    observation: { visibleMessages: 0, inFlightMessages: 0, workers: 1, wakeMessages: 5 },
    settings: scaled,
    expected: { launch: 0, targetWorkers: 0, reason: 'queue-empty' },
  },
  {
    case: 'a wake batch with only in-flight messages and no worker waits for the redelivery',
    observation: { visibleMessages: 0, inFlightMessages: 2, workers: 0, wakeMessages: 5 },
    settings: scaled,
    expected: { launch: 0, targetWorkers: 0, reason: 'in-flight-awaiting-redelivery' },
  },
  {
    case: 'a wake batch with visible messages decides from the counts',
    observation: { visibleMessages: 25, inFlightMessages: 0, workers: 0, wakeMessages: 1 },
    settings: scaled,
    expected: { launch: 3, targetWorkers: 3, reason: 'scale-out' },
  },
];

describe('decide', () => {
  it.each(cases)('$case', ({ observation, settings, expected }) => {
    expect(decide(observation, settings)).toEqual(expected);
  });
});
