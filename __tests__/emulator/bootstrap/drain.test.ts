import { readFileSync } from 'node:fs';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { BOOT_FAILURES_PREFIX, ItemAttribute, ItemStatus, LOGS_PREFIX } from '../../../contracts';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from '../../../local/emulator/moto';
import { requireWorkerBundle, WORKER_BUNDLE } from '../../../local/emulator/paths';
import { NODE_RUNTIME_ARCHIVE_PATH } from '../../../main';
import { WORKER_SERVICE } from '../../../runtime/bootstrap/user-data-template';
import { readQueueDepth } from '../../../runtime/queue-depth';
import { BootstrapHarness, INSTANCE_ID } from '../../../local/standins/bootstrap-harness';
import { startHoldingProxy, type HoldingProxy } from '../../../local/emulator/holding-proxy';
import { useEmulator } from '../../support/emulator';
import { createTestPipeline, destroyTestPipeline, inputPath, putInput, readRow, submitRow, type TestPipeline } from '../../support/worker-fixtures';

jest.setTimeout(180_000);

/**
 * The shutdown an instance goes through (Spot interruption, termination), with the real things: the rendered
 * bootstrap installs the pinned Node.js runtime archive and the built worker bundle (dist/worker/worker.js),
 * and its unit runs them, as systemd would (bootstrap-harness.ts, systemd-standin.js), against moto. A proxy
 * holds the worker's S3 copy, so a message is in flight when the instance shuts down. systemd's stop then
 * sends SIGTERM to node alone and waits up to TimeoutStopSec: the worker's drain runs whole.
 */

/** Long enough that a message visible again can only have been released, not expired. */
const VISIBILITY_TIMEOUT_SECONDS = 300;

const kit = useEmulator();
let pipeline: TestPipeline | undefined;
let proxy: HoldingProxy | undefined;
let harness: BootstrapHarness;

beforeAll(() => {
  requireWorkerBundle();
  harness = new BootstrapHarness();
});

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  destroyTestPipeline(pipeline);
  pipeline = undefined;
});

afterAll(async () => {
  await harness?.dispose();
});

it('stopping the service during a copy releases the message and uploads the log before node exits; the unit reports success', async () => {
  const p = (pipeline = await createTestPipeline(kit.emulator.endpoint, { visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS }));
  proxy = await startHoldingProxy(kit.emulator.endpoint);
  await putInput(p, 'held/file.txt', 'contents');
  await submitRow(p, 'held', inputPath(p, 'held/file.txt'));
  const run = harness.prepare('drain', {
    nodeArchive: NODE_RUNTIME_ARCHIVE_PATH,
    pinnedArchive: true,
    workerBundle: WORKER_BUNDLE,
    params: {
      region: EMULATOR_REGION,
      queueUrl: p.queueUrl,
      tableName: p.tableName,
      bucketName: p.bucketName,
      workerCodeKey: 'worker/worker.js',
      autoterminateMinutes: 5,
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    },
    // The instance profile's part, and the emulator's endpoint (through the proxy).
    serviceEnv: { ...EMULATOR_CREDENTIALS, AWS_ENDPOINT_URL: proxy.endpoint },
  });

  const boot = await harness.bootAsync(run);
  expect(boot.status).toBe(0);
  await proxy.copyHeld;
  // The precondition that makes this test mean something: the message is in flight when the stop comes.
  expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 0, inFlight: 1 });

  harness.beginShutdown(run);
  await harness.systemctl(run, 'stop', WORKER_SERVICE);
  const result = await harness.serviceResult(run);

  expect(result).toMatchObject({ EXIT_CODE: 'exited', EXIT_STATUS: '0', SERVICE_RESULT: 'success' });
  expect(run.sequence().some((entry) => entry.startsWith('SIGKILL'))).toBe(false);
  // Released at once (not expired: the visibility timeout is 5 minutes), for another worker to take.
  expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 1, inFlight: 0 });
  expect(proxy.abandonedCopies()).toBe(1);
  expect((await readRow(p, 'held'))?.[ItemAttribute.status]).toBe(ItemStatus.PENDING);

  const logs = await p.s3.send(new ListObjectsV2Command({ Bucket: p.bucketName, Prefix: `${LOGS_PREFIX}${INSTANCE_ID}/` }));
  expect(logs.Contents?.map((object) => object.Key)).toEqual([expect.stringMatching(/-signal\.log$/)]);
  const uploaded = await p.s3.send(new GetObjectCommand({ Bucket: p.bucketName, Key: logs.Contents![0].Key }));
  const events = (await uploaded.Body!.transformToString())
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { event: string }).event);
  expect(events).toEqual(expect.arrayContaining(['bootstrap_started', 'node_installed', 'worker_service_started', 'signal_received', 'message_released']));
  expect(events.indexOf('signal_received')).toBeLessThan(events.indexOf('message_released'));
  // The last line the worker wrote before node exited: after the upload, the log it shipped could not hold it.
  expect(readFileSync(run.logAddress, 'utf8')).toContain('"event":"log_uploaded"');

  // A drained stop during the instance's shutdown is no failure: the bootstrap uploads nothing of its own.
  const markers = await p.s3.send(new ListObjectsV2Command({ Bucket: p.bucketName, Prefix: BOOT_FAILURES_PREFIX }));
  expect(markers.KeyCount).toBe(0);
  expect(run.record('uploaded.log')).toBeUndefined();
});
