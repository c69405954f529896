import { Construct } from 'constructs';
import { AssetType, TerraformAsset } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaFunctionEventInvokeConfig } from '@cdktf/provider-aws/lib/lambda-function-event-invoke-config';
import { assumeRolePolicy, policyDocument, type PolicyStatement } from '../shared/iam';

/** Lambda's own limit on a function's timeout. */
const MAX_TIMEOUT_SECONDS = 900;
/** The shortest age Lambda accepts before it drops an asynchronous event. */
const MIN_EVENT_AGE_SECONDS = 60;

export interface OrchestratorProps {
  /** Stem of resource names, e.g. `rag-pipeline-dev`. */
  readonly baseName: string;
  /** Directory of the built handler (`dist/orchestrator`, with `index.js`); it must exist at synth. */
  readonly codeDirectory: string;
  /** Environment variables: every OrchestratorEnv name from contracts/environment.ts. */
  readonly environment: Readonly<Record<string, string>>;
  /** Grants on the queue and on EC2 launches, built by those modules. */
  readonly statements: readonly PolicyStatement[];
  /** @default 30 — days CloudWatch keeps the function's logs */
  readonly logRetentionDays?: number;
  /** @default 60 — seconds one tick may take: a queue lookup, a describe and a few launches */
  readonly timeoutSeconds?: number;
}

/**
 * The orchestrator: a Node.js 22 Lambda function run by the schedule. Reserved concurrency 1 keeps two
 * ticks from deciding at once, and a failed or throttled tick is dropped rather than retried late. Its code is the tsup bundle, packaged as a TerraformAsset so a code change
 * appears in `cdktf diff`. Its log group is created first, with a retention.
 */
export class Orchestrator extends Construct {
  readonly functionName: string;
  readonly functionArn: string;
  readonly logGroupName: string;
  readonly roleArn: string;

  constructor(scope: Construct, id: string, props: OrchestratorProps) {
    super(scope, id);
    const timeout = props.timeoutSeconds ?? 60;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_SECONDS) {
      throw new Error(`timeoutSeconds must be an integer from 1 to ${MAX_TIMEOUT_SECONDS}, got ${timeout}`);
    }
    const functionName = `${props.baseName}-orchestrator`;

    // Lambda's default log group name, created by Terraform rather than by Lambda's first write, so it has
    // a retention and goes away on destroy.
    const logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: props.logRetentionDays ?? 30,
    });

    const role = new IamRole(this, 'role', {
      name: `${props.baseName}-orchestrator`,
      assumeRolePolicy: assumeRolePolicy('lambda.amazonaws.com'),
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
      reservedConcurrentExecutions: 1,
      environment: { variables: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' } },
      dependsOn: [logGroup],
    });

    // A tick that failed, or was throttled because the previous one still runs (concurrency 1), is stale a
    // minute later: the next scheduled tick decides from fresh state. So no retries, and no queued ticks.
    new LambdaFunctionEventInvokeConfig(this, 'async-invoke', {
      functionName: fn.functionName,
      maximumRetryAttempts: 0,
      maximumEventAgeInSeconds: MIN_EVENT_AGE_SECONDS,
    });

    this.functionName = fn.functionName;
    this.functionArn = fn.arn;
    this.logGroupName = logGroup.name;
    this.roleArn = role.arn;
  }
}
