import { randomUUID } from 'node:crypto';
import { renderUserData } from '../../runtime/bootstrap/user-data';
import type { OrchestratorClients } from './clients';
import type { OrchestratorConfig } from './config';
import { decide, type DecisionReason } from './decide';
import { readQueueDepth } from '../../runtime/queue-depth';
import { launchInstance, listActiveWorkers } from './effects';
import { classifyLaunchError, type LaunchFailureKind } from './launch-errors';
import { clientToken, runInstancesInput } from './launch-request';
import type { Logger } from './logger';

/** The parts of an EventBridge scheduled event the orchestrator uses. */
export interface ScheduledEvent {
  /** Unique per scheduled delivery; a retried delivery keeps it. */
  readonly id?: string;
  readonly time?: string;
}

/** The part of the Lambda context the orchestrator uses. */
export interface InvocationContext {
  /** Lambda keeps it across the retries of one asynchronous invocation. */
  readonly awsRequestId?: string;
}

export interface LaunchFailure {
  readonly slot: number;
  readonly clientToken: string;
  readonly errorName: string;
  readonly kind: LaunchFailureKind;
  readonly message: string;
}

/** What one tick saw, decided and did; returned and logged as `orchestrator.tick.completed`. */
export interface TickSummary {
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
}

export type OrchestratorHandler = (event: ScheduledEvent, context?: InvocationContext) => Promise<TickSummary>;

export interface HandlerDependencies {
  readonly config: OrchestratorConfig;
  readonly clients: OrchestratorClients;
  readonly logger: Logger;
}

/**
 * One tick: read the queue's counts and the active workers, decide, launch. The user data is rendered
 * once here, so a bad value fails the cold start rather than a launch.
 */
export function createHandler({ config, clients, logger }: HandlerDependencies): OrchestratorHandler {
  const userData = Buffer.from(
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
    }),
    'utf8',
  ).toString('base64');

  return async (event, context) => {
    const tickId = tickIdOf(event, context, logger);
    const log = logger.child({ tickId });
    let summary: TickSummary | undefined;
    try {
      const depth = await readQueueDepth(clients.sqs, config.queueUrl);
      const workerIds = await listActiveWorkers(clients.ec2, config.workerTag);
      const decision = decide(
        { visibleMessages: depth.visible, inFlightMessages: depth.inFlight, workers: workerIds.length },
        config,
      );
      const launchedInstanceIds: string[] = [];
      const failures: LaunchFailure[] = [];
      summary = {
        tickId,
        visibleMessages: depth.visible,
        inFlightMessages: depth.inFlight,
        workers: workerIds.length,
        reason: decision.reason,
        targetWorkers: decision.targetWorkers,
        launchRequested: decision.launch,
        launchedInstanceIds,
        failures,
      };

      for (let i = 0; i < decision.launch; i++) {
        // Slots count from the workers already there, so a retried tick asks again for the same slots.
        const slot = workerIds.length + i;
        const token = clientToken(tickId, slot);
        try {
          const instanceId = await launchInstance(clients.ec2, runInstancesInput(config, userData, token));
          launchedInstanceIds.push(instanceId);
          log.info({ event: 'orchestrator.worker.launched', slot, clientToken: token, instanceId }, 'worker launched');
        } catch (error) {
          const failure = recoverableFailure(error, slot, token);
          if (!failure) throw error;
          failures.push(failure);
          log[failure.kind === 'unauthorized' ? 'error' : 'warn'](
            { event: 'orchestrator.worker.launch_failed', ...failure },
            'worker launch failed; the next tick retries',
          );
          // The remaining slots would meet the same capacity, rate or permission wall.
          break;
        }
      }

      const level = failures.length > 0 || decision.reason === 'in-flight-awaiting-redelivery' ? 'warn' : 'info';
      log[level]({ event: 'orchestrator.tick.completed', ...withoutTickId(summary) }, `tick: ${decision.reason}`);
      return summary;
    } catch (error) {
      log.error({ event: 'orchestrator.tick.failed', err: error, ...(summary && withoutTickId(summary)) }, 'tick failed');
      throw error;
    }
  };
}

/** The child logger already carries the tick ID. */
function withoutTickId({ tickId: _tickId, ...rest }: TickSummary): Omit<TickSummary, 'tickId'> {
  return rest;
}

function recoverableFailure(error: unknown, slot: number, token: string): LaunchFailure | undefined {
  const errorName = error instanceof Error ? error.name : '';
  const kind = classifyLaunchError(errorName);
  if (!kind) return undefined;
  return { slot, clientToken: token, errorName, kind, message: (error as Error).message };
}

/**
 * The scheduled event's ID identifies the tick (EventBridge keeps it when it retries a delivery); a manual
 * invocation without one falls back to the Lambda request ID, which Lambda keeps across its own retries.
 */
function tickIdOf(event: ScheduledEvent, context: InvocationContext | undefined, logger: Logger): string {
  if (typeof event?.id === 'string' && event.id !== '') return event.id;
  if (context?.awsRequestId) return context.awsRequestId;
  const generated = randomUUID();
  logger.warn(
    { event: 'orchestrator.tick.unidentified', tickId: generated },
    'the event has no id and there is no request id: launches of this tick are not idempotent',
  );
  return generated;
}
