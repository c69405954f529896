import { ENDPOINT_ENV, OrchestratorEnv, WorkerEnv } from '../../contracts';
import { EMULATOR_CREDENTIALS } from '../emulator/moto';

/** Reads the worker environment the user data exports (runtime/bootstrap's parseWorkerEnvironment). */
export type ParseWorkerEnvironment = (userData: string) => Record<string, string>;

/** What a local run substitutes for the instance: everything else comes from the user data. */
export interface WorkerOverrides {
  /** The emulator, in place of AWS's endpoints. */
  readonly endpoint: string;
  /** A temp file in place of /home/ubuntu/sqs_worker.logs. */
  readonly logPath: string;
  /** What IMDS would answer: the emulated instance's ID. */
  readonly instanceId: string;
  /** A private HOME, so the host's ~/.aws never leaks into the worker. */
  readonly home: string;
  /** The instance's metadata stand-in (instance-metadata.ts), in place of 169.254.169.254. */
  readonly imdsEndpoint?: string;
  /** A directory of the run in place of /var/lib/rag-worker/scratch: the command processors' scratch space. */
  readonly scratchDir: string;
  /** The shell's PATH, so `node` resolves as on the instance. */
  readonly path?: string;
}

/** Where the bootstrap fetches the worker bundle from, read from the user data's environment. */
export interface WorkerCodeLocation {
  readonly bucket: string;
  readonly key: string;
}

/** Decodes DescribeInstanceAttribute's base64 user data to the script the instance would run. */
export function decodeUserData(base64: string | undefined, instanceId: string): string {
  if (!base64) throw new Error(`instance ${instanceId} has no user data: it was not launched by the orchestrator`);
  return Buffer.from(base64, 'base64').toString('utf8');
}

/** The bundle's location; throws naming the variable the user data failed to export. */
export function workerCodeLocation(userDataEnv: Readonly<Record<string, string>>, instanceId: string): WorkerCodeLocation {
  const bucket = userDataEnv[WorkerEnv.bucketName];
  const key = userDataEnv[OrchestratorEnv.workerCodeKey];
  if (!bucket) throw new Error(`the user data of ${instanceId} does not export ${WorkerEnv.bucketName}`);
  if (!key) throw new Error(`the user data of ${instanceId} does not export ${OrchestratorEnv.workerCodeKey}`);
  return { bucket, key };
}

/**
 * The worker process's environment: exactly what the user data exports, plus the endpoint, the log
 * path, the scratch directory, the instance ID, its metadata stand-in and fake credentials. Nothing from the local
 * shell but PATH reaches it, so a
 * variable the user data forgets to export fails here as it would on EC2.
 */
export function workerProcessEnv(userDataEnv: Readonly<Record<string, string>>, overrides: WorkerOverrides): NodeJS.ProcessEnv {
  return {
    ...(overrides.path ? { PATH: overrides.path } : {}),
    HOME: overrides.home,
    ...userDataEnv,
    ...EMULATOR_CREDENTIALS,
    [ENDPOINT_ENV]: overrides.endpoint,
    [WorkerEnv.logPath]: overrides.logPath,
    [WorkerEnv.instanceId]: overrides.instanceId,
    ...(overrides.imdsEndpoint === undefined ? {} : { [WorkerEnv.imdsEndpoint]: overrides.imdsEndpoint }),
    [WorkerEnv.scratchDir]: overrides.scratchDir,
  };
}
