/**
 * Helpers for the local-run end-to-end suites (not a suite itself).
 *
 * A deployment takes a minute or more on moto, so each suite deploys once (beforeAll) and cleans the
 * table, the queues and the data objects between tests instead of deploying again. A fresh deployment
 * per test would also need a fresh emulator: moto cannot update a pipe in place.
 */
import { BatchWriteItemCommand, DeleteItemCommand, PutItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetFunctionConfigurationCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { DeleteRuleCommand, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import {
  INPUT_PREFIX,
  ITEM_EVENT_DETAIL_TYPE,
  ITEM_EVENT_SOURCE,
  ItemAttribute,
  LOGS_PREFIX,
  OrchestratorEnv,
  OUTPUT_PREFIX,
  PROCESSOR_CATALOG_KEY,
  WORKER_TAG,
  WorkerLogEvent,
  type ProcessorCatalog,
} from '../../../contracts';
import { eventsInLogs } from '../../../local/soak/observe';
import { createLocalLog } from '../../../local/log';
import { readQueueDepth } from '../../../runtime/queue-depth';
import { startLocalPipeline, type LocalPipeline, type LocalRunSettings } from '../../../local/pipeline';
import { eventually } from '../../support/eventually';

/**
 * Idle period of the tests' workers, in minutes: 6 s. The tests wait for idle workers to stop (the seed's
 * flow, the pickup with no worker running, the soak's final count), so a shorter one than the local run's
 * (LOCAL_DEFAULTS, 15 s) saves that wait each time; the worker reads it as it reads any other value.
 */
export const TEST_AUTOTERMINATE_MINUTES = 0.1;

/**
 * Starts moto, deploys, runs the pipes, the schedule (every `tickSeconds`, 1 by default), the wake mapping
 * and the instances; ignores the shell's PIPELINE_* settings. Workers stop after TEST_AUTOTERMINATE_MINUTES idle.
 */
export function startPipelineForTest(
  settings: LocalRunSettings,
  { tickSeconds = 1, processors }: { tickSeconds?: number; processors?: ProcessorCatalog } = {},
): Promise<LocalPipeline> {
  return startLocalPipeline({
    env: {},
    settings: { autoterminateMinutes: TEST_AUTOTERMINATE_MINUTES, ...settings },
    tickSeconds,
    log: createLocalLog(process.stderr, 'warn'),
    ...(processors === undefined ? {} : { processors }),
  });
}

/**
 * The suite's one deployment: started before the file's tests (a deploy takes minutes), cleaned after each
 * test, stopped after the last. Call at the top of the file; the returned function gives the running pipeline.
 */
export function useLocalPipeline(settings: LocalRunSettings, options: { tickSeconds?: number; processors?: ProcessorCatalog } = {}): () => LocalPipeline {
  let pipeline: LocalPipeline | undefined;
  beforeAll(async () => {
    pipeline = await startPipelineForTest(settings, options);
  }, 420_000);
  afterEach(async () => {
    if (pipeline) await cleanPipeline(pipeline);
  });
  afterAll(async () => {
    await pipeline?.stop();
  }, 60_000);
  return () => {
    if (!pipeline) throw new Error('the local pipeline did not start');
    return pipeline;
  };
}

/**
 * Sets orchestrator environment variables on the deployed function, as `aws lambda
 * update-function-configuration` would: settings that only change what the orchestrator decides (MAX_WORKERS)
 * need no second deployment. The function host starts its next invocation in an environment that has them.
 */
export async function setOrchestratorEnvironment(pipeline: LocalPipeline, variables: Record<string, string>): Promise<void> {
  const FunctionName = output(pipeline, 'lambda_function_name');
  const { Environment } = await pipeline.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName }));
  await pipeline.clients.lambda.send(
    new UpdateFunctionConfigurationCommand({ FunctionName, Environment: { Variables: { ...Environment?.Variables, ...variables } } }),
  );
  const { Environment: updated } = await pipeline.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName }));
  for (const [name, value] of Object.entries(variables)) {
    if (updated?.Variables?.[name] !== value) throw new Error(`the emulated function did not take ${name}=${value}`);
  }
}

/**
 * Sets MAX_WORKERS on the deployed function, waits until no worker is left from before, and counts the instance
 * runner's peak from there.
 */
export async function startWithMaxWorkers(pipeline: LocalPipeline, maxWorkers: number): Promise<void> {
  await setOrchestratorEnvironment(pipeline, { [OrchestratorEnv.maxWorkers]: String(maxWorkers) });
  await eventually(async () => pipeline.instances.running().length === 0 && (await liveWorkerInstances(pipeline)).length === 0, 120_000, 'no worker running');
  pipeline.instances.resetPeak();
}

/**
 * Writes the processor catalog object, as a deployment that changed pipeline.config.ts would: workers started
 * from then on read it (a running worker reads it again only for a name it lacks).
 */
export async function putCatalog(pipeline: LocalPipeline, catalog: ProcessorCatalog): Promise<void> {
  await pipeline.clients.s3.send(
    new PutObjectCommand({ Bucket: output(pipeline, 'bucket_name'), Key: PROCESSOR_CATALOG_KEY, Body: JSON.stringify(catalog), ContentType: 'application/json' }),
  );
}

export function output(pipeline: LocalPipeline, name: string): string {
  const value = pipeline.outputs[name];
  if (typeof value !== 'string') throw new Error(`the stack has no string output "${name}"`);
  return value;
}

export async function putInput(pipeline: LocalPipeline, rest: string, body: string | Buffer): Promise<string> {
  const bucket = output(pipeline, 'bucket_name');
  await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${INPUT_PREFIX}${rest}`, Body: body }));
  return `s3://${bucket}/${INPUT_PREFIX}${rest}`;
}

export async function readOutput(pipeline: LocalPipeline, rest: string): Promise<Buffer> {
  const response = await pipeline.clients.s3.send(
    new GetObjectCommand({ Bucket: output(pipeline, 'bucket_name'), Key: `${OUTPUT_PREFIX}${rest}` }),
  );
  return Buffer.from(await response.Body!.transformToByteArray());
}

export async function putRow(pipeline: LocalPipeline, item: Record<string, string>): Promise<void> {
  await pipeline.clients.dynamodb.send(
    new PutItemCommand({
      TableName: output(pipeline, 'table_name'),
      Item: Object.fromEntries(Object.entries(item).map(([name, value]) => [name, { S: value }])),
    }),
  );
}

/** Inserts many rows with BatchWriteItem (25 per request), retrying unprocessed items. */
export async function putRows(pipeline: LocalPipeline, items: readonly Record<string, string>[]): Promise<void> {
  const tableName = output(pipeline, 'table_name');
  for (let start = 0; start < items.length; start += 25) {
    let requests = items.slice(start, start + 25).map((item) => ({
      PutRequest: { Item: Object.fromEntries(Object.entries(item).map(([name, value]) => [name, { S: value }])) },
    }));
    while (requests.length > 0) {
      const { UnprocessedItems } = await pipeline.clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
      requests = (UnprocessedItems?.[tableName] ?? []) as typeof requests;
    }
  }
}

/** Visible plus in-flight messages in a queue. */
export async function queueDepth(pipeline: LocalPipeline, queueUrlOutput: string): Promise<number> {
  const { visible, inFlight } = await readQueueDepth(pipeline.clients.sqs, output(pipeline, queueUrlOutput));
  return visible + inFlight;
}

/** Instances with the worker tag that are pending or running, as the orchestrator sees them. */
export async function liveWorkerInstances(pipeline: LocalPipeline): Promise<string[]> {
  const { Reservations = [] } = await pipeline.clients.ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${WORKER_TAG.key}`, Values: [WORKER_TAG.value] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ],
    }),
  );
  return Reservations.flatMap((reservation) => reservation.Instances ?? []).map((instance) => instance.InstanceId!);
}

export async function instanceState(pipeline: LocalPipeline, instanceId: string): Promise<string | undefined> {
  const { Reservations = [] } = await pipeline.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return Reservations[0]?.Instances?.[0]?.State?.Name;
}

export async function listKeys(pipeline: LocalPipeline, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await pipeline.clients.s3.send(
      new ListObjectsV2Command({ Bucket: output(pipeline, 'bucket_name'), Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/**
 * Receives and deletes whatever is visible until the queue is empty. (PurgeQueue allows one call per
 * queue per minute, which tests a few seconds apart exceed.) In-flight messages are waited for. Each receive
 * is a short poll: the work queue long-polls 20 s by default (RECEIVE_WAIT_SECONDS), which an empty queue
 * would otherwise cost every test.
 */
async function drainQueue(pipeline: LocalPipeline, queueUrlOutput: string): Promise<void> {
  const queueUrl = output(pipeline, queueUrlOutput);
  await eventually(
    async () => {
      const { Messages = [] } = await pipeline.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      for (const message of Messages) {
        await pipeline.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      }
      return Messages.length === 0 && (await queueDepth(pipeline, queueUrlOutput)) === 0;
    },
    120_000,
    `${queueUrlOutput} to be empty`,
    200,
  );
}

/**
 * Leaves the deployment as a new one would be for the next test: no rows, no messages, no data
 * objects, no worker log. Deleting rows emits REMOVE records, which both pipes' filters drop. The wake queue
 * is left to its mapping.
 */
export async function cleanPipeline(pipeline: LocalPipeline): Promise<void> {
  const tableName = output(pipeline, 'table_name');
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await pipeline.clients.dynamodb.send(
      new ScanCommand({ TableName: tableName, ProjectionExpression: '#id', ExpressionAttributeNames: { '#id': ItemAttribute.id }, ExclusiveStartKey: startKey }),
    );
    for (const item of page.Items ?? []) {
      await pipeline.clients.dynamodb.send(new DeleteItemCommand({ TableName: tableName, Key: { [ItemAttribute.id]: item[ItemAttribute.id] } }));
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  for (const queue of ['queue_url', 'dlq_url', 'pipe_dlq_url', 'events_pipe_dlq_url', 'events_queue_url']) {
    if (queue in pipeline.outputs) await drainQueue(pipeline, queue);
  }
  for (const prefix of [INPUT_PREFIX, OUTPUT_PREFIX, LOGS_PREFIX]) {
    const keys = await listKeys(pipeline, prefix);
    for (let start = 0; start < keys.length; start += 1000) {
      await pipeline.clients.s3.send(
        new DeleteObjectsCommand({
          Bucket: output(pipeline, 'bucket_name'),
          Delete: { Objects: keys.slice(start, start + 1000).map((Key) => ({ Key })) },
        }),
      );
    }
  }
}

/** A rule of a subscriber's own on the item events' bus, with an SQS target: what docs/events.md shows users. */
export interface EventProbe {
  /** Every event the probe queue has received so far (received and deleted), in arrival order. */
  readonly received: Array<{ 'detail-type': string; source: string; resources: string[]; detail: Record<string, unknown> }>;
  /** Receives until the queue answers empty. */
  drain(): Promise<void>;
  remove(): Promise<void>;
}

/** Subscribes a fresh queue to every item event of this table (all statuses), or to those `detail` matches. */
export async function subscribeProbe(pipeline: LocalPipeline, name: string, detail?: Record<string, unknown>): Promise<EventProbe> {
  const busName = output(pipeline, 'event_bus_name');
  const tableArn = output(pipeline, 'table_stream_arn').replace(/\/stream\/.*$/, '');
  const { QueueUrl } = await pipeline.clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await pipeline.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await pipeline.clients.events.send(
    new PutRuleCommand({
      Name: name,
      EventBusName: busName,
      EventPattern: JSON.stringify({
        source: [ITEM_EVENT_SOURCE],
        'detail-type': [ITEM_EVENT_DETAIL_TYPE],
        resources: [tableArn],
        ...(detail === undefined ? {} : { detail }),
      }),
    }),
  );
  await pipeline.clients.events.send(new PutTargetsCommand({ Rule: name, EventBusName: busName, Targets: [{ Id: 'probe', Arn: Attributes!.QueueArn! }] }));
  const received: EventProbe['received'] = [];
  return {
    received,
    async drain() {
      for (;;) {
        const { Messages = [] } = await pipeline.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        if (Messages.length === 0) return;
        for (const message of Messages) {
          received.push(JSON.parse(message.Body!));
          await pipeline.clients.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
        }
      }
    },
    async remove() {
      await pipeline.clients.events.send(new RemoveTargetsCommand({ Rule: name, EventBusName: busName, Ids: ['probe'] }));
      await pipeline.clients.events.send(new DeleteRuleCommand({ Name: name, EventBusName: busName }));
      await pipeline.clients.sqs.send(new DeleteQueueCommand({ QueueUrl }));
    },
  };
}

/** Where a stream record is: its shard, and its sequence number there. */
export interface StreamPosition {
  readonly shardId: string;
  readonly sequenceNumber: string;
}

/** The first record of the table's stream for row `id` whose new image `matches`; fails when there is none. */
export async function streamPositionOf(
  pipeline: LocalPipeline,
  id: string,
  matches: (newImage: Record<string, AttributeValue> | undefined) => boolean,
): Promise<StreamPosition> {
  const StreamArn = output(pipeline, 'table_stream_arn');
  const { streams } = pipeline.clients;
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn }));
  for (const { ShardId: shardId } of StreamDescription?.Shards ?? []) {
    let { ShardIterator: iterator } = await streams.send(new GetShardIteratorCommand({ StreamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
    while (iterator) {
      const { Records = [], NextShardIterator } = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      const found = Records.find(
        (record) => record.dynamodb?.Keys?.[ItemAttribute.id]?.S === id && matches(record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined),
      );
      if (found) return { shardId: shardId!, sequenceNumber: found.dynamodb!.SequenceNumber! };
      // An open shard keeps answering with an iterator: stop at its end.
      iterator = Records.length > 0 ? NextShardIterator : undefined;
    }
  }
  throw new Error(`no stream record of row ${JSON.stringify(id)} matches`);
}

/** Whether the local pipe has read the record at `position` and handed it to every pipe whose filter matches it. */
export function pipeDeliveredThrough(pipeline: LocalPipeline, position: StreamPosition): boolean {
  const through = pipeline.pipe.deliveredThrough.get(position.shardId);
  return through !== undefined && BigInt(through) >= BigInt(position.sequenceNumber);
}

/** The messages for row `id` the run's workers have received, from their log files. */
export function receivedByWorkers(pipeline: LocalPipeline, id: string): unknown[] {
  const logPaths = pipeline.instances.history().map((run) => run.logPath);
  return eventsInLogs(logPaths, WorkerLogEvent.messageReceived).filter((event) => event.itemId === id);
}
