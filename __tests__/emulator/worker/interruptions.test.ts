import { ListObjectsV2Command, HeadObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ENDPOINT_ENV, INTERRUPTIONS_PREFIX, ItemAttribute, ItemStatus, OUTPUT_PREFIX, WorkerEnv } from '../../../contracts';
import { startHoldingProxy, type HoldingProxy } from '../../../local/emulator/holding-proxy';
import { requireWorkerBundle } from '../../../local/emulator/paths';
import { startInstanceMetadata, type InstanceMetadataStandIn } from '../../../local/standins/instance-metadata';
import { readQueueDepth } from '../../../runtime/queue-depth';
import { INTERRUPTION_MARGIN_MS } from '../../../contracts';
import { useEmulator } from '../../support/emulator';
import { eventually } from '../../support/eventually';
import {
  createTestPipeline,
  destroyTestPipeline,
  inputPath,
  putInput,
  readLogEvents,
  readRow,
  startWorker,
  submitRow,
  temporaryLogPath,
  workerEnvironment,
  type TestPipeline,
  type WorkerProcess,
} from '../../support/worker-fixtures';

jest.setTimeout(120_000);

/**
 * A Spot interruption, end to end on the emulator: `node worker.js` reads its instance metadata from the local
 * stand-in (local/standins/instance-metadata.ts), which posts the notice as EC2 does. The work queue allows ONE
 * receive per message (maxReceiveCount 1), so an interruption that spent a receive would dead-letter the row on the
 * next: the row must still end FINISHED.
 */

const kit = useEmulator();
let pipeline: TestPipeline | undefined;
const workers: WorkerProcess[] = [];
let proxy: HoldingProxy | undefined;
let imds: InstanceMetadataStandIn | undefined;

beforeAll(() => requireWorkerBundle());

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.kill()));
  await proxy?.close();
  await imds?.close();
  proxy = undefined;
  imds = undefined;
  destroyTestPipeline(pipeline);
  pipeline = undefined;
});

const logged = (logPath: string, event: string) => () => readLogEvents(logPath).some((line) => line.event === event);

it('an interrupted job gives its row back without spending a receive or leaving an output, and the next worker finishes it', async () => {
  const p = (pipeline = await createTestPipeline(kit.emulator.endpoint, { visibilityTimeoutSeconds: 30, maxReceiveCount: 1 }));
  await putInput(p, 'spot/file.txt', 'interrupted once');
  await submitRow(p, 'spot-row', inputPath(p, 'spot/file.txt'));

  // The Spot worker's copy never gets an answer: the job is still running when the notice comes.
  proxy = await startHoldingProxy(p.endpoint);
  imds = await startInstanceMetadata({ instanceId: 'i-0000000000000spot', instanceType: 'c7i.large', lifecycle: 'spot' });
  const spotLog = temporaryLogPath();
  // Its receives, open while the job runs, last the idle period (3 s), not 20 s: the notice does not cut the last
  // one short, and the requeued message is delayed until it ends.
  const spot = startWorker({
    ...workerEnvironment(p, { logPath: spotLog, instanceId: 'i-0000000000000spot', autoterminateMinutes: '0.05' }),
    [ENDPOINT_ENV]: proxy.endpoint,
    [WorkerEnv.imdsEndpoint]: imds.endpoint,
  });
  workers.push(spot);
  await proxy.copyHeld;

  // A notice half a second longer than the margin: the job is stopped about half a second after the worker sees it.
  imds.interrupt(INTERRUPTION_MARGIN_MS + 500);
  const exit = await spot.exited;

  expect(exit).toEqual({ code: 0, signal: null });
  const events = readLogEvents(spotLog);
  expect(events.map((event) => event.event)).toEqual(
    expect.arrayContaining(['instance_identified', 'interruption_noticed', 'message_requeued', 'interruption_marked', 'worker_stopped']),
  );
  expect(events).toContainEqual(expect.objectContaining({ event: 'instance_identified', instance_type: 'c7i.large', purchase_option: 'spot' }));
  expect(events).toContainEqual(expect.objectContaining({ event: 'worker_stopped', reason: 'interrupted', exit_code: 0 }));
  // The copy was abandoned: nothing under data/output/.
  expect(proxy.abandonedCopies()).toBeGreaterThanOrEqual(1);
  await expect(p.s3.send(new HeadObjectCommand({ Bucket: p.bucketName, Key: `${OUTPUT_PREFIX}spot/file.txt` }))).rejects.toMatchObject({ name: 'NotFound' });
  // The row is still to do, its interruption counted; the orchestrator is told.
  expect(await readRow(p, 'spot-row')).toMatchObject({ [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.interruptions]: 1 });
  const markers = await p.s3.send(new ListObjectsV2Command({ Bucket: p.bucketName, Prefix: INTERRUPTIONS_PREFIX }));
  expect(markers.Contents?.map((object) => object.Key)).toEqual([expect.stringMatching(/-i-0000000000000spot\.json$/)]);
  // One new message (its receives start again), not held by anyone: visible at once, or once the worker's last
  // receive, still open at the cutoff, has ended (its DelaySeconds).
  expect(await readQueueDepth(p.sqs, p.queueUrl)).toMatchObject({ inFlight: 0 });
  expect(events).toContainEqual(expect.objectContaining({ event: 'message_requeued', interruptions: 1 }));

  // The next worker, on-demand, takes it on its first receive and finishes the row.
  imds = (await imds.close(), await startInstanceMetadata({ instanceId: 'i-00000000000000od', instanceType: 'm7i.large', lifecycle: 'on-demand' }));
  const onDemandLog = temporaryLogPath();
  const onDemand = startWorker({
    ...workerEnvironment(p, { logPath: onDemandLog, instanceId: 'i-00000000000000od', autoterminateMinutes: '0.05' }),
    [WorkerEnv.imdsEndpoint]: imds.endpoint,
  });
  workers.push(onDemand);
  await eventually(async () => (await readRow(p, 'spot-row'))?.[ItemAttribute.status] === ItemStatus.FINISHED, 60_000, 'the row FINISHED');

  const row = await readRow(p, 'spot-row');
  expect(row).toMatchObject({
    [ItemAttribute.status]: ItemStatus.FINISHED,
    [ItemAttribute.interruptions]: 1,
    [ItemAttribute.instanceType]: 'm7i.large',
    [ItemAttribute.purchaseOption]: 'on-demand',
    [ItemAttribute.processingSeconds]: expect.any(Number),
    [ItemAttribute.instanceSeconds]: expect.any(Number),
  });
  expect(readLogEvents(onDemandLog)).toContainEqual(expect.objectContaining({ event: 'message_received', item_id: 'spot-row', receive_count: 1 }));
  expect(await onDemand.exited).toEqual({ code: 0, signal: null });
  // Nothing went to the dead-letter queue.
  const dead = await p.sqs.send(new ReceiveMessageCommand({ QueueUrl: p.dlqUrl, WaitTimeSeconds: 0 }));
  expect(dead.Messages ?? []).toEqual([]);
});

it('a rebalance recommendation ends the worker once its receive in flight has ended: nothing sent meanwhile is lost or held', async () => {
  const p = (pipeline = await createTestPipeline(kit.emulator.endpoint, { visibilityTimeoutSeconds: 30, maxReceiveCount: 1 }));
  await putInput(p, 'rebalance/file.txt', 'sent while the last receive was open');
  imds = await startInstanceMetadata({ instanceId: 'i-000000000000rebal', instanceType: 'c7i.large', lifecycle: 'spot' });
  const logPath = temporaryLogPath();
  const worker = startWorker({ ...workerEnvironment(p, { logPath, instanceId: 'i-000000000000rebal' }), [WorkerEnv.imdsEndpoint]: imds.endpoint });
  workers.push(worker);
  await eventually(logged(logPath, 'worker_polling'), 30_000, 'the worker polling');

  imds.recommendRebalance();
  await eventually(logged(logPath, 'rebalance_recommended'), 30_000, 'the recommendation seen');
  await submitRow(p, 'after-rebalance', inputPath(p, 'rebalance/file.txt'));
  const exit = await worker.exited;

  expect(exit).toEqual({ code: 0, signal: null });
  expect(readLogEvents(logPath)).toContainEqual(expect.objectContaining({ event: 'worker_stopped', reason: 'rebalance' }));
  // The receive still open when the recommendation came either brought the row, which the worker then finished, or
  // ended before it was sent: then it waits, visible, for the next worker. Never held by a receive nobody reads.
  const status = (await readRow(p, 'after-rebalance'))?.[ItemAttribute.status];
  const depth = await readQueueDepth(p.sqs, p.queueUrl);
  expect([status, depth]).toEqual(
    status === ItemStatus.FINISHED ? [ItemStatus.FINISHED, { visible: 0, inFlight: 0 }] : [ItemStatus.PENDING, { visible: 1, inFlight: 0 }],
  );
});
