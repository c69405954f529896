import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ItemStatus, OrchestratorEnv } from '../../../contracts';
import { BAD_INPUT_REASONS } from '../../../local/soak/plan';
import { runSoak } from '../../../local/soak/run';
import { commandMode, commandModeCatalog, planCommandMode, SOAK_COMMAND_PROCESSOR, soakCommandProcessor, writeCommandModeMarkers, PLANNED_FAILURE_REASON } from '../../../local/soak/command-mode';
import { planSoak } from '../../../local/soak/plan';
import { loadProcessorCatalog } from '../../../config/processors';
import { commandProcessesUnder } from '../../../local/standins/leftover-processes';
import {
  putCatalog,
  queueDepth,
  setOrchestratorEnvironment,
  startWithMaxWorkers,
  useLocalPipeline,
  TEST_AUTOTERMINATE_MINUTES,
} from './support';

/**
 * The pipeline under chaos on moto, as `npm run soak` runs it, on one deployment with MAX_WORKERS=1: the copy
 * soak and the command-mode soak. The schedule ticks every second (the default of these tests), so a killed
 * worker's messages, back after the visibility timeout, are picked up at once; pickup under the real one-minute
 * schedule, and 200 rows with MAX_WORKERS=2, are pipeline.test.ts's (its deployment runs beside this one, and
 * the two files take about as long).
 */
jest.setTimeout(360_000);

// The soak's command processor is deployed beside copy (the default); the command-mode test makes it the default.
const commandState = mkdtempSync(path.join(tmpdir(), 'soak-command-'));
const running = useLocalPipeline({ maxWorkers: 1 }, { processors: loadProcessorCatalog({ processors: { [SOAK_COMMAND_PROCESSOR]: soakCommandProcessor(commandState) } }, {}) });
afterAll(() => rmSync(commandState, { recursive: true, force: true }));

it('explains every row of a chaos soak: bad inputs, resubmissions, duplicates, a SIGKILL, a SIGTERM, a Spot interruption and a crashed tick', async () => {
  const p = running();
  // Spot workers (the deployed function's purchase option), so one can be interrupted; on-demand if moto had no Spot.
  await setOrchestratorEnvironment(p, { [OrchestratorEnv.purchaseOption]: 'spot-then-on-demand' });
  await startWithMaxWorkers(p, 1);

  // 60 rows, 6 of them bad (one of each of six kinds, one fixed and resubmitted once FAILED), 2 resubmitted
  // (one while queued, one while a worker copies it), 2 delivered twice, 1 path under a second id; one worker
  // SIGKILLed and one SIGTERMed as they take messages; one orchestrator invocation crashed (local/soak/).
  const report = await runSoak(p, {
    rows: 60,
    badPercent: 10,
    killWorkers: 2,
    interruptWorkers: 1,
    seed: 'jest-soak',
    timeoutSeconds: 240,
    autoterminateMinutes: TEST_AUTOTERMINATE_MINUTES,
  });

  const { summary } = report;
  expect(summary).toMatchObject({
    rows: 60,
    lost: 0,
    stuck_pending: 0,
    differing_outputs: 0,
    emulator_lost_writes: 0,
    instances_left: 0,
    unexpected_outcomes: 0,
    pending_in_queue: 0,
  });
  // No message can reach the work DLQ here: one SIGKILL and one SIGTERM bring a message back at most twice, and a
  // message moves to the DLQ on its sixth receive (maxReceiveCount 5).
  expect(summary.dead_lettered).toBe(0);
  expect(await queueDepth(p, 'dlq_url')).toBe(0);
  expect(summary.finished + summary.failed).toBe(60);
  for (const row of report.rows.filter((verdict) => verdict.status === ItemStatus.FAILED)) expect(row.reason).toMatch(/\S/);
  // Every bad row that was not fixed ended FAILED with its own reason; the fixed one ended FINISHED.
  const bad = report.plan.rows.filter((row) => row.bad);
  expect(new Set(bad.map((row) => row.bad)).size).toBe(6);
  for (const planned of bad) {
    const verdict = report.rows.find((row) => row.id === planned.id)!;
    if (planned.fix) expect(verdict).toMatchObject({ status: ItemStatus.FINISHED, class: 'finished' });
    else expect(verdict).toMatchObject({ status: ItemStatus.FAILED, reason: expect.stringMatching(BAD_INPUT_REASONS[planned.bad!]) });
  }
  // The chaos happened: both signals (a row held back for each kill makes sure a worker is taking a message
  // after the one before), the crash, and the orchestrator replaced the killed workers.
  expect(summary.kills).toEqual({ SIGKILL: 1, SIGTERM: 1, skipped: 0 });
  expect(report.kills.find((kill) => kill.signal === 'SIGKILL')?.exit).toEqual({ code: null, signal: 'SIGKILL' });
  // SIGTERM drains: in-flight jobs finish or are released, the log is uploaded, the worker exits 0.
  expect(report.kills.find((kill) => kill.signal === 'SIGTERM')?.exit).toEqual({ code: 0, signal: null });
  expect(report.workersStartedAfterFirstKill).toBeGreaterThan(0);
  expect(summary.orchestrator).toMatchObject({ failed: 1, recovered: true });
  // Never two workers at once, though the wake queue's runs and the schedule's overlap (MAX_WORKERS=1).
  expect(p.instances.peakRunning()).toBe(1);
  expect(summary).toMatchObject({ fixed_rows: 1, resubmitted_rows: 2, duplicate_messages: 2, same_path_rows: 1 });
  // A Spot worker got the notice; no row its interruption gave back ended FAILED or dead-lettered.
  expect(summary.interruptions).toMatchObject({ notices: 1, skipped: 0, rows_failed: 0 });
});

// The full chaos of the command mode (a SIGKILL mid-command, retries after exit 75, 200 rows) costs minutes of
// visibility timeouts: `npm run soak -- --mode command` runs it (docs/trust.md). Here: a SIGTERM while commands
// run (the worker ends or finishes them and exits 0), planned command failures, every row explained.
it('explains every row of a command-mode soak: a worker stopped while commands run, commands failing on purpose, nothing left running', async () => {
  const p = running();
  const parameters = { rows: 30, badPercent: 10, killWorkers: 1, seed: 'jest-command-soak' };
  const commandPlan = planCommandMode(planSoak(parameters), { failing: 0.1, flaky: 0 });
  writeCommandModeMarkers(commandState, commandPlan);
  // As a deployment making the soak's command the default would: workers started from now on read it.
  await putCatalog(p, commandModeCatalog({}, {}, commandState));
  try {
    await setOrchestratorEnvironment(p, { [OrchestratorEnv.purchaseOption]: 'on-demand' });
    await startWithMaxWorkers(p, 1);

    const report = await runSoak(p, { ...parameters, timeoutSeconds: 240, autoterminateMinutes: TEST_AUTOTERMINATE_MINUTES, mode: commandMode(commandPlan) });

    const { summary } = report;
    expect(summary).toMatchObject({ rows: 30, mode: 'command', lost: 0, stuck_pending: 0, differing_outputs: 0, instances_left: 0, commands_left_running: 0, unexpected_outcomes: 0, pending_in_queue: 0 });
    expect(summary.finished + summary.failed + summary.dead_lettered).toBe(30);
    expect(commandPlan.failing.size).toBe(3);
    for (const id of commandPlan.failing) expect(report.rows.find((row) => row.id === id)).toMatchObject({ status: ItemStatus.FAILED, reason: expect.stringMatching(PLANNED_FAILURE_REASON) });
    expect(summary.kills).toEqual({ SIGKILL: 0, SIGTERM: 1, skipped: 0 });
    expect(report.kills[0].exit).toEqual({ code: 0, signal: null });
    for (const run of p.instances.history()) expect(commandProcessesUnder(run.scratchDir)).toEqual([]);
  } finally {
    await putCatalog(p, loadProcessorCatalog({ processors: { [SOAK_COMMAND_PROCESSOR]: soakCommandProcessor(commandState) } }, {}));
  }
});
