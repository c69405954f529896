import { ListTargetsByRuleCommand, RemoveTargetsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { UpdateEventSourceMappingCommand, type LambdaClient } from '@aws-sdk/client-lambda';
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

/**
 * moto runs an SQS event source mapping itself: on every SendMessage to the queue it receives a batch,
 * "invokes" the function (which never runs without Docker) and deletes the messages
 * (moto/sqs/models.py, Queue.add_message). The wake queue's messages would vanish unseen. Terraform has
 * created the mapping (so its deployment is tested); the local run then disables it on the emulator only and
 * runs its own stand-in with the mapping's settings (local/standins/wake.ts).
 */
export async function disableEmulatedMapping(lambda: LambdaClient, uuid: string): Promise<void> {
  await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
}

/**
 * moto matches every PutEvents event against every rule of the bus, a schedule rule (which has no event
 * pattern) included, and fails the whole PutEvents call on that rule's Lambda target with NotImplementedError
 * (moto/events/models.py, Rule.send_to_targets). In AWS a schedule rule never matches an event. moto never
 * fires schedules anyway, so the local run removes the schedule rule's targets on the emulator only (the
 * schedule stand-in invokes the function instead); returns the removed target IDs.
 */
export async function detachScheduleTargets(events: EventBridgeClient, ruleName: string): Promise<string[]> {
  const { Targets = [] } = await events.send(new ListTargetsByRuleCommand({ Rule: ruleName }));
  const ids = Targets.map((target) => target.Id!).filter(Boolean);
  if (ids.length > 0) await events.send(new RemoveTargetsCommand({ Rule: ruleName, Ids: ids }));
  return ids;
}
