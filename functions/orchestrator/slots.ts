import type { InstanceStateName } from '@aws-sdk/client-ec2';

/** A worker instance as DescribeInstances lists it, in any state. */
export interface WorkerInstance {
  readonly instanceId: string;
  readonly state: InstanceStateName | string;
  /** The slot tag's value; undefined when the tag is missing or not a slot number. */
  readonly slot: number | undefined;
  /** The client token it was launched with; undefined when there was none. */
  readonly clientToken: string | undefined;
}

/** Workers that count toward MAX_WORKERS: pending or running. */
export function isActive(worker: Pick<WorkerInstance, 'state'>): boolean {
  return worker.state === 'pending' || worker.state === 'running';
}

/** The slot tag's value as a slot number, or undefined. */
export function parseSlot(value: string | undefined): number | undefined {
  return value !== undefined && /^(0|[1-9]\d{0,2})$/.test(value) ? Number(value) : undefined;
}

/**
 * The `count` lowest slots from 0 to maxWorkers − 1 that no active worker holds. Runs that see the same
 * workers pick the same slots, and a run that wants fewer picks a prefix of what one wanting more picks, so
 * overlapping runs send the same client tokens. Workers without a slot tag count toward MAX_WORKERS in the
 * decision but hold no slot.
 */
export function freeSlots(workers: readonly WorkerInstance[], maxWorkers: number, count: number): number[] {
  const held = new Set(workers.filter(isActive).map((worker) => worker.slot));
  const free: number[] = [];
  for (let slot = 0; slot < maxWorkers && free.length < count; slot++) if (!held.has(slot)) free.push(slot);
  return free;
}
