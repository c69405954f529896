import type { CloudWatchClientConfig } from '@aws-sdk/client-cloudwatch';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { WorkerConfig } from './config';

/**
 * The metrics client's configuration (worker/clients.ts builds the copy path's clients). Few attempts
 * and short timeouts: a metrics publish is worth less than a prompt stop. Against the emulator the
 * client speaks CloudWatch's query protocol: the SDK's default is JSON, which the pinned moto (with
 * botocore 1.35, whose CloudWatch model lists only `query`) answers with a 500.
 */
export function cloudWatchClientConfig(config: Pick<WorkerConfig, 'region' | 'endpoint'>): CloudWatchClientConfig {
  return {
    region: config.region,
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 10_000 }),
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint, protocol: AwsQueryProtocol }),
  };
}
