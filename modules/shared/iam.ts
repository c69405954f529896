/**
 * IAM policy documents as typed values. Modules build their grants as statements next to the resource
 * they grant (`queue.consumeStatement()`), and roles serialize them with {@link policyDocument}. The JSON
 * keeps Terraform references inside (`${aws_sqs_queue.x.arn}`), so tests can parse the synthesized
 * document and assert exact actions and resources.
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

export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({
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

/** Trust policy letting one AWS service (`lambda.amazonaws.com`) assume a role. */
export function assumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });
}
