import { Construct } from 'constructs';
import { AssetType, TerraformAsset } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunctionEventInvokeConfig } from '@cdktf/provider-aws/lib/lambda-function-event-invoke-config';
import type { OrchestratorEnvironment } from '../../contracts';
import { accountOf } from '../shared/arn';
import { skipCheckov } from '../shared/checkov';
import { assumeRolePolicy, policyDocument, type PolicyStatement } from '../shared/iam';

/** The orchestrator's timeout: a queue lookup, a describe and a few launches. */
export const ORCHESTRATOR_TIMEOUT_SECONDS = 60;
/** Lambda's own limit on a function's timeout. */
const MAX_TIMEOUT_SECONDS = 900;
/** The shortest age Lambda accepts before it drops an asynchronous event. */
const MIN_EVENT_AGE_SECONDS = 60;
/**
 * The trigger queue's visibility timeout AWS recommends for a function timeout: "set the source queue's
 * visibility timeout to at least six times the configuration timeout on your function. The extra time allows
 * Lambda to retry if your function is throttled while processing a previous batch." (services-sqs-configure).
 * Lambda itself only refuses a timeout below the function's.
 */
export function recommendedTriggerVisibilitySeconds(functionTimeoutSeconds: number): number {
  return 6 * functionTimeoutSeconds;
}
/** Lambda's range for an SQS mapping's MaximumConcurrency. */
const MAPPING_CONCURRENCY_RANGE = { min: 2, max: 1000 } as const;

/** The queue whose batches also run the function (the wake queue), and how they are batched. */
export interface QueueTrigger {
  readonly queueArn: string;
  /** The queue's visibility timeout: Lambda refuses a mapping on a queue whose timeout is below the function's. */
  readonly visibilityTimeoutSeconds: number;
  /** @default 1000 — messages per invocation at most: a burst of rows becomes one or a few runs */
  readonly batchSize?: number;
  /** @default 1 — seconds Lambda gathers messages before it invokes (needed above 10 messages a batch) */
  readonly maximumBatchingWindowSeconds?: number;
  /** @default 2 — most runs the queue starts at once (Lambda's minimum); the schedule's run comes on top */
  readonly maximumConcurrency?: number;
}

export interface OrchestratorProps {
  /** Stem of resource names, e.g. `rag-pipeline-dev`. */
  readonly baseName: string;
  /** Directory of the built handler (`dist/orchestrator`, with `index.js`); it must exist at synth. */
  readonly codeDirectory: string;
  /** Environment variables: every OrchestratorEnv name from contracts/environment.ts (a missing one does not compile). */
  readonly environment: OrchestratorEnvironment;
  /** Grants on the queue and on EC2 launches, built by those modules. */
  readonly statements: readonly PolicyStatement[];
  /** @default 30 — days CloudWatch keeps the function's logs */
  readonly logRetentionDays?: number;
  /** @default 60 — seconds one tick may take: a queue lookup, a describe and a few launches */
  readonly timeoutSeconds?: number;
  /**
   * @default undefined — no reservation. AWS refuses one that would leave the account fewer than 100
   * unreserved executions, and new accounts often have 10 in all, so a reservation makes a first apply
   * fail there. Overlapping ticks are safe without it (see below).
   */
  readonly reservedConcurrentExecutions?: number;
  /** @default undefined — only the schedule runs the function; with a queue, its batches run it too */
  readonly queueTrigger?: QueueTrigger;
}

/**
 * The orchestrator: a Node.js 22 Lambda function run by the schedule; a failed tick is dropped rather than
 * retried late. Ticks may overlap (no reserved concurrency by default): overlapping ticks that see the same
 * free worker slot launch it with the same RunInstances idempotency token and tag it with its slot
 * (WORKER_SLOT_TAG_KEY in contracts/layout.ts), so they get one instance, not two. Its code is the tsup
 * bundle, packaged as a TerraformAsset so a code change appears in `cdktf diff`. Its log group is created
 * first, with a retention.
 */
export class Orchestrator extends Construct {
  readonly functionName: string;
  readonly functionArn: string;
  readonly logGroupName: string;
  readonly roleArn: string;

  constructor(scope: Construct, id: string, props: OrchestratorProps) {
    super(scope, id);
    const timeout = props.timeoutSeconds ?? ORCHESTRATOR_TIMEOUT_SECONDS;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_SECONDS) {
      throw new Error(`timeoutSeconds must be an integer from 1 to ${MAX_TIMEOUT_SECONDS}, got ${timeout}`);
    }
    const reserved = props.reservedConcurrentExecutions;
    if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
      throw new Error(`reservedConcurrentExecutions must be a positive integer or unset, got ${reserved}`);
    }
    const functionName = `${props.baseName}-orchestrator`;

    // Lambda's default log group name, created by Terraform rather than by Lambda's first write, so it has
    // a retention and goes away on destroy.
    const logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: props.logRetentionDays ?? 30,
    });
    skipCheckov(
      logGroup,
      {
        id: 'CKV_AWS_158',
        comment: "The orchestrator logs decisions and resource IDs, no file data; CloudWatch Logs encrypts them at rest with its service key.",
      },
      {
        id: 'CKV_AWS_338',
        comment: 'Operational logs, not audit records: retention is the PIPELINE_LOG_RETENTION_DAYS setting (30 days by default).',
      },
    );

    // Only Lambda acting for this account may assume the role (confused-deputy protection). No
    // aws:SourceArn: the Lambda guide says that key "applies only to policies where your Lambda function
    // is the target resource" (https://docs.aws.amazon.com/lambda/latest/dg/permissions-source-function-arn.html),
    // so nothing documents Lambda setting it when it assumes an execution role. The account comes from the
    // log group's ARN: no plan-time lookup, no cycle (the group does not depend on the role).
    const role = new IamRole(this, 'role', {
      name: `${props.baseName}-orchestrator`,
      assumeRolePolicy: assumeRolePolicy('lambda.amazonaws.com', { StringEquals: { 'aws:SourceAccount': accountOf(logGroup.arn) } }),
    });
    new IamRolePolicy(this, 'role-policy', {
      name: 'orchestrator',
      role: role.id,
      policy: policyDocument([
        ...props.statements,
        {
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [`${logGroup.arn}:*`],
        },
      ]),
    });

    const code = new TerraformAsset(this, 'code', { path: props.codeDirectory, type: AssetType.ARCHIVE });
    const fn = new LambdaFunction(this, 'function', {
      functionName,
      description: 'Launches EC2 workers when work is waiting in the queue',
      role: role.arn,
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      filename: code.path,
      sourceCodeHash: code.assetHash,
      timeout,
      memorySize: 256,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: { variables: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' } },
      dependsOn: [logGroup],
    });
    skipCheckov(
      fn,
      {
        id: 'CKV_AWS_116',
        comment: 'Scheduled ticks are not retried (async-invoke config below): the next tick replaces a failed one, so a DLQ would only hold stale ticks; failures raise the orchestrator-errors alarm.',
      },
      {
        id: 'CKV_AWS_117',
        comment: 'The function only calls AWS APIs (SQS, EC2); inside the VPC it would need a NAT gateway or interface endpoints, an hourly cost for no isolation gain.',
      },
      {
        id: 'CKV_AWS_272',
        comment: "Terraform deploys the repository's own build, pinned by source_code_hash; code signing would need a signing profile outside this stack.",
      },
      {
        id: 'CKV_AWS_50',
        comment: 'X-Ray would need a grant on Resource "*" and per-trace cost for two or three API calls a minute; the function logs every decision.',
      },
    );

    // A tick that failed, or was throttled (account concurrency, or a reservation when one is set), is stale
    // a minute later: the next scheduled tick decides from fresh state. So no retries, and no queued ticks.
    new LambdaFunctionEventInvokeConfig(this, 'async-invoke', {
      functionName: fn.functionName,
      maximumRetryAttempts: 0,
      maximumEventAgeInSeconds: MIN_EVENT_AGE_SECONDS,
    });

    if (props.queueTrigger) this.mapQueue(fn, timeout, props.queueTrigger);

    this.functionName = fn.functionName;
    this.functionArn = fn.arn;
    this.logGroupName = logGroup.name;
    this.roleArn = role.arn;
  }

  /**
   * The event source mapping on the trigger queue. A batch the function returns from normally is deleted;
   * one it fails on reappears after the queue's visibility timeout. Lambda checks the role's queue grants when
   * it creates the mapping; the AWS provider retries that check while IAM propagates
   * (terraform-provider-aws, internal/service/lambda/event_source_mapping.go, retryEventSourceMapping).
   */
  private mapQueue(fn: LambdaFunction, timeoutSeconds: number, trigger: QueueTrigger): void {
    const batchSize = trigger.batchSize ?? 1000;
    const window = trigger.maximumBatchingWindowSeconds ?? 1;
    const concurrency = trigger.maximumConcurrency ?? MAPPING_CONCURRENCY_RANGE.min;
    if (trigger.visibilityTimeoutSeconds < timeoutSeconds) {
      throw new Error(
        `the trigger queue's visibilityTimeoutSeconds (${trigger.visibilityTimeoutSeconds}) must be at least the function's timeoutSeconds (${timeoutSeconds}): Lambda refuses the mapping otherwise`,
      );
    }
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new Error(`batchSize must be an integer from 1 to 10000, got ${batchSize}`);
    if (!Number.isInteger(window) || window < 0 || window > 300) throw new Error(`maximumBatchingWindowSeconds must be an integer from 0 to 300, got ${window}`);
    if (batchSize > 10 && window < 1) throw new Error(`maximumBatchingWindowSeconds must be at least 1 when batchSize (${batchSize}) is above 10`);
    if (!Number.isInteger(concurrency) || concurrency < MAPPING_CONCURRENCY_RANGE.min || concurrency > MAPPING_CONCURRENCY_RANGE.max) {
      throw new Error(`maximumConcurrency must be an integer from ${MAPPING_CONCURRENCY_RANGE.min} to ${MAPPING_CONCURRENCY_RANGE.max}, got ${concurrency}`);
    }
    new LambdaEventSourceMapping(this, 'queue-trigger', {
      functionName: fn.arn,
      eventSourceArn: trigger.queueArn,
      batchSize,
      maximumBatchingWindowInSeconds: window,
      scalingConfig: { maximumConcurrency: concurrency },
    });
  }
}
