import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EMULATOR_SDK_CREDENTIALS } from './moto';

/** SDK clients for the emulator: its endpoint, fake credentials, path-style S3. */
export interface EmulatorClients {
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly ec2: EC2Client;
  readonly events: EventBridgeClient;
  readonly lambda: LambdaClient;
  readonly logs: CloudWatchLogsClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
}

export function emulatorClients(endpoint: string, region: string): EmulatorClients {
  const config = {
    endpoint,
    region,
    credentials: EMULATOR_SDK_CREDENTIALS,
  };
  return {
    dynamodb: new DynamoDBClient(config),
    streams: new DynamoDBStreamsClient(config),
    ec2: new EC2Client(config),
    events: new EventBridgeClient(config),
    lambda: new LambdaClient(config),
    logs: new CloudWatchLogsClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sqs: new SQSClient(config),
  };
}

export function destroyClients(clients: EmulatorClients): void {
  for (const client of Object.values(clients)) client.destroy();
}
