import type { S3Client } from '@aws-sdk/client-s3';
import { commandOutputPrefix, ProcessorType, WorkerLogEvent, type CommandProcessorSpec } from '../../../contracts';
import { describeError } from '../../describe-error';
import { failed, type Processor, type ProcessorContext, type ProcessorOutcome, type ProcessorRequest } from '../processor';
import { downloadInput } from './download';
import { judgeEnd } from './exit';
import { compileCommand, planInvocation } from './invocation';
import { listOutputs } from './outputs';
import { listEarlierOutputs, publishOutputs } from './publish';
import { runCommand } from './run';
import type { ScratchSpace } from './scratch';

export interface CommandProcessorDependencies {
  readonly s3: S3Client;
  readonly scratch: ScratchSpace;
  /** PATH for the command (the worker's own). */
  readonly commandPath: string;
}

/** Bytes of stdout and of stderr kept per command: the reason quotes stderr's last line, the log both tails. */
export const TAIL_BYTES = 8 * 1024;

/** The command exited 75, or cannot start for a reason that may pass: the message comes back. */
export class CommandTransientError extends Error {
  override readonly name = 'CommandTransientError';
}

/**
 * `command`: the user's program on a downloaded copy of the input (contracts/command-processor.ts,
 * docs/processors.md). Per job: a scratch directory; the input streamed into it (refused when it can never
 * fit); the program run in its own process group with the timeout; on exit 0 every regular file of the output
 * directory published under `data/output/<rest>/<processor>/` and what an earlier run left there deleted; the scratch
 * directory removed whatever happened. A failed command publishes nothing.
 */
export function commandProcessor(name: string, spec: CommandProcessorSpec, deps: CommandProcessorDependencies): Processor {
  const command = compileCommand(spec);
  return {
    name,
    type: ProcessorType.command,
    async process(request: ProcessorRequest, { abortSignal, logger }: ProcessorContext): Promise<ProcessorOutcome> {
      const log = { item_id: request.itemId, processor: name };
      const prefix = commandOutputPrefix(request.outputKey, name);
      // What earlier runs left under the prefix, listed while the input downloads; awaited only on success.
      const earlier = listEarlierOutputs(deps.s3, request.bucketName, prefix, abortSignal);
      earlier.catch(() => undefined);
      const job = await deps.scratch.createJob(request.rest);
      try {
        const downloadStarted = performance.now();
        const download = await downloadInput(
          deps.s3,
          { bucketName: request.bucketName, key: request.sourceKey, file: job.inputFile, claim: (bytes) => deps.scratch.claim(job, bytes) },
          abortSignal,
        );
        if (download.kind === 'refused') return failed(download.reason);
        deps.scratch.landed(job);
        const downloadMs = performance.now() - downloadStarted;

        const plan = planInvocation(command, request, job, deps.commandPath);
        if (!plan.ok) return failed(plan.reason);
        logger.info({ event: WorkerLogEvent.commandStarted, ...log, program: plan.invocation.program, input_bytes: download.bytes, timeout_s: spec.timeoutSeconds });
        const run = await runCommand(plan.invocation, { timeoutSeconds: spec.timeoutSeconds, killGraceSeconds: spec.killGraceSeconds, tailBytes: TAIL_BYTES }, abortSignal);
        const exitLog = {
          event: WorkerLogEvent.commandExited,
          ...log,
          pid: run.pid ?? null,
          end: run.end,
          command_ms: Math.round(run.durationMs),
          stdout_bytes: run.stdout.totalBytes,
          stderr_bytes: run.stderr.totalBytes,
        };
        if (run.end.kind === 'aborted') {
          logger.warn(exitLog);
          throw abortSignal?.reason ?? new Error('the job was aborted');
        }
        const verdict = judgeEnd(run.end, plan.invocation.program, run.stderr.text());
        if (verdict.kind !== 'success') {
          // The tails say what went wrong; both are bounded.
          logger.warn({ ...exitLog, stdout_tail: spec.stdoutFile === undefined ? run.stdout.text() : undefined, stderr_tail: run.stderr.text() });
          if (verdict.kind === 'failed') return failed(verdict.reason);
          throw new CommandTransientError(verdict.reason);
        }
        logger.info(exitLog);

        const listing = await listOutputs(job.outputDir, prefix);
        if (!listing.ok) return failed(listing.reason);
        if (listing.files.length === 0 && !spec.allowEmptyOutput) {
          return failed('the command exited 0 but wrote no file to its output directory (allowEmptyOutput is off)');
        }
        const uploadStarted = performance.now();
        const published = await publishOutputs(
          deps.s3,
          { bucketName: request.bucketName, prefix, itemId: request.itemId, processor: name },
          listing.files,
          earlier,
          abortSignal,
        );
        if (published.staleDeleted > 0) logger.info({ event: WorkerLogEvent.staleOutputsDeleted, ...log, deleted: published.staleDeleted });
        return {
          kind: 'finished',
          output: {
            locationKey: prefix,
            keys: published.keys,
            ...(published.manifestKey === undefined ? {} : { manifestKey: published.manifestKey }),
          },
          inputBytes: download.bytes,
          details: {
            download_ms: Math.round(downloadMs),
            command_ms: Math.round(run.durationMs),
            upload_ms: Math.round(performance.now() - uploadStarted),
            output_bytes: published.bytes,
            stale_deleted: published.staleDeleted,
          },
        };
      } finally {
        await deps.scratch.remove(job).catch((error: unknown) =>
          logger.error({ event: WorkerLogEvent.scratchCleanupFailed, ...log, directory: job.jobDir, error: describeError(error) }),
        );
      }
    },
  };
}
