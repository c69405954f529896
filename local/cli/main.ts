/**
 * `npm run local`: the whole pipeline on this machine, on moto, with no AWS account.
 * Entry point only: parses flags, checks prerequisites, wires startLocalPipeline, reports, stops.
 */
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { STACK_NAME } from '../../main';
import { runChunkDemo, summarizeChunkDemo } from './chunk-demo';
import { demoCatalog, runDemo, summarizeDemo } from './demo';
import pipelineConfig from '../../pipeline.config';
import { LOCAL_DEFAULTS, requiredOutput, startLocalPipeline, type LocalPipeline } from '../pipeline';
import { createLocalLog } from '../log';
import { ensurePrerequisites } from '../emulator/preflight';
import { formatOutputs, formatProgress, outputsFileContent } from './progress';
import { numberFlag } from './number-flag';
import { countRowsByStatus } from './rows';

interface CliOptions {
  demo: boolean;
  demoTimeoutSeconds: number;
  outputsFile?: string;
  tickSeconds: number;
  maxWorkers?: number;
  autoterminateMinutes: number;
  port?: number;
  progressSeconds: number;
  verbose: boolean;
  scheduleOnly: boolean;
  eventsQueue: boolean;
}

function parseCli(argv: readonly string[]): CliOptions {
  return new Command('local')
    .description('Run the whole pipeline on this machine: moto, the stack applied with terraform, the pipes, the schedule, the wake queue and the workers.')
    .option('--demo', 'upload sample files, insert PENDING rows (copy, and the demo command processors sha256sum and gzip), wait until each ends FINISHED or FAILED, check the outputs, then exit', false)
    .option('--demo-timeout-seconds <n>', 'how long --demo waits for the rows', numberFlag('--demo-timeout-seconds', { above: 0 }), 300)
    .option('--outputs-file <path>', 'also write the endpoint and the stack outputs to this JSON file')
    .option('--tick-seconds <n>', 'seconds between scheduled orchestrator runs (60 is the real schedule)', numberFlag('--tick-seconds', { above: 0 }), LOCAL_DEFAULTS.tickSeconds)
    .option('--schedule-only', 'PIPELINE_EVENT_TRIGGER=false: no wake queue, only the schedule starts the orchestrator', false)
    .option('--events-queue', 'PIPELINE_EVENTS_QUEUE=true: the outcome queue of FINISHED and FAILED events (npx pipeline events)', false)
    .option('--max-workers <n>', 'PIPELINE_MAX_WORKERS: most workers at once', numberFlag('--max-workers', { integer: true, min: 1 }))
    .option(
      '--autoterminate-minutes <n>',
      'PIPELINE_AUTOTERMINATE_MINUTES: idle minutes before a worker stops',
      numberFlag('--autoterminate-minutes', { above: 0 }),
      LOCAL_DEFAULTS.autoterminateMinutes,
    )
    .option('--port <n>', 'emulator port (another is picked when it is in use)', numberFlag('--port', { integer: true, min: 1, max: 65535 }))
    .option('--progress-seconds <n>', 'seconds between progress lines', numberFlag('--progress-seconds', { above: 0 }), 5)
    .option('--verbose', 'JSON event lines of the pipe, schedule and instance runner on stderr', false)
    .parse([...argv], { from: 'user' })
    .opts<CliOptions>();
}

async function main(): Promise<number> {
  const options = parseCli(process.argv.slice(2));
  const missing = ensurePrerequisites();
  if (missing) {
    console.error(missing);
    return 1;
  }

  const log = createLocalLog(process.stderr, options.verbose ? 'info' : 'warn');
  const stop = new AbortController();
  let signalExitCode = 0;
  const interrupted = new Promise<void>((resolve) => {
    const onSignal = (code: number) => () => {
      signalExitCode = code;
      stop.abort();
      resolve();
    };
    process.once('SIGINT', onSignal(130));
    process.once('SIGTERM', onSignal(143));
  });

  let pipeline: LocalPipeline;
  try {
    pipeline = await startLocalPipeline({
      port: options.port,
      tickSeconds: options.tickSeconds,
      settings: {
        autoterminateMinutes: options.autoterminateMinutes,
        maxWorkers: options.maxWorkers,
        // Unset flags leave the shell's PIPELINE_* variables, or the stack's defaults, in charge.
        ...(options.scheduleOnly ? { eventTrigger: false } : {}),
        ...(options.eventsQueue ? { eventsQueue: true } : {}),
      },
      log,
      progress: (line) => console.log(`local: ${line}`),
      signal: stop.signal,
      // The demo adds its own processors (chunk; sha256sum and gzip commands) to pipeline.config.ts's.
      ...(options.demo ? { processors: demoCatalog(pipelineConfig, process.env) } : {}),
    });
  } catch (error) {
    if (stop.signal.aborted) {
      console.log('stopped before the pipeline was up; nothing left running.');
      return signalExitCode;
    }
    console.error(`local run failed: ${(error as Error).message}`);
    return 1;
  }

  const { endpoint, region, outputs } = pipeline;
  const tableName = requiredOutput(outputs, 'tableName');
  let lastLine = '';
  const reportProgress = async () => {
    try {
      const line = formatProgress(await countRowsByStatus(pipeline.clients.dynamodb, tableName), pipeline.instances.running().length);
      if (line !== lastLine) console.log(`${new Date().toISOString().slice(11, 19)}  ${line}`);
      lastLine = line;
    } catch (error) {
      if (!stop.signal.aborted) console.error(`progress unavailable: ${(error as Error).message}`);
    }
  };
  const ticker = setInterval(() => void reportProgress(), options.progressSeconds * 1000);

  try {
    console.log(`\nThe pipeline is running on the emulator:\n${formatOutputs(endpoint, outputs)}\n`);
    console.log(`Drive it with the AWS CLI: aws --endpoint-url ${endpoint} --region ${region} dynamodb put-item ... (docs/local-run.md)`);
    if (options.outputsFile) {
      writeFileSync(options.outputsFile, outputsFileContent(STACK_NAME, endpoint, region, outputs));
      console.log(`outputs written to ${options.outputsFile}`);
    }
    if (!options.demo) {
      console.log('Press Ctrl-C to stop.');
      await interrupted;
      return signalExitCode;
    }
    const demoOptions = {
      dynamodb: pipeline.clients.dynamodb,
      s3: pipeline.clients.s3,
      tableName,
      bucketName: requiredOutput(outputs, 'bucketName'),
      timeoutMs: options.demoTimeoutSeconds * 1000,
      signal: stop.signal,
    };
    const [result, chunked] = await Promise.all([runDemo(demoOptions), runChunkDemo(demoOptions)]);
    if (stop.signal.aborted) return signalExitCode;
    await reportProgress();
    const summary = summarizeDemo(result);
    const chunkSummary = summarizeChunkDemo(chunked);
    console.log(`\n${summary.text}\n\n${chunkSummary.text}`);
    return summary.failed || chunkSummary.failed ? 1 : 0;
  } finally {
    clearInterval(ticker);
    console.log('stopping the workers, the function host and the emulator…');
    await pipeline.stop();
    console.log('stopped; nothing left running.');
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`local run failed: ${(error as Error).stack ?? String(error)}`);
      process.exit(1);
    },
  );
}
