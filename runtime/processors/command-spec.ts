import {
  COMMAND_KILL_GRACE_SECONDS,
  COMMAND_LIMITS,
  COMMAND_MANIFEST_FILE,
  COMMAND_PLACEHOLDERS,
  COMMAND_TIMEOUT_SECONDS,
  STDOUT_FILE_PLACEHOLDERS,
} from '../../contracts/command-processor';
import { ProcessorType, type CommandProcessorSpec } from '../../contracts/processors';
import { describePlaceholders, parseTemplate, placeholdersIn } from './command-template';
import type { SpecProblems } from './spec-problems';

/** The settings of a `command` processor, in the order docs/processors.md lists them. */
const COMMAND_FIELDS = ['type', 'command', 'timeoutSeconds', 'killGraceSeconds', 'env', 'stdoutFile', 'allowEmptyOutput'];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The variables the worker sets itself for every command: an extra `env` may not redefine them. */
const RESERVED_ENV: ReadonlySet<string> = new Set(Object.values(COMMAND_PLACEHOLDERS));

/**
 * A `command` processor's settings checked and filled in, or undefined with every problem recorded, each naming
 * its path and value (`processors.scan.command[0] must be …, got "./scan"`). Pure, for the synth and the worker.
 */
export function resolveCommandSpec(path: string, raw: Readonly<Record<string, unknown>>, problems: SpecProblems): CommandProcessorSpec | undefined {
  problems.unknownFields(path, raw, COMMAND_FIELDS);
  const before = problems.count();
  const command = resolveArgv(`${path}.command`, raw.command, problems);
  const timeoutSeconds = problems.integer(`${path}.timeoutSeconds`, raw.timeoutSeconds, COMMAND_TIMEOUT_SECONDS.default, COMMAND_TIMEOUT_SECONDS);
  const killGraceSeconds = problems.integer(`${path}.killGraceSeconds`, raw.killGraceSeconds, COMMAND_KILL_GRACE_SECONDS.default, COMMAND_KILL_GRACE_SECONDS);
  const env = resolveEnv(`${path}.env`, raw.env, problems);
  const stdoutFile = resolveStdoutFile(`${path}.stdoutFile`, raw.stdoutFile, problems);
  const allowEmptyOutput = problems.boolean(`${path}.allowEmptyOutput`, raw.allowEmptyOutput, false);
  if (problems.count() > before || command === undefined) return undefined;
  return {
    type: ProcessorType.command,
    command,
    timeoutSeconds,
    killGraceSeconds,
    env,
    ...(stdoutFile === undefined ? {} : { stdoutFile }),
    allowEmptyOutput,
  };
}

function resolveArgv(path: string, value: unknown, problems: SpecProblems): string[] | undefined {
  if (typeof value === 'string') {
    problems.add(path, 'a list of strings (the program, then each argument), never one shell string', value);
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0 || value.length > COMMAND_LIMITS.maxArguments) {
    problems.add(path, `a list of 1 to ${COMMAND_LIMITS.maxArguments} strings, the program first`, value);
    return undefined;
  }
  let ok = true;
  value.forEach((argument: unknown, index) => {
    const at = `${path}[${index}]`;
    if (typeof argument !== 'string' || argument.length > COMMAND_LIMITS.maxArgumentLength || argument.includes('\0')) {
      problems.add(at, `a string of at most ${COMMAND_LIMITS.maxArgumentLength} characters without NUL`, argument);
      ok = false;
      return;
    }
    const parsed = parseTemplate(argument);
    if (!parsed.ok) {
      problems.add(at, `an argument without ${parsed.problem}`, argument);
      ok = false;
    } else if (index === 0 && !isProgram(argument, placeholdersIn(parsed.parts).length)) {
      problems.add(
        at,
        'the program: an absolute path, or a name looked up on PATH, without placeholders (a relative path would depend on the scratch directory the command runs in)',
        argument,
      );
      ok = false;
    }
  });
  return ok ? (value as string[]) : undefined;
}

/** `/usr/bin/gzip` or `gzip`: never `./tool` or `bin/tool`, never empty, never built from a row's values. */
function isProgram(argument: string, placeholders: number): boolean {
  if (argument === '' || placeholders > 0 || argument.includes('{') || argument.includes('}')) return false;
  return !argument.includes('/') || argument.startsWith('/');
}

function resolveEnv(path: string, value: unknown, problems: SpecProblems): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length > COMMAND_LIMITS.maxEnvironment) {
    problems.add(path, `an object of at most ${COMMAND_LIMITS.maxEnvironment} variables, name → string`, value);
    return {};
  }
  const env: Record<string, string> = {};
  for (const [name, variable] of Object.entries(value as Record<string, unknown>)) {
    const at = `${path}.${name}`;
    if (!ENV_NAME.test(name)) {
      problems.add(at, 'named with letters, digits and underscores, not starting with a digit', name);
    } else if (RESERVED_ENV.has(name)) {
      problems.add(at, `left out: the worker sets ${name} for every command`, variable);
    } else if (typeof variable !== 'string' || variable.length > COMMAND_LIMITS.maxEnvironmentValueLength || variable.includes('\0')) {
      problems.add(at, `a string of at most ${COMMAND_LIMITS.maxEnvironmentValueLength} characters without NUL`, variable);
    } else {
      env[name] = variable;
    }
  }
  return env;
}

function resolveStdoutFile(path: string, value: unknown, problems: SpecProblems): string | undefined {
  if (value === undefined) return undefined;
  const requirement =
    `a file name for the output directory (no /, not . or .., not ${COMMAND_MANIFEST_FILE}) ` +
    `whose placeholders are ${describePlaceholders(STDOUT_FILE_PLACEHOLDERS)}`;
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..' || value.includes('/') || value.includes('\0') || value === COMMAND_MANIFEST_FILE) {
    problems.add(path, requirement, value);
    return undefined;
  }
  const parsed = parseTemplate(value);
  if (!parsed.ok || placeholdersIn(parsed.parts).some((name) => !STDOUT_FILE_PLACEHOLDERS.includes(name))) {
    problems.add(path, requirement, value);
    return undefined;
  }
  return value;
}
