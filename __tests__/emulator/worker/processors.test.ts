import { COPY_ONLY_CATALOG, ItemAttribute, ItemStatus, ProcessorType, type ProcessorCatalog } from '../../../contracts';
import { requireWorkerBundle } from '../../../local/emulator/paths';
import { readQueueDepth } from '../../../runtime/queue-depth';
import { useEmulator } from '../../support/emulator';
import {
  createTestPipeline,
  destroyTestPipeline,
  inputPath,
  putInput,
  putProcessorCatalog,
  putRowAndMessage,
  readOutput,
  readRow,
  runWorkerUntilIdle,
  type TestPipeline,
  type WorkerProcess,
} from '../../support/worker-fixtures';

jest.setTimeout(120_000);

/**
 * The processor catalog end to end, with the worker bundle as instances run it: the catalog read from the bucket
 * at start, a row's own processor or the default, an unknown name, and a catalog the worker must refuse.
 */

const kit = useEmulator();
let pipeline: TestPipeline | undefined;
const workers: WorkerProcess[] = [];
const EXIT_DEADLINE_MS = 60_000;

beforeAll(() => requireWorkerBundle());

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.kill()));
  destroyTestPipeline(pipeline);
  pipeline = undefined;
});

const withMirror: ProcessorCatalog = {
  ...COPY_ONLY_CATALOG,
  defaultProcessor: 'mirror',
  processors: { ...COPY_ONLY_CATALOG.processors, mirror: { type: ProcessorType.copy } },
};

/** Runs `node worker.js` with the catalog key until it stops by itself (idle after 3 s, or at once on a bad catalog). */
const runWorkerProcess = (p: TestPipeline) => runWorkerUntilIdle(p, { started: workers, deadlineMs: EXIT_DEADLINE_MS });

const pending = (id: string, s3Path: string, processor?: string) => ({
  [ItemAttribute.id]: id,
  [ItemAttribute.status]: ItemStatus.PENDING,
  [ItemAttribute.s3Path]: s3Path,
  ...(processor === undefined ? {} : { [ItemAttribute.processor]: processor }),
});

describe('processors on the worker', () => {
  it("runs each row's own processor or the catalog's default, and fails a name the catalog lacks, listing the known ones", async () => {
    const p = (pipeline = await createTestPipeline(kit.emulator.endpoint));
    await putProcessorCatalog(p, withMirror);
    await putInput(p, 'a.txt', 'alpha');
    await putInput(p, 'b.txt', 'bravo');
    await putRowAndMessage(p, pending('by-default', inputPath(p, 'a.txt')));
    await putRowAndMessage(p, pending('by-name', inputPath(p, 'b.txt'), 'copy'));
    await putRowAndMessage(p, pending('unknown', inputPath(p, 'a.txt'), 'ocr'));

    const { exit, events } = await runWorkerProcess(p);

    expect(exit.code).toBe(0);
    expect(events).toContainEqual(expect.objectContaining({ event: 'processors_loaded', default_processor: 'mirror', processors: ['copy', 'mirror'] }));
    expect(await readRow(p, 'by-default')).toMatchObject({
      [ItemAttribute.status]: ItemStatus.FINISHED,
      [ItemAttribute.processedBy]: 'mirror',
      [ItemAttribute.outputPath]: `s3://${p.bucketName}/data/output/a.txt`,
      [ItemAttribute.outputCount]: 1,
      [ItemAttribute.outputKeys]: ['data/output/a.txt'],
    });
    expect(await readRow(p, 'by-name')).toMatchObject({ [ItemAttribute.status]: ItemStatus.FINISHED, [ItemAttribute.processedBy]: 'copy' });
    expect((await readOutput(p, 'b.txt')).toString()).toBe('bravo');
    expect(await readRow(p, 'unknown')).toMatchObject({
      [ItemAttribute.status]: ItemStatus.FAILED,
      [ItemAttribute.processedBy]: 'ocr',
      [ItemAttribute.failureReason]: 'processor ‘ocr’ is not configured; the configured processors are copy, mirror',
    });
    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it.each([
    { case: 'not JSON', body: '{"processors":', error: 'is not JSON' },
    { case: 'a type the worker does not know', body: JSON.stringify({ processors: { ocr: { type: 'tesseract' } } }), error: 'processors.ocr.type must be one of' },
  ])('exits without taking a message when the catalog is $case', async ({ body, error }) => {
    const p = (pipeline = await createTestPipeline(kit.emulator.endpoint));
    await putProcessorCatalog(p, body);
    await putInput(p, 'a.txt', 'alpha');
    await putRowAndMessage(p, pending('waits', inputPath(p, 'a.txt')));

    const { exit, events } = await runWorkerProcess(p);

    expect(exit.code).toBe(2);
    expect(events).toContainEqual(expect.objectContaining({ event: 'processors_unavailable', error: expect.stringContaining(error) }));
    expect(events.map((event) => event.event)).not.toContain('message_received');
    expect(await readRow(p, 'waits')).toMatchObject({ [ItemAttribute.status]: ItemStatus.PENDING });
    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 1, inFlight: 0 });
  });
});
