import { DeleteBucketPolicyCommand, GetBucketPolicyCommand, PutBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3';

interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Condition?: unknown;
}

/**
 * moto evaluates a bucket-policy statement whose condition it cannot check (it passes no request
 * context, so `aws:SecureTransport` is never known) as a DENY of the request, whatever the statement's
 * Effect (moto/iam/access_control.py, IAMPolicyStatement._check_conditions). The product's
 * `DenyInsecureTransport` statement therefore refuses every object request on the emulator, over HTTP
 * or HTTPS. Terraform has applied the policy (so its deployment is tested); the local run then drops
 * the conditional Deny statements from the emulated bucket only, and returns their Sids.
 */
export async function dropConditionalDenies(s3: S3Client, bucket: string): Promise<string[]> {
  let policy: { Statement?: PolicyStatement[] } & Record<string, unknown>;
  try {
    const { Policy } = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    policy = JSON.parse(Policy ?? '{}');
  } catch (error) {
    if ((error as Error).name === 'NoSuchBucketPolicy') return [];
    throw error;
  }
  const statements = policy.Statement ?? [];
  const dropped = statements.filter((statement) => statement.Effect === 'Deny' && statement.Condition !== undefined);
  if (dropped.length === 0) return [];
  const kept = statements.filter((statement) => !dropped.includes(statement));
  if (kept.length === 0) await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
  else await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ ...policy, Statement: kept }) }));
  return dropped.map((statement, index) => statement.Sid ?? `statement ${index}`);
}
