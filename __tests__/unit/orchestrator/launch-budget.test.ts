import { CreateFleetCommand } from '@aws-sdk/client-ec2';
import { DEFAULT_LAUNCH_BUDGET } from '../../../functions/orchestrator/config';
import { LaunchBudget } from '../../../functions/orchestrator/launch-budget';
import { launchSlot } from '../../../functions/orchestrator/launch-slot';
import { FakeEc2 } from '../../support/fake-ec2';
import { type Clock, createClock, mocks, orchestrator, queueHas, resetMocks, START_MS, SUBNET_ZONES, UBUNTU_IMAGE } from '../../support/orchestrator-kit';

let clock: Clock;
let fake: FakeEc2;

beforeEach(() => {
  resetMocks();
  clock = createClock();
  fake = new FakeEc2({ subnets: SUBNET_ZONES, clock, images: [UBUNTU_IMAGE] });
  fake.install(mocks.ec2);
});

describe('LaunchBudget', () => {
  it('allows calls up to the cap while enough time is left, then says why it stops', () => {
    const budget = new LaunchBudget({ ...DEFAULT_LAUNCH_BUDGET, maxCalls: 2 }, START_MS + 60_000, clock);

    expect([budget.next().allowed, budget.next().allowed]).toEqual([true, true]);
    expect(budget.next()).toEqual({ allowed: false, reason: 'call-cap' });
    expect(budget.used()).toBe(2);
  });

  it('starts no call with less than the reserve left before the deadline', () => {
    const budget = new LaunchBudget(DEFAULT_LAUNCH_BUDGET, START_MS + 60_000, clock);

    clock.set(START_MS + 40_000);
    expect(budget.next().allowed).toBe(true);
    clock.set(START_MS + 40_001);
    expect(budget.next()).toEqual({ allowed: false, reason: 'deadline' });
  });
});

describe('a tick with a deep backlog', () => {
  it('makes at most 20 launch calls, logs what it leaves, and the next tick launches the rest', async () => {
    const { tick, line } = orchestrator({ MAX_WORKERS: '30' }, clock);
    queueHas(300);

    const first = await tick({});

    expect(fake.requests).toHaveLength(20);
    expect(first).toMatchObject({ launchRequested: 30, launchesLeft: { launches: 10, reason: 'call-cap', calls: 20 } });
    expect(first.launchedInstanceIds).toHaveLength(20);
    expect(line('launches_left_for_next_tick')).toMatchObject({ level: 'warn', launches: 10, reason: 'call-cap', calls: 20 });
    expect(line('tick_completed')).toMatchObject({ level: 'warn' });

    clock.advance(10_000);
    const next = await orchestrator({ MAX_WORKERS: '30' }, clock).tick({});
    expect(next).toMatchObject({ workers: 20, launchRequested: 10 });
    expect(next.launchesLeft).toBeUndefined();
    expect(fake.active()).toHaveLength(30);
  });

  it('stops launching before the Lambda timeout: no call starts with less than 20 s left', async () => {
    const { tick, line } = orchestrator({ MAX_WORKERS: '10' }, clock);
    queueHas(100);
    // Each launch takes 4 s of the invocation's 30 s: calls start with 30, 26 and 22 s left, not 18.
    mocks.ec2.on(CreateFleetCommand).callsFake(async (input) => {
      clock.advance(4_000);
      return fake.createFleet(input);
    });

    const summary = await tick({}, { awsRequestId: 'r', getRemainingTimeInMillis: () => 30_000 });

    expect(fake.requests).toHaveLength(3);
    expect(summary.launchesLeft).toEqual({ launches: 7, reason: 'deadline', calls: 3 });
    expect(line('launches_left_for_next_tick')).toMatchObject({ reason: 'deadline', launches: 7 });
  });

  it('counts a launch call the deadline aborted as left for the next tick, not as a failure', async () => {
    const { config } = orchestrator({}, clock);
    const budget = new LaunchBudget({ ...DEFAULT_LAUNCH_BUDGET, reserveMs: 0 }, START_MS + 5_050, clock);

    const outcome = await launchSlot(0, {
      config,
      userDataBase64: 'dXNlcg==',
      image: { imageId: 'ami-0abcdef1234567890', rootDeviceName: '/dev/sda1', rootSnapshotGib: 8, publisher: 'canonical' },
      capacityTypes: ['on-demand'],
      windowStartMs: START_MS,
      usedTokens: new Set(),
      listedStates: new Map(),
      budget,
      // A call that hangs until the budget's signal aborts it, as the SDK's would.
      launch: (_input, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
    });

    expect(outcome).toEqual({ outcome: 'deferred', slot: 0, reason: 'deadline', attempts: [] });
  });
});
