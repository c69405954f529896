import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { FunctionHost } from '../../../local/standins/function-host';
import type { InvokeResponse } from '../../../local/standins/lambda-host';
import { sqsBatchEvent, startWakeMapping, type QueueEventSource } from '../../../local/standins/wake';
import { memoryLog } from '../../support/memory-log';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:rag-pipeline-dev-wake';
const source: QueueEventSource = {
  uuid: 'mapping-1',
  queueArn: QUEUE_ARN,
  queueUrl: 'http://127.0.0.1:5000/123456789012/rag-pipeline-dev-wake',
  batchSize: 1000,
  maximumBatchingWindowSeconds: 1,
  maximumConcurrency: 1,
};
const message = (id: string): Message => ({ MessageId: id, ReceiptHandle: `handle-${id}`, Body: '{}', MD5OfBody: 'md5', Attributes: { ApproximateReceiveCount: '1' } });

describe('sqsBatchEvent', () => {
  it('is the event Lambda invokes a function with for a batch of SQS messages', () => {
    expect(sqsBatchEvent([message('m1')], QUEUE_ARN, 'us-east-1')).toEqual({
      Records: [
        {
          messageId: 'm1',
          receiptHandle: 'handle-m1',
          body: '{}',
          attributes: { ApproximateReceiveCount: '1' },
          messageAttributes: {},
          md5OfBody: 'md5',
          eventSource: 'aws:sqs',
          eventSourceARN: QUEUE_ARN,
          awsRegion: 'us-east-1',
        },
      ],
    });
  });
});

describe('startWakeMapping', () => {
  const sqs = mockClient(SQSClient);
  beforeEach(() => sqs.reset());

  /** A host that answers each invocation with `answer` and records the batches' message ids. */
  function host(answer: (invocation: number) => InvokeResponse) {
    const batches: string[][] = [];
    const fake = {
      invoke: async (event: unknown) => {
        batches.push((event as { Records: Array<{ messageId: string }> }).Records.map((record) => record.messageId));
        return answer(batches.length);
      },
    } as unknown as FunctionHost;
    return { fake, batches };
  }

  /** Receives return the given batches in turn, then empty answers after a moment, as a short poll does. */
  function queueReturns(...batches: Message[][]) {
    let call = 0;
    sqs.on(ReceiveMessageCommand).callsFake(() => {
      const next = batches[call++];
      return next ? { Messages: next } : new Promise((resolve) => setTimeout(() => resolve({ Messages: [] }), 5));
    });
  }

  /** Event-driven: polls the condition on the event loop, then stops the mapping. */
  async function runUntil(done: () => boolean, mapping: { stop(): Promise<void> }) {
    while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
    await mapping.stop();
  }

  it('gathers messages into one batch within the window, invokes once, and deletes the batch after a normal return', async () => {
    queueReturns([message('m1'), message('m2')], [message('m3')]);
    const { fake, batches } = host((id) => ({ id, result: { trigger: 'wake' } }));

    const mapping = startWakeMapping({ source, host: fake, sqs: sqs as unknown as SQSClient, region: 'us-east-1', log: memoryLog() });
    await runUntil(() => sqs.commandCalls(DeleteMessageBatchCommand).length > 0, mapping);

    expect(batches[0]).toEqual(['m1', 'm2', 'm3']);
    expect(sqs.commandCalls(DeleteMessageBatchCommand)[0].args[0].input.Entries?.map((entry) => entry.ReceiptHandle)).toEqual([
      'handle-m1',
      'handle-m2',
      'handle-m3',
    ]);
    expect(mapping.invocations()).toBe(1);
  });

  it('leaves a batch the function failed on to come back after the visibility timeout', async () => {
    queueReturns([message('m1')]);
    const { fake, batches } = host((id) => ({ id, error: { message: 'tick failed' } }));
    const log = memoryLog();

    const mapping = startWakeMapping({ source: { ...source, maximumBatchingWindowSeconds: 0 }, host: fake, sqs: sqs as unknown as SQSClient, region: 'us-east-1', log });
    await runUntil(() => batches.length > 0 && log.events.length > 0, mapping);

    expect(sqs).not.toHaveReceivedCommand(DeleteMessageBatchCommand);
    expect(log.events).toContainEqual(expect.objectContaining({ event: 'orchestrator_failed', fields: expect.objectContaining({ trigger: 'wake', messages: 1 }) }));
  });
});
