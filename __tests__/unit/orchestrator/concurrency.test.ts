import { AwsPoolErrors, FakeEc2 } from '../../support/fake-ec2';
import {
  type Clock,
  createClock,
  FALLBACK_SUBNET,
  mocks,
  orchestrator,
  PREFERRED_SUBNET,
  queueHas,
  resetMocks,
  SUBNET_ZONES,
  UBUNTU_IMAGE,
} from '../../support/orchestrator-kit';

/**
 * Overlapping orchestrator runs, without reserved concurrency, against a fake EC2 that implements client
 * token idempotency and a DescribeInstances that lists an instance only 5 s after its launch
 * (support/fake-ec2.ts). The clock stands still while the runs overlap, so no run ever sees another's
 * launch: only the client tokens keep the count at MAX_WORKERS. docs/orchestrator.md explains the design
 * and the two windows that remain, which the last tests measure.
 */

const VISIBILITY_LAG_MS = 5_000;
/** 16:09:59.900Z and 16:10:00.100Z: either side of a ten-minute token window boundary. */
const BEFORE_BOUNDARY_MS = Date.parse('2026-11-25T16:09:59.900Z');
const AFTER_BOUNDARY_MS = Date.parse('2026-11-25T16:10:00.100Z');

let clock: Clock;

function fakeEc2(seed = 1): FakeEc2 {
  const fake = new FakeEc2({ subnets: SUBNET_ZONES, clock, visibilityLagMs: VISIBILITY_LAG_MS, images: [UBUNTU_IMAGE], seed });
  fake.install(mocks.ec2);
  return fake;
}

/** `containers` warm Lambda containers (each its own handler and image cache), invoked `perContainer` times at once. */
function invokeConcurrently(containers: number, perContainer: number, env: Record<string, string>) {
  const handlers = Array.from({ length: containers }, () => orchestrator(env, clock).tick);
  return Promise.all(handlers.flatMap((tick) => Array.from({ length: perContainer }, (_, i) => tick({}, { awsRequestId: `run-${i}` }))));
}

beforeEach(() => {
  resetMocks({ visible: 100 });
  clock = createClock();
});

describe('overlapping runs without reserved concurrency', () => {
  it.each([1, 2, 3, 4, 5])('10 concurrent runs with MAX_WORKERS=2 launch exactly 2 workers (interleaving seed %i)', async (seed) => {
    const fake = fakeEc2(seed);

    const summaries = await invokeConcurrently(10, 1, { MAX_WORKERS: '2' });

    const running = fake.active().map((instance) => instance.instanceId);
    expect(running).toHaveLength(2);
    // Every run asked for slots 0 and 1 with the same two tokens, and got the same two instances back.
    expect(new Set(fake.requests.map((request) => request.ClientToken)).size).toBe(2);
    for (const summary of summaries) expect([...summary.launchedInstanceIds].sort()).toEqual([...running].sort());
  });

  it('a burst of 1,000 invocations over 20 containers launches MAX_WORKERS workers, not 1,000 runs’ worth', async () => {
    const fake = fakeEc2();

    const summaries = await invokeConcurrently(20, 50, { MAX_WORKERS: '3' });

    expect(summaries).toHaveLength(1000);
    expect(fake.instances).toHaveLength(3);
    expect(new Set(fake.requests.map((request) => request.ClientToken)).size).toBe(3);
   }, 60_000); // a thousand handler runs: a budget for a loaded machine, not a timing assertion

  it('wake batches and the scheduled run, overlapping, launch MAX_WORKERS workers between them', async () => {
    const fake = fakeEc2();
    // The mapping's two concurrent batches (1,000 rows' events, then 3 more) and the schedule's tick, each in its own container.
    const [firstBatch, secondBatch, scheduled] = Array.from({ length: 3 }, () => orchestrator({ MAX_WORKERS: '2' }, clock).tick);
    const batch = (messages: number) => ({ Records: Array.from({ length: messages }, (_, i) => ({ eventSource: 'aws:sqs', messageId: `m${i}` })) });

    const summaries = await Promise.all([
      firstBatch(batch(1000), { awsRequestId: 'wake-1' }),
      secondBatch(batch(3), { awsRequestId: 'wake-2' }),
      scheduled({ id: 'tick', source: 'aws.events', 'detail-type': 'Scheduled Event' }),
    ]);

    expect(summaries.map((summary) => summary.trigger)).toEqual(['wake', 'wake', 'schedule']);
    expect(fake.active()).toHaveLength(2);
    expect(new Set(fake.requests.map((request) => request.ClientToken)).size).toBe(2);
  });

  it('runs that want different numbers of workers share the slots they have in common', async () => {
    const fake = fakeEc2();
    const small = orchestrator({ MAX_WORKERS: '3' }, clock).tick;
    const large = orchestrator({ MAX_WORKERS: '3' }, clock).tick;

    // 5 visible messages want one worker, 25 want three: the lowest free slots are a shared prefix.
    queueHas(5);
    const wantsOne = small({});
    queueHas(25);
    const wantsThree = large({});
    const [one, three] = await Promise.all([wantsOne, wantsThree]);

    expect(fake.instances).toHaveLength(3);
    expect(one.launchedInstanceIds).toEqual([three.launchedInstanceIds[0]]);
  });

  it('once the launches are listed, the next run launches nothing', async () => {
    const fake = fakeEc2();
    await invokeConcurrently(10, 1, { MAX_WORKERS: '2' });

    clock.advance(VISIBILITY_LAG_MS);
    const [next] = await invokeConcurrently(1, 1, { MAX_WORKERS: '2' });

    expect(next).toMatchObject({ workers: 2, reason: 'at-capacity', launchRequested: 0 });
    expect(fake.instances).toHaveLength(2);
  });
});

describe('the windows that remain (docs/orchestrator.md)', () => {
  it('runs either side of a window boundary, before the first launch is listed, can each launch a slot once: at most twice MAX_WORKERS', async () => {
    const fake = fakeEc2();
    clock.set(BEFORE_BOUNDARY_MS);
    await invokeConcurrently(5, 1, { MAX_WORKERS: '2' });
    clock.set(AFTER_BOUNDARY_MS);
    await invokeConcurrently(5, 1, { MAX_WORKERS: '2' });

    // Two tokens per slot, one per window: four workers where two were wanted, never more.
    expect(fake.active()).toHaveLength(4);
    expect(new Set(fake.requests.map((request) => request.ClientToken)).size).toBe(4);

    // Once listed, the surplus launches nothing more and idles out like any worker.
    clock.advance(VISIBILITY_LAG_MS);
    const [next] = await invokeConcurrently(1, 1, { MAX_WORKERS: '2' });
    expect(next).toMatchObject({ workers: 4, reason: 'at-capacity', launchRequested: 0 });
  });

  it('runs inside one window never launch a slot twice, however far apart', async () => {
    const fake = fakeEc2();
    clock.set(Date.parse('2026-11-25T16:10:00.000Z'));
    await invokeConcurrently(5, 1, { MAX_WORKERS: '2' });
    clock.set(Date.parse('2026-11-25T16:19:59.999Z'));
    // Listed by now, and even a run that still does not see them would send the same tokens.
    await invokeConcurrently(5, 1, { MAX_WORKERS: '2' });

    expect(fake.instances).toHaveLength(2);
  });

  it('runs that would get different capacity answers in the preferred zone still launch one worker: one token covers every pool', async () => {
    const fake = fakeEc2();
    // The first request to reach the preferred zone finds no capacity; the next ones would find it again.
    let answered = false;
    fake.refusePools({ subnetId: PREFERRED_SUBNET }, (pool) => {
      if (answered) return undefined;
      answered = true;
      return AwsPoolErrors.noOnDemandCapacity(pool);
    });

    await invokeConcurrently(4, 1, { MAX_WORKERS: '1', EC2_FALLBACK_SUBNET_IDS: FALLBACK_SUBNET });

    // With one RunInstances call per subnet this was one worker per zone that answered "launched"; one fleet
    // request per slot offers every pool under one token, and EC2 answers its repeats with the first launch.
    expect(fake.active().map((instance) => instance.subnetId)).toEqual([FALLBACK_SUBNET]);
  });
});
