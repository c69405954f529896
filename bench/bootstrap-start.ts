/**
 * The bootstrap's own time, from its start to the worker's first ReceiveMessage, without the downloads:
 * the rendered user data run by bash with the bootstrap harness's stand-ins (IMDS answers at once; a bucket
 * read is a local copy), the real pinned Node.js archive (SHA-512-checked and unpacked as on an instance),
 * the built worker bundle, its unit run by the systemd stand-in, against moto through a proxy that notes the
 * first ReceiveMessage. Each run stops the worker afterwards (SIGTERM, as a shutdown would).
 *
 * Usage: `npm run build && npx tsx bench/bootstrap-start.ts [--runs <n>]` (default 5). Prints one line per run
 * and the medians.
 */
import { Command } from 'commander';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startEmulator } from '../local/emulator/moto';
import { NODE_RUNTIME_ARCHIVE_PATH } from '../main';
import { WORKER_SERVICE } from '../runtime/bootstrap/user-data-template';
import { BootstrapHarness } from '../local/standins/bootstrap-harness';
import { startHoldingProxy } from '../local/emulator/holding-proxy';
import { requireWorkerBundle, WORKER_BUNDLE } from '../local/emulator/paths';
import { createBenchResources } from './emulator-clients';
import { median, round } from './stats';

interface Sample {
  /** From spawning the script to its exit (the worker's unit queued). */
  readonly bootMs: number;
  /** From spawning the script to the worker's first ReceiveMessage. */
  readonly firstReceiveMs: number;
}

async function main(runs: number): Promise<void> {
  requireWorkerBundle();
  const emulator = await startEmulator();
  const harness = new BootstrapHarness();
  const samples: Sample[] = [];
  try {
    const pipeline = await createBenchResources(emulator.endpoint, { visibilityTimeoutSeconds: 300 });
    for (let index = 0; index < runs; index++) {
      const proxy = await startHoldingProxy(emulator.endpoint);
      try {
        const run = harness.prepare(`bench-${index}`, {
          nodeArchive: NODE_RUNTIME_ARCHIVE_PATH,
          pinnedArchive: true,
          workerBundle: WORKER_BUNDLE,
          params: {
            region: EMULATOR_REGION,
            queueUrl: pipeline.queueUrl,
            tableName: pipeline.tableName,
            bucketName: pipeline.bucketName,
            workerCodeKey: 'worker/worker.js',
            autoterminateMinutes: 5,
          },
          serviceEnv: { ...EMULATOR_CREDENTIALS, AWS_ENDPOINT_URL: proxy.endpoint },
        });
        const start = performance.now();
        const boot = harness.bootAsync(run).then((result) => ({ ...result, at: performance.now() }));
        const firstReceive = await proxy.firstReceive;
        const booted = await boot;
        if (booted.status !== 0) throw new Error(`the bootstrap exited ${booted.status}: ${booted.stderr}`);
        const sample = { bootMs: booted.at - start, firstReceiveMs: firstReceive - start };
        samples.push(sample);
        process.stdout.write(`run ${index + 1}: script ${round(sample.bootMs, 0)} ms, first ReceiveMessage ${round(sample.firstReceiveMs, 0)} ms\n`);
        await harness.systemctl(run, 'stop', WORKER_SERVICE);
      } finally {
        await proxy.close();
      }
    }
  } finally {
    await harness.dispose();
    await emulator.stop();
  }
  const medianOf = (pick: (sample: Sample) => number) => round(median(samples.map(pick)), 0);
  const spread = (pick: (sample: Sample) => number) => {
    const values = samples.map(pick);
    return `${round(Math.min(...values), 0)}–${round(Math.max(...values), 0)}`;
  };
  process.stdout.write(
    `median of ${runs}: script ${medianOf((s) => s.bootMs)} ms (${spread((s) => s.bootMs)}), ` +
      `start to first ReceiveMessage ${medianOf((s) => s.firstReceiveMs)} ms (${spread((s) => s.firstReceiveMs)})\n`,
  );
}

const program = new Command()
  .option('--runs <n>', 'bootstrap runs', (value) => {
    const runs = Number(value);
    if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got "${value}"`);
    return runs;
  }, 5)
  .parse();

main(program.opts<{ runs: number }>().runs).catch((error: unknown) => {
  process.stderr.write(`bootstrap-start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
