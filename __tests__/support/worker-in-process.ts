import { Readable } from 'node:stream';
import { DynamoDBClient, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient, type ReceiveMessageCommandOutput } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { WORKER_MAX_ATTEMPTS, type WorkerClients } from '../../worker/clients';
import type { WorkerConfig } from '../../worker/config';
import { runWorker } from '../../worker/main';
import { emulatorClientConfig } from './clients';
import { workerConfig, type TestPipeline } from './worker-fixtures';
import { recordingLogger } from './worker-logger';

/** Between the SDK's attempts of an in-process worker's request. */
const RETRY_DELAY_MS = 10;

/** The parts of a signed request a fault looks at. */
export interface FaultRequest {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly query?: Record<string, unknown>;
}

export interface CannedResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Something done to a request between the worker's real SDK client and moto, the first `times` times a request
 * `matches`:
 *  - `before` runs first (another party's write at exactly that moment);
 *  - `response` replaces moto's answer: without `passThrough` the request never reaches moto; with it, moto
 *    carries the request out and its answer is lost on the way back.
 * Everything else (the SDK's retries, the worker's decisions, SQS redelivery) is the real thing.
 */
export interface Fault {
  readonly matches: (request: FaultRequest) => boolean;
  readonly times: number;
  readonly before?: () => Promise<void>;
  readonly response?: CannedResponse;
  readonly passThrough?: boolean;
}

export function faultyHandler(faults: readonly Fault[]) {
  const inner = new NodeHttpHandler();
  const injected = faults.map(() => 0);
  return {
    injected,
    handler: {
      async handle(request: FaultRequest, options?: unknown) {
        const index = faults.findIndex((fault, i) => injected[i] < fault.times && fault.matches(request));
        const forward = () => inner.handle(request as never, options as never);
        if (index === -1) return forward();
        injected[index] += 1;
        const fault = faults[index];
        await fault.before?.();
        if (fault.response === undefined) return forward();
        if (fault.passThrough) await drain(await forward());
        const { statusCode, headers, body } = fault.response;
        return { response: { statusCode, headers, body: Readable.from([Buffer.from(body)]) } };
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
      destroy: () => inner.destroy(),
    },
  };
}

async function drain(result: { response: { body?: unknown } }): Promise<void> {
  const body = result.response.body as AsyncIterable<unknown> | undefined;
  if (body && Symbol.asyncIterator in Object(body)) for await (const chunk of body) void chunk;
}

export const isCopyObject = (request: FaultRequest) => request.method === 'PUT' && 'x-amz-copy-source' in request.headers;
export const isCompleteMultipartUpload = (request: FaultRequest) =>
  request.method === 'POST' && request.query !== undefined && 'uploadId' in request.query;
export const isUpdateItem = (request: FaultRequest) => request.headers['x-amz-target'] === 'DynamoDB_20120810.UpdateItem';

export const S3_SLOW_DOWN: CannedResponse = {
  statusCode: 503,
  headers: { 'content-type': 'application/xml' },
  body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
};
/** CompleteMultipartUpload's answer for an upload that was aborted or already completed (S3 API reference). */
export const S3_NO_SUCH_UPLOAD: CannedResponse = {
  statusCode: 404,
  headers: { 'content-type': 'application/xml' },
  body:
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist. ' +
    'The upload ID may be invalid, or the upload may have been aborted or completed.</Message></Error>',
};
export const DYNAMODB_THROTTLED: CannedResponse = {
  statusCode: 400,
  headers: { 'content-type': 'application/x-amz-json-1.0' },
  body: JSON.stringify({
    __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded.',
  }),
};

export interface InProcessOptions {
  readonly s3?: readonly Fault[];
  readonly dynamodb?: readonly Fault[];
  /** @default the kit's worker configuration (worker-fixtures.ts workerConfig): idle after 2 s, the queue's settings */
  readonly config?: Partial<WorkerConfig>;
  /**
   * @default none: the worker stops once idle — what the test waits for before the worker may stop. Until it
   * holds, a receive that comes back empty is made again, so the worker cannot go idle early, however late a
   * redelivery or a dead-lettering comes; once it holds, the worker stops after its idle period as usual.
   */
  readonly until?: () => Promise<boolean>;
  /**
   * @default none — changes each UpdateItem the worker sends before it leaves the SDK: a mutation of the
   * worker's own request, to show what a test would see without some part of it.
   */
  readonly editUpdateItem?: (input: UpdateItemCommandInput) => UpdateItemCommandInput;
}

/**
 * Runs the worker in-process against moto, its S3 and DynamoDB requests going through the faults, until it
 * stops on its own when idle. Returns its exit code, its logged events and how often each fault was injected.
 */
export async function runWorkerWithFaults(p: TestPipeline, options: InProcessOptions = {}) {
  const s3Faults = faultyHandler(options.s3 ?? []);
  const dynamodbFaults = faultyHandler(options.dynamodb ?? []);
  // The SDK's standard retries with 5 attempts, as in worker/clients.ts, but 10 ms apart instead of its exponential
  // backoff (up to 8 s before a fifth attempt at a throttled request): the tests count attempts, not waits.
  const common = { ...emulatorClientConfig(p.endpoint), retryStrategy: new ConfiguredRetryStrategy(WORKER_MAX_ATTEMPTS, () => RETRY_DELAY_MS) };
  const sqs = new SQSClient(common);
  const { until, editUpdateItem } = options;
  if (until) {
    sqs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'ReceiveMessageCommand') return next(args);
        for (;;) {
          const result = await next(args);
          if (((result.output as ReceiveMessageCommandOutput).Messages ?? []).length > 0 || (await until())) return result;
        }
      },
      { step: 'initialize', name: 'receiveUntil' },
    );
  }
  const dynamodb = new DynamoDBClient({ ...common, requestHandler: dynamodbFaults.handler });
  if (editUpdateItem) {
    // At the serialize step the document client has already turned the input into DynamoDB JSON.
    dynamodb.middlewareStack.add(
      (next, context) => async (args) =>
        next(context.commandName === 'UpdateItemCommand' ? { ...args, input: editUpdateItem(args.input as UpdateItemCommandInput) } : args),
      { step: 'serialize', priority: 'high', name: 'editUpdateItem' },
    );
  }
  const clients: WorkerClients = {
    s3: new S3Client({ ...common, forcePathStyle: true, requestHandler: s3Faults.handler }),
    sqs,
    documentClient: DynamoDBDocumentClient.from(dynamodb),
  };
  const config = workerConfig(p, options.config);
  const { logger, events } = recordingLogger();
  try {
    const exitCode = await runWorker(config, clients, logger);
    return { exitCode, events, s3Injected: s3Faults.injected, dynamodbInjected: dynamodbFaults.injected };
  } finally {
    clients.s3.destroy();
    clients.sqs.destroy();
    clients.documentClient.destroy();
  }
}
