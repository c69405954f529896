import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import type { PolicyStatement } from '../shared/iam';

/** Long polling: the worker's ReceiveMessage waits up to SQS's maximum instead of spinning. */
export const RECEIVE_WAIT_SECONDS = 20;
/** Dead letters are kept as long as SQS allows so an operator can inspect and redrive them. */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;

export interface WorkQueueProps {
  /** Stem of resource names, e.g. `rag-pipeline-dev`. */
  readonly baseName: string;
  /**
   * @default 300 — seconds a received message stays hidden; the worker extends it at a fraction of this
   * while it copies, so it only has to outlast one heartbeat interval, not the whole copy
   */
  readonly visibilityTimeoutSeconds?: number;
  /** @default 5 — receives before a message moves to the dead-letter queue */
  readonly maxReceiveCount?: number;
}

/**
 * The work queue between the pipe and the workers, and its dead-letter queue. Both are encrypted with
 * SQS-managed keys (no KMS key to manage, no charge).
 */
export class WorkQueue extends Construct {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly queueName: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
  readonly deadLetterQueueName: string;
  readonly visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    this.visibilityTimeoutSeconds = props.visibilityTimeoutSeconds ?? 300;
    if (!Number.isInteger(this.visibilityTimeoutSeconds) || this.visibilityTimeoutSeconds < 0 || this.visibilityTimeoutSeconds > 43_200) {
      throw new Error(`visibilityTimeoutSeconds must be an integer from 0 to 43200 (12 h), got ${this.visibilityTimeoutSeconds}`);
    }
    this.maxReceiveCount = props.maxReceiveCount ?? 5;
    const { maxReceiveCount } = this;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw new Error(`maxReceiveCount must be an integer from 1 to 1000, got ${maxReceiveCount}`);
    }

    const deadLetters = new SqsQueue(this, 'dlq', {
      name: `${props.baseName}-work-dlq`,
      messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
    });

    // Retention stays at SQS's 4-day default, below the DLQ's 14 days: a message keeps its original
    // enqueue time when it moves, so the DLQ must hold messages longer than the source queue.
    const queue = new SqsQueue(this, 'queue', {
      name: `${props.baseName}-work`,
      visibilityTimeoutSeconds: this.visibilityTimeoutSeconds,
      receiveWaitTimeSeconds: RECEIVE_WAIT_SECONDS,
      sqsManagedSseEnabled: true,
      // jsonencode rather than a JSON string holding a reference: see policyDocument in ../shared/iam.
      redrivePolicy: Fn.jsonencode({ deadLetterTargetArn: deadLetters.arn, maxReceiveCount }),
    });

    this.queueUrl = queue.url;
    this.queueArn = queue.arn;
    this.queueName = queue.name;
    this.deadLetterQueueUrl = deadLetters.url;
    this.deadLetterQueueArn = deadLetters.arn;
    this.deadLetterQueueName = deadLetters.name;
  }

  /** What a worker needs to take, hold and finish messages. */
  consumeStatement(): PolicyStatement {
    return {
      sid: 'WorkQueueConsume',
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
      resources: [this.queueArn],
    };
  }

  /** What the orchestrator needs to see how much work is waiting. */
  readAttributesStatement(): PolicyStatement {
    return { sid: 'WorkQueueAttributes', actions: ['sqs:GetQueueAttributes'], resources: [this.queueArn] };
  }

  /** What a producer (the pipe) needs to enqueue work. */
  sendStatement(): PolicyStatement {
    return { sid: 'WorkQueueSend', actions: ['sqs:SendMessage'], resources: [this.queueArn] };
  }
}
