import { itemEventPattern, ItemStatus, OUTCOME_STATUSES } from '../contracts';
import { hourlyPrice, type UsageRow } from './cost';
import type { QueuedEvent } from './effects/events';
import type { QueueDepth } from '../runtime/queue-depth';
import type { SubmitTarget } from './submit-plan';
import type { StackOutputs } from './outputs';

/** What a `submit` run did, item by item; it stops taking new items at the first failure. */
export interface SubmitOutcome {
  readonly submitted: readonly { readonly target: SubmitTarget; readonly id: string }[];
  readonly failure?: {
    readonly target: SubmitTarget;
    readonly reason: string;
    /** The upload succeeded but its row did not, and removing the object failed too. */
    readonly objectLeftBehind: boolean;
  };
  readonly notAttempted: readonly SubmitTarget[];
}

export function formatSubmitOutcome(outcome: SubmitOutcome): string {
  const lines = outcome.submitted.map(({ target, id }) => `PENDING ${id} ${target.s3Path}`);
  const total = outcome.submitted.length + (outcome.failure ? 1 : 0) + outcome.notAttempted.length;
  if (!outcome.failure) return [...lines, `submitted ${outcome.submitted.length} of ${total}`].join('\n');
  const { target, reason, objectLeftBehind } = outcome.failure;
  lines.push(`submitted ${outcome.submitted.length} of ${total}; NOT submitted:`);
  lines.push(`  ${target.source}: ${reason}`);
  if (objectLeftBehind) lines.push(`  ${target.s3Path} was uploaded but has no row: delete it or submit it again`);
  for (const pending of outcome.notAttempted) lines.push(`  ${pending.source}: not attempted`);
  return lines.join('\n');
}

export interface FailedRow {
  readonly id: string;
  readonly s3Path?: string;
  readonly reason?: string;
  readonly finishedAt?: string;
  /** The processor that failed it; absent on rows failed by a worker older than the processors. */
  readonly processor?: string;
}

/** One row, every attribute the pipeline reads or writes (`status <id>`). */
export interface RowDetail {
  readonly id: string;
  readonly status?: string;
  readonly s3Path?: string;
  /** The row's own `processor` attribute; absent: the deployment's default. */
  readonly processorRequested?: string;
  readonly processedBy?: string;
  readonly outputPath?: string;
  readonly outputCount?: number;
  /** A `chunk` processor's chunk count. */
  readonly chunkCount?: number;
  readonly outputKeys?: readonly string[];
  readonly outputManifest?: string;
  readonly reason?: string;
  readonly finishedAt?: string;
  readonly workerInstanceId?: string;
  /** The worker's type, purchase option and time, and the interruptions (docs/cost.md). */
  readonly usage?: UsageRow;
  readonly interruptedAt?: string;
}

export interface StatusReport {
  readonly counts: Readonly<Record<ItemStatus, number>>;
  readonly queue: QueueDepth;
  readonly deadLetterQueue: QueueDepth;
  /** Most recent first. */
  readonly recentFailures: readonly FailedRow[];
}

/** Most recent first by finished_at (ISO-8601 sorts as text); rows without it last. */
export function mostRecentFailures(rows: readonly FailedRow[], limit: number): FailedRow[] {
  return [...rows]
    .sort((a, b) => (b.finishedAt ?? '').localeCompare(a.finishedAt ?? ''))
    .slice(0, limit);
}

export function formatStatus(report: StatusReport): string {
  const statuses = Object.values(ItemStatus);
  const width = Math.max(...statuses.map((status) => status.length));
  const lines = statuses.map((status) => `${status.padEnd(width)}  ${report.counts[status]}`);
  lines.push(`queue: ${report.queue.visible} waiting, ${report.queue.inFlight} in flight`);
  lines.push(`dead-letter queue: ${report.deadLetterQueue.visible + report.deadLetterQueue.inFlight} messages`);
  if (report.recentFailures.length > 0) {
    lines.push(`recent ${ItemStatus.FAILED} rows:`);
    for (const row of report.recentFailures) {
      lines.push(`  ${row.id}  ${row.finishedAt ?? '-'}  ${row.processor ?? '-'}  ${row.s3Path ?? '-'}  ${row.reason ?? '(no reason recorded)'}`);
    }
  }
  return lines.join('\n');
}

/** `status <id>`: the row, its processor and its outputs, one field a line; fields the row lacks are left out. */
export function formatRowDetail(row: RowDetail): string {
  const outputs =
    row.outputKeys !== undefined
      ? row.outputKeys.map((key) => `  ${key}`)
      : row.outputManifest !== undefined
        ? [`  listed in ${row.outputManifest}`]
        : [];
  const fields: Array<[string, string | number | undefined]> = [
    ['id', row.id],
    ['status', row.status],
    ['s3_path', row.s3Path],
    ['processor', row.processedBy ?? (row.processorRequested === undefined ? '(the default)' : `${row.processorRequested} (requested)`)],
    ['output_path', row.outputPath],
    ['output_count', row.outputCount],
    ['chunk_count', row.chunkCount],
    ['reason', row.reason],
    ['finished_at', row.finishedAt],
    ['worker_instance_id', row.workerInstanceId],
    ['instance_type', row.usage?.instanceType],
    ['purchase_option', row.usage?.purchaseOption],
    ['processing_seconds', row.usage?.processingSeconds],
    ['instance_seconds', row.usage?.instanceSeconds],
    ['estimated_cost', estimatedCost(row.usage)],
    ['interruptions', row.usage?.interruptions],
    ['interrupted_at', row.interruptedAt],
  ];
  const width = Math.max(...fields.map(([name]) => name.length));
  const lines = fields.filter(([, value]) => value !== undefined).map(([name, value]) => `${name.padEnd(width)}  ${value}`);
  if (outputs.length > 0) lines.push('outputs:', ...outputs);
  return lines.join('\n');
}

/** The row's worker time at its public price (ops/cost.ts), e.g. `$0.000087 (t3.micro on-demand at $0.0104/h)`. */
function estimatedCost(usage: UsageRow | undefined): string | undefined {
  if (usage?.instanceType === undefined || usage.instanceSeconds === undefined) return undefined;
  const option = usage.purchaseOption ?? 'on-demand';
  const perHour = hourlyPrice(usage.instanceType, option);
  if (perHour === undefined) return `no public price for ${usage.instanceType} in ops/cost.ts`;
  return `$${((usage.instanceSeconds / 3600) * perHour).toFixed(6)} (${usage.instanceType} ${option} at $${perHour.toFixed(4)}/h)`;
}

export interface RetryAllOutcome {
  readonly retried: readonly string[];
  /** Rows that left FAILED between the listing and the update (someone else retried them). */
  readonly skipped: readonly string[];
}

export function formatRetryAll(outcome: RetryAllOutcome): string {
  const lines = outcome.retried.map((id) => `${ItemStatus.PENDING} ${id}`);
  lines.push(`set ${outcome.retried.length} ${ItemStatus.FAILED} rows back to ${ItemStatus.PENDING}`);
  if (outcome.skipped.length > 0) lines.push(`skipped ${outcome.skipped.length} that were no longer ${ItemStatus.FAILED}: ${outcome.skipped.join(', ')}`);
  return lines.join('\n');
}

export interface RedriveOutcome {
  readonly moved: number;
  /** Messages the work queue refused; they stay in the dead-letter queue. */
  readonly failed: number;
}

export function formatRedrive(outcome: RedriveOutcome): string {
  const moved = `moved ${outcome.moved} messages from the dead-letter queue to the work queue`;
  return outcome.failed === 0 ? moved : `${moved}; ${outcome.failed} could not be sent and stay in the dead-letter queue`;
}

/**
 * One line per event, oldest first: `<time> <STATUS> <id> <output path or reason>`, or the whole event as one
 * JSON line each with `json`.
 */
export function formatQueuedEvents(events: readonly QueuedEvent[], json: boolean): string {
  if (json) return events.map(({ event }) => JSON.stringify(event)).join('\n');
  return events
    .map(({ event, sentAt }) => {
      const { detail, time } = (typeof event === 'object' && event !== null ? event : {}) as { detail?: Record<string, unknown>; time?: string };
      if (!detail) return `${new Date(sentAt).toISOString()}  (not an item event) ${JSON.stringify(event)}`;
      const what = detail.status === ItemStatus.FAILED ? detail.reason : detail.output_path;
      return [time ?? new Date(sentAt).toISOString(), detail.status, detail.id, what].filter((part) => part !== undefined && part !== '').join('  ');
    })
    .join('\n');
}

/**
 * What `pipeline events` says when the stack has no outcome queue: how to get one, or a rule of one's own. The
 * rule matches the table's ARN in `resources`, so deployments sharing the default bus do not see each other's
 * events; an outputs file without `table_arn` gets a placeholder to fill in.
 */
export function noEventsQueueMessage(outputs: Pick<StackOutputs, 'eventBusName' | 'tableArn' | 'tableName' | 'region'>): string {
  const tableArn = outputs.tableArn ?? `arn:aws:dynamodb:${outputs.region ?? '<region>'}:<account>:table/${outputs.tableName}`;
  const pattern = JSON.stringify(itemEventPattern(tableArn, OUTCOME_STATUSES));
  const eventBusName = outputs.eventBusName;
  return [
    'the stack has no outcome queue (the outputs file has no events_queue_url output).',
    'Create one: deploy with PIPELINE_EVENTS_QUEUE=true, then write the outputs file again (npx cdktf output --outputs-file outputs.json).',
    `Or subscribe yourself: a rule on the ${eventBusName ?? 'default'} bus with the pattern ${pattern} and an SQS target (docs/events.md).`,
  ].join('\n');
}
