import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface OrchestratorClients {
  readonly sqs: SQSClient;
  readonly ec2: EC2Client;
  /** Lists the boot-failure markers in the pipeline bucket. */
  readonly s3: S3Client;
  /** Resolves a `resolve:ssm:` AMI setting. */
  readonly ssm: SSMClient;
}

export interface ClientOptions {
  readonly region: string;
  /**
   * @default undefined — the SDK's own resolution, which honours AWS_ENDPOINT_URL (the local run and
   * emulator tests set it to moto). Tests may pass an endpoint explicitly instead.
   */
  readonly endpoint?: string;
  /** @default the SDK's default chain (the Lambda role's credentials in AWS) */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** @default true when `endpoint` is given — path-style S3 requests, as the emulator on 127.0.0.1 needs */
  readonly forcePathStyle?: boolean;
}

/**
 * Three attempts with the SDK's standard backoff: a tick runs every minute, so a longer retry only delays
 * the next one. Short timeouts keep a hung connection from eating the Lambda's time budget.
 */
const MAX_ATTEMPTS = 3;
const CONNECTION_TIMEOUT_MS = 3_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** Builds the clients once per cold start; nothing connects until the first request. */
export function createClients(options: ClientOptions): OrchestratorClients {
  const shared = () =>
    ({
      region: options.region,
      // Left out unless given, so the SDK's own AWS_ENDPOINT_URL lookup applies.
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      maxAttempts: MAX_ATTEMPTS,
      retryMode: 'standard',
      requestHandler: new NodeHttpHandler({ connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }),
    }) as const;
  return {
    sqs: new SQSClient(shared()),
    ec2: new EC2Client(shared()),
    s3: new S3Client({ ...shared(), forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined }),
    ssm: new SSMClient(shared()),
  };
}
