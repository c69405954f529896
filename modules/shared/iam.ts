import { Fn } from 'cdktf';
import { type AcceptedFinding, checkAcceptedFindings, registerPolicy } from './parliament';

/**
 * IAM policy documents as typed values. Modules build their grants as statements next to the resource
 * they grant (`queue.consumeStatement()`), and roles serialize them with {@link policyDocument}.
 */
export type ConditionValues = string | readonly string[];

/** `{ StringEquals: { 'ec2:InstanceType': 't3.micro' } }` */
export type Conditions = Readonly<Record<string, Readonly<Record<string, ConditionValues>>>>;

export interface PolicyStatement {
  /** Unique within its policy: the security gate maps parliament's findings back to statements by it. */
  readonly sid: string;
  /** @default 'Allow' */
  readonly effect?: 'Allow' | 'Deny';
  /** Only for resource policies (bucket policy): `'*'` or `{ Service: [...] }`. */
  readonly principal?: '*' | Readonly<Record<string, ConditionValues>>;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Conditions;
  /** @default [] — parliament findings this statement keeps on purpose, each with its reason */
  readonly acceptedFindings?: readonly AcceptedFinding[];
}

/**
 * The document as Terraform's `jsonencode(...)`, not a JSON string: a JSON string holding references
 * (`"${aws_sqs_queue.x.arn}"`) is fine in cdk.tf.json but `cdktf synth --hcl` mangles it, which would break
 * the exit path to plain Terraform.
 */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  const sids = statements.map(({ sid }) => sid);
  const repeated = sids.find((sid, index) => sids.indexOf(sid) !== index);
  if (repeated !== undefined) throw new Error(`statement ids must be unique within a policy, "${repeated}" repeats`);
  for (const statement of statements) checkAcceptedFindings(statement.sid, statement.acceptedFindings ?? []);

  const document = Fn.jsonencode({
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
  registerPolicy(document, {
    trust: false,
    statements: statements.map(({ sid, acceptedFindings }) => ({ sid, acceptedFindings: acceptedFindings ?? [] })),
  });
  return document;
}

/** Statement id of every trust policy's one statement. */
export const TRUST_STATEMENT_SID = 'TrustedService';

/**
 * Trust policy letting one AWS service (`lambda.amazonaws.com`) assume a role, optionally only on behalf of
 * this account or one resource: the confused-deputy conditions (`aws:SourceAccount`, `aws:SourceArn`)
 * where the service documents them. https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
export function assumeRolePolicy(service: string, conditions?: Conditions): string {
  const document = Fn.jsonencode({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: TRUST_STATEMENT_SID,
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        ...(conditions === undefined ? {} : { Condition: conditions }),
      },
    ],
  });
  registerPolicy(document, { trust: true, statements: [{ sid: TRUST_STATEMENT_SID, acceptedFindings: [] }] });
  return document;
}
