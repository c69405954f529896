import type { CreateFleetCommandInput } from '@aws-sdk/client-ec2';
import { LaunchFailureKind, type CapacityType } from '../../contracts';
import type { OrchestratorConfig } from './config';
import type { FleetError, FleetInstance, FleetResult } from './effects';
import type { LaunchImage } from './image';
import type { LaunchBudget } from './launch-budget';
import { classifyErrorCode, classifyLaunchError, precedence, type LaunchErrorAction } from './launch-errors';
import { createFleetInput, withClientToken } from './launch-request';
import { clientToken, firstUnusedGeneration } from './launch-token';
import { isActive } from './slots';

/** Far more launches in one slot than one window can hold: the search stops here rather than loop. */
const MAX_GENERATION = 100;
/**
 * Times one slot moves to the next generation in a tick, on tokens EC2 reports as used up: workers that
 * DescribeInstances no longer lists as active. A slot rarely has more than two workers in one window.
 */
const MAX_GENERATION_STEPS = 5;

/** What one tick shares between the launches of its slots. */
export interface SlotLaunchContext {
  readonly config: OrchestratorConfig;
  readonly userDataBase64: string;
  readonly image: LaunchImage;
  /** The capacity types each slot tries, in order (purchase.ts). */
  readonly capacityTypes: readonly CapacityType[];
  readonly windowStartMs: number;
  /** Client tokens of every worker DescribeInstances listed, in any state. */
  readonly usedTokens: ReadonlySet<string>;
  /** The state of every worker DescribeInstances listed, by instance ID. */
  readonly listedStates: ReadonlyMap<string, string>;
  readonly budget: LaunchBudget;
  readonly launch: (input: CreateFleetCommandInput, abortSignal: AbortSignal) => Promise<FleetResult>;
}

/** One CreateFleet call that did not launch, or launched with some pools failing. */
export interface LaunchAttempt {
  readonly capacityType: CapacityType;
  readonly generation: number;
  readonly clientToken: string;
  /** The call's own error, or each pool's (`<code> <type> <subnet>`). */
  readonly errors: readonly string[];
}

/** A refusal the slot got past: Spot refused for permissions, then on-demand launched. It still needs a person. */
export interface SlotRefusal {
  readonly capacityType: CapacityType;
  readonly kind: LaunchFailureKind;
  readonly errorName: string;
  readonly message: string;
}

export type SlotOutcome =
  | {
      readonly outcome: 'launched';
      readonly slot: number;
      readonly instanceId: string;
      readonly instanceType?: string;
      readonly subnetId?: string;
      readonly capacityType: CapacityType;
      readonly generation: number;
      readonly clientToken: string;
      readonly attempts: readonly LaunchAttempt[];
      readonly refusals: readonly SlotRefusal[];
    }
  | {
      readonly outcome: 'failed';
      readonly slot: number;
      readonly kind: LaunchFailureKind;
      readonly errorName: string;
      readonly message: string;
      readonly attempts: readonly LaunchAttempt[];
      readonly refusals: readonly SlotRefusal[];
    }
  | {
      /** The tick's budget ran out before or during this slot: the next tick launches it. */
      readonly outcome: 'deferred';
      readonly slot: number;
      readonly reason: 'deadline' | 'call-cap';
      readonly attempts: readonly LaunchAttempt[];
    };

/** One call's answer, decided. */
type CallOutcome =
  | { readonly outcome: 'instance'; readonly instance: FleetInstance; readonly errors: readonly FleetError[] }
  | { readonly outcome: 'error'; readonly action: LaunchErrorAction; readonly errorName: string; readonly message: string; readonly errors: readonly string[] }
  | { readonly outcome: 'deadline' };

type Round = SlotOutcome | { readonly outcome: 'next-generation' };

/**
 * Launches one worker into `slot`: one instant CreateFleet call per capacity type (Spot, then on-demand when the
 * purchase option falls back), each offering every instance type in every subnet, with the token of the slot's
 * first unused generation. A token whose instance is already gone (its worker listed as no longer pending or
 * running, or IdempotentInstanceTerminated) moves the whole slot to the next generation, as a run that saw that
 * instance would have. Errors the classification does not know are rethrown.
 */
export async function launchSlot(slot: number, context: SlotLaunchContext): Promise<SlotOutcome> {
  const { config, image, windowStartMs, capacityTypes } = context;
  const requests = capacityTypes.map((capacityType) => createFleetInput(config, context.userDataBase64, { slot, capacityType, image }));
  const tokensAt = (generation: number) => requests.map((request) => clientToken(request, { slot, windowStartMs, generation }));
  const attempts: LaunchAttempt[] = [];
  const refusals: SlotRefusal[] = [];

  let generation = firstUnusedGeneration(tokensAt, context.usedTokens, { limit: MAX_GENERATION });
  for (let step = 0; ; step++) {
    const round = await tryCapacityTypes(slot, generation, requests, tokensAt(generation), attempts, refusals, context);
    if (round.outcome !== 'next-generation') return round;
    if (step === MAX_GENERATION_STEPS) {
      throw new Error(`slot ${slot}: ${MAX_GENERATION_STEPS + 1} client token generations in a row were used up (${JSON.stringify(attempts)})`);
    }
    generation = firstUnusedGeneration(tokensAt, context.usedTokens, { from: generation + 1, limit: MAX_GENERATION });
  }
}

async function tryCapacityTypes(
  slot: number,
  generation: number,
  requests: readonly CreateFleetCommandInput[],
  tokens: readonly string[],
  attempts: LaunchAttempt[],
  refusals: SlotRefusal[],
  context: SlotLaunchContext,
): Promise<Round> {
  let last: { errorName: string; message: string } | undefined;
  for (const [index, capacityType] of context.capacityTypes.entries()) {
    const token = tokens[index];
    const budget = context.budget.next();
    if (!budget.allowed) return { outcome: 'deferred', slot, reason: budget.reason, attempts };
    const call = await callFleet(context, withClientToken(requests[index], token), budget.signal);
    if (call.outcome === 'deadline') return { outcome: 'deferred', slot, reason: 'deadline', attempts };
    const attempt = { capacityType, generation, clientToken: token };
    if (call.outcome === 'instance') {
      const state = context.listedStates.get(call.instance.instanceId);
      if (state !== undefined && !isActive({ state })) {
        // An earlier request with this token launched an instance that is already going away.
        attempts.push({ ...attempt, errors: [`ReturnedInstance${state} ${call.instance.instanceId}`] });
        return { outcome: 'next-generation' };
      }
      if (call.errors.length > 0) attempts.push({ ...attempt, errors: call.errors.map(describeFleetError) });
      return {
        outcome: 'launched',
        slot,
        instanceId: call.instance.instanceId,
        instanceType: call.instance.instanceType,
        subnetId: call.instance.subnetId,
        capacityType,
        generation,
        clientToken: token,
        attempts,
        refusals,
      };
    }
    attempts.push({ ...attempt, errors: call.errors });
    last = { errorName: call.errorName, message: call.message };
    const hasFallback = index < context.capacityTypes.length - 1;
    switch (call.action.action) {
      case 'next-generation':
        return { outcome: 'next-generation' };
      case 'no-capacity':
        continue;
      case 'stop':
        // Spot refused for permissions (no AWSServiceRoleForEC2Spot, an SCP on Spot) does not refuse on-demand:
        // the fallback still launches, and the refusal is reported all the same.
        if (call.action.kind === LaunchFailureKind.unauthorized && hasFallback) {
          refusals.push({ capacityType, kind: call.action.kind, errorName: call.errorName, message: call.message });
          continue;
        }
        return { outcome: 'failed', slot, kind: call.action.kind, errorName: call.errorName, message: call.message, attempts, refusals };
    }
  }
  return {
    outcome: 'failed',
    slot,
    kind: LaunchFailureKind.capacity,
    errorName: last?.errorName ?? 'NoInstanceLaunched',
    message: last?.message ?? 'no capacity type launched an instance',
    attempts,
    refusals,
  };
}

/** One call, its answer decided: an instance, an error with its action, or the tick's deadline. */
async function callFleet(context: SlotLaunchContext, input: CreateFleetCommandInput, signal: AbortSignal): Promise<CallOutcome> {
  let result: FleetResult;
  try {
    result = await context.launch(input, signal);
  } catch (error) {
    if (signal.aborted) return { outcome: 'deadline' };
    const action = classifyLaunchError(error);
    if (!action) throw error;
    const { name, message } = error as Error;
    return { outcome: 'error', action, errorName: name, message, errors: [name] };
  }
  // One instance is the whole target: take it, whatever the other pools said (osbuild/osbuild-composer#4507 saw
  // InsufficientInstanceCapacity listed beside an instance that was launched).
  const [instance] = result.instances;
  if (instance) return { outcome: 'instance', instance, errors: result.errors };
  if (result.errors.length === 0) {
    // Nothing launched and nothing said why, as aws/aws-parallelcluster-node#533 met: count it as no capacity.
    return { outcome: 'error', action: { action: 'no-capacity' }, errorName: 'NoInstanceLaunched', message: `CreateFleet ${result.fleetId ?? ''} launched nothing and listed no error`, errors: [] };
  }
  const classified = result.errors.map((error) => ({ error, action: classifyErrorCode(error.code, error.message) }));
  const unknown = classified.find(({ action }) => action === undefined);
  if (unknown) throw new FleetLaunchError(unknown.error, input.ClientToken);
  const [decisive] = [...classified].sort((a, b) => precedence(a.action!) - precedence(b.action!));
  return {
    outcome: 'error',
    action: decisive.action!,
    errorName: decisive.error.code,
    message: decisive.error.message,
    errors: result.errors.map(describeFleetError),
  };
}

/** A pool's error CreateFleet listed with a code this code does not know: the tick fails loudly, as for a thrown one. */
export class FleetLaunchError extends Error {
  constructor(error: FleetError, clientToken: string | undefined) {
    super(`CreateFleet (client token ${clientToken ?? 'none'}) listed ${error.code}: ${error.message}`);
    this.name = error.code;
  }
}

function describeFleetError(error: FleetError): string {
  return [error.code, error.instanceType, error.subnetId].filter((part) => part !== undefined).join(' ');
}
