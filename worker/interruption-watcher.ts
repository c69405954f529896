import { WorkerLogEvent } from '../contracts';
import { describeError } from './describe-error';
import type { InstanceMetadata } from './instance-metadata';
import { INTERRUPTION_POLL_MS, parseInstanceAction, type InterruptionNotice } from './interruption';
import type { WorkerLogger } from './logger';

export interface InterruptionWatch {
  /** Stops polling; a poll in flight is abandoned. */
  stop(): void;
}

export interface InterruptionWatchOptions {
  readonly metadata: InstanceMetadata;
  readonly logger: WorkerLogger;
  /** A rebalance recommendation: called once. */
  readonly onRebalance: () => void;
  /** The interruption notice: called once. */
  readonly onInterruption: (notice: InterruptionNotice) => void;
  /** @default INTERRUPTION_POLL_MS (5 s, AWS's advice) */
  readonly intervalMs?: number;
}

/**
 * Polls the instance metadata for the rebalance recommendation and the interruption notice
 * (worker/interruption.ts), every five seconds, until stopped. A failed read is logged once per streak of failures
 * and the poll goes on.
 */
export function watchInterruptions(options: InterruptionWatchOptions): InterruptionWatch {
  const { metadata, logger, intervalMs = INTERRUPTION_POLL_MS } = options;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let rebalanced = false;
  let interrupted = false;
  let failing = false;

  const poll = async (): Promise<void> => {
    try {
      if (!interrupted) {
        const action = await metadata.read('spot/instance-action', controller.signal);
        const notice = action === undefined ? undefined : parseInstanceAction(action);
        if (notice) {
          interrupted = true;
          options.onInterruption(notice);
        }
      }
      if (!rebalanced && !interrupted) {
        const recommendation = await metadata.read('events/recommendations/rebalance', controller.signal);
        if (recommendation !== undefined) {
          rebalanced = true;
          options.onRebalance();
        }
      }
      failing = false;
    } catch (error) {
      if (controller.signal.aborted) return;
      if (!failing) logger.warn({ event: WorkerLogEvent.instanceMetadataFailed, error: describeError(error) });
      failing = true;
    }
  };
  const schedule = (): void => {
    if (controller.signal.aborted || interrupted) return;
    timer = setTimeout(() => void poll().finally(schedule), intervalMs);
  };
  void poll().finally(schedule);

  return {
    stop() {
      controller.abort();
      clearTimeout(timer);
    },
  };
}
