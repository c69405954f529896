import { randomUUID } from 'node:crypto';
import type { CreateFleetCommandInput } from '@aws-sdk/client-ec2';
import {
  BOOT_FAILURES_PREFIX,
  INTERRUPTIONS_PREFIX,
  LaunchDeferralKind,
  LaunchFailureKind,
  ON_DEMAND_AFTER_INTERRUPTION_MS,
  OrchestratorLogEvent,
  type CapacityType,
} from '../../contracts';
import { renderUserData } from '../../runtime/bootstrap/user-data';
import { readQueueDepth } from '../../runtime/queue-depth';
import { decideBootBackoff } from './boot-backoff';
import type { OrchestratorClients } from './clients';
import type { OrchestratorConfig } from './config';
import { decide, type DecisionReason } from './decide';
import { launchFleet, listMarkers, listWorkers } from './effects';
import { createImageResolver } from './image-resolver';
import { LaunchBudget } from './launch-budget';
import { classifyLaunchError } from './launch-errors';
import { launchSlot, type LaunchAttempt } from './launch-slot';
import { launchWindowStart } from './launch-token';
import type { Logger } from './logger';
import type { LaunchMetrics } from './metrics';
import { capacityTypesFor, readsInterruptions } from './purchase';
import { freeSlots, isActive, type WorkerInstance } from './slots';
import { describeTrigger, shouldRecheckQueue, WAKE_RECHECK_MS, type OrchestratorEvent, type Trigger } from './trigger';

export type { OrchestratorEvent, QueueBatchEvent, ScheduledEvent } from './trigger';

/** The part of the Lambda context the orchestrator uses. */
export interface InvocationContext {
  readonly awsRequestId?: string;
  /** Lambda's: what is left of the invocation's timeout. Without it a tick assumes the function's 60 s. */
  getRemainingTimeInMillis?(): number;
}

/** A launch the tick wanted and could not make; each is also a LaunchFailures datum. */
export interface LaunchFailure {
  readonly kind: LaunchFailureKind;
  readonly errorName: string;
  readonly message: string;
  /** The worker slot; absent when the tick failed before trying one (the image check, the marker listing). */
  readonly slot?: number;
  /** The capacity type refused, when the slot went on with another (Spot refused, on-demand launched). */
  readonly capacityType?: CapacityType;
  /** Each CreateFleet call of the slot that did not launch, in order. */
  readonly attempts: readonly LaunchAttempt[];
}

/** Launches the tick's budget left for the next tick. */
export interface LaunchesLeft {
  /** Slots not launched. */
  readonly launches: number;
  /** `call-cap`: the tick made its most CreateFleet calls; `deadline`: too little time was left for another. */
  readonly reason: 'deadline' | 'call-cap';
  /** CreateFleet calls the tick made. */
  readonly calls: number;
}

/** Launches held back on purpose; also a LaunchesDeferred datum. */
export interface LaunchDeferral {
  readonly kind: LaunchDeferralKind;
  readonly launches: number;
  readonly recentFailures: number;
  readonly latestFailureAt: string;
  readonly retryAt: string;
}

/** What one tick saw, decided and did; returned and logged as `tick_completed`. */
export type TickSummary = TickOutcome & Trigger;

interface TickOutcome {
  readonly tickId: string;
  readonly visibleMessages: number;
  readonly inFlightMessages: number;
  /** Workers pending or running before this tick launched any. */
  readonly workers: number;
  readonly reason: DecisionReason;
  readonly targetWorkers: number;
  readonly launchRequested: number;
  readonly launchedInstanceIds: readonly string[];
  readonly failures: readonly LaunchFailure[];
  /** Present only when the tick held its launches back. */
  readonly deferred?: LaunchDeferral;
  /** The capacity types each slot tried, in order; present only when the tick launched. */
  readonly capacityTypes?: readonly CapacityType[];
  /** Present only when the tick's budget ran out with slots still to launch. */
  readonly launchesLeft?: LaunchesLeft;
}

/**
 * One run, whatever invoked it: the schedule or a batch from the wake queue (docs/orchestrator.md). It returns
 * normally when the tick is done, so an event source mapping deletes the batch; it throws when the tick
 * failed, so the batch is received again after the wake queue's visibility timeout.
 */
export type OrchestratorHandler = (event: OrchestratorEvent, context?: InvocationContext) => Promise<TickSummary>;

export interface HandlerDependencies {
  readonly config: OrchestratorConfig;
  readonly clients: OrchestratorClients;
  readonly logger: Logger;
  readonly metrics: LaunchMetrics;
  /** @default Date.now — the clock that picks the client tokens' window and dates the backoff */
  readonly now?: () => number;
  /** @default a timer — waits before a wake run looks at an empty queue again */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * One tick: read the queue's counts and the workers, decide; when the decision wants workers, check the
 * recent boot failures and the image, then launch into the lowest free slots. Overlapping ticks that see
 * the same state send the same client tokens (docs/orchestrator.md). The user data is rendered once here,
 * so a bad value fails the cold start rather than a launch.
 */
/** The account in a queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`): the deployment's own. */
export function accountOfQueueUrl(queueUrl: string): string | undefined {
  return /^https?:\/\/[^/]+\/(\d{12})\/[^/]+$/.exec(queueUrl)?.[1];
}

export function createHandler({ config, clients, logger, metrics, now = Date.now, sleep = wait }: HandlerDependencies): OrchestratorHandler {
  const userDataBase64 = Buffer.from(
    renderUserData({
      region: config.region,
      queueUrl: config.queueUrl,
      tableName: config.tableName,
      bucketName: config.bucketName,
      workerCodeKey: config.workerCodeKey,
      autoterminateMinutes: config.autoterminateMinutes,
      concurrency: config.workerConcurrency,
      visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
      maxReceiveCount: config.maxReceiveCount,
      processorCatalogKey: config.processorCatalogKey,
      interruptionRetries: config.interruptionRetries,
      setup: config.workerSetup,
    }),
    'utf8',
  ).toString('base64');
  // One per container: the image check is cached for the container's life.
  const images = createImageResolver(clients, config.region, accountOfQueueUrl(config.queueUrl));

  return async (event, context) => {
    const tickId = tickIdOf(event, context);
    const trigger = describeTrigger(event);
    const log = logger.child({ tickId });
    const nowMs = now();
    const deadlineMs = nowMs + (context?.getRemainingTimeInMillis?.() ?? config.launchBudget.defaultTickMs);
    let summary: Mutable<TickSummary> | undefined;
    try {
      let depth = await readQueueDepth(clients.sqs, config.queueUrl);
      if (shouldRecheckQueue(trigger, depth)) {
        log.info({ event: OrchestratorLogEvent.queueRecheck, waitMs: WAKE_RECHECK_MS }, 'woken with an empty queue: looking again');
        await sleep(WAKE_RECHECK_MS);
        depth = await readQueueDepth(clients.sqs, config.queueUrl);
      }
      const listed = await listWorkers(clients.ec2, config.workerTag);
      const workers = listed.filter(isActive).length;
      const wakeMessages = trigger.trigger === 'wake' ? trigger.wakeMessages : 0;
      const decision = decide({ visibleMessages: depth.visible, inFlightMessages: depth.inFlight, workers, wakeMessages }, config);
      summary = {
        tickId,
        ...trigger,
        visibleMessages: depth.visible,
        inFlightMessages: depth.inFlight,
        workers,
        reason: decision.reason,
        targetWorkers: decision.targetWorkers,
        launchRequested: decision.launch,
        launchedInstanceIds: [],
        failures: [],
      };
      if (decision.launch > 0) await launchWorkers(decision.launch, listed, nowMs, deadlineMs, summary, log);

      const level =
        summary.failures.length > 0 || summary.deferred || summary.launchesLeft || decision.reason === 'in-flight-awaiting-redelivery' ? 'warn' : 'info';
      log[level]({ event: OrchestratorLogEvent.tickCompleted, ...withoutTickId(summary) }, `tick: ${decision.reason}`);
      return summary;
    } catch (error) {
      log.error({ event: OrchestratorLogEvent.tickFailed, err: error, ...(summary && withoutTickId(summary)) }, 'tick failed');
      throw error;
    }
  };

  async function launchWorkers(
    count: number,
    listed: readonly WorkerInstance[],
    nowMs: number,
    deadlineMs: number,
    summary: Mutable<TickSummary>,
    log: Logger,
  ) {
    const fail = (failure: LaunchFailure) => {
      summary.failures = [...summary.failures, failure];
      metrics.launchFailed(failure.kind);
      const needsPerson = failure.kind === LaunchFailureKind.unauthorized || failure.kind === LaunchFailureKind.unsupportedImage;
      log[needsPerson ? 'error' : 'warn']({ event: OrchestratorLogEvent.workerLaunchFailed, ...failure }, launchFailedMessage(failure.kind));
    };
    // Errors from the marker listing and the image lookups are classified like RunInstances': a missing
    // grant is `unauthorized`, anything not understood is rethrown.
    const orFail = async <T>(step: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await step();
      } catch (error) {
        const classified = classifyLaunchError(error);
        if (classified?.action !== 'stop') throw error;
        fail({ kind: classified.kind, errorName: (error as Error).name, message: (error as Error).message, attempts: [] });
        return undefined;
      }
    };

    const bootMarkers = await orFail(() => listMarkers(clients.s3, config.bucketName, BOOT_FAILURES_PREFIX, nowMs - config.bootBackoff.lookbackMs));
    if (!bootMarkers) return;
    const bootFailures = bootMarkers.map((marker) => ({ failedAtMs: marker.atMs, instanceId: marker.instanceId }));
    const backoff = decideBootBackoff(bootFailures, nowMs, config.bootBackoff);
    if (backoff.action === 'back-off') {
      summary.deferred = {
        kind: LaunchDeferralKind.bootFailures,
        launches: count,
        recentFailures: backoff.recentFailures,
        latestFailureAt: new Date(backoff.latestFailureAtMs).toISOString(),
        retryAt: new Date(backoff.retryAtMs).toISOString(),
      };
      metrics.launchesDeferred(LaunchDeferralKind.bootFailures, count);
      log.warn({ event: OrchestratorLogEvent.launchDeferred, ...summary.deferred }, 'recent worker boots failed: launches wait');
      return;
    }

    const verdict = await orFail(() => images.resolve(config.imageId));
    if (!verdict) return;
    if (verdict.verdict === 'refused') {
      fail({
        kind: LaunchFailureKind.unsupportedImage,
        errorName: 'UnsupportedImage',
        message: `EC2_AMI_ID ${config.imageId}${verdict.imageId === config.imageId ? '' : ` (${verdict.imageId})`}: ${verdict.problems.join('; ')}`,
        attempts: [],
      });
      return;
    }

    // After a Spot interruption, the deployment may want on-demand for a while (purchase.ts).
    let recentInterruptions = 0;
    if (readsInterruptions(config.purchaseOption, config.onDemandAfterInterruption)) {
      const interruptions = await orFail(() => listMarkers(clients.s3, config.bucketName, INTERRUPTIONS_PREFIX, nowMs - ON_DEMAND_AFTER_INTERRUPTION_MS));
      if (!interruptions) return;
      recentInterruptions = interruptions.length;
    }
    const capacityTypes = capacityTypesFor(config.purchaseOption, { onDemandAfterInterruption: config.onDemandAfterInterruption, recentInterruptions });
    summary.capacityTypes = capacityTypes;

    const budget = new LaunchBudget(config.launchBudget, deadlineMs, now);
    const context = {
      config,
      userDataBase64,
      image: verdict.image,
      capacityTypes,
      windowStartMs: launchWindowStart(nowMs),
      usedTokens: new Set(listed.flatMap((worker) => (worker.clientToken ? [worker.clientToken] : []))),
      listedStates: new Map(listed.map((worker) => [worker.instanceId, worker.state])),
      budget,
      launch: (input: CreateFleetCommandInput, abortSignal: AbortSignal) => launchFleet(clients.ec2, input, abortSignal),
    };
    const slots = freeSlots(listed, config.maxWorkers, count);
    for (const [index, slot] of slots.entries()) {
      const outcome = await launchSlot(slot, context);
      if (outcome.outcome === 'deferred') {
        summary.launchesLeft = { launches: slots.length - index, reason: outcome.reason, calls: budget.used() };
        log.warn(
          { event: OrchestratorLogEvent.launchesLeft, ...summary.launchesLeft, attempts: outcome.attempts },
          outcome.reason === 'deadline' ? 'the tick is near its timeout: the next tick launches the rest' : 'the tick made its most launch calls: the next tick launches the rest',
        );
        break;
      }
      for (const refusal of outcome.refusals) fail({ ...refusal, slot, attempts: [] });
      if (outcome.outcome === 'failed') {
        fail(withoutRefusals(outcome));
        // The remaining slots would meet the same capacity, rate or permission wall.
        break;
      }
      summary.launchedInstanceIds = [...summary.launchedInstanceIds, outcome.instanceId];
      log.info({ event: OrchestratorLogEvent.workerLaunched, imageId: verdict.image.imageId, ...withoutRefusals(outcome) }, 'worker launched');
    }
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function launchFailedMessage(kind: LaunchFailureKind): string {
  switch (kind) {
    case LaunchFailureKind.unauthorized:
      return 'the orchestrator may not launch workers: fix its role or the SCPs';
    case LaunchFailureKind.unsupportedImage:
      return 'the worker image is not an x86_64 Ubuntu 24.04+ image from Canonical or AWS Deep Learning Base: nothing is launched';
    case LaunchFailureKind.instanceProfileNotReady:
      return 'EC2 does not see the worker instance profile yet: the next tick retries';
    default:
      return 'worker launch failed; the next tick retries';
  }
}

/** The slot's outcome as logged: its refusals are reported on their own lines (`worker_launch_failed`). */
function withoutRefusals<T extends { outcome: string; refusals: unknown }>({ outcome: _outcome, refusals: _refusals, ...rest }: T): Omit<T, 'outcome' | 'refusals'> {
  return rest;
}

/** The child logger already carries the tick ID. */
function withoutTickId({ tickId: _tickId, ...rest }: TickSummary): Omit<TickSummary, 'tickId'> {
  return rest;
}

/**
 * A name for the tick in the logs: the scheduled event's ID, else the Lambda request ID, else a fresh one.
 * It no longer keys the client tokens: overlapping runs from any trigger must share those.
 */
function tickIdOf(event: OrchestratorEvent, context: InvocationContext | undefined): string {
  if ('id' in event && typeof event.id === 'string' && event.id !== '') return event.id;
  return context?.awsRequestId || randomUUID();
}
