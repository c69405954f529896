import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ENDPOINT_ENV } from '../contracts';
import { STACK_OUTPUTS_FILE, StackOutput } from '../contracts/outputs';
import { parseDuration, parseEndpointUrl, parseInstanceId, parseKeyPrefix, parsePositiveInteger, parseProcessorName, parseRatio } from './arguments';
import { createClients, destroyClients, type ClientOptions, type OpsClients } from './clients';
import { PEEK_MAX_EVENTS, readQueuedEvents } from './effects/events';
import { listLogInstances, readInstanceLogs, readLogGroupEvents } from './effects/logs';
import { readDeployedCatalog } from './effects/processors';
import { redrive } from './effects/redrive';
import { retryAllFailed, retryRow } from './effects/retry';
import { readQueueDepth } from '../runtime/queue-depth';
import { countByStatus, listFailedRows, readRowDetail, readUsage } from './effects/status';
import { estimateCost, formatCostEstimate, SPOT_PRICE_RATIO } from './cost';
import { preflight, submitTargets } from './effects/submit';
import { UsageError } from './errors';
import { parseStackOutputs, type StackOutputs } from './outputs';
import { startProgress } from './progress';
import {
  formatQueuedEvents,
  formatRedrive,
  formatRetryAll,
  formatRowDetail,
  formatStatus,
  formatSubmitOutcome,
  mostRecentFailures,
  noEventsQueueMessage,
} from './report';
import { planSubmission } from './submit-plan';

/** Where the CLI writes and what it reads; the process's own in main.ts, captured ones in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: progress bars are drawn. */
  readonly interactive: boolean;
}

export interface CliDeps {
  readonly io: CliIo;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly createClients?: (options: ClientOptions) => OpsClients;
  readonly newId?: () => string;
  readonly newRequestToken?: () => string;
}

interface GlobalOptions {
  outputs: string;
  stack?: string;
  endpointUrl?: string;
  region?: string;
}

const MAX_CONCURRENCY = 64;
const MAX_LIMIT = 1000;
/** How far back `logs --orchestrator` reads by default, as `aws logs tail` does. */
const DEFAULT_LOGS_SINCE = '10m';

/** Runs `pipeline <args>` and resolves to the process exit code. */
export async function runCli(args: readonly string[], deps: CliDeps): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(deps, (code) => (exitCode = code));
  try {
    await program.parseAsync([...args], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const message = error instanceof UsageError ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
    deps.io.err(`pipeline: ${message}\n`);
    return 1;
  }
}

function buildProgram(deps: CliDeps, setExitCode: (code: number) => void): Command {
  const { io } = deps;
  const program = new Command('pipeline')
    .description('Operate the file pipeline: submit files, watch progress, retry failures, read worker and orchestrator logs and outcome events.')
    .option('--outputs <file>', 'stack outputs file (cdktf output --outputs-file, or the local run)', STACK_OUTPUTS_FILE)
    .option('--stack <name>', 'stack to read from an outputs file holding several')
    .option('--endpoint-url <url>', `AWS endpoint, e.g. the local emulator (default: $${ENDPOINT_ENV}, then the outputs file's "endpoint")`)
    .option('--region <region>', 'AWS region (default: the outputs file, then the SDK configuration)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .showHelpAfterError('(pipeline --help lists the commands and options)');

  const withContext = async (command: Command, work: (outputs: StackOutputs, clients: OpsClients) => Promise<void>) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const outputs = await loadOutputs(path.resolve(deps.cwd, globals.outputs), globals.stack);
    const endpointText = globals.endpointUrl ?? (deps.env[ENDPOINT_ENV] || undefined) ?? outputs.endpoint;
    const endpoint = endpointText ? parseEndpointUrl(endpointText) : undefined;
    const clients = (deps.createClients ?? createClients)({ region: globals.region ?? outputs.region, endpoint });
    try {
      await work(outputs, clients);
    } finally {
      destroyClients(clients);
    }
  };

  program
    .command('submit')
    .description('upload local files to data/input/ (s3:// paths must already be there) and write a PENDING row for each')
    .argument('<paths...>', 'local files, or s3://<bucket>/data/input/... objects')
    .option('--prefix <path>', 'where under data/input/ local files go', '')
    .option('--overwrite', 'replace objects that already exist instead of refusing', false)
    .option('--concurrency <n>', 'items written at once', '4')
    .option('--processor <name>', "the processor every row names (default: none, so the deployment's default runs)")
    .action(async (paths: string[], options: { prefix: string; overwrite: boolean; concurrency: string; processor?: string }, command: Command) => {
      const keyPrefix = parseKeyPrefix(options.prefix);
      const concurrency = parsePositiveInteger('--concurrency', options.concurrency, MAX_CONCURRENCY);
      const processor = options.processor === undefined ? undefined : parseProcessorName(options.processor);
      await withContext(command, async (outputs, clients) => {
        const targets = planSubmission(paths, { bucketName: outputs.bucketName, keyPrefix });
        const knownProcessors =
          processor === undefined ? undefined : Object.keys((await readDeployedCatalog(clients.s3, outputs.bucketName)).processors).sort();
        const submitDeps = {
          s3: clients.s3,
          documents: clients.documents,
          tableName: outputs.tableName,
          bucketName: outputs.bucketName,
          overwrite: options.overwrite,
          concurrency,
          newId: deps.newId ?? randomUUID,
          newRequestToken: deps.newRequestToken ?? randomUUID,
          processor,
          knownProcessors,
        };
        await preflight(targets, submitDeps);
        const progress = startProgress(targets.length, io.interactive);
        const outcome = await submitTargets(targets, { ...submitDeps, onItemDone: progress.tick }).finally(progress.stop);
        io.out(`${formatSubmitOutcome(outcome)}\n`);
        if (outcome.failure) setExitCode(1);
      });
    });

  program
    .command('status')
    .description(
      'rows per status (from the status index, or a scan when the stack has none), queue depths, and the most recent FAILED rows; ' +
        'with a row id, that row: its processor and its outputs',
    )
    .argument('[id]', 'a row id')
    .option('--failed-limit <n>', 'FAILED rows to show', '10')
    .option('--cost', 'also estimate what the FINISHED and FAILED rows cost from public prices (reads every such row; docs/cost.md)', false)
    .option('--since <duration>', 'with --cost: only rows finished this recently, e.g. 2h or 1d (a batch)')
    .option('--spot-ratio <ratio>', `with --cost: Spot's price as a share of on-demand (default ${SPOT_PRICE_RATIO.ratio})`)
    .action(async (id: string | undefined, options: { failedLimit: string; cost: boolean; since?: string; spotRatio?: string }, command: Command) => {
      const limit = parsePositiveInteger('--failed-limit', options.failedLimit, MAX_LIMIT);
      if (!options.cost && (options.since !== undefined || options.spotRatio !== undefined)) throw new UsageError('--since and --spot-ratio apply to --cost only');
      const sinceMs = options.since === undefined ? undefined : parseDuration('--since', options.since);
      const spotRatio = options.spotRatio === undefined ? SPOT_PRICE_RATIO.ratio : parseRatio('--spot-ratio', options.spotRatio);
      await withContext(command, async (outputs, { documents, sqs }) => {
        if (id !== undefined) {
          const row = await readRowDetail(documents, outputs.tableName, id);
          if (row === undefined) throw new UsageError(`no row with id "${id}" in ${outputs.tableName}`);
          io.out(`${formatRowDetail(row)}\n`);
          return;
        }
        const [counts, failedRows, queue, deadLetterQueue] = await Promise.all([
          countByStatus(documents, outputs),
          listFailedRows(documents, outputs),
          readQueueDepth(sqs, outputs.queueUrl),
          readQueueDepth(sqs, outputs.dlqUrl),
        ]);
        io.out(`${formatStatus({ counts, queue, deadLetterQueue, recentFailures: mostRecentFailures(failedRows, limit) })}\n`);
        if (options.cost) {
          const since = sinceMs === undefined ? undefined : new Date(Date.now() - sinceMs);
          const usage = await readUsage(documents, outputs, since);
          io.out(`${formatCostEstimate(estimateCost(usage, spotRatio), since === undefined ? 'all' : `finished since ${since.toISOString()}`)}\n`);
        }
      });
    });

  program
    .command('retry')
    .description('set a FAILED row (or, with --failed, every FAILED row) back to PENDING')
    .argument('[id]', 'row id')
    .option('--failed', 'retry every FAILED row', false)
    .action(async (id: string | undefined, options: { failed: boolean }, command: Command) => {
      if ((id === undefined) === !options.failed) throw new UsageError('retry takes either a row id or --failed');
      await withContext(command, async (outputs, { documents }) => {
        if (id !== undefined) {
          await retryRow(documents, outputs.tableName, id);
          io.out(`PENDING ${id}\n`);
        } else {
          io.out(`${formatRetryAll(await retryAllFailed(documents, outputs))}\n`);
        }
      });
    });

  program
    .command('redrive')
    .description('move messages from the dead-letter queue back to the work queue')
    .option('--max <n>', 'move at most this many messages')
    .action(async (options: { max?: string }, command: Command) => {
      const max = options.max === undefined ? undefined : parsePositiveInteger('--max', options.max, Number.MAX_SAFE_INTEGER);
      await withContext(command, async (outputs, { sqs }) => {
        const outcome = await redrive(sqs, { deadLetterQueueUrl: outputs.dlqUrl, queueUrl: outputs.queueUrl, max });
        io.out(`${formatRedrive(outcome)}\n`);
        if (outcome.failed > 0) setExitCode(1);
      });
    });

  program
    .command('logs')
    .description("list instances with worker logs, print one instance's logs, or print the orchestrator's recent lines")
    .argument('[instance-id]', 'EC2 instance id, e.g. i-0123456789abcdef0')
    .option('--orchestrator', "the orchestrator's lines, from its CloudWatch Logs group", false)
    .option('--since <duration>', `with --orchestrator: how far back, e.g. 30s, 10m, 2h, 1d (default: ${DEFAULT_LOGS_SINCE})`)
    .action(async (instanceId: string | undefined, options: { orchestrator: boolean; since?: string }, command: Command) => {
      if (options.orchestrator) {
        if (instanceId !== undefined) throw new UsageError('logs takes an instance id or --orchestrator, not both');
        const sinceMs = parseDuration('--since', options.since ?? DEFAULT_LOGS_SINCE);
        await withContext(command, async (outputs, { logs }) => {
          const logGroupName = outputs.lambdaLogGroupName;
          if (logGroupName === undefined) {
            throw new UsageError(
              `the outputs file has no ${StackOutput.lambdaLogGroupName} output: write it again with "npx cdktf output --outputs-file ${STACK_OUTPUTS_FILE}"`,
            );
          }
          const since = new Date(Date.now() - sinceMs);
          const events = await readLogGroupEvents(logs, logGroupName, since.getTime());
          if (events.length === 0) io.out(`no orchestrator log lines in ${logGroupName} since ${since.toISOString()}\n`);
          let stream: string | undefined;
          for (const event of events) {
            // Headers go to stderr so stdout stays the function's own lines (pipe it to jq).
            if (event.logStreamName !== stream) io.err(`==> ${logGroupName} ${(stream = event.logStreamName)} <==\n`);
            io.out(`${event.message}\n`);
          }
        });
        return;
      }
      if (options.since !== undefined) throw new UsageError('--since applies to --orchestrator only');
      const id = instanceId === undefined ? undefined : parseInstanceId(instanceId);
      await withContext(command, async (outputs, { s3 }) => {
        if (id === undefined) {
          const ids = await listLogInstances(s3, outputs.bucketName);
          io.out(ids.length === 0 ? `no worker logs in s3://${outputs.bucketName}/ yet\n` : `${ids.join('\n')}\n`);
          return;
        }
        for (const log of await readInstanceLogs(s3, outputs.bucketName, id)) {
          // Headers go to stderr so stdout stays the raw JSON lines (pipe it to jq).
          io.err(`==> s3://${outputs.bucketName}/${log.key} <==\n`);
          io.out(log.body.endsWith('\n') || log.body === '' ? log.body : `${log.body}\n`);
        }
      });
    });

  program
    .command('events')
    .description(
      `up to --max outcome events (FINISHED, FAILED) waiting in the outcome queue, oldest first (SQS returns a sample, not the newest); left in the queue unless --consume`,
    )
    .option('--max <n>', `show at most this many (a peek: at most ${PEEK_MAX_EVENTS}, one receive)`, String(PEEK_MAX_EVENTS))
    .option('--consume', 'delete the events shown (by default they stay for the queue\'s consumer)', false)
    .option('--json', 'print each event as one JSON line', false)
    .action(async (options: { max: string; consume: boolean; json: boolean }, command: Command) => {
      const max = parsePositiveInteger('--max', options.max, MAX_LIMIT);
      if (!options.consume && max > PEEK_MAX_EVENTS) {
        throw new UsageError(
          `--max above ${PEEK_MAX_EVENTS} needs --consume: a peek is one receive (at most ${PEEK_MAX_EVENTS} events), because an event received three times no longer counts for the outcome queue's age alarm`,
        );
      }
      await withContext(command, async (outputs, { sqs }) => {
        if (outputs.eventsQueueUrl === undefined) throw new UsageError(noEventsQueueMessage(outputs));
        const events = await readQueuedEvents(sqs, outputs.eventsQueueUrl, { max, consume: options.consume });
        if (events.length === 0) {
          io.out(`no events in ${outputs.eventsQueueUrl}\n`);
          return;
        }
        io.out(`${formatQueuedEvents(events, options.json)}\n`);
        if (!options.consume) io.err(`${events.length} event(s) left in the queue; each peek counts as a receive\n`);
      });
    });

  return program;
}

async function loadOutputs(file: string, stack: string | undefined): Promise<StackOutputs> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(
      `no outputs file at ${file}: write it with "npx cdktf output --outputs-file ${STACK_OUTPUTS_FILE}" ` +
        '(or the local run\'s outputs file), or name it with --outputs <file>',
    );
  }
  return parseStackOutputs(text, file, stack);
}
