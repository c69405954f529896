import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { commandProcessesUnder, killCommandProcessesUnder } from '../../../local/standins/leftover-processes';
import { eventually } from '../../support/eventually';

describe('the stand-in for the control group that ends a worker with its commands', () => {
  it("finds the processes whose RAG_INPUT_FILE is under a worker's scratch directory, children included, and kills them", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'leftover-test-'));
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'leftover-other-'));
    const start = (scratch: string) =>
      spawn('bash', ['-c', 'sleep 60 & sleep 60'], { env: { PATH: process.env.PATH, RAG_INPUT_FILE: path.join(scratch, 'job-1', 'input', 'a') }, detached: true, stdio: 'ignore' });
    const ours = start(dir);
    const theirs = start(elsewhere);
    const exited = (child: ReturnType<typeof start>) => new Promise((resolve) => child.once('exit', resolve));
    try {
      // bash and its two sleeps
      const found = await eventually(() => commandProcessesUnder(dir).length === 3 && commandProcessesUnder(dir), 10_000, 'the command and its children');
      await eventually(() => commandProcessesUnder(elsewhere).length === 3, 10_000, 'the other command and its children');
      expect(found).toContain(ours.pid);
      expect(found).toHaveLength(3);
      expect(found).not.toContain(theirs.pid);

      expect(killCommandProcessesUnder(dir).sort()).toEqual(found.sort());
      await exited(ours);
      await eventually(() => commandProcessesUnder(dir).length === 0, 10_000, 'the killed processes to be gone');
      expect(commandProcessesUnder(elsewhere)).toHaveLength(3);
    } finally {
      killCommandProcessesUnder(elsewhere);
      ours.kill('SIGKILL');
      await exited(theirs);
      rmSync(dir, { recursive: true, force: true });
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
