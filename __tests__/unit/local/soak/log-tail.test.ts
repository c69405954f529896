import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { tailWorkerLogs, type WorkerLogEntry } from '../../../../local/soak/log-tail';
import type { WorkerRun } from '../../../../local/standins/instance-runner';

describe('tailWorkerLogs', () => {
  let dir: string;
  beforeEach(() => {
    jest.useFakeTimers();
    dir = mkdtempSync(path.join(tmpdir(), 'soak-tail-'));
  });
  afterEach(() => {
    jest.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads only what was appended, across a line and a UTF-8 character cut between looks, from workers as they start', () => {
    const runs: WorkerRun[] = [{ instanceId: 'i-1', lifecycle: 'on-demand', logPath: path.join(dir, 'a.log'), scratchDir: path.join(dir, 'a') }];
    const entries: (WorkerLogEntry & { from: string })[] = [];
    const tail = tailWorkerLogs({ history: () => runs }, (entry, run) => entries.push({ ...entry, from: run.instanceId }), 100);
    try {
      // Not created yet: nothing, no error.
      jest.advanceTimersByTime(100);
      const line = Buffer.from(`${JSON.stringify({ event: 'message_received', item_id: 'café-1' })}\n`);
      const cut = line.indexOf(Buffer.from('é')) + 1; // inside the two bytes of "é"
      writeFileSync(runs[0].logPath, Buffer.concat([Buffer.from('worker: a stderr line\n'), line.subarray(0, cut)]));
      jest.advanceTimersByTime(100);
      expect(entries).toEqual([]);

      appendFileSync(runs[0].logPath, Buffer.concat([line.subarray(cut), Buffer.from(`${JSON.stringify({ event: 'worker_idle' })}\n`)]));
      runs.push({ instanceId: 'i-2', lifecycle: 'spot', logPath: path.join(dir, 'b.log'), scratchDir: path.join(dir, 'b') });
      writeFileSync(runs[1].logPath, `${JSON.stringify({ event: 'processing_started', item_id: 'r2' })}\n{"event": "cut sho`);
      jest.advanceTimersByTime(100);

      expect(entries).toEqual([
        { event: 'message_received', item_id: 'café-1', from: 'i-1' },
        { event: 'worker_idle', from: 'i-1' },
        { event: 'processing_started', item_id: 'r2', from: 'i-2' },
      ]);
      jest.advanceTimersByTime(500);
      expect(entries).toHaveLength(3);
    } finally {
      tail.stop();
    }
  });
});
