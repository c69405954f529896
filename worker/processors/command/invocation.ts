import * as path from 'node:path';
import { COMMAND_MANIFEST_FILE, COMMAND_PLACEHOLDERS, templateSafeText, type CommandPlaceholder, type CommandProcessorSpec } from '../../../contracts';
import { fillTemplate, parseTemplate, type TemplatePart } from '../../../runtime/processors/command-template';
import type { ProcessorRequest } from '../processor';
import { lastSegment, MAX_FILE_NAME_BYTES, type JobLayout } from './layout';

/** What the runner starts: the program, its arguments, its whole environment, its directory. */
export interface Invocation {
  readonly program: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** Where stdout goes, when the processor keeps it as an output (`stdoutFile`). */
  readonly stdoutPath?: string;
}

export type InvocationPlan = { readonly ok: true; readonly invocation: Invocation } | { readonly ok: false; readonly reason: string };

/** A command's templates, parsed once when its processor is built. */
export interface CompiledCommand {
  readonly spec: CommandProcessorSpec;
  readonly argv: readonly (readonly TemplatePart[])[];
  readonly stdoutFile?: readonly TemplatePart[];
}

/** Parses a resolved spec's templates; the resolver has checked them, so a failure here is a bug. */
export function compileCommand(spec: CommandProcessorSpec): CompiledCommand {
  const parse = (text: string): readonly TemplatePart[] => {
    const parsed = parseTemplate(text);
    if (!parsed.ok) throw new Error(`unchecked command template ${JSON.stringify(text)}: ${parsed.problem}`);
    return parsed.parts;
  };
  return { spec, argv: spec.command.map(parse), ...(spec.stdoutFile === undefined ? {} : { stdoutFile: parse(spec.stdoutFile) }) };
}

/** Used when the worker's own environment has no PATH: systemd's default for services. */
export const DEFAULT_COMMAND_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Pure: the invocation for one row. Every placeholder is filled inside its own argument, so a value with
 * spaces, quotes, `$(…)`, backticks, newlines or a leading `-` reaches the program as exactly that one
 * argument; nothing passes through a shell. The environment is built from nothing: PATH, HOME and TMPDIR in
 * the job's scratch directory, LANG, the processor's `env`, and the placeholders' values. A value the kernel
 * cannot pass (a NUL character) or a `stdoutFile` that is no file name for this row fails the row.
 */
export function planInvocation(command: CompiledCommand, request: ProcessorRequest, layout: JobLayout, basePath: string): InvocationPlan {
  const values: Record<CommandPlaceholder, string> = {
    input: layout.inputFile,
    output_dir: layout.outputDir,
    id: request.itemId,
    rest: request.rest,
    input_name: lastSegment(request.rest),
  };
  const filled = command.argv.map((parts) => fillTemplate(parts, values));
  const withNul = filled.findIndex((argument) => argument.includes('\0'));
  if (withNul !== -1) return { ok: false, reason: `the row's values cannot be passed to the command: argument ${withNul} would hold a NUL character` };

  const env: Record<string, string> = {
    PATH: basePath,
    HOME: layout.homeDir,
    TMPDIR: layout.tmpDir,
    LANG: 'C.UTF-8',
    ...command.spec.env,
  };
  for (const [placeholder, name] of Object.entries(COMMAND_PLACEHOLDERS) as [CommandPlaceholder, string][]) {
    if (values[placeholder].includes('\0')) return { ok: false, reason: `the row's values cannot be passed to the command: ${name} would hold a NUL character` };
    env[name] = values[placeholder];
  }

  let stdoutPath: string | undefined;
  if (command.stdoutFile !== undefined) {
    const name = fillTemplate(command.stdoutFile, values);
    const problem = fileNameProblem(name);
    if (problem !== undefined) {
      const shown = name.length > 120 ? `${name.slice(0, 120)}…` : name;
      return { ok: false, reason: `stdoutFile would be ‘${templateSafeText(shown)}’ for this row, which ${problem}` };
    }
    stdoutPath = path.join(layout.outputDir, name);
  }
  const [program, ...args] = filled;
  return { ok: true, invocation: { program, args, env, cwd: layout.inputDir, ...(stdoutPath === undefined ? {} : { stdoutPath }) } };
}

/** Why `name` cannot be one file of the output directory; undefined when it can. */
function fileNameProblem(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'is not a file name';
  if (name.includes('/')) return 'holds a /';
  if (name.includes('\0')) return 'holds a NUL character';
  if (Buffer.byteLength(name, 'utf8') > MAX_FILE_NAME_BYTES) return `is longer than ${MAX_FILE_NAME_BYTES} bytes`;
  if (name === COMMAND_MANIFEST_FILE) return 'is the name of the pipeline’s manifest';
  return undefined;
}
