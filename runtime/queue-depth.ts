import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** A queue's approximate message counts, as SQS reports them. */
export interface QueueDepth {
  /** ApproximateNumberOfMessages: waiting, receivable now. */
  readonly visible: number;
  /** ApproximateNumberOfMessagesNotVisible: received by a consumer and not yet deleted. */
  readonly inFlight: number;
}

/**
 * The queue's approximate counts. GetQueueAttributes only looks: ReceiveMessage would hide the messages
 * it returns from the workers for a visibility timeout. An answer without both counts is an error, never
 * a silent zero: the orchestrator would otherwise decide that no work is waiting.
 */
export async function readQueueDepth(sqs: SQSClient, queueUrl: string, abortSignal?: AbortSignal): Promise<QueueDepth> {
  const { Attributes: attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
    { abortSignal },
  );
  return {
    visible: count(attributes, 'ApproximateNumberOfMessages'),
    inFlight: count(attributes, 'ApproximateNumberOfMessagesNotVisible'),
  };
}

function count(attributes: Partial<Record<string, string>>, name: string): number {
  const raw = attributes[name];
  const value = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value)) throw new Error(`GetQueueAttributes returned ${name} = ${JSON.stringify(raw)}, not a count`);
  return value;
}
