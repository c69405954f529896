import type { BundleFigures } from './bundles';
import { formatChunking, type ChunkingFigures } from './chunking';
import type { MachineFigures } from './machine';
import type { PickupFigures, SeriesFigures } from './pickup';
import { MIB, round } from './stats';
import type { SynthFigures } from './synth';
import type { TestSuiteFigures } from './test-suite';
import type { RequestCosts } from './request-costs';
import type { ThroughputFigures } from './throughput';

export interface BenchResults {
  readonly startedAt: string;
  readonly command: string;
  readonly machine: MachineFigures;
  readonly synth: {
    /** cdktf.json's app, which compiles main.ts on every synth. */
    readonly deepImports: SynthFigures;
    /** The same stack through tsx, the app before issue 14. */
    readonly throughTsx: SynthFigures;
    readonly indexImport: SynthFigures & { readonly rewrittenImports: number };
  };
  readonly requestCosts: RequestCosts;
  readonly throughput: readonly ThroughputFigures[];
  readonly bundles: BundleFigures;
  readonly pickup: readonly PickupFigures[] | 'skipped';
  readonly chunking: ChunkingFigures | 'skipped';
  readonly testSuite: TestSuiteFigures | 'skipped';
  readonly targets: readonly TargetResult[];
}

export interface TargetResult {
  readonly measure: string;
  readonly target: string;
  readonly actual: string;
  readonly met: boolean;
}

/** The targets (synth: issue 14's; the rest: issue 7's), checked against the figures. */
export function checkTargets(results: Omit<BenchResults, 'targets'>): TargetResult[] {
  const synth = results.synth.deepImports;
  const targets: TargetResult[] = [
    { measure: 'synth, median wall', target: '≤ 1.6 s', actual: `${seconds(synth.wallMsMedian)} s`, met: synth.wallMsMedian <= 1_600 },
    {
      measure: 'synth, peak RSS (median)',
      target: '≤ 110 MB',
      actual: `${megabytes(synth.peakRssBytesMedian)} MB`,
      met: synth.peakRssBytesMedian <= 110 * 1e6,
    },
  ];
  for (const figures of results.throughput) {
    targets.push(
      {
        measure: `worker ${figures.case.name}, share of the limit`,
        target: '≥ 80 %',
        actual: `${round(figures.workerToLimit * 100, 0)} %`,
        met: figures.workerToLimit >= 0.8,
      },
      {
        measure: `worker ${figures.case.name}, times the baseline`,
        target: '≥ 10×',
        actual: `${round(figures.workerToBaseline, 1)}×`,
        met: figures.workerToBaseline >= 10,
      },
    );
  }
  targets.push({
    measure: 'Lambda zip',
    target: '≤ 1 MB',
    actual: `${megabytes(results.bundles.lambdaZipBytes)} MB`,
    met: results.bundles.lambdaZipBytes <= 1e6,
  });
  if (results.chunking !== 'skipped') targets.push(...chunkingTargets(results.chunking));
  return targets;
}

/** Issue 22's: at least twice LangChain's splitter at the same size, overlap and tokenizer, no chunk over the maximum. */
export function chunkingTargets(chunking: ChunkingFigures): TargetResult[] {
  const ours = chunking.splitters[0];
  return [
    { measure: 'chunking, times LangChain (same tokenizer)', target: '≥ 2×', actual: `${chunking.ratioSameTokenizer}×`, met: chunking.ratioSameTokenizer >= 2 },
    { measure: 'chunks over the maximum (ours)', target: '0', actual: String(ours.overMax), met: ours.overMax === 0 },
  ];
}

/** The human-readable table: the same figures as the JSON file. */
export function formatReport(results: BenchResults): string {
  const { machine, synth, bundles, testSuite } = results;
  const lines: string[] = [
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}`,
    '',
    table(
      ['synth', 'runs', 'median wall (s)', 'median peak RSS (MB)', 'max peak RSS (MB)'],
      [
        synthRow('the stack, as cdktf.json runs it (compiling main.ts first)', synth.deepImports),
        synthRow('  the same app through tsx (before)', synth.throughTsx),
        synthRow(`package index (reference, ${synth.indexImport.rewrittenImports} imports rewritten)`, synth.indexImport),
      ],
    ),
    '',
    table(
      ['throughput (rows/s)', 'rows', 'concurrency', 'limit (CopyObject)', 'worker', 'baseline', 'worker/limit', 'worker/baseline'],
      results.throughput.map((figures) => [
        `${figures.case.name} (${sizeLabel(figures.case.objectBytes)} each)`,
        String(figures.case.objects),
        String(figures.concurrency),
        `${round(figures.limit.rowsPerSecond, 1)} (${round(figures.limit.seconds, 1)} s)`,
        `${round(figures.worker.rowsPerSecond, 1)} (${round(figures.worker.seconds, 1)} s)`,
        `${round(figures.baseline.rowsPerSecond, 1)} (${round(figures.baseline.seconds, 1)} s)`,
        `${round(figures.workerToLimit * 100, 0)} %`,
        `${round(figures.workerToBaseline, 1)}×`,
      ]),
    ),
    '',
    table(
      ['emulator request, one at a time (median)', 'ms'],
      [
        ['GetItem (consistent)', results.requestCosts.getItemMs],
        ['HeadObject', results.requestCosts.headObjectMs],
        ['CopyObject (1 KiB)', results.requestCosts.copyObjectMs],
        ['UpdateItem (conditional)', results.requestCosts.conditionalUpdateMs],
        [`ReceiveMessage of 10, queue depth ${results.requestCosts.shallowDepth}`, results.requestCosts.receiveTenShallowMs],
        [`ReceiveMessage of 10, queue depth ${results.requestCosts.deepDepth}`, results.requestCosts.receiveTenDeepMs],
      ].map(([name, ms]) => [String(name), Number(ms).toFixed(1)]),
    ),
    '',
    table(
      ['orchestrator and bundles', 'value'],
      [
        [`cold import of dist/orchestrator/index.js (median of ${bundles.coldImportRuns})`, `${round(bundles.coldImportMsMedian, 0)} ms`],
        ['  whole node process (start-up included)', `${round(bundles.coldProcessMsMedian, 0)} ms`],
        ['orchestrator bundle (index.js)', `${megabytes(bundles.orchestratorBundleBytes)} MB`],
        ['Lambda zip (synth asset)', `${megabytes(bundles.lambdaZipBytes)} MB`],
        ['worker bundle (worker.js)', `${megabytes(bundles.workerBundleBytes)} MB (+ ${megabytes(bundles.workerSourceMapBytes)} MB map)`],
      ],
    ),
    '',
    results.pickup === 'skipped' ? 'pickup: skipped (--skip-pickup)' : formatPickup(results.pickup),
    '',
    results.chunking === 'skipped' ? 'chunk processor: skipped (--skip-chunking)' : formatChunking(results.chunking),
    '',
    testSuite === 'skipped'
      ? 'test suite: skipped (--skip-tests)'
      : `test suite (${testSuite.command}): ${round(testSuite.wallSeconds, 0)} s, exit ${testSuite.exitCode}; ${testSuite.summary.join('; ')}`,
    '',
    table(
      ['target', 'goal', 'actual', 'met'],
      results.targets.map((target) => [target.measure, target.target, target.actual, target.met ? 'yes' : 'NO']),
    ),
  ];
  return lines.join('\n');
}

/** Issue 13's table: pickup with the schedule alone and with the event trigger, median / p95 in seconds. */
export function formatPickup(pickup: readonly PickupFigures[]): string {
  const cell = (figures: SeriesFigures) => `${figures.medianSeconds.toFixed(2)} / ${figures.p95Seconds.toFixed(2)} (n=${figures.samples})`;
  return table(
    ['pickup on the local pipeline (s, median / p95)', 'cold: PutItem → RunInstances', 'cold: PutItem → FINISHED', 'warm: PutItem → FINISHED'],
    pickup.map((figures) => [
      figures.trigger === 'schedule' ? `schedule alone (every ${figures.tickSeconds} s)` : `event trigger + schedule (every ${figures.tickSeconds} s)`,
      cell(figures.cold.putToRunInstances),
      cell(figures.cold.putToFinished),
      cell(figures.warm.putToFinished),
    ]),
  );
}

function synthRow(name: string, figures: SynthFigures): string[] {
  return [
    name,
    String(figures.runs),
    seconds(figures.wallMsMedian),
    megabytes(figures.peakRssBytesMedian),
    megabytes(figures.peakRssBytesMax),
  ];
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line)].join('\n');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

/** Decimal megabytes, as the targets are stated. */
function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(2);
}

function sizeLabel(bytes: number): string {
  return bytes >= MIB ? `${round(bytes / MIB, 0)} MiB` : `${round(bytes / 1024, 0)} KiB`;
}
