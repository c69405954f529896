import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { PipesPipe } from '@cdktf/provider-aws/lib/pipes-pipe';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { PENDING_FILTER_PATTERNS } from '../../contracts';
import { accountOf } from '../shared/arn';
import { assumeRolePolicy, policyDocument, type PolicyStatement } from '../shared/iam';
import { iamPropagationWait } from '../shared/iam-propagation';
import { DEAD_LETTER_RETENTION_SECONDS } from '../sqs';

/** SQS targets accept at most 10 records per batch. */
const MAX_SQS_BATCH_SIZE = 10;

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
   * @default 90 — seconds the pipe's creation waits after its role policy, on create only (see
   * ../shared/iam-propagation); 0 for an emulator
   */
  readonly iamPropagationSeconds?: number;
}

/**
 * The EventBridge Pipe from the table's stream to the work queue. It forwards only rows that became
 * PENDING (see contracts/filter-pattern.ts), in batches of at most 10, retries a bounded number of times,
 * and parks undeliverable batches in its own dead-letter queue, which raises an alarm.
 */
export class ItemsPipe extends Construct {
  readonly pipeArn: string;
  readonly pipeName: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
  readonly deadLetterQueueName: string;

  constructor(scope: Construct, id: string, props: ItemsPipeProps) {
    super(scope, id);
    const batchSize = props.batchSize ?? MAX_SQS_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_SQS_BATCH_SIZE) {
      throw new Error(`batchSize must be an integer from 1 to ${MAX_SQS_BATCH_SIZE} for an SQS target, got ${batchSize}`);
    }
    const maximumRetryAttempts = props.maximumRetryAttempts ?? 10;
    // Pipes accepts 0–10000; -1 (infinite) is exactly what a bounded retry count is here to avoid.
    if (!Number.isInteger(maximumRetryAttempts) || maximumRetryAttempts < 0 || maximumRetryAttempts > 10_000) {
      throw new Error(`maximumRetryAttempts must be an integer from 0 to 10000, got ${maximumRetryAttempts}`);
    }

    // Receives the pipe's failure records (stream shard and sequence numbers of the lost batch) so they
    // can be replayed from the table; an SQS DLQ, because the pipe's target is SQS too.
    const deadLetters = new SqsQueue(this, 'dlq', {
      name: `${props.baseName}-pipe-dlq`,
      messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
    });

    // Only this pipe, in this account, may use the role (confused-deputy protection). The pipe's ARN is
    // built from its name because the pipe itself depends on the role; the account comes from the
    // queue's ARN, so no plan-time lookup is needed. Shape of AWS's Pipes getting-started template
    // (aws:SourceArn and aws:SourceAccount on pipes.amazonaws.com).
    const pipeName = `${props.baseName}-items-to-queue`;
    const account = accountOf(props.queueArn);
    const role = new IamRole(this, 'role', {
      name: `${props.baseName}-pipe`,
      assumeRolePolicy: assumeRolePolicy('pipes.amazonaws.com', {
        StringEquals: {
          'aws:SourceAccount': account,
          'aws:SourceArn': `arn:${props.partition}:pipes:${props.region}:${account}:pipe/${pipeName}`,
        },
      }),
    });
    const rolePolicy = new IamRolePolicy(this, 'role-policy', {
      name: 'stream-to-queue',
      role: role.id,
      policy: policyDocument([
        ...props.streamReadStatements,
        props.queueSendStatement,
        { sid: 'PipeDeadLetterSend', actions: ['sqs:SendMessage'], resources: [deadLetters.arn] },
      ]),
    });
    // The first apply would otherwise create the pipe before IAM lets it read the stream.
    const roleReady = iamPropagationWait(this, 'role-propagation', {
      seconds: props.iamPropagationSeconds ?? 90,
      after: [rolePolicy],
      replacedWhen: { role: role.uniqueId, source: props.tableStreamArn },
    });

    const pipe = new PipesPipe(this, 'pipe', {
      name: pipeName,
      description: 'Forwards rows that became PENDING from the items table stream to the work queue',
      roleArn: role.arn,
      source: props.tableStreamArn,
      target: props.queueArn,
      desiredState: 'RUNNING',
      sourceParameters: {
        dynamodbStreamParameters: {
          // TRIM_HORIZON, not LATEST: rows written between the table's creation and the pipe becoming
          // RUNNING are still forwarded. A re-created pipe replays up to 24 h of records; the filter and the
          // worker's conditional status write make that harmless.
          startingPosition: 'TRIM_HORIZON',
          batchSize,
          maximumRetryAttempts,
          deadLetterConfig: { arn: deadLetters.arn },
        },
        filterCriteria: { filter: PENDING_FILTER_PATTERNS.map((pattern) => ({ pattern: JSON.stringify(pattern) })) },
      },
      // The role's policy must exist, and have propagated, before the pipe is created.
      dependsOn: [roleReady],
    });

    this.pipeArn = pipe.arn;
    this.pipeName = pipe.name;
    this.deadLetterQueueUrl = deadLetters.url;
    this.deadLetterQueueArn = deadLetters.arn;
    this.deadLetterQueueName = deadLetters.name;
  }
}
