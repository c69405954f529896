import type { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { PipesPipe, type PipesPipeTargetParameters } from '@cdktf/provider-aws/lib/pipes-pipe';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { assumeRolePolicy, policyDocument, type PolicyStatement } from './iam';
import { iamPropagationWait } from './iam-propagation';
import { DEAD_LETTER_RETENTION_SECONDS } from '../sqs';

/** SQS queues and event buses, the targets here, accept at most 10 records per batch. */
export const MAX_TARGET_BATCH_SIZE = 10;

export interface StreamPipeProps {
  readonly pipeName: string;
  readonly description: string;
  readonly roleName: string;
  /** Name of the role's inline policy. */
  readonly rolePolicyName: string;
  readonly deadLetterQueueName: string;
  readonly tableStreamArn: string;
  /** The table's grants for reading its stream. */
  readonly streamReadStatements: readonly PolicyStatement[];
  readonly targetArn: string;
  /** What the pipe needs to deliver to its target, and nothing else. */
  readonly targetStatements: readonly PolicyStatement[];
  /** @default undefined — records are delivered unchanged */
  readonly targetParameters?: PipesPipeTargetParameters;
  /** EventBridge filter patterns on the stream record, OR-ed; at most 5. */
  readonly filterPatterns: readonly object[];
  /** Stream records per batch (1–10 for an SQS or event bus target). */
  readonly batchSize: number;
  /** Retries of a failed batch before its records go to the dead-letter queue (0–10000). */
  readonly maximumRetryAttempts: number;
  /** AWS region, partition and account of the pipe, for its ARN in the role's trust policy. */
  readonly region: string;
  readonly partition: string;
  readonly account: string;
  /** Seconds the pipe's creation waits after its role policy, on create only (see ./iam-propagation). */
  readonly iamPropagationSeconds: number;
}

export interface StreamPipeParts {
  readonly pipe: PipesPipe;
  readonly deadLetters: SqsQueue;
  /** The role the pipe runs as: a target's resource policy may name it. */
  readonly role: IamRole;
}

/**
 * An EventBridge Pipe reading the items table's stream, with what every such pipe here has: its own
 * encrypted dead-letter queue for batches it cannot deliver (bounded retries, never AWS's -1), a role only
 * this pipe in this account may assume, and the wait between the role's policy and the pipe that a first
 * apply needs. The resources are created in `scope`, so their construct IDs (and Terraform addresses) are
 * those of the module that calls it.
 */
export function streamPipe(scope: Construct, props: StreamPipeProps): StreamPipeParts {
  const { batchSize, maximumRetryAttempts } = props;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_TARGET_BATCH_SIZE) {
    throw new Error(`batchSize must be an integer from 1 to ${MAX_TARGET_BATCH_SIZE} for an SQS or event bus target, got ${batchSize}`);
  }
  // Pipes accepts 0–10000; -1 (infinite) is exactly what a bounded retry count is here to avoid.
  if (!Number.isInteger(maximumRetryAttempts) || maximumRetryAttempts < 0 || maximumRetryAttempts > 10_000) {
    throw new Error(`maximumRetryAttempts must be an integer from 0 to 10000, got ${maximumRetryAttempts}`);
  }
  if (props.filterPatterns.length < 1 || props.filterPatterns.length > 5) {
    throw new Error(`filterPatterns must hold 1 to 5 patterns (a pipe's limit), got ${props.filterPatterns.length}`);
  }

  // Receives the pipe's failure records (stream shard and sequence numbers of the lost batch) so they can
  // be replayed from the table.
  const deadLetters = new SqsQueue(scope, 'dlq', {
    name: props.deadLetterQueueName,
    messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
    sqsManagedSseEnabled: true,
  });

  // Only this pipe, in this account, may use the role (confused-deputy protection). The pipe's ARN is built
  // from its name because the pipe itself depends on the role. Shape of AWS's Pipes getting-started template
  // (aws:SourceArn and aws:SourceAccount on pipes.amazonaws.com).
  const role = new IamRole(scope, 'role', {
    name: props.roleName,
    assumeRolePolicy: assumeRolePolicy('pipes.amazonaws.com', {
      StringEquals: {
        'aws:SourceAccount': props.account,
        'aws:SourceArn': `arn:${props.partition}:pipes:${props.region}:${props.account}:pipe/${props.pipeName}`,
      },
    }),
  });
  const rolePolicy = new IamRolePolicy(scope, 'role-policy', {
    name: props.rolePolicyName,
    role: role.id,
    policy: policyDocument([
      ...props.streamReadStatements,
      ...props.targetStatements,
      { sid: 'PipeDeadLetterSend', actions: ['sqs:SendMessage'], resources: [deadLetters.arn] },
    ]),
  });
  // The first apply would otherwise create the pipe before IAM lets it read the stream.
  const roleReady = iamPropagationWait(scope, 'role-propagation', {
    seconds: props.iamPropagationSeconds,
    after: [rolePolicy],
    replacedWhen: { role: role.uniqueId, source: props.tableStreamArn },
  });

  const pipe = new PipesPipe(scope, 'pipe', {
    name: props.pipeName,
    description: props.description,
    roleArn: role.arn,
    source: props.tableStreamArn,
    target: props.targetArn,
    desiredState: 'RUNNING',
    sourceParameters: {
      dynamodbStreamParameters: {
        // TRIM_HORIZON, not LATEST: rows written between the table's creation and the pipe becoming RUNNING
        // are still delivered. A re-created pipe replays up to 24 h of records; the filters, the worker's
        // conditional status write and the events' at-least-once contract make that harmless.
        startingPosition: 'TRIM_HORIZON',
        batchSize,
        maximumRetryAttempts,
        deadLetterConfig: { arn: deadLetters.arn },
      },
      filterCriteria: { filter: props.filterPatterns.map((pattern) => ({ pattern: JSON.stringify(pattern) })) },
    },
    ...(props.targetParameters === undefined ? {} : { targetParameters: props.targetParameters }),
    // The role's policy must exist, and have propagated, before the pipe is created.
    dependsOn: [roleReady],
  });

  return { pipe, deadLetters, role };
}
