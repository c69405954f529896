import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { decideFit, ScratchSpace } from '../../../../../worker/processors/command/scratch';

describe('decideFit', () => {
  it.each([
    { case: 'room to spare', input: { bytes: 100, freeBytes: 1000, reserveBytes: 100, pendingByOthers: 0, heldByOthers: 0 }, fit: { kind: 'fits' } },
    { case: 'exactly what is left', input: { bytes: 900, freeBytes: 1000, reserveBytes: 100, pendingByOthers: 0, heldByOthers: 0 }, fit: { kind: 'fits' } },
    {
      case: 'room taken by the reserve',
      input: { bytes: 950, freeBytes: 1000, reserveBytes: 100, pendingByOthers: 0, heldByOthers: 0 },
      fit: { kind: 'too-large', capacityBytes: 900 },
    },
    {
      case: 'room other jobs are still downloading into',
      input: { bytes: 500, freeBytes: 1000, reserveBytes: 100, pendingByOthers: 600, heldByOthers: 600 },
      fit: { kind: 'busy', availableBytes: 300 },
    },
    {
      case: 'room other jobs hold on disk',
      input: { bytes: 500, freeBytes: 400, reserveBytes: 100, pendingByOthers: 0, heldByOthers: 700 },
      fit: { kind: 'busy', availableBytes: 300 },
    },
    {
      case: 'more than the disk could give with every other job gone',
      input: { bytes: 5000, freeBytes: 400, reserveBytes: 100, pendingByOthers: 0, heldByOthers: 700 },
      fit: { kind: 'too-large', capacityBytes: 1000 },
    },
    { case: 'a reserve larger than the disk', input: { bytes: 1, freeBytes: 400, reserveBytes: 10_000, pendingByOthers: 0, heldByOthers: 0 }, fit: { kind: 'too-large', capacityBytes: 0 } },
  ])('decides $case', ({ input, fit }) => {
    expect(decideFit(input)).toEqual(fit);
  });
});

describe('ScratchSpace', () => {
  let root: string;
  beforeEach(() => {
    root = path.join(mkdtempSync(path.join(tmpdir(), 'scratch-test-')), 'scratch');
  });
  afterEach(() => rmSync(path.dirname(root), { recursive: true, force: true }));

  it('makes a private, empty directory per job and removes it whole, even one a command locked', async () => {
    const scratch = new ScratchSpace({ root, reserveBytes: 0, probe: async () => ({ freeBytes: 1e9 }) });
    const job = await scratch.createJob('a/b.txt');

    expect(statSync(job.jobDir).mode & 0o777).toBe(0o700);
    expect(job.inputFile).toBe(path.join(job.jobDir, 'input', 'b.txt'));
    for (const directory of [job.inputDir, job.outputDir, job.homeDir, job.tmpDir]) expect(existsSync(directory)).toBe(true);
    mkdirSync(path.join(job.outputDir, 'locked'));
    writeFileSync(path.join(job.outputDir, 'locked', 'f'), 'x');
    chmodSync(path.join(job.outputDir, 'locked'), 0o000);

    await scratch.remove(job);

    expect(existsSync(job.jobDir)).toBe(false);
  });

  it("counts other jobs' claims: a second input is busy while the first downloads, and fits once that one is done", async () => {
    let free = 1000;
    const scratch = new ScratchSpace({ root, reserveBytes: 100, probe: async () => ({ freeBytes: free }) });
    const first = await scratch.createJob('a');
    const second = await scratch.createJob('b');

    expect(await scratch.claim(first, 600)).toEqual({ kind: 'fits' });
    expect(await scratch.claim(second, 600)).toEqual({ kind: 'busy', availableBytes: 300 });
    free = 400;
    scratch.landed(first);
    expect(await scratch.claim(second, 600)).toEqual({ kind: 'busy', availableBytes: 300 });
    free = 1000;
    await scratch.remove(first);
    expect(await scratch.claim(second, 600)).toEqual({ kind: 'fits' });
    await scratch.remove(second);
  });
});
