import { ListEventSourceMappingsCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageBatchCommand, GetQueueUrlCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { LocalLog } from '../log';
import type { FunctionHost } from './function-host';
import { pause } from './pipe';

/** The function's event source mapping on an SQS queue (the wake queue), as Terraform deployed it. */
export interface QueueEventSource {
  readonly uuid: string;
  readonly queueArn: string;
  readonly queueUrl: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  /** Most invocations at once (ScalingConfig.MaximumConcurrency). */
  readonly maximumConcurrency: number;
}

/** Lambda's defaults for an SQS mapping: 10 messages, no window, and (unset) up to 1,000 concurrent batches. */
const DEFAULT_BATCH_SIZE = 10;

/**
 * The function's one mapping whose source is an SQS queue; undefined when it has none. Every mapping is listed
 * and matched on its function ARN: the emulator filters ListEventSourceMappings on the exact string the
 * mapping was created with (Terraform passes the ARN), where AWS accepts a name or an ARN.
 */
export async function readQueueEventSource(lambda: LambdaClient, sqs: SQSClient, functionName: string): Promise<QueueEventSource | undefined> {
  const { EventSourceMappings = [] } = await lambda.send(new ListEventSourceMappingsCommand({}));
  const queueMappings = EventSourceMappings.filter(
    (mapping) => mapping.FunctionArn?.endsWith(`:function:${functionName}`) && mapping.EventSourceArn?.split(':')[2] === 'sqs',
  );
  if (queueMappings.length === 0) return undefined;
  if (queueMappings.length > 1) throw new Error(`${functionName} has ${queueMappings.length} SQS event source mappings; the local run expects one (the wake queue)`);
  const [mapping] = queueMappings;
  const queueArn = mapping.EventSourceArn!;
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueArn.split(':').pop() }));
  if (!QueueUrl) throw new Error(`the mapping's queue ${queueArn} does not exist on the emulator`);
  return {
    uuid: mapping.UUID!,
    queueArn,
    queueUrl: QueueUrl,
    batchSize: mapping.BatchSize ?? DEFAULT_BATCH_SIZE,
    maximumBatchingWindowSeconds: mapping.MaximumBatchingWindowInSeconds ?? 0,
    maximumConcurrency: mapping.ScalingConfig?.MaximumConcurrency ?? 1000,
  };
}

/** The event Lambda invokes a function with for a batch of SQS messages. */
export function sqsBatchEvent(messages: readonly Message[], queueArn: string, region: string): { Records: Record<string, unknown>[] } {
  return {
    Records: messages.map((message) => ({
      messageId: message.MessageId,
      receiptHandle: message.ReceiptHandle,
      body: message.Body,
      attributes: message.Attributes ?? {},
      messageAttributes: message.MessageAttributes ?? {},
      md5OfBody: message.MD5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: region,
    })),
  };
}

export interface WakeMappingOptions {
  readonly source: QueueEventSource;
  readonly host: FunctionHost;
  readonly sqs: SQSClient;
  readonly region: string;
  readonly log: LocalLog;
  /** Called after each invocation, with its outcome and the number of messages in its batch. */
  readonly onInvoke?: (outcome: { messages: number; result?: unknown; error?: string }) => void;
}

export interface RunningWakeMapping {
  /** Invocations made so far. */
  readonly invocations: () => number;
  stop(): Promise<void>;
}

/** "Lambda … starts processing five batches at a time" (Lambda guide, scaling for SQS event sources). */
const INITIAL_POLLERS = 5;
/** Short pause between receives while a batching window is open: the emulator answers an empty receive at once. */
const WINDOW_POLL_MS = 100;

/**
 * The local stand-in for the Lambda event source mapping on the wake queue (the emulator's own mapping is
 * disabled after the deploy: it would invoke nothing and delete the messages, local/emulator/gaps.ts). As
 * Lambda does, it long-polls the queue, gathers a batch until the batch size or the batching window, invokes
 * the function with it (at most `maximumConcurrency` batches at once, in the shared function host), deletes
 * the batch when the invocation returns, and leaves it to reappear after the visibility timeout when it fails.
 */
export function startWakeMapping(options: WakeMappingOptions): RunningWakeMapping {
  const { source, host, sqs } = options;
  const controller = new AbortController();
  const { signal } = controller;
  let invocations = 0;

  const receive = async (max: number, waitSeconds: number): Promise<Message[]> => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: source.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: signal },
    );
    return Messages;
  };

  /** One batch: the first messages (long poll), then more until the batch is full or the window closes. */
  const gather = async (): Promise<Message[]> => {
    const batch = await receive(source.batchSize, 20);
    if (batch.length === 0) return batch;
    const windowEnds = Date.now() + source.maximumBatchingWindowSeconds * 1000;
    while (batch.length < source.batchSize && Date.now() < windowEnds && !signal.aborted) {
      const more = await receive(source.batchSize - batch.length, 0);
      batch.push(...more);
      if (more.length === 0) await pause(Math.min(WINDOW_POLL_MS, windowEnds - Date.now()), signal);
    }
    return batch;
  };

  const poller = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        const batch = await gather();
        if (batch.length === 0 || signal.aborted) continue;
        const response = await host.invoke(sqsBatchEvent(batch, source.queueArn, options.region));
        if (signal.aborted) break; // an invocation cut short by stop() is not a failure
        invocations++;
        if ('error' in response) {
          options.log.warn('orchestrator_failed', { trigger: 'wake', messages: batch.length, error: response.error.message });
          options.onInvoke?.({ messages: batch.length, error: response.error.message });
          continue; // the batch reappears after the queue's visibility timeout
        }
        await deleteBatch(sqs, source.queueUrl, batch, signal);
        options.log.info('orchestrator_ticked', { trigger: 'wake', messages: batch.length, result: response.result });
        options.onInvoke?.({ messages: batch.length, result: response.result });
      } catch (error) {
        if (signal.aborted) break;
        options.log.warn('wake_poll_failed', { error: (error as Error).message });
        await pause(1000, signal);
      }
    }
  };

  // Lambda starts with five pollers and never runs more batches at once than the maximum concurrency.
  const pollers = Array.from({ length: Math.max(1, Math.min(INITIAL_POLLERS, source.maximumConcurrency)) }, poller);
  return {
    invocations: () => invocations,
    async stop() {
      controller.abort();
      await Promise.all(pollers);
    },
  };
}

async function deleteBatch(sqs: SQSClient, queueUrl: string, messages: readonly Message[], abortSignal: AbortSignal): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    const entries = messages.slice(start, start + 10).map((message, index) => ({ Id: `m${index}`, ReceiptHandle: message.ReceiptHandle! }));
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }), { abortSignal });
  }
}
