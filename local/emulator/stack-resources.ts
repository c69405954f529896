import { CreateTableCommand, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Testing } from 'cdktf';
import { ItemsTable } from '../../modules/dynamodb';
import { BUCKET_VERSIONING_STATUS } from '../../modules/s3';
import { WorkQueue } from '../../modules/sqs';

/**
 * The table, the work queue with its dead-letter queue and the bucket, made with the SDK (seconds, not a
 * Terraform apply) from the stack's own definitions: the table and the queues are synthesized from their
 * modules and their Terraform arguments turned into the SDK's, so a key, an index, the stream or a queue
 * setting changed in a module changes here too. For suites and benches that need the resources, not the stack.
 */

export interface StackResourceOptions {
  /** @default 'kit' — stem of the names, as the stack's baseName */
  readonly baseName?: string;
  /**
   * @default WorkQueue's default (300). A shorter timeout than the module accepts (its floor is 60 s) is
   * allowed here, set on the queue after the module's arguments: suites use a few seconds to see a
   * redelivery without waiting minutes.
   */
  readonly visibilityTimeoutSeconds?: number;
  /** @default WorkQueue's default (5) — receives before a message moves to the dead-letter queue */
  readonly maxReceiveCount?: number;
  /** @default true — the table's status index, as ItemsTable's `statusIndex` */
  readonly statusIndex?: boolean;
}

export interface StackResources {
  readonly tableName: string;
  /** undefined when the table has no status index. */
  readonly statusIndexName?: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly bucketName: string;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
}

/** What {@link createStackResources} sends: pure, from the synthesized modules. */
export interface StackResourceRequests {
  readonly table: CreateTableCommandInput;
  readonly queue: { readonly QueueName: string; readonly Attributes: Record<string, string> };
  readonly deadLetterQueue: { readonly QueueName: string; readonly Attributes: Record<string, string> };
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
  readonly bucketName: string;
  readonly statusIndexName?: string;
}

interface TerraformTable {
  readonly name: string;
  readonly billing_mode: string;
  readonly hash_key: string;
  readonly range_key?: string;
  readonly attribute: ReadonlyArray<{ name: string; type: string }>;
  readonly global_secondary_index?: ReadonlyArray<{ name: string; hash_key: string; range_key?: string; projection_type: string }>;
  readonly stream_enabled?: boolean;
  readonly stream_view_type?: string;
}

interface TerraformQueue {
  readonly name: string;
  readonly visibility_timeout_seconds?: number;
  readonly receive_wait_time_seconds?: number;
  readonly message_retention_seconds?: number;
  readonly sqs_managed_sse_enabled?: boolean;
}

export function stackResourceRequests(options: StackResourceOptions = {}): StackResourceRequests {
  const baseName = options.baseName ?? 'kit';
  let queue: WorkQueue | undefined;
  let table: ItemsTable | undefined;
  const synthesized = JSON.parse(
    Testing.synthScope((scope) => {
      table = new ItemsTable(scope, 'items', { baseName, statusIndex: options.statusIndex });
      queue = new WorkQueue(scope, 'work', { baseName, maxReceiveCount: options.maxReceiveCount });
    }),
  ) as { resource: { aws_dynamodb_table: Record<string, TerraformTable>; aws_sqs_queue: Record<string, TerraformQueue> } };
  const [tableArguments] = Object.values(synthesized.resource.aws_dynamodb_table);
  const queues = Object.values(synthesized.resource.aws_sqs_queue);
  const deadLetterArguments = queues.find((candidate) => candidate.name === `${baseName}-work-dlq`);
  const queueArguments = queues.find((candidate) => candidate.name === `${baseName}-work`);
  if (!tableArguments || !queueArguments || !deadLetterArguments || !queue || !table) {
    throw new Error(`the synthesized modules lack the items table or the work queues: ${JSON.stringify(synthesized.resource)}`);
  }
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? queue.visibilityTimeoutSeconds;
  return {
    table: createTableInput(tableArguments),
    queue: {
      QueueName: queueArguments.name,
      Attributes: { ...queueAttributes(queueArguments), VisibilityTimeout: String(visibilityTimeoutSeconds) },
    },
    deadLetterQueue: { QueueName: deadLetterArguments.name, Attributes: queueAttributes(deadLetterArguments) },
    maxReceiveCount: queue.maxReceiveCount,
    visibilityTimeoutSeconds,
    // The stack's bucket has a generated suffix (bucketPrefix); a fixed name serves a single emulator.
    bucketName: `${baseName}-bucket`,
    statusIndexName: table.statusIndexName,
  };
}

function createTableInput(table: TerraformTable): CreateTableCommandInput {
  const keySchema = (hash: string, range?: string) => [
    { AttributeName: hash, KeyType: 'HASH' as const },
    ...(range === undefined ? [] : [{ AttributeName: range, KeyType: 'RANGE' as const }]),
  ];
  const indexes = table.global_secondary_index ?? [];
  return {
    TableName: table.name,
    BillingMode: table.billing_mode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED',
    KeySchema: keySchema(table.hash_key, table.range_key),
    AttributeDefinitions: table.attribute.map(({ name, type }) => ({ AttributeName: name, AttributeType: type as 'S' | 'N' | 'B' })),
    ...(indexes.length === 0
      ? {}
      : {
          GlobalSecondaryIndexes: indexes.map((index) => ({
            IndexName: index.name,
            KeySchema: keySchema(index.hash_key, index.range_key),
            Projection: { ProjectionType: index.projection_type as 'ALL' | 'KEYS_ONLY' | 'INCLUDE' },
          })),
        }),
    ...(table.stream_enabled
      ? { StreamSpecification: { StreamEnabled: true, StreamViewType: table.stream_view_type as 'NEW_AND_OLD_IMAGES' } }
      : {}),
  };
}

function queueAttributes(queue: TerraformQueue): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (queue.visibility_timeout_seconds !== undefined) attributes.VisibilityTimeout = String(queue.visibility_timeout_seconds);
  if (queue.receive_wait_time_seconds !== undefined) attributes.ReceiveMessageWaitTimeSeconds = String(queue.receive_wait_time_seconds);
  if (queue.message_retention_seconds !== undefined) attributes.MessageRetentionPeriod = String(queue.message_retention_seconds);
  if (queue.sqs_managed_sse_enabled !== undefined) attributes.SqsManagedSseEnabled = String(queue.sqs_managed_sse_enabled);
  return attributes;
}

/** Creates the resources {@link stackResourceRequests} describes, the work queue redriving to its DLQ. */
export async function createStackResources(
  clients: { readonly dynamodb: DynamoDBClient; readonly sqs: SQSClient; readonly s3: S3Client },
  options: StackResourceOptions = {},
): Promise<StackResources> {
  const requests = stackResourceRequests(options);
  await clients.dynamodb.send(new CreateTableCommand(requests.table));
  const { QueueUrl: dlqUrl } = await clients.sqs.send(new CreateQueueCommand(requests.deadLetterQueue));
  const { Attributes: dlq } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const { QueueUrl: queueUrl } = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: requests.queue.QueueName,
      Attributes: {
        ...requests.queue.Attributes,
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq?.QueueArn, maxReceiveCount: requests.maxReceiveCount }),
      },
    }),
  );
  await clients.s3.send(new CreateBucketCommand({ Bucket: requests.bucketName }));
  await clients.s3.send(
    new PutBucketVersioningCommand({ Bucket: requests.bucketName, VersioningConfiguration: { Status: BUCKET_VERSIONING_STATUS } }),
  );
  if (!queueUrl || !dlqUrl) throw new Error('CreateQueue returned no QueueUrl');
  return {
    tableName: requests.table.TableName!,
    statusIndexName: requests.statusIndexName,
    queueUrl,
    dlqUrl,
    bucketName: requests.bucketName,
    visibilityTimeoutSeconds: requests.visibilityTimeoutSeconds,
    maxReceiveCount: requests.maxReceiveCount,
  };
}
