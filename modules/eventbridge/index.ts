import { Construct } from 'constructs';
import { PENDING_FILTER_PATTERNS } from '../../contracts';
import { accountOf } from '../shared/arn';
import type { PolicyStatement } from '../shared/iam';
import { MAX_TARGET_BATCH_SIZE, streamPipe } from '../shared/stream-pipe';

export interface ItemsPipeProps {
  /** Stem of resource names, e.g. `rag-pipeline-dev`. */
  readonly baseName: string;
  readonly tableStreamArn: string;
  /** The table's grants for reading its stream. */
  readonly streamReadStatements: readonly PolicyStatement[];
  readonly queueArn: string;
  /** The queue's grant for sending to it. */
  readonly queueSendStatement: PolicyStatement;
  /** @default 10 — stream records per SQS batch (1–10) */
  readonly batchSize?: number;
  /**
   * @default 10 — retries of a failed batch before its records go to the pipe's dead-letter queue
   * (AWS's default, -1, retries until the record expires after 24 hours)
   */
  readonly maximumRetryAttempts?: number;
  /** AWS region and partition of the pipe, for its ARN in the role's trust policy. */
  readonly region: string;
  readonly partition: string;
  /**
   * @default 180 — seconds the pipe's creation waits after its role policy and its stream, on create only (see
   * ../shared/iam-propagation); 0 for an emulator
   */
  readonly iamPropagationSeconds?: number;
}

/**
 * The EventBridge Pipe from the table's stream to the work queue: the stream's first reader. It forwards only
 * rows that became PENDING (see contracts/filter-pattern.ts), in batches of at most 10, retries a bounded
 * number of times, and parks undeliverable batches in its own dead-letter queue, which raises an alarm.
 */
export class ItemsPipe extends Construct {
  readonly pipeArn: string;
  readonly pipeName: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
  readonly deadLetterQueueName: string;

  constructor(scope: Construct, id: string, props: ItemsPipeProps) {
    super(scope, id);
    const { pipe, deadLetters } = streamPipe(this, {
      pipeName: `${props.baseName}-items-to-queue`,
      description: 'Forwards rows that became PENDING from the items table stream to the work queue',
      roleName: `${props.baseName}-pipe`,
      rolePolicyName: 'stream-to-queue',
      deadLetterQueueName: `${props.baseName}-pipe-dlq`,
      tableStreamArn: props.tableStreamArn,
      streamReadStatements: props.streamReadStatements,
      targetArn: props.queueArn,
      targetStatements: [props.queueSendStatement],
      filterPatterns: PENDING_FILTER_PATTERNS,
      batchSize: props.batchSize ?? MAX_TARGET_BATCH_SIZE,
      maximumRetryAttempts: props.maximumRetryAttempts ?? 10,
      region: props.region,
      partition: props.partition,
      // The account comes from the queue's ARN, so no plan-time lookup is needed.
      account: accountOf(props.queueArn),
      iamPropagationSeconds: props.iamPropagationSeconds ?? 180,
    });

    this.pipeArn = pipe.arn;
    this.pipeName = pipe.name;
    this.deadLetterQueueUrl = deadLetters.url;
    this.deadLetterQueueArn = deadLetters.arn;
    this.deadLetterQueueName = deadLetters.name;
  }
}
