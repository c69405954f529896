import { CapacityType, PurchaseOption } from '../../contracts';

/** What the tick knows about the workers' recent interruptions (logs/interruptions/ markers). */
export interface InterruptionHistory {
  /** Interruption markers written within ON_DEMAND_AFTER_INTERRUPTION_MS. */
  readonly recentInterruptions: number;
}

/**
 * Pure: the capacity types one slot's launch tries, in order.
 * - `on-demand` → on-demand.
 * - `spot` → Spot; with no Spot capacity the slot waits for the next tick.
 * - `spot-then-on-demand` → Spot, then on-demand in the same tick when no Spot pool had capacity.
 * With `onDemandAfterInterruption` and a recent interruption, both Spot options launch on-demand only: the
 * interrupted rows' retries (and the rest of the backlog) then run on capacity EC2 does not reclaim.
 */
export function capacityTypesFor(
  option: PurchaseOption,
  { onDemandAfterInterruption, recentInterruptions }: { readonly onDemandAfterInterruption: boolean } & InterruptionHistory,
): readonly CapacityType[] {
  if (option === PurchaseOption.onDemand) return [CapacityType.onDemand];
  if (onDemandAfterInterruption && recentInterruptions > 0) return [CapacityType.onDemand];
  return option === PurchaseOption.spot ? [CapacityType.spot] : [CapacityType.spot, CapacityType.onDemand];
}

/** Whether a tick needs to look at the interruption markers at all. */
export function readsInterruptions(option: PurchaseOption, onDemandAfterInterruption: boolean): boolean {
  return onDemandAfterInterruption && option !== PurchaseOption.onDemand;
}
