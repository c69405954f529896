import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  interruptedCommands,
  commandMode,
  commandModeCatalog,
  PLANNED_FAILURE_REASON,
  planCommandMode,
  SOAK_COMMAND_PROCESSOR,
  soakCommandProcessor,
  writeCommandModeMarkers,
} from '../../../../local/soak/command-mode';
import { planSoak } from '../../../../local/soak/plan';
import { judgeRow } from '../../../../local/soak/verdict';

const BUCKET = 'pipeline-bucket';
const row = (attributes: Record<string, string>): Record<string, AttributeValue> =>
  Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { S: value }]));

describe('the command mode of the soak', () => {
  const plan = planSoak({ rows: 200, badPercent: 10, killWorkers: 2, seed: 'command-mode' });
  const commandPlan = planCommandMode(plan);

  it('plans failures only among plain rows, the same for the same seed', () => {
    const byId = new Map(plan.rows.map((planned) => [planned.id, planned]));

    expect(commandPlan.failing.size).toBe(6);
    expect(commandPlan.flaky.size).toBe(6);
    for (const id of [...commandPlan.failing, ...commandPlan.flaky]) {
      const planned = byId.get(id)!;
      expect([planned.bad, planned.resubmission, planned.duplicate, planned.samePathAs]).toEqual([undefined, undefined, undefined, undefined]);
    }
    expect([...commandPlan.failing].filter((id) => commandPlan.flaky.has(id))).toEqual([]);
    expect(planCommandMode(planSoak({ rows: 200, badPercent: 10, killWorkers: 2, seed: 'command-mode' }))).toEqual(commandPlan);
  });

  it("expects the command's output under the processor's prefix, and the planned failures FAILED with its reason", () => {
    const mode = commandMode(commandPlan);
    const [failing] = [...commandPlan.failing];
    const planned = plan.rows.find((candidate) => candidate.id === failing)!;
    const input = `s3://${BUCKET}/data/input/${planned.rest}`;
    const prefix = `data/output/${planned.rest}/${SOAK_COMMAND_PROCESSOR}/`;

    expect(mode.expectedOutputPath(row({ s3_path: input }), BUCKET)).toBe(`s3://${BUCKET}/${prefix}`);
    expect(mode.outputObjectKey(row({ s3_path: input }), BUCKET)).toBe(`${prefix}${planned.rest.split('/').at(-1)}`);
    expect(judgeRow(planned, { row: row({ id: failing, status: 'FAILED', s3_path: input, failure_reason: 'command exited with code 3: soak: planned failure' }), inDeadLetterQueue: false }, BUCKET, true, mode)).toMatchObject({
      class: 'failed',
      unexpected: false,
    });
    expect(judgeRow(planned, { row: row({ id: failing, status: 'FINISHED', s3_path: input, output_path: `s3://${BUCKET}/${prefix}` }), inDeadLetterQueue: false, output: 'identical' }, BUCKET, true, mode)).toMatchObject({
      unexpected: true,
    });
  });

  it('makes the soak command the default, beside the configured processors', () => {
    const catalog = commandModeCatalog({ processors: { mirror: { type: 'copy' } } }, {}, '/tmp/state');

    expect(catalog.defaultProcessor).toBe(SOAK_COMMAND_PROCESSOR);
    expect(Object.keys(catalog.processors).sort()).toEqual(['copy', 'mirror', SOAK_COMMAND_PROCESSOR]);
  });

  it('runs a command that copies, fails as planned, and fails once then copies for a flaky row', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soak-command-'));
    try {
      writeCommandModeMarkers(dir, { failing: new Set(['f']), flaky: new Set(['k']) });
      const [program, ...template] = soakCommandProcessor(dir).command;
      const run = (id: string) => {
        const out = mkdtempSync(path.join(dir, 'out-'));
        const input = path.join(dir, 'input.bin');
        writeFileSync(input, `content of ${id}`);
        const args = template.map((arg) => arg.replace('{id}', id).replace('{input}', input).replace('{output_dir}', out));
        const result = spawnSync(program, args, { env: { PATH: process.env.PATH, SOAK_STATE: dir }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        return { status: result.status, stderr: result.stderr, copied: () => readFileSync(path.join(out, 'input.bin'), 'utf8') };
      };

      const plain = run('p');
      expect(plain.status).toBe(0);
      expect(plain.copied()).toBe('content of p');
      const failing = run('f');
      expect(failing.status).toBe(3);
      expect(`command exited with code 3: ${failing.stderr.trim()}`).toMatch(PLANNED_FAILURE_REASON);
      expect(run('k').status).toBe(75);
      expect(run('k').status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts the commands a kill cut short: started and never ended, or ended by the stop', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soak-logs-'));
    try {
      const line = (entry: object) => `${JSON.stringify(entry)}\n`;
      const killed = path.join(dir, 'killed.log');
      const stopped = path.join(dir, 'stopped.log');
      writeFileSync(killed, line({ event: 'command_started', item_id: 'a' }) + line({ event: 'command_exited', item_id: 'a', end: { kind: 'exited', code: 0 } }) + line({ event: 'command_started', item_id: 'b' }) + '{"event":"command_exi');
      writeFileSync(stopped, line({ event: 'command_started', item_id: 'c' }) + line({ event: 'command_exited', item_id: 'c', end: { kind: 'aborted' } }));

      expect(interruptedCommands([killed, stopped, path.join(dir, 'absent.log')])).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
