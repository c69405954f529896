import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface OpsClients {
  readonly s3: S3Client;
  readonly documents: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly logs: CloudWatchLogsClient;
}

export interface ClientOptions {
  /** Undefined lets the SDK resolve it (AWS_REGION, the profile). */
  readonly region?: string;
  /** The emulator's URL; undefined talks to AWS (or to AWS_ENDPOINT_URL, which the SDK reads itself). */
  readonly endpoint?: string;
  /** Undefined uses the SDK's credential chain (environment, profile, OIDC web identity, instance role). */
  readonly credentials?: S3ClientConfig['credentials'];
}

/** Builds the clients; nothing connects until the first request. */
export function createClients(options: ClientOptions): OpsClients {
  const shared = { region: options.region, endpoint: options.endpoint, credentials: options.credentials };
  return {
    // The emulator serves buckets by path, not by virtual host.
    s3: new S3Client({ ...shared, forcePathStyle: options.endpoint !== undefined }),
    documents: DynamoDBDocumentClient.from(new DynamoDBClient(shared), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    sqs: new SQSClient(shared),
    logs: new CloudWatchLogsClient(shared),
  };
}

export function destroyClients(clients: OpsClients): void {
  clients.s3.destroy();
  clients.documents.destroy();
  clients.sqs.destroy();
  clients.logs.destroy();
}
