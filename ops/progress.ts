import { SingleBar, Presets } from 'cli-progress';

/** Fewer items finish before a bar would be worth drawing. */
export const PROGRESS_BAR_MIN_ITEMS = 10;

export interface Progress {
  tick(): void;
  stop(): void;
}

const silent: Progress = { tick: () => undefined, stop: () => undefined };

/** A bar on stderr, drawn only for many items and only on a terminal, so pipes and logs stay clean. */
export function startProgress(total: number, interactive: boolean): Progress {
  if (!interactive || total < PROGRESS_BAR_MIN_ITEMS) return silent;
  const bar = new SingleBar({ stream: process.stderr, format: 'submit [{bar}] {value}/{total}' }, Presets.shades_classic);
  bar.start(total, 0);
  return { tick: () => bar.increment(), stop: () => bar.stop() };
}
