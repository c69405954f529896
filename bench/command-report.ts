import type { CommandBenchFigures } from './command';
import { round } from './stats';

export interface CommandTarget {
  readonly measure: string;
  readonly target: string;
  readonly actual: string;
  readonly met: boolean;
}

/** Issue 21's targets: ≤ 50 ms per small file, ≥ 1.8× files/s at concurrency 2, peak RSS not growing with the input. */
export function commandTargets(figures: CommandBenchFigures): CommandTarget[] {
  const small = figures.overhead.find((overhead) => overhead.fileBytes <= 1024);
  const [smaller, larger] = [...figures.memory].sort((a, b) => a.inputBytes - b.inputBytes);
  return [
    ...(small === undefined
      ? []
      : [{ measure: 'command processor, overhead per 1 KiB file', target: '≤ 50 ms', actual: `${round(small.overheadMsPerFile, 1)} ms`, met: small.overheadMsPerFile <= 50 }]),
    {
      measure: 'CPU-bound command, files/s at concurrency 2 ÷ 1',
      target: '≥ 1.8×',
      actual: `${round(figures.scaling.ratio, 2)}× (load ${round(figures.scaling.loadBefore, 1)} → ${round(figures.scaling.loadAfter, 1)})`,
      met: figures.scaling.ratio >= 1.8,
    },
    ...(smaller === undefined || larger === undefined
      ? []
      : [
          {
            measure: `worker peak RSS, ${larger.case} input vs ${smaller.case}`,
            target: 'bounded: ≤ 1.25× the smaller',
            actual: `${mb(larger.peakRssBytes)} MB vs ${mb(smaller.peakRssBytes)} MB`,
            met: larger.peakRssBytes <= smaller.peakRssBytes * 1.25,
          },
        ]),
  ];
}

export function formatCommand(figures: CommandBenchFigures): string {
  return [
    table(
      ['command processor, concurrency 1', 'files', 'worker ms/file', 'command alone ms', 'overhead ms/file', 'copy ms/file (reference)', 'download / command / upload ms (median)'],
      figures.overhead.map((overhead) => [
        overhead.case,
        String(overhead.files),
        round(overhead.workerMsPerFile, 1).toString(),
        round(overhead.commandAloneMs, 1).toString(),
        round(overhead.overheadMsPerFile, 1).toString(),
        round(overhead.copyMsPerFile, 1).toString(),
        `${overhead.downloadMs} / ${overhead.commandMs} / ${overhead.uploadMs}`,
      ]),
    ),
    '',
    table(
      ['CPU-bound command', 'files', 'alone ms', 'files/s at 1', 'files/s at 2', 'ratio', 'load before → after'],
      [
        [
          'bash busy loop',
          String(figures.scaling.files),
          round(figures.scaling.commandAloneMs, 0).toString(),
          round(figures.scaling.concurrency1FilesPerSecond, 2).toString(),
          round(figures.scaling.concurrency2FilesPerSecond, 2).toString(),
          `${round(figures.scaling.ratio, 2)}×`,
          `${round(figures.scaling.loadBefore, 2)} → ${round(figures.scaling.loadAfter, 2)}`,
        ],
      ],
    ),
    '',
    table(
      ['worker peak RSS (cp of one input)', 'MB'],
      figures.memory.map((memory) => [memory.case, mb(memory.peakRssBytes)]),
    ),
    '',
    table(
      ['target', 'goal', 'actual', 'met'],
      commandTargets(figures).map((target) => [target.measure, target.target, target.actual, target.met ? 'yes' : 'NO']),
    ),
  ].join('\n');
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line)].join('\n');
}
