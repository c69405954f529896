/**
 * The SQS message body the pipe delivers: one DynamoDB stream record, unchanged (no input template).
 * Values are DynamoDB JSON (`{"S": "..."}`). See shared facts: shape seen in public examples.
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
