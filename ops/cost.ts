import { CapacityType } from '../contracts';

/**
 * What a batch of rows cost, estimated from public prices (`npx pipeline status --cost`, docs/cost.md).
 *
 * Each FINISHED or FAILED row records the instance type and purchase option of the worker that ran it and its
 * share of that worker's time (`instance_seconds`: n rows at once on a worker share each second). The estimate
 * is Σ instance_seconds / 3600 × the hourly price of (type, option). What no row carries is not in it: a
 * worker's boot and idle time before it powers off, the time of attempts an interruption stopped, the root
 * volume (gp3) and requests to S3, DynamoDB and SQS. So it is a lower bound of the EC2 bill for those rows.
 */

/** One public price: US dollars per instance-hour, where it was read and when. */
export interface PublicPrice {
  readonly usdPerHour: number;
  readonly source: string;
  /** When the source showed this price (YYYY-MM-DD). */
  readonly asOf: string;
}

/** The region of the prices below. Other regions cost about 0.85× to 1.3× as much (docs/cost.md). */
export const PRICE_REGION = 'us-east-1';

const ON_DEMAND_PAGE = 'https://aws.amazon.com/ec2/pricing/on-demand/ (Linux, US East (N. Virginia))';
const PRICE_LIST =
  'AWS Price List, https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/us-east-1/index.json (Linux, Shared, OnDemand)';
/** On-demand list prices of these types have not changed since their launch; this is when they were last read. */
const LIST_DATE = '2024-06-01';
const listed = (usdPerHour: number, source = ON_DEMAND_PAGE, asOf = LIST_DATE): PublicPrice => ({ usdPerHour, source, asOf });

/**
 * On-demand Linux prices in us-east-1, per instance type. Types not listed get no price; the estimate names them.
 * Not re-read from the Price List when this table was written (2026-12): check the page before relying on a
 * figure, and add your own types here.
 */
export const ON_DEMAND_PRICES: Readonly<Record<string, PublicPrice>> = {
  't3.micro': listed(0.0104),
  't3.small': listed(0.0208),
  't3.medium': listed(0.0416),
  't3.large': listed(0.0832),
  't3.xlarge': listed(0.1664),
  't3.2xlarge': listed(0.3328),
  't3a.micro': listed(0.0094),
  't3a.small': listed(0.0188),
  't3a.medium': listed(0.0376),
  't3a.large': listed(0.0752),
  'm5.large': listed(0.096),
  'm5.xlarge': listed(0.192),
  'm5.2xlarge': listed(0.384),
  'm6i.large': listed(0.096),
  'm6i.xlarge': listed(0.192),
  'm6i.2xlarge': listed(0.384),
  'm6a.large': listed(0.0864),
  'm6a.xlarge': listed(0.1728),
  'm7i.large': listed(0.1008),
  'm7i.xlarge': listed(0.2016),
  'm7i.2xlarge': listed(0.4032),
  'c5.large': listed(0.085),
  'c5.xlarge': listed(0.17),
  // Also the On-Demand column of the Auto Scaling guide's example (below).
  'c5.2xlarge': listed(0.34, PRICE_LIST),
  'c6i.large': listed(0.085),
  'c6i.xlarge': listed(0.17),
  'c6i.2xlarge': listed(0.34),
  'c7i.large': listed(0.08925),
  'c7i.xlarge': listed(0.1785),
  'c7i.2xlarge': listed(0.357),
  'r5.large': listed(0.126),
  'r6i.large': listed(0.126),
  'r7i.large': listed(0.1323),
  'g4dn.xlarge': listed(0.526),
  'g4dn.2xlarge': listed(0.752),
  'g5.xlarge': listed(1.006, ON_DEMAND_PAGE, '2026-06-17'),
  'g5.2xlarge': listed(1.212),
  'g6.xlarge': listed(0.8048),
  'g6.2xlarge': listed(0.9776),
};

/**
 * Spot has no list price: it moves with supply and demand, per type and Availability Zone (the Spot pricing
 * page shows today's; `aws ec2 describe-spot-price-history` the past). The estimate takes Spot as this share of
 * the on-demand price, the middle of the example in the Auto Scaling guide (c5 types in us-east-1: Spot
 * $0.170–$0.191 against $0.34 on-demand, "example pricing and not current pricing"). AWS advertises "up to 90%"
 * off; the Spot Instance Advisor shows each type's recent saving. Override it with --spot-ratio.
 */
export const SPOT_PRICE_RATIO: { readonly ratio: number; readonly source: string; readonly asOf: string } = {
  ratio: 0.53,
  source: 'https://docs.aws.amazon.com/autoscaling/ec2/userguide/weights-spot-price-per-unit-hour-example.html',
  asOf: '2026-12-06',
};

/** What the estimate reads of one row. */
export interface UsageRow {
  readonly instanceType?: string;
  /** `spot` or `on-demand` (contracts/capacity.ts CapacityType). */
  readonly purchaseOption?: string;
  readonly instanceSeconds?: number;
  readonly processingSeconds?: number;
  readonly interruptions?: number;
}

export interface CostLine {
  readonly instanceType: string;
  readonly purchaseOption: string;
  readonly rows: number;
  readonly instanceSeconds: number;
  /** undefined: no price for the type. */
  readonly usdPerHour?: number;
  readonly usd?: number;
}

export interface CostEstimate {
  readonly rows: number;
  /** Rows without usage recorded (run by a worker older than this, or refused before any worker time). */
  readonly rowsWithoutUsage: number;
  readonly lines: readonly CostLine[];
  /** The priced lines' sum. */
  readonly usd: number;
  /** The same worker time, all at on-demand prices (the priced types only). */
  readonly onDemandUsd: number;
  readonly processingSeconds: number;
  /** Interruptions over all rows, and the rows with at least one. */
  readonly interruptions: number;
  readonly interruptedRows: number;
  readonly unpricedTypes: readonly string[];
  readonly spotRatio: number;
}

export function hourlyPrice(instanceType: string, purchaseOption: string, spotRatio = SPOT_PRICE_RATIO.ratio): number | undefined {
  const onDemand = ON_DEMAND_PRICES[instanceType]?.usdPerHour;
  if (onDemand === undefined) return undefined;
  return purchaseOption === CapacityType.spot ? onDemand * spotRatio : onDemand;
}

export function estimateCost(rows: readonly UsageRow[], spotRatio = SPOT_PRICE_RATIO.ratio): CostEstimate {
  const lines = new Map<string, { instanceType: string; purchaseOption: string; rows: number; instanceSeconds: number }>();
  let rowsWithoutUsage = 0;
  let processingSeconds = 0;
  let interruptions = 0;
  let interruptedRows = 0;
  for (const row of rows) {
    interruptions += row.interruptions ?? 0;
    if ((row.interruptions ?? 0) > 0) interruptedRows += 1;
    processingSeconds += row.processingSeconds ?? 0;
    if (row.instanceType === undefined || row.instanceSeconds === undefined) {
      rowsWithoutUsage += 1;
      continue;
    }
    const purchaseOption = row.purchaseOption ?? CapacityType.onDemand;
    const key = `${row.instanceType} ${purchaseOption}`;
    const line = lines.get(key) ?? { instanceType: row.instanceType, purchaseOption, rows: 0, instanceSeconds: 0 };
    line.rows += 1;
    line.instanceSeconds += row.instanceSeconds;
    lines.set(key, line);
  }
  let usd = 0;
  let onDemandUsd = 0;
  const unpriced = new Set<string>();
  const priced = [...lines.values()]
    .sort((a, b) => a.instanceType.localeCompare(b.instanceType) || a.purchaseOption.localeCompare(b.purchaseOption))
    .map((line): CostLine => {
      const usdPerHour = hourlyPrice(line.instanceType, line.purchaseOption, spotRatio);
      if (usdPerHour === undefined) {
        unpriced.add(line.instanceType);
        return line;
      }
      const lineUsd = (line.instanceSeconds / 3600) * usdPerHour;
      usd += lineUsd;
      onDemandUsd += (line.instanceSeconds / 3600) * ON_DEMAND_PRICES[line.instanceType].usdPerHour;
      return { ...line, usdPerHour, usd: lineUsd };
    });
  return {
    rows: rows.length,
    rowsWithoutUsage,
    lines: priced,
    usd,
    onDemandUsd,
    processingSeconds,
    interruptions,
    interruptedRows,
    unpricedTypes: [...unpriced].sort(),
    spotRatio,
  };
}

const dollars = (usd: number) => (usd < 0.01 && usd > 0 ? `$${usd.toFixed(6)}` : `$${usd.toFixed(2)}`);
const hours = (seconds: number) => `${(seconds / 3600).toFixed(3)} h`;

/** The estimate as `status --cost` prints it, with what it leaves out. */
export function formatCostEstimate(estimate: CostEstimate, scope: string): string {
  const lines = [`cost estimate for ${estimate.rows} FINISHED or FAILED rows (${scope}), ${PRICE_REGION} prices:`];
  for (const line of estimate.lines) {
    const price = line.usdPerHour === undefined ? 'no public price in ops/cost.ts' : `${dollars(line.usdPerHour)}/h = ${dollars(line.usd ?? 0)}`;
    lines.push(`  ${line.instanceType} ${line.purchaseOption}: ${line.rows} rows, ${hours(line.instanceSeconds)} of worker time × ${price}`);
  }
  lines.push(`  total ${dollars(estimate.usd)}${estimate.lines.some((line) => line.purchaseOption === CapacityType.spot) ? ` (all on-demand: ${dollars(estimate.onDemandUsd)}; Spot taken as ${Math.round(estimate.spotRatio * 100)}% of on-demand)` : ''}`);
  lines.push(`  processing time ${hours(estimate.processingSeconds)}; interruptions ${estimate.interruptions} on ${estimate.interruptedRows} rows`);
  if (estimate.rowsWithoutUsage > 0) lines.push(`  ${estimate.rowsWithoutUsage} rows record no worker time (refused before running, or run by an older worker)`);
  if (estimate.unpricedTypes.length > 0) lines.push(`  not priced: ${estimate.unpricedTypes.join(', ')} (add them to ops/cost.ts)`);
  lines.push('  not included: boot and idle time of the workers, interrupted attempts, root volumes, S3/DynamoDB/SQS requests (docs/cost.md)');
  return lines.join('\n');
}
