import { Fn } from 'cdktf';

/**
 * IAM policy documents as typed values. Modules build their grants as statements next to the resource
 * they grant (`queue.consumeStatement()`), and roles serialize them with {@link policyDocument}.
 */
export type ConditionValues = string | readonly string[];

/** `{ StringEquals: { 'ec2:InstanceType': 't3.micro' } }` */
export type Conditions = Readonly<Record<string, Readonly<Record<string, ConditionValues>>>>;

export interface PolicyStatement {
  readonly sid: string;
  /** @default 'Allow' */
  readonly effect?: 'Allow' | 'Deny';
  /** Only for resource policies (bucket policy): `'*'` or `{ Service: [...] }`. */
  readonly principal?: '*' | Readonly<Record<string, ConditionValues>>;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Conditions;
}

/**
 * The document as Terraform's `jsonencode(...)`, not a JSON string: a JSON string holding references
 * (`"${aws_sqs_queue.x.arn}"`) is fine in cdk.tf.json but `cdktf synth --hcl` mangles it, which would break
 * the exit path to plain Terraform.
 */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  return Fn.jsonencode({
    Version: '2012-10-17',
    Statement: statements.map((statement) => ({
      Sid: statement.sid,
      Effect: statement.effect ?? 'Allow',
      ...(statement.principal === undefined ? {} : { Principal: statement.principal }),
      Action: statement.actions,
      Resource: statement.resources,
      ...(statement.conditions === undefined ? {} : { Condition: statement.conditions }),
    })),
  });
}

/** Trust policy letting one AWS service (`lambda.amazonaws.com`) assume a role. Plain JSON: it holds no reference. */
export function assumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });
}
