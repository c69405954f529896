import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventBusPolicy } from '@cdktf/provider-aws/lib/cloudwatch-event-bus-policy';
import {
  ITEM_EVENT_DETAIL_TYPE,
  ITEM_EVENT_FILTER_PATTERNS,
  ITEM_EVENT_INPUT_TEMPLATE,
  ITEM_EVENT_SOURCE,
  itemEventPattern,
  type ItemStatus,
} from '../../contracts';
import { accountOf } from '../shared/arn';
import { policyDocument, type PolicyStatement } from '../shared/iam';
import { MAX_TARGET_BATCH_SIZE, streamPipe } from '../shared/stream-pipe';

export interface ItemEventsProps {
  /** Stem of resource names, e.g. `rag-pipeline-dev`. */
  readonly baseName: string;
  /** @default 'default' — the account's default bus; 'pipeline' creates `<base>-events` */
  readonly bus?: 'default' | 'pipeline';
  readonly tableArn: string;
  readonly tableStreamArn: string;
  /** The table's grants for reading its stream. */
  readonly streamReadStatements: readonly PolicyStatement[];
  /** AWS region and partition, for the bus's and the pipe's ARNs. */
  readonly region: string;
  readonly partition: string;
  /** @default 10 — retries of a failed batch before its records go to the pipe's dead-letter queue */
  readonly maximumRetryAttempts?: number;
  /** @default 180 — seconds the pipe's creation waits after its role policy and its stream, on create only; 0 for an emulator */
  readonly iamPropagationSeconds?: number;
}

/**
 * The item events (contracts/events.ts, docs/events.md): the stream's second and last reader, a pipe from the
 * table's stream to an event bus that publishes one event each time a row's status becomes PENDING, FINISHED
 * or FAILED. Everything else that wants to know about rows (the wake queue that starts the orchestrator, the
 * optional outcome queue, users' own rules) subscribes with a rule on the bus, so the stream keeps its two
 * readers however many subscribers there are. The pipe may only put events on this one bus.
 */
export class ItemEvents extends Construct {
  readonly eventBusName: string;
  readonly eventBusArn: string;
  readonly pipeArn: string;
  readonly pipeName: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueName: string;
  private readonly tableArn: string;

  constructor(scope: Construct, id: string, props: ItemEventsProps) {
    super(scope, id);
    const account = accountOf(props.tableArn);
    const ownBus = (props.bus ?? 'default') === 'pipeline';
    if (ownBus) {
      const bus = new CloudwatchEventBus(this, 'bus', { name: `${props.baseName}-events` });
      this.eventBusName = bus.name;
      this.eventBusArn = bus.arn;
    } else {
      this.eventBusName = 'default';
      this.eventBusArn = `arn:${props.partition}:events:${props.region}:${account}:event-bus/default`;
    }

    const { pipe, deadLetters, role } = streamPipe(this, {
      pipeName: `${props.baseName}-items-to-events`,
      description: 'Publishes an event each time a row of the items table becomes PENDING, FINISHED or FAILED',
      roleName: `${props.baseName}-events-pipe`,
      rolePolicyName: 'stream-to-events',
      deadLetterQueueName: `${props.baseName}-events-pipe-dlq`,
      tableStreamArn: props.tableStreamArn,
      streamReadStatements: props.streamReadStatements,
      targetArn: this.eventBusArn,
      targetStatements: [
        {
          sid: 'ItemEventsPut',
          actions: ['events:PutEvents'],
          resources: [this.eventBusArn],
          // Only the item events: a PutEvents call carries every entry's source and detail type, hence
          // ForAllValues (AWS's example policy eb-event-bus-example-policy-cross-account-custom-bus-source).
          conditions: { 'ForAllValues:StringEquals': { 'events:source': ITEM_EVENT_SOURCE, 'events:detail-type': ITEM_EVENT_DETAIL_TYPE } },
        },
      ],
      targetParameters: {
        inputTemplate: ITEM_EVENT_INPUT_TEMPLATE,
        eventbridgeEventBusParameters: { source: ITEM_EVENT_SOURCE, detailType: ITEM_EVENT_DETAIL_TYPE, resources: [props.tableArn] },
      },
      filterPatterns: ITEM_EVENT_FILTER_PATTERNS,
      batchSize: MAX_TARGET_BATCH_SIZE,
      maximumRetryAttempts: props.maximumRetryAttempts ?? 10,
      region: props.region,
      partition: props.partition,
      account,
      iamPropagationSeconds: props.iamPropagationSeconds ?? 180,
    });

    // On its own bus, only the pipe may publish the item events' source: a principal with a broad
    // events:PutEvents grant could otherwise forge FINISHED events that subscribers act on. Custom sources are
    // not reserved (eb-use-conditions). The default bus is the account's, shared with other stacks: no policy
    // there, which docs/events.md says.
    if (ownBus) {
      new CloudwatchEventBusPolicy(this, 'bus-policy', {
        eventBusName: this.eventBusName,
        policy: policyDocument([
          {
            sid: 'OnlyThePipePublishesItemEvents',
            effect: 'Deny',
            principal: '*',
            actions: ['events:PutEvents'],
            resources: [this.eventBusArn],
            conditions: {
              'ForAnyValue:StringEquals': { 'events:source': ITEM_EVENT_SOURCE },
              ArnNotEquals: { 'aws:PrincipalArn': role.arn },
            },
          },
        ]),
      });
    }

    this.tableArn = props.tableArn;
    this.pipeArn = pipe.arn;
    this.pipeName = pipe.name;
    this.deadLetterQueueUrl = deadLetters.url;
    this.deadLetterQueueName = deadLetters.name;
  }

  /** A rule's event pattern for this table's events with these statuses, as `jsonencode(...)` (it holds the table's ARN). */
  eventPattern(statuses: readonly ItemStatus[]): string {
    return Fn.jsonencode(itemEventPattern(this.tableArn, statuses));
  }
}
