import { createHash } from 'node:crypto';
import { ItemStatus } from '../../../contracts';
import type { LocalPipeline } from '../../../local/pipeline';
import { waitForTerminalRows } from '../../../local/cli/rows';
import { liveWorkerInstances, output, putInput, putRows, readOutput, startPipelineForTest } from './support';

/**
 * 200 rows at once with MAX_WORKERS=2 on the local pipeline: every row ends FINISHED, every output is
 * identical to its input, and no more than two workers ever exist. Its own deployment, because
 * MAX_WORKERS is a deploy-time setting (the function's environment).
 */
jest.setTimeout(360_000);

const ROWS = 200;
let pipeline: LocalPipeline | undefined;

beforeAll(async () => {
  pipeline = await startPipelineForTest({ maxWorkers: 2 });
}, 420_000);

afterAll(async () => {
  await pipeline?.stop();
}, 60_000);

it('finishes 200 rows with never more than 2 workers, every output identical', async () => {
  if (!pipeline) throw new Error('the local pipeline did not start');
  const p = pipeline;
  const files = Array.from({ length: ROWS }, (_, index) => ({
    id: `bulk-${index}`,
    rest: `bulk/client_${index % 7}/file ${index}.txt`,
    body: `${createHash('sha256').update(String(index)).digest('hex')}\n`.repeat(64),
  }));
  const rows: Record<string, string>[] = [];
  for (const file of files) rows.push({ id: file.id, status: ItemStatus.PENDING, s3_path: await putInput(p, file.rest, file.body) });

  let mostInstances = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      mostInstances = Math.max(mostInstances, (await liveWorkerInstances(p)).length);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  try {
    await putRows(p, rows);
    const final = await waitForTerminalRows(p.clients.dynamodb, output(p, 'table_name'), files.map((file) => file.id), {
      timeoutMs: 300_000,
      pollMs: 2000,
    });
    expect(final.filter((row) => row.status !== ItemStatus.FINISHED)).toEqual([]);
  } finally {
    sampling = false;
    await sampler;
  }

  expect(mostInstances).toBeGreaterThanOrEqual(1);
  expect(mostInstances).toBeLessThanOrEqual(2);
  expect(p.instances.peakRunning()).toBeLessThanOrEqual(2);
  for (const file of files) expect((await readOutput(p, file.rest)).toString()).toBe(file.body);
});
