import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BootstrapLogEvent, OrchestratorLogEvent, WorkerLogEvent } from '../../../contracts';
import { USER_DATA_TEMPLATE } from '../../../runtime/bootstrap/user-data-template';

const ROOT = path.join(__dirname, '..', '..', '..');
const SNAKE_CASE = /^[a-z]+(_[a-z]+)*$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(dir, file));
}

describe('log event names', () => {
  it.each([
    { case: 'orchestrator', names: Object.values(OrchestratorLogEvent) },
    { case: 'worker', names: Object.values(WorkerLogEvent) },
    { case: 'bootstrap', names: Object.values(BootstrapLogEvent) },
  ])('the $case names are snake_case and distinct', ({ names }) => {
    expect(names.filter((name) => !SNAKE_CASE.test(name))).toEqual([]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('the orchestrator and the worker take every event name from the contract, never a string of their own', () => {
    // A literal right after `event:`, or inside the expression that gives it (a ternary).
    const literal = /event: [^,\n}]*['"`][a-z]+(_[a-z]+)+['"`]/;
    const offenders = [...sourceFiles('functions'), ...sourceFiles('worker')].filter((file) => literal.test(readFileSync(path.join(ROOT, file), 'utf8')));

    expect(offenders).toEqual([]);
  });

  it("the local run's own events are snake_case too", () => {
    const names = sourceFiles('local').flatMap((file) =>
      [...readFileSync(path.join(ROOT, file), 'utf8').matchAll(/\blog\.(?:info|warn)\(\s*'([^']+)'/g)].map((match) => match[1]),
    );

    expect(names.length).toBeGreaterThan(5);
    expect(names.filter((name) => !SNAKE_CASE.test(name))).toEqual([]);
  });

  it('the bootstrap script logs exactly the events of the contract', () => {
    // `log <event> "<message>"`: the script's one way to write a line.
    const logged = new Set([...USER_DATA_TEMPLATE.matchAll(/(?:^|[\s;&|]|then |else )log ([a-z_]+) "/gm)].map((match) => match[1]));

    expect([...logged].sort()).toEqual(Object.values(BootstrapLogEvent).sort());
  });
});
