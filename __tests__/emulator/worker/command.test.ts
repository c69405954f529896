import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { COMMAND_MANIFEST_FILE, INTERRUPTION_MARGIN_MS, ItemAttribute, ItemStatus, OUTPUT_PREFIX, WorkerEnv } from '../../../contracts';
import { startInstanceMetadata, type InstanceMetadataStandIn } from '../../../local/standins/instance-metadata';
import { commandProcessesUnder } from '../../../local/standins/leftover-processes';
import { requireWorkerBundle } from '../../../local/emulator/paths';
import { readQueueDepth } from '../../../runtime/queue-depth';
import { resolveCatalog } from '../../../runtime/processors/catalog';
import { useEmulator } from '../../support/emulator';
import { eventually } from '../../support/eventually';
import {
  createTestPipeline,
  destroyTestPipeline,
  inputPath,
  putInput,
  putProcessorCatalog,
  putRowAndMessage,
  readLogEvents,
  readObject,
  readRow,
  runWorkerUntilIdle,
  type TestPipeline,
  type WorkerProcess,
} from '../../support/worker-fixtures';

jest.setTimeout(180_000);

/**
 * The command processor end to end, with the worker bundle as instances run it and real programs: every bad
 * input of docs/processors.md ends FAILED with its reason, a good one FINISHED with its outputs, nothing is left
 * in the queue, and no process the commands started outlives the worker.
 */

const kit = useEmulator();
let pipeline: TestPipeline | undefined;
const workers: WorkerProcess[] = [];
const scratchDirs: string[] = [];
let imds: InstanceMetadataStandIn | undefined;
const ARGV_ECHO = path.join(__dirname, '..', '..', 'support', 'commands', 'argv-echo.js');
const EXIT_DEADLINE_MS = 120_000;

beforeAll(() => requireWorkerBundle());

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.kill()));
  await imds?.close();
  imds = undefined;
  destroyTestPipeline(pipeline);
  pipeline = undefined;
  // Whatever happened in the test, nothing a command started may still run.
  for (const directory of scratchDirs.splice(0)) expect(commandProcessesUnder(directory)).toEqual([]);
});

const pending = (id: string, s3Path: string, processor?: string) => ({
  [ItemAttribute.id]: id,
  [ItemAttribute.status]: ItemStatus.PENDING,
  [ItemAttribute.s3Path]: s3Path,
  ...(processor === undefined ? {} : { [ItemAttribute.processor]: processor }),
});

async function putCatalog(p: TestPipeline, processors: Record<string, unknown>): Promise<void> {
  await putProcessorCatalog(p, resolveCatalog({ processors }));
}

/** Runs `node worker.js` with the catalog until it stops by itself (idle after 3 s); the scratch dir is the test's. */
async function runWorkerProcess(p: TestPipeline, env: NodeJS.ProcessEnv = {}, onStart?: (worker: WorkerProcess, logPath: string) => Promise<void>) {
  const scratchDir = path.join(mkdtempSync(path.join(tmpdir(), 'command-test-')), 'scratch');
  scratchDirs.push(scratchDir);
  const run = await runWorkerUntilIdle(p, { started: workers, settings: { scratchDir, scratchReserveBytes: '0' }, env, onStart, deadlineMs: EXIT_DEADLINE_MS });
  return { ...run, scratchDir };
}

async function listKeys(p: TestPipeline, prefix: string): Promise<string[]> {
  const listed = await p.s3.send(new ListObjectsV2Command({ Bucket: p.bucketName, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key!).sort();
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('the command processor on the worker', () => {
  it('ends every bad input FAILED with its reason, passes awkward keys as one argument each, and leaves nothing running', async () => {
    const p = (pipeline = await createTestPipeline(kit.emulator.endpoint));
    const notExecutable = path.join(mkdtempSync(path.join(tmpdir(), 'command-test-')), 'tool.sh');
    writeFileSync(notExecutable, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    await putCatalog(p, {
      echo: { type: 'command', command: [process.execPath, ARGV_ECHO, '{rest}', '{input_name}', '--id={id}', '{input}'] },
      missing: { type: 'command', command: ['rag-no-such-program'] },
      'not-executable': { type: 'command', command: [notExecutable] },
      // Ignores TERM, and so does the child it leaves: only the group's KILL ends them.
      stubborn: { type: 'command', command: ['bash', '-c', 'trap "" TERM; sleep 300 & sleep 300'], timeoutSeconds: 1, killGraceSeconds: 1 },
      chatty: { type: 'command', command: ['bash', '-c', 'head -c 1073741824 /dev/zero; echo "wrote a gigabyte" >&2; exit 4'] },
      'link-file': { type: 'command', command: ['ln', '-s', '/etc/passwd', '{output_dir}/passwd'] },
      'link-dir': { type: 'command', command: ['bash', '-c', 'mkdir "$RAG_OUTPUT_DIR/sub" && echo ok > "$RAG_OUTPUT_DIR/sub/a" && ln -s / "$RAG_OUTPUT_DIR/sub/root"'] },
      'leaves-child': { type: 'command', command: ['bash', '-c', 'sleep 300 & echo done > "$RAG_OUTPUT_DIR/done.txt"'] },
      silent: { type: 'command', command: ['true'] },
      validator: { type: 'command', command: ['true'], allowEmptyOutput: true },
      failing: { type: 'command', command: ['bash', '-c', 'echo "first line" >&2; echo "bad \\"input\\" here" >&2; exit 3'] },
    });
    // moto refuses a key with a newline (AWS takes one): the newline comes in the row's id instead.
    const awkward = "odd/$(touch pwned) `touch pwned2` 'single' \"double\" a  b\tc.txt";
    const awkwardId = 'awk\nward $(id)';
    const rows: Array<[string, string, string?]> = [
      [awkwardId, awkward, 'echo'],
      ['dash', '-rf', 'echo'],
      ['missing', 'a.txt', 'missing'],
      ['not-executable', 'a.txt', 'not-executable'],
      ['timeout', 'a.txt', 'stubborn'],
      ['chatty', 'a.txt', 'chatty'],
      ['link-file', 'a.txt', 'link-file'],
      ['link-dir', 'a.txt', 'link-dir'],
      ['leaves-child', 'a.txt', 'leaves-child'],
      ['silent', 'a.txt', 'silent'],
      ['validator', 'a.txt', 'validator'],
      ['failing', 'a.txt', 'failing'],
      ['unknown', 'a.txt', 'ocr'],
      ['no-object', 'absent.txt', 'echo'],
    ];
    await putInput(p, 'a.txt', 'alpha');
    await putInput(p, awkward, 'awkward content');
    await putInput(p, '-rf', 'dash content');
    for (const [id, rest, processor] of rows) await putRowAndMessage(p, pending(id, inputPath(p, rest), processor));

    const { exit, events, scratchDir } = await runWorkerProcess(p, { WORKER_CONCURRENCY: '6' });

    expect(exit.code).toBe(0);
    const failedWith = async (id: string) => {
      const row = await readRow(p, id);
      expect(row?.[ItemAttribute.status]).toBe(ItemStatus.FAILED);
      return row?.[ItemAttribute.failureReason];
    };
    expect(await failedWith('missing')).toBe('command not found: ‘rag-no-such-program’ (ENOENT)');
    expect(await failedWith('not-executable')).toBe(`command not executable: ‘${notExecutable}’ (EACCES)`);
    expect(await failedWith('timeout')).toBe('timed out after 1 s');
    expect(await failedWith('chatty')).toBe('command exited with code 4: wrote a gigabyte');
    expect(await failedWith('link-file')).toBe('the output directory holds a symbolic link, which is never followed or uploaded: ‘passwd’');
    expect(await failedWith('link-dir')).toBe('the output directory holds a symbolic link, which is never followed or uploaded: ‘sub/root’');
    expect(await failedWith('silent')).toBe('the command exited 0 but wrote no file to its output directory (allowEmptyOutput is off)');
    expect(await failedWith('failing')).toBe('command exited with code 3: bad \ufffdinput\ufffd here');
    expect(await failedWith('unknown')).toMatch(/^processor ‘ocr’ is not configured; the configured processors are chatty, copy, echo, /);
    expect(await failedWith('no-object')).toBe(`source object does not exist: s3://${p.bucketName}/data/input/absent.txt`);
    // A failed command uploads nothing.
    for (const id of ['link-file', 'link-dir', 'failing', 'chatty']) {
      expect(await readRow(p, id)).not.toHaveProperty(ItemAttribute.outputPath);
    }
    expect(await listKeys(p, `${OUTPUT_PREFIX}a.txt/`)).toEqual([`${OUTPUT_PREFIX}a.txt/leaves-child/done.txt`]);

    // The gigabyte went through the worker, which kept only its tail.
    expect(events).toContainEqual(expect.objectContaining({ event: 'command_exited', item_id: 'chatty', stdout_bytes: 1024 ** 3 }));
    const chattyLine = events.find((event) => event.event === 'command_exited' && event.item_id === 'chatty')!;
    expect((chattyLine.stdout_tail as string).length).toBeLessThanOrEqual(8 * 1024);

    for (const [id, rest] of [[awkwardId, awkward], ['dash', '-rf']]) {
      const row = await readRow(p, id);
      expect(row).toMatchObject({
        [ItemAttribute.status]: ItemStatus.FINISHED,
        [ItemAttribute.processedBy]: 'echo',
        [ItemAttribute.outputPath]: `s3://${p.bucketName}/${OUTPUT_PREFIX}${rest}/echo/`,
        [ItemAttribute.outputCount]: 1,
        [ItemAttribute.outputKeys]: [`${OUTPUT_PREFIX}${rest}/echo/argv.json`],
      });
      const echoed = JSON.parse((await readObject(p, `${OUTPUT_PREFIX}${rest}/echo/argv.json`)).toString()) as {
        argv: string[];
        env: Record<string, string>;
        cwd: string;
      };
      const name = rest.slice(rest.lastIndexOf('/') + 1);
      expect(echoed.argv.slice(0, 3)).toEqual([rest, name, `--id=${id}`]);
      expect(path.basename(echoed.argv[3])).toBe(name);
      expect(echoed.env).toMatchObject({ RAG_INPUT_REST: rest, RAG_INPUT_NAME: name, RAG_ITEM_ID: id, RAG_INPUT_FILE: echoed.argv[3], LANG: 'C.UTF-8' });
      expect(echoed.env.RAG_OUTPUT_DIR.startsWith(scratchDir)).toBe(true);
      expect(echoed.cwd).toBe(path.dirname(echoed.argv[3]));
    }
    expect(existsSync(path.join(process.cwd(), 'pwned'))).toBe(false);
    expect(await readRow(p, 'leaves-child')).toMatchObject({ [ItemAttribute.status]: ItemStatus.FINISHED, [ItemAttribute.outputCount]: 1 });
    expect(await readRow(p, 'validator')).toMatchObject({ [ItemAttribute.status]: ItemStatus.FINISHED, [ItemAttribute.outputCount]: 0, [ItemAttribute.outputKeys]: [] });

    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    // Every job's scratch directory is gone, whatever its outcome.
    expect(readdirSync(scratchDir)).toEqual([]);
  });

  it('publishes stdout and nested outputs, lists many through a manifest, and replaces an earlier run without a stale mix', async () => {
    const p = (pipeline = await createTestPipeline(kit.emulator.endpoint));
    const body = 'checksum me\n';
    await putInput(p, 'docs/report.txt', body);
    await putInput(p, 'many.txt', 'x');
    // The first run of "many" writes files 1..25; its rerun 1..3 and a new one: 4..25 are stale then.
    await putCatalog(p, {
      checksum: { type: 'command', command: ['sha256sum', '--', '{input_name}'], stdoutFile: '{input_name}.sha256' },
      spread: {
        type: 'command',
        command: ['bash', '-c', 'mkdir -p "$RAG_OUTPUT_DIR/nested/deeper" && for i in $(seq 1 "$1"); do echo $i > "$RAG_OUTPUT_DIR/nested/deeper/$i.txt"; done; echo new > "$RAG_OUTPUT_DIR/$2"', 'spread', '25', 'first.txt'],
      },
    });
    await putRowAndMessage(p, pending('sum', inputPath(p, 'docs/report.txt'), 'checksum'));
    await putRowAndMessage(p, pending('many', inputPath(p, 'many.txt'), 'spread'));

    await runWorkerProcess(p);

    expect(await readRow(p, 'sum')).toMatchObject({
      [ItemAttribute.status]: ItemStatus.FINISHED,
      [ItemAttribute.outputKeys]: [`${OUTPUT_PREFIX}docs/report.txt/checksum/report.txt.sha256`],
    });
    expect((await readObject(p, `${OUTPUT_PREFIX}docs/report.txt/checksum/report.txt.sha256`)).toString()).toBe(`${sha256(body)}  report.txt\n`);
    const many = await readRow(p, 'many');
    const manifestKey = `${OUTPUT_PREFIX}many.txt/spread/${COMMAND_MANIFEST_FILE}`;
    expect(many).toMatchObject({
      [ItemAttribute.status]: ItemStatus.FINISHED,
      [ItemAttribute.outputCount]: 26,
      [ItemAttribute.outputManifest]: `s3://${p.bucketName}/${manifestKey}`,
    });
    expect(many).not.toHaveProperty(ItemAttribute.outputKeys);
    const manifest = JSON.parse((await readObject(p, manifestKey)).toString()) as { keys: string[] };
    expect(manifest.keys).toHaveLength(26);
    expect(manifest.keys).toContain(`${OUTPUT_PREFIX}many.txt/spread/nested/deeper/25.txt`);

    // The rerun writes fewer files under another name: the prefix then holds exactly the new run's outputs.
    await putCatalog(p, {
      spread: {
        type: 'command',
        command: ['bash', '-c', 'mkdir -p "$RAG_OUTPUT_DIR/nested/deeper" && for i in $(seq 1 "$1"); do echo $i > "$RAG_OUTPUT_DIR/nested/deeper/$i.txt"; done; echo new > "$RAG_OUTPUT_DIR/$2"', 'spread', '3', 'second.txt'],
      },
    });
    await putRowAndMessage(p, { ...pending('many', inputPath(p, 'many.txt'), 'spread'), [ItemAttribute.requestToken]: 'rerun' });

    const { events } = await runWorkerProcess(p);

    const expected = ['nested/deeper/1.txt', 'nested/deeper/2.txt', 'nested/deeper/3.txt', 'second.txt'].map((name) => `${OUTPUT_PREFIX}many.txt/spread/${name}`);
    expect(await readRow(p, 'many')).toMatchObject({ [ItemAttribute.status]: ItemStatus.FINISHED, [ItemAttribute.outputKeys]: expected });
    expect(await readRow(p, 'many')).not.toHaveProperty(ItemAttribute.outputManifest);
    expect(await listKeys(p, `${OUTPUT_PREFIX}many.txt/`)).toEqual(expected);
    expect(events).toContainEqual(expect.objectContaining({ event: 'stale_outputs_deleted', item_id: 'many', deleted: 24 }));
  });

  it('refuses an input larger than the scratch space, FAILED with the sizes', async () => {
    const p = (pipeline = await createTestPipeline(kit.emulator.endpoint));
    await putCatalog(p, { echo: { type: 'command', command: [process.execPath, ARGV_ECHO] } });
    await putInput(p, 'big.bin', Buffer.alloc(4096));
    await putRowAndMessage(p, pending('big', inputPath(p, 'big.bin'), 'echo'));

    // A reserve larger than any disk: no input fits, whatever this machine has free.
    await runWorkerProcess(p, { WORKER_SCRATCH_RESERVE_BYTES: String(2 ** 52) });

    expect(await readRow(p, 'big')).toMatchObject({
      [ItemAttribute.status]: ItemStatus.FAILED,
      [ItemAttribute.failureReason]: "the input (4.0 KiB) is larger than the worker's free scratch space (0 B)",
    });
  });

  it('sends an exit 75 back to the queue, and FAILS it on the last receive', async () => {
    const p = (pipeline = await createTestPipeline(kit.emulator.endpoint, { visibilityTimeoutSeconds: 2, maxReceiveCount: 2 }));
    await putCatalog(p, { later: { type: 'command', command: ['bash', '-c', 'echo "database busy" >&2; exit 75'] } });
    await putInput(p, 'a.txt', 'alpha');
    await putRowAndMessage(p, pending('later', inputPath(p, 'a.txt'), 'later'));

    const { events } = await runWorkerProcess(p);

    expect(events.filter((event) => event.event === 'command_exited' && event.item_id === 'later')).toHaveLength(2);
    expect(await readRow(p, 'later')).toMatchObject({
      [ItemAttribute.status]: ItemStatus.FAILED,
      [ItemAttribute.failureReason]: 'gave up after 2 receives, last error: CommandTransientError: command exited with code 75 (EX_TEMPFAIL): database busy',
    });
    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('on SIGTERM kills the running command and returns its message, leaving the row PENDING', async () => {
    const p = (pipeline = await createTestPipeline(kit.emulator.endpoint));
    await putCatalog(p, { slow: { type: 'command', command: ['bash', '-c', 'trap "" TERM; sleep 300'], killGraceSeconds: 1 } });
    await putInput(p, 'a.txt', 'alpha');
    await putRowAndMessage(p, pending('slow', inputPath(p, 'a.txt'), 'slow'));

    // A grace of 2 s, not the 20 s default: the command never finishes, so it is stopped at the end of it either way.
    const { exit, events } = await runWorkerProcess(p, { [WorkerEnv.shutdownGraceSeconds]: '2' }, async (worker, logPath) => {
      await eventually(() => readLogEvents(logPath).some((event) => event.event === 'command_started'), 30_000, 'the command to start');
      worker.child.kill('SIGTERM');
    });

    expect(exit.code).toBe(0);
    expect(events).toContainEqual(expect.objectContaining({ event: 'worker_stopping', in_flight: 1, grace_ms: 2000 }));
    expect(events).toContainEqual(expect.objectContaining({ event: 'command_exited', item_id: 'slow', end: { kind: 'aborted' } }));
    expect(events).toContainEqual(expect.objectContaining({ event: 'message_released' }));
    expect(await readRow(p, 'slow')).toMatchObject({ [ItemAttribute.status]: ItemStatus.PENDING });
    expect(await readQueueDepth(p.sqs, p.queueUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('on a Spot interruption notice kills the command, lands none of its outputs, and gives the row back without spending a receive', async () => {
    // One receive per message: an interruption that spent it would dead-letter the row on the next.
    const p = (pipeline = await createTestPipeline(kit.emulator.endpoint, { visibilityTimeoutSeconds: 60, maxReceiveCount: 1 }));
    // It writes one output, then runs far past the notice's deadline, deaf to TERM.
    const script = 'echo partial > "$RAG_OUTPUT_DIR/part-1.txt"; trap "" TERM; sleep 300';
    await putCatalog(p, { heavy: { type: 'command', command: ['bash', '-c', script], killGraceSeconds: 1 } });
    await putInput(p, 'spot.txt', 'alpha');
    await putRowAndMessage(p, pending('spot-cmd', inputPath(p, 'spot.txt'), 'heavy'));
    imds = await startInstanceMetadata({ instanceId: 'i-0000000000000spot', instanceType: 'c7i.large', lifecycle: 'spot' });

    const { exit, events } = await runWorkerProcess(p, { [WorkerEnv.imdsEndpoint]: imds.endpoint }, async (_worker, logPath) => {
      await eventually(() => readLogEvents(logPath).some((event) => event.event === 'command_started'), 30_000, 'the command to start');
      imds!.interrupt(INTERRUPTION_MARGIN_MS + 500);
    });

    expect(exit.code).toBe(0);
    expect(events).toContainEqual(expect.objectContaining({ event: 'command_exited', item_id: 'spot-cmd', end: { kind: 'aborted' } }));
    expect(events).toContainEqual(expect.objectContaining({ event: 'message_requeued', interruptions: 1 }));
    expect(events).toContainEqual(expect.objectContaining({ event: 'worker_stopped', reason: 'interrupted' }));
    expect(await listKeys(p, OUTPUT_PREFIX)).toEqual([]);
    expect(await readRow(p, 'spot-cmd')).toMatchObject({ [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.interruptions]: 1 });
    // afterEach: no process of the command outlives the worker.
  });
});
