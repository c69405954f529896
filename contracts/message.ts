/**
 * The SQS message body the pipe delivers: one DynamoDB stream record, unchanged (no input template).
 * Values are DynamoDB JSON (`{"S": "..."}`). AWS documents the pipe's input array, not the message body;
 * this shape is the one public examples show, and the worker's parser accepts nothing else.
 */
export interface AttributeValueJson {
  readonly [type: string]: unknown;
}
export type ImageJson = Readonly<Record<string, AttributeValueJson>>;

export interface StreamRecordMessage {
  readonly eventID: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly eventVersion: string;
  readonly eventSource: 'aws:dynamodb';
  readonly awsRegion: string;
  readonly dynamodb: {
    readonly ApproximateCreationDateTime?: number;
    readonly Keys: ImageJson;
    readonly NewImage?: ImageJson;
    readonly OldImage?: ImageJson;
    readonly SequenceNumber: string;
    readonly SizeBytes: number;
    readonly StreamViewType: 'NEW_AND_OLD_IMAGES' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'KEYS_ONLY';
  };
  readonly eventSourceARN: string;
}

/**
 * The message attribute (Number) counting how many times the row's work was interrupted: absent on the pipe's
 * messages; a worker that is interrupted sends the message again with the count plus one (docs/capacity.md).
 */
export const INTERRUPTIONS_MESSAGE_ATTRIBUTE = 'rag-interruptions';
