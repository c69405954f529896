import type { RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { LaunchFailureKind } from '../../contracts';
import type { OrchestratorConfig } from './config';
import type { LaunchedInstance } from './effects';
import type { LaunchImage } from './image';
import { classifyLaunchError } from './launch-errors';
import { launchCandidates, runInstancesInput, type LaunchCandidate } from './launch-request';
import { clientToken, firstUnusedGeneration } from './launch-token';
import { isActive } from './slots';

/** Far more launches in one slot than one window can hold: the search stops here rather than loop. */
const MAX_GENERATION = 100;
/**
 * Times one slot moves to the next generation in a tick, on tokens EC2 reports as used up: terminated
 * workers that DescribeInstances no longer lists. A slot rarely has more than two workers in one window.
 */
const MAX_GENERATION_STEPS = 5;

/** Subnets and subnet/type pairs this tick found unable to launch; every slot of the tick skips them. */
export class UnavailableCandidates {
  private readonly pairs = new Set<string>();
  private readonly subnets = new Set<string>();

  markPair(candidate: LaunchCandidate): void {
    this.pairs.add(`${candidate.subnetId} ${candidate.instanceType}`);
  }

  markSubnet(subnetId: string): void {
    this.subnets.add(subnetId);
  }

  has(candidate: LaunchCandidate): boolean {
    return this.subnets.has(candidate.subnetId) || this.pairs.has(`${candidate.subnetId} ${candidate.instanceType}`);
  }
}

/** What one tick shares between the launches of its slots. */
export interface SlotLaunchContext {
  readonly config: OrchestratorConfig;
  readonly userDataBase64: string;
  readonly image: LaunchImage;
  readonly windowStartMs: number;
  /** Client tokens of every worker DescribeInstances listed, in any state. */
  readonly usedTokens: ReadonlySet<string>;
  readonly unavailable: UnavailableCandidates;
  readonly launch: (input: RunInstancesCommandInput) => Promise<LaunchedInstance>;
}

/** One RunInstances call that did not launch. */
export interface LaunchAttempt {
  readonly subnetId: string;
  readonly instanceType: string;
  readonly generation: number;
  readonly clientToken: string;
  readonly errorName: string;
}

export type SlotOutcome =
  | {
      readonly outcome: 'launched';
      readonly slot: number;
      readonly instanceId: string;
      readonly subnetId: string;
      readonly instanceType: string;
      readonly generation: number;
      readonly clientToken: string;
      readonly attempts: readonly LaunchAttempt[];
    }
  | {
      readonly outcome: 'failed';
      readonly slot: number;
      readonly kind: LaunchFailureKind;
      readonly errorName: string;
      readonly message: string;
      readonly attempts: readonly LaunchAttempt[];
    };

type Round = SlotOutcome | { readonly outcome: 'next-generation' };

/**
 * Launches one worker into `slot`: each subnet and instance type in turn (launchCandidates) until one
 * launches, with the token of the slot's first unused generation. A token EC2 reports as used up
 * (IdempotentInstanceTerminated, or the instance it returns is already shutting down) moves the whole slot
 * to the next generation, from the first candidate again, as a run that saw that instance would have.
 * Errors the classification does not know are rethrown.
 */
export async function launchSlot(slot: number, context: SlotLaunchContext): Promise<SlotOutcome> {
  const { config, image, windowStartMs } = context;
  const candidates = launchCandidates(config);
  const requests = candidates.map((candidate) => runInstancesInput(config, context.userDataBase64, { slot, candidate, image }));
  const tokensAt = (generation: number) => requests.map((request) => clientToken(request, { slot, windowStartMs, generation }));
  const attempts: LaunchAttempt[] = [];

  let generation = firstUnusedGeneration(tokensAt, context.usedTokens, { limit: MAX_GENERATION });
  for (let step = 0; ; step++) {
    const round = await tryCandidates(slot, generation, candidates, requests, tokensAt(generation), attempts, context);
    if (round.outcome !== 'next-generation') return round;
    if (step === MAX_GENERATION_STEPS) {
      throw new Error(`slot ${slot}: ${MAX_GENERATION_STEPS + 1} client token generations in a row were used up (${JSON.stringify(attempts)})`);
    }
    generation = firstUnusedGeneration(tokensAt, context.usedTokens, { from: generation + 1, limit: MAX_GENERATION });
  }
}

async function tryCandidates(
  slot: number,
  generation: number,
  candidates: readonly LaunchCandidate[],
  requests: readonly RunInstancesCommandInput[],
  tokens: readonly string[],
  attempts: LaunchAttempt[],
  context: SlotLaunchContext,
): Promise<Round> {
  let last: Error | undefined;
  for (const [index, candidate] of candidates.entries()) {
    if (context.unavailable.has(candidate)) continue;
    const token = tokens[index];
    const attempt = { subnetId: candidate.subnetId, instanceType: candidate.instanceType, generation, clientToken: token };
    try {
      const instance = await context.launch({ ...requests[index], ClientToken: token });
      if (!isActive(instance)) {
        // An earlier request with this token launched an instance that is already going away.
        attempts.push({ ...attempt, errorName: `ReturnedInstance${instance.state}` });
        return { outcome: 'next-generation' };
      }
      return { outcome: 'launched', slot, instanceId: instance.instanceId, ...attempt, attempts };
    } catch (error) {
      const classified = classifyLaunchError(error);
      if (!classified) throw error;
      const { name, message } = error as Error;
      attempts.push({ ...attempt, errorName: name });
      last = error as Error;
      switch (classified.action) {
        case 'next-candidate':
          context.unavailable.markPair(candidate);
          continue;
        case 'next-subnet':
          context.unavailable.markSubnet(candidate.subnetId);
          continue;
        case 'next-generation':
          return { outcome: 'next-generation' };
        case 'stop':
          return { outcome: 'failed', slot, kind: classified.kind, errorName: name, message, attempts };
      }
    }
  }
  return {
    outcome: 'failed',
    slot,
    kind: LaunchFailureKind.capacity,
    errorName: last?.name ?? 'NoCandidateLeft',
    message: last?.message ?? 'every subnet and instance type was already found unable to launch in this tick',
    attempts,
  };
}
