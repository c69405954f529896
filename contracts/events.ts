import { ItemAttribute, ItemStatus } from './item';
import { PENDING_FILTER_PATTERNS } from './filter-pattern';
import { CHUNK_COUNT_ATTRIBUTE } from './processors';

/**
 * The item events: one EventBridge event each time a row's status becomes PENDING, FINISHED or FAILED,
 * published by the second pipe on the table's stream (modules/events) and documented in docs/events.md.
 * The pipe deploys these objects; the local run evaluates the same objects (local/standins).
 */

/** `source` of every item event. */
export const ITEM_EVENT_SOURCE = 'rag-file-pipeline';

/**
 * `detail-type` of every item event. One static type with the status in `detail.status`, the way EC2 reports
 * "EC2 Instance State-change Notification" with `detail.state`: a pipe can set the detail type only to a
 * constant or to a value of the ORIGINAL stream record, never from the transformed payload.
 */
export const ITEM_EVENT_DETAIL_TYPE = 'Item Status Changed';

/**
 * `detail.schema_version`. Adding a field keeps the version; renaming or removing one, or changing a field's
 * meaning, makes it 2 (docs/events.md, "Versioning").
 */
export const ITEM_EVENT_SCHEMA_VERSION = 1;

/** The `detail` of an item event (docs/events.md). Fields that do not apply to the status: see there. */
export interface ItemEventDetail {
  readonly schema_version: number;
  readonly id: string;
  readonly status: ItemStatus;
  /** `s3://<bucket>/data/input/<rest>`, as the row holds it. */
  readonly s3_path: string;
  /**
   * FINISHED: where the outputs are: `s3://<bucket>/data/output/<rest>` for one object, or that path followed by
   * a suffix or a `/` (a prefix) for a processor that writes several.
   */
  readonly output_path: string;
  /** FINISHED: how many objects the processor wrote, as a decimal string (DynamoDB's number form), e.g. `"1"`. */
  readonly output_count: string;
  /** FINISHED and FAILED: the processor that ran (contracts/processors.ts), e.g. `copy`. */
  readonly processor: string;
  /** FINISHED by a `chunk` processor: how many chunks its `.chunks.jsonl` (the `output_path`) holds, in decimal. */
  readonly chunk_count: string;
  /** FAILED: why. */
  readonly reason: string;
  /** FINISHED and FAILED: ISO 8601, when the worker recorded the outcome. */
  readonly finished_at: string;
  /** FINISHED and FAILED: the EC2 instance that recorded it. */
  readonly worker_instance_id: string;
  /** The row's request_token, when its producer wrote one. */
  readonly request_token: string;
}

/**
 * Where each detail field comes from: a string attribute of the row's new image. `id` comes from the key,
 * which every record carries.
 */
const DETAIL_SOURCES: ReadonlyArray<readonly [keyof ItemEventDetail, string]> = [
  ['id', `$.dynamodb.Keys.${ItemAttribute.id}.S`],
  ['status', `$.dynamodb.NewImage.${ItemAttribute.status}.S`],
  ['s3_path', `$.dynamodb.NewImage.${ItemAttribute.s3Path}.S`],
  ['output_path', `$.dynamodb.NewImage.${ItemAttribute.outputPath}.S`],
  ['output_count', `$.dynamodb.NewImage.${ItemAttribute.outputCount}.N`],
  ['processor', `$.dynamodb.NewImage.${ItemAttribute.processedBy}.S`],
  ['chunk_count', `$.dynamodb.NewImage.${CHUNK_COUNT_ATTRIBUTE}.N`],
  ['reason', `$.dynamodb.NewImage.${ItemAttribute.failureReason}.S`],
  ['finished_at', `$.dynamodb.NewImage.${ItemAttribute.finishedAt}.S`],
  ['worker_instance_id', `$.dynamodb.NewImage.${ItemAttribute.workerInstanceId}.S`],
  ['request_token', `$.dynamodb.NewImage.${ItemAttribute.requestToken}.S`],
];

/** What stands in for a character an unescaped string value cannot hold inside a JSON string. */
export const TEMPLATE_BREAKER_STAND_IN = '\ufffd';

/** `"`, `\`, the C0 controls (which JSON requires escaped) and DEL. */
function isTemplateBreaker(char: string): boolean {
  const code = char.charCodeAt(0);
  return char === '"' || char === '\\' || code < 0x20 || code === 0x7f;
}

/**
 * `text` with `"`, `\` and control characters replaced by U+FFFD, so it stays valid JSON inside the input
 * template's quotes whether or not AWS escapes it. Every `failure_reason` the worker writes goes through it.
 */
export function templateSafeText(text: string): string {
  return Array.from(text, (char) => (isTemplateBreaker(char) ? TEMPLATE_BREAKER_STAND_IN : char)).join('');
}

/**
 * The pipe's input template: the event's `detail`. Every placeholder sits inside quotes, as AWS asks for
 * paths that hold strings ("put quotes around variables that refer to JSON path parameters", EventBridge
 * Pipes input transformation). What a placeholder becomes when its path is absent from the record (no
 * `failure_reason` on a FINISHED row) is not documented by AWS; the filter below makes sure the fields a
 * status implies are present.
 *
 * Whether Pipes escapes a string value it inserts is not documented either, and EventBridge's rules do not:
 * "EventBridge does not escape values extracted by Input Path, when populating the Input Template"
 * (eb-transform-target-input, "Common issues with transforming input"). A value holding `"`, `\` or a control
 * character may then break the detail's JSON, and the pipe sends the batch to its DLQ after its retries. The
 * product's own text (`failure_reason`) never holds one (`templateSafeText`); an `s3_path` whose key does
 * cannot be helped (docs/events.md).
 */
export const ITEM_EVENT_INPUT_TEMPLATE = `{${[
  `"schema_version": ${ITEM_EVENT_SCHEMA_VERSION}`,
  ...DETAIL_SOURCES.map(([field, path]) => `"${field}": "<${path}>"`),
].join(', ')}}`;

/**
 * The events pipe's filter (NEW_AND_OLD_IMAGES; up to 5 patterns, OR-ed): rows whose status CHANGED to
 * - PENDING: the work queue's own two patterns (contracts/filter-pattern.ts);
 * - FINISHED, from another status, with an `output_path`;
 * - FAILED, from another status, with a `failure_reason`.
 * A PENDING→PENDING update, an edit that keeps any status, a delete and a row written directly as FINISHED or
 * FAILED (never through the pipeline) match none. Pipes cannot compare two fields, so each outcome names the
 * status it must not come from.
 */
export const ITEM_EVENT_FILTER_PATTERNS = [
  ...PENDING_FILTER_PATTERNS,
  outcomePattern(ItemStatus.FINISHED, ItemAttribute.outputPath),
  outcomePattern(ItemStatus.FAILED, ItemAttribute.failureReason),
] as const;

function outcomePattern(status: ItemStatus, impliedAttribute: string) {
  return {
    dynamodb: {
      NewImage: {
        [ItemAttribute.status]: { S: [status] },
        [impliedAttribute]: { S: [{ exists: true }] },
      },
      OldImage: { [ItemAttribute.status]: { S: [{ 'anything-but': [status] }] } },
    },
  };
}

/**
 * An EventBridge rule pattern for this table's item events with the given statuses. `resources` holds the
 * table's ARN, so deployments sharing a bus (the default bus) never see each other's rows.
 */
export function itemEventPattern(tableArn: string, statuses: readonly ItemStatus[]) {
  if (statuses.length === 0) throw new Error('itemEventPattern needs at least one status');
  return {
    source: [ITEM_EVENT_SOURCE],
    'detail-type': [ITEM_EVENT_DETAIL_TYPE],
    resources: [tableArn],
    detail: { status: [...statuses] },
  };
}

/** The statuses a subscriber of outcomes wants: a row is done. */
export const OUTCOME_STATUSES: readonly ItemStatus[] = [ItemStatus.FINISHED, ItemStatus.FAILED];
