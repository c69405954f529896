import { randomBytes } from 'node:crypto';
import { ItemAttribute, ItemStatus } from '../../../contracts';
import { readQueueDepth } from '../../../runtime/queue-depth';
import { useEmulator } from '../../support/emulator';
import {
  createTestPipeline,
  destroyTestPipeline,
  inputPath,
  putInput,
  readOutput,
  readRow,
  submitRow,
  type TestPipeline,
} from '../../support/worker-fixtures';
import {
  DYNAMODB_THROTTLED,
  isCompleteMultipartUpload,
  isCopyObject,
  isUpdateItem,
  runWorkerWithFaults,
  S3_NO_SUCH_UPLOAD,
  S3_SLOW_DOWN,
} from '../../support/worker-in-process';

jest.setTimeout(120_000);

const kit = useEmulator();
let pipeline: TestPipeline | undefined;

afterEach(() => {
  destroyTestPipeline(pipeline);
  pipeline = undefined;
});

async function prepareRow(p: TestPipeline, id: string, body: string | Buffer = `contents of ${id}`) {
  await putInput(p, `${id}.txt`, body);
  await submitRow(p, id, inputPath(p, `${id}.txt`));
}

describe('worker under injected faults (emulator)', () => {
  it('an S3 copy that fails transiently is retried by the SDK and the row ends FINISHED', async () => {
    pipeline = await createTestPipeline(kit.emulator.endpoint, { visibilityTimeoutSeconds: 30 });
    await prepareRow(pipeline, 'slow-1');

    const { exitCode, events, s3Injected } = await runWorkerWithFaults(pipeline, {
      s3: [{ matches: isCopyObject, times: 2, response: S3_SLOW_DOWN }],
    });

    expect(exitCode).toBe(0);
    expect(s3Injected).toEqual([2]);
    expect((await readRow(pipeline, 'slow-1'))?.[ItemAttribute.status]).toBe(ItemStatus.FINISHED);
    expect(events.map((event) => event.event)).not.toContain('message_retry');
    expect((await readOutput(pipeline, 'slow-1.txt')).toString()).toBe('contents of slow-1');
  });

  it('an S3 copy that outlasts the SDK retries is left for redelivery, then succeeds on the next receive', async () => {
    pipeline = await createTestPipeline(kit.emulator.endpoint, { visibilityTimeoutSeconds: 2 });
    await prepareRow(pipeline, 'slow-2');

    const p = pipeline;
    // The worker polls on until the row is FINISHED: the redelivery comes when the visibility timeout, counted
    // from the last heartbeat, has passed, whatever the worker's idle period.
    const { events, s3Injected } = await runWorkerWithFaults(pipeline, {
      s3: [{ matches: isCopyObject, times: 5, response: S3_SLOW_DOWN }],
      until: async () => (await readRow(p, 'slow-2'))?.[ItemAttribute.status] === ItemStatus.FINISHED,
    });

    expect(s3Injected).toEqual([5]);
    expect(events.filter((event) => event.event === 'message_retry')).toHaveLength(1);
    expect(events.filter((event) => event.event === 'message_received').map((event) => event.receive_count)).toEqual([1, 2]);
    expect((await readRow(pipeline, 'slow-2'))?.[ItemAttribute.status]).toBe(ItemStatus.FINISHED);
  });

  it('on the last allowed receive a transient failure is recorded as FAILED with the last error, and no message reaches the DLQ', async () => {
    pipeline = await createTestPipeline(kit.emulator.endpoint, { visibilityTimeoutSeconds: 2, maxReceiveCount: 2 });
    await prepareRow(pipeline, 'hopeless');

    const p = pipeline;
    // Every attempt of both receives answers SlowDown: 5 SDK attempts per receive. The worker polls on until
    // the row is FAILED, so the second receive happens however late the redelivery comes.
    const { events, s3Injected } = await runWorkerWithFaults(pipeline, {
      s3: [{ matches: isCopyObject, times: 100, response: S3_SLOW_DOWN }],
      until: async () => (await readRow(p, 'hopeless'))?.[ItemAttribute.status] === ItemStatus.FAILED,
    });

    expect(s3Injected).toEqual([10]);
    const row = await readRow(pipeline, 'hopeless');
    expect(row?.[ItemAttribute.status]).toBe(ItemStatus.FAILED);
    expect(row?.[ItemAttribute.failureReason]).toBe(
      'gave up after 2 receives, last error: SlowDown: Please reduce your request rate.',
    );
    expect(events).toContainEqual(expect.objectContaining({ event: 'item_failed', item_id: 'hopeless', last_receive: true }));
    expect(await readQueueDepth(pipeline.sqs, pipeline.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await readQueueDepth(pipeline.sqs, pipeline.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('a CompleteMultipartUpload whose success was lost (NoSuchUpload on the answer) is recognised as done by its destination', async () => {
    pipeline = await createTestPipeline(kit.emulator.endpoint, { visibilityTimeoutSeconds: 30 });
    const body = randomBytes(12 * 1024 * 1024);
    await prepareRow(pipeline, 'completed', body);

    // moto completes the upload; the worker is told NoSuchUpload, as S3 answers a retry of a completed upload.
    const { events, s3Injected } = await runWorkerWithFaults(pipeline, {
      s3: [{ matches: isCompleteMultipartUpload, times: 1, passThrough: true, response: S3_NO_SUCH_UPLOAD }],
      config: { multipartThresholdBytes: 5 * 1024 * 1024 },
    });

    expect(s3Injected).toEqual([1]);
    expect((await readRow(pipeline, 'completed'))?.[ItemAttribute.status]).toBe(ItemStatus.FINISHED);
    expect((await readOutput(pipeline, 'completed.txt')).equals(body)).toBe(true);
    expect(events.map((event) => event.event)).not.toContain('message_retry');
    expect(events).toContainEqual(expect.objectContaining({ event: 'item_finished', item_id: 'completed', parts: 3 }));
  });

  it('DynamoDB throttling on the status write is retried and the row ends FINISHED once', async () => {
    pipeline = await createTestPipeline(kit.emulator.endpoint, { visibilityTimeoutSeconds: 30 });
    await prepareRow(pipeline, 'throttled');

    const { events, dynamodbInjected } = await runWorkerWithFaults(pipeline, {
      dynamodb: [{ matches: isUpdateItem, times: 2, response: DYNAMODB_THROTTLED }],
    });

    expect(dynamodbInjected).toEqual([2]);
    expect((await readRow(pipeline, 'throttled'))?.[ItemAttribute.status]).toBe(ItemStatus.FINISHED);
    expect(events.filter((event) => event.event === 'item_finished')).toHaveLength(1);
  });
});
