import { ItemStatus } from '../../contracts';

/** Statuses always shown, in the order a row moves through them; other values follow alphabetically. */
const STATUS_ORDER: readonly string[] = [ItemStatus.PENDING, ItemStatus.FINISHED, ItemStatus.FAILED];

/** One progress line: `rows PENDING 3 · FINISHED 2 · FAILED 0 | workers running 1`. */
export function formatProgress(counts: Readonly<Record<string, number>>, workersRunning: number): string {
  const others = Object.keys(counts)
    .filter((status) => !STATUS_ORDER.includes(status))
    .sort();
  const rows = [...STATUS_ORDER, ...others].map((status) => `${status} ${counts[status] ?? 0}`).join(' · ');
  return `rows ${rows} | workers running ${workersRunning}`;
}

/** The endpoint and every stack output, one per line, for the terminal. */
export function formatOutputs(endpoint: string, outputs: Readonly<Record<string, unknown>>): string {
  const entries: [string, unknown][] = [['endpoint', endpoint], ...Object.entries(outputs).sort(([a], [b]) => a.localeCompare(b))];
  const width = Math.max(...entries.map(([name]) => name.length));
  return entries.map(([name, value]) => `  ${name.padEnd(width)}  ${typeof value === 'string' ? value : JSON.stringify(value)}`).join('\n');
}

/** What `--outputs-file` writes: the endpoint, the region and, as cdktf does, the outputs under the stack name. */
export function outputsFileContent(stackName: string, endpoint: string, region: string, outputs: Readonly<Record<string, unknown>>): string {
  return `${JSON.stringify({ endpoint, region, [stackName]: outputs }, null, 2)}\n`;
}
