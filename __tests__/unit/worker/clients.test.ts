import { createClients, destroyClients } from '../../../worker/clients';
import type { WorkerConfig } from '../../../worker/config';

const config: WorkerConfig = {
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/111122223333/queue',
  tableName: 'items',
  bucketName: 'bucket',
  region: 'eu-west-1',
  instanceId: 'i-1',
  processorCatalogKey: undefined,
  idleTimeoutMs: 300_000,
  concurrency: 10,
  visibilityTimeoutSeconds: 30,
  maxReceiveCount: 5,
  multipartThresholdBytes: 5 * 1024 ** 3,
  logPath: '/tmp/worker.log',
  scratchDir: '/tmp/scratch',
  scratchReserveBytes: 0,
  endpoint: undefined,
  interruptionRetries: 5,
  shutdownGraceMs: 20_000,
  imdsEndpoint: undefined,
};

describe('createClients', () => {
  it('uses the region, virtual-hosted S3 and five attempts in AWS', async () => {
    const clients = createClients(config);

    await expect(clients.s3.config.region()).resolves.toBe('eu-west-1');
    expect(clients.s3.config.forcePathStyle).toBe(false);
    await expect(clients.sqs.config.maxAttempts()).resolves.toBe(5);
    destroyClients(clients);
  });

  it('points every client at the emulator and S3 at path-style addressing when an endpoint is set', async () => {
    const clients = createClients({ ...config, endpoint: 'http://127.0.0.1:5000' });

    expect(clients.s3.config.forcePathStyle).toBe(true);
    for (const client of [clients.s3, clients.sqs, clients.documentClient]) {
      const endpoint = await client.config.endpoint!();
      expect(`${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`).toBe('http://127.0.0.1:5000');
    }
    destroyClients(clients);
  });
});
