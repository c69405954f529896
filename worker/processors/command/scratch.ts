import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readdir, rm, statfs } from 'node:fs/promises';
import * as path from 'node:path';
import { jobLayout, type JobLayout } from './layout';

/** What a filesystem has free, as fs.statfs reports it. */
export interface FreeSpace {
  /** Bytes an unprivileged user may still write (bavail × bsize). */
  readonly freeBytes: number;
}

export type FreeSpaceProbe = (directory: string) => Promise<FreeSpace>;

/** fs.statfs: the space available to the worker's own user (not the blocks reserved for root). */
export const statfsProbe: FreeSpaceProbe = async (directory) => {
  const stats = await statfs(directory);
  return { freeBytes: stats.bavail * stats.bsize };
};

export type ScratchFit =
  | { readonly kind: 'fits' }
  /** It would fit once this worker's other jobs are done: try again later. */
  | { readonly kind: 'busy'; readonly availableBytes: number }
  /** It does not fit even with this worker's other jobs gone: it never will on this worker. */
  | { readonly kind: 'too-large'; readonly capacityBytes: number };

/**
 * Pure: whether an input of `bytes` fits in the scratch space. `freeBytes` is what the filesystem has free now;
 * `reserveBytes` stays free for the system and the log; `pendingByOthers` are the other jobs' inputs still being
 * downloaded (claimed, not yet on disk); `heldByOthers` every byte the other jobs claimed, which their end frees.
 */
export function decideFit(input: {
  readonly bytes: number;
  readonly freeBytes: number;
  readonly reserveBytes: number;
  readonly pendingByOthers: number;
  readonly heldByOthers: number;
}): ScratchFit {
  const availableBytes = Math.max(0, input.freeBytes - input.reserveBytes - input.pendingByOthers);
  if (input.bytes <= availableBytes) return { kind: 'fits' };
  const capacityBytes = Math.max(0, input.freeBytes - input.reserveBytes + input.heldByOthers - input.pendingByOthers);
  return input.bytes <= capacityBytes ? { kind: 'busy', availableBytes } : { kind: 'too-large', capacityBytes };
}

/** One job's place in the scratch space. */
export interface ScratchJob extends JobLayout {
  readonly id: string;
}

export interface ScratchOptions {
  /** The directory jobs are made in (WORKER_SCRATCH_DIR); created when missing. */
  readonly root: string;
  /** Bytes of the filesystem left free for the system and the log (WORKER_SCRATCH_RESERVE_BYTES). */
  readonly reserveBytes: number;
  /** @default statfsProbe */
  readonly probe?: FreeSpaceProbe;
}

/**
 * The worker's scratch space: a directory per job, made empty and removed whole, and the accounting that keeps
 * concurrent jobs from counting the same free bytes twice.
 */
export class ScratchSpace {
  /** Claimed bytes by job: `pending` until the input is on disk. */
  private readonly claims = new Map<string, { bytes: number; pending: boolean }>();

  constructor(private readonly options: ScratchOptions) {}

  get root(): string {
    return this.options.root;
  }

  /** A fresh job directory with empty `input/`, `output/`, `home/` and `tmp/`, readable by the worker's user only. */
  async createJob(rest: string): Promise<ScratchJob> {
    await mkdir(this.options.root, { recursive: true, mode: 0o700 });
    const id = `job-${randomUUID()}`;
    const layout = jobLayout(path.join(this.options.root, id), rest);
    await mkdir(layout.jobDir, { mode: 0o700 });
    for (const directory of [layout.inputDir, layout.outputDir, layout.homeDir, layout.tmpDir]) await mkdir(directory, { mode: 0o700 });
    return { id, ...layout };
  }

  /** Claims room for an input of `bytes`; the claim stays until {@link release}. */
  async claim(job: ScratchJob, bytes: number): Promise<ScratchFit> {
    const { freeBytes } = await (this.options.probe ?? statfsProbe)(this.options.root);
    let pendingByOthers = 0;
    let heldByOthers = 0;
    for (const [id, claim] of this.claims) {
      if (id === job.id) continue;
      heldByOthers += claim.bytes;
      if (claim.pending) pendingByOthers += claim.bytes;
    }
    const fit = decideFit({ bytes, freeBytes, reserveBytes: this.options.reserveBytes, pendingByOthers, heldByOthers });
    if (fit.kind === 'fits') this.claims.set(job.id, { bytes, pending: true });
    return fit;
  }

  /** The job's input is on disk: the filesystem's free space now accounts for it. */
  landed(job: ScratchJob): void {
    const claim = this.claims.get(job.id);
    if (claim) claim.pending = false;
  }

  /**
   * Releases the job's claim and removes its directory. A command may have left directories it cannot be
   * listed or entered in (mode 000): they are opened up to its own user and the removal is tried again.
   * Rejects when the directory cannot be removed.
   */
  async remove(job: ScratchJob): Promise<void> {
    this.claims.delete(job.id);
    try {
      await rm(job.jobDir, { recursive: true, force: true });
    } catch {
      await openUp(job.jobDir);
      await rm(job.jobDir, { recursive: true, force: true });
    }
  }
}

/** chmod u+rwx on every directory under `directory` (no symlink is followed: readdir's types come from lstat). */
async function openUp(directory: string): Promise<void> {
  await chmod(directory, 0o700).catch(() => undefined);
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) await openUp(path.join(directory, entry.name));
}
