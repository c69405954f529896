import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT_SECONDS } from '../../contracts/tuning';
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
   * while it copies, so it only has to outlast one heartbeat interval, not the whole copy. From 60 to 43,200:
   * VISIBILITY_TIMEOUT_SECONDS in contracts/tuning.ts, which the setting, the orchestrator and the worker share.
   */
  readonly visibilityTimeoutSeconds?: number;
  /** @default 5 — receives before a message moves to the dead-letter queue (MAX_RECEIVE_COUNT in contracts/tuning.ts) */
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
    const visibility = VISIBILITY_TIMEOUT_SECONDS;
    this.visibilityTimeoutSeconds = props.visibilityTimeoutSeconds ?? visibility.default;
    const { visibilityTimeoutSeconds } = this;
    if (!Number.isInteger(visibilityTimeoutSeconds) || visibilityTimeoutSeconds < visibility.min || visibilityTimeoutSeconds > visibility.max) {
      throw new Error(`visibilityTimeoutSeconds must be an integer from ${visibility.min} to ${visibility.max} (12 h), got ${visibilityTimeoutSeconds}`);
    }
    this.maxReceiveCount = props.maxReceiveCount ?? MAX_RECEIVE_COUNT.default;
    const { maxReceiveCount } = this;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < MAX_RECEIVE_COUNT.min || maxReceiveCount > MAX_RECEIVE_COUNT.max) {
      throw new Error(`maxReceiveCount must be an integer from ${MAX_RECEIVE_COUNT.min} to ${MAX_RECEIVE_COUNT.max}, got ${maxReceiveCount}`);
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

  /**
   * What a worker needs to take, hold and finish messages, and to give back the message of a job a Spot
   * interruption stopped: sent again as a new message (so the interruption spends none of maxReceiveCount), then
   * deleted (worker/requeue.ts).
   */
  consumeStatement(): PolicyStatement {
    return {
      sid: 'WorkQueueConsume',
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:SendMessage'],
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
