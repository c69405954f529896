import { OptionalOrchestratorEnv, OrchestratorEnv, WORKER_LOG_PATH, WorkerEnv } from '../../contracts';
import { ENVIRONMENT_MARKER, USER_DATA_TEMPLATE } from './user-data-template';

/** What a worker needs to know, rendered into its user data as environment variables. */
export interface UserDataParams {
  readonly region: string;
  readonly queueUrl: string;
  readonly tableName: string;
  readonly bucketName: string;
  /** S3 key of the worker bundle in {@link bucketName}. */
  readonly workerCodeKey: string;
  readonly autoterminateMinutes: number;
  /** undefined leaves the worker's default. */
  readonly concurrency?: number;
  /** undefined leaves the worker's default. */
  readonly visibilityTimeoutSeconds?: number;
  /** The work queue's maxReceiveCount (the worker's last-receive rule); undefined leaves the rule off. */
  readonly maxReceiveCount?: number;
  /** undefined leaves the worker's default. */
  readonly multipartThresholdBytes?: number;
  /** S3 key of the processor catalog in {@link bucketName}; undefined: the worker runs `copy` alone. */
  readonly processorCatalogKey?: string;
  /** Interruptions a row survives without spending a receive; undefined leaves the worker's default. */
  readonly interruptionRetries?: number;
  /** The deployment's setup script, run by the bootstrap before the worker; undefined: none. */
  readonly setup?: { readonly key: string; readonly timeoutSeconds: number };
  /**
   * @default WORKER_LOG_PATH — the worker log's address. On an instance it is a symlink to the file the
   * bootstrap, the worker and the worker's output append to (in a directory the worker's own user may write).
   */
  readonly logPath?: string;
}

/** EC2 rejects user data above 16 KB (before base64). */
export const MAX_USER_DATA_BYTES = 16 * 1024;

/** A value cannot be rendered safely; the message names the variable and the value. */
export class UserDataError extends Error {
  override readonly name = 'UserDataError';
}

/**
 * The bootstrap script for one worker, as plain text (RunInstances wants it base64-encoded). Values are
 * exported as single-quoted shell words, so nothing in them is expanded; control characters are refused
 * because they would not survive one-line-per-variable parsing.
 */
export function renderUserData(params: UserDataParams): string {
  const environment: Array<[string, string | number | undefined]> = [
    [WorkerEnv.region, params.region],
    [WorkerEnv.queueUrl, params.queueUrl],
    [WorkerEnv.tableName, params.tableName],
    [WorkerEnv.bucketName, params.bucketName],
    [OrchestratorEnv.workerCodeKey, params.workerCodeKey],
    [WorkerEnv.autoterminateMinutes, params.autoterminateMinutes],
    [WorkerEnv.concurrency, params.concurrency],
    [WorkerEnv.visibilityTimeoutSeconds, params.visibilityTimeoutSeconds],
    [WorkerEnv.maxReceiveCount, params.maxReceiveCount],
    [WorkerEnv.multipartThresholdBytes, params.multipartThresholdBytes],
    [WorkerEnv.processorCatalogKey, params.processorCatalogKey],
    [WorkerEnv.interruptionRetries, params.interruptionRetries],
    [OptionalOrchestratorEnv.workerSetupKey, params.setup?.key],
    [OptionalOrchestratorEnv.workerSetupTimeoutSeconds, params.setup?.timeoutSeconds],
    [WorkerEnv.logPath, params.logPath ?? WORKER_LOG_PATH],
  ];
  const exportBlock = environment
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => exportLine(name, String(value)))
    .join('\n');
  const script = USER_DATA_TEMPLATE.replace(ENVIRONMENT_MARKER, () => exportBlock);
  const bytes = Buffer.byteLength(script, 'utf8');
  if (bytes > MAX_USER_DATA_BYTES) {
    throw new UserDataError(`the rendered user data is ${bytes} bytes, above EC2's limit of ${MAX_USER_DATA_BYTES}`);
  }
  return script;
}

const EXPORT_LINE = /^export ([A-Z_][A-Z0-9_]*)='((?:[^']|'\\'')*)'$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** `export NAME='value'`, with each `'` in the value written as `'\''`. */
function exportLine(name: string, value: string): string {
  if (CONTROL_CHARACTER.test(value)) {
    throw new UserDataError(`${name} must not contain control characters such as newlines, got ${JSON.stringify(value)}`);
  }
  return `export ${name}='${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The variables a rendered user data script exports with literal values, unescaped: what the worker's
 * process environment will hold (besides WORKER_INSTANCE_ID, which the script reads from the instance
 * metadata at boot). The local run starts workers with it.
 */
export function parseWorkerEnvironment(userData: string): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const line of userData.split('\n')) {
    const match = EXPORT_LINE.exec(line);
    if (match) environment[match[1]] = match[2].replaceAll(`'\\''`, "'");
  }
  return environment;
}
