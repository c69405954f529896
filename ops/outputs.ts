import { STATUS_INDEX_NAME } from '../contracts/item';
import { StackOutput } from '../contracts/outputs';
import { UsageError } from './errors';

/** The resources the CLI works on, read from the stack's outputs file. */
export interface StackOutputs {
  readonly tableName: string;
  /** The table's ARN, which every item event names in `resources`; absent from outputs files written before the output existed. */
  readonly tableArn?: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly bucketName: string;
  /** The orchestrator's CloudWatch Logs group; absent from outputs files written before the output existed. */
  readonly lambdaLogGroupName?: string;
  /** The item events' bus; absent from outputs files written before the output existed. */
  readonly eventBusName?: string;
  /** The outcome queue; only with PIPELINE_EVENTS_QUEUE=true. */
  readonly eventsQueueUrl?: string;
  /**
   * The table's status index; undefined when the stack has none (PIPELINE_STATUS_INDEX=false: the output is
   * empty), and the index's name for files written before the output existed.
   */
  readonly statusIndexName?: string;
  /** Absent when neither the stack nor the file gives it; the SDK's region chain then decides. */
  readonly region?: string;
  /** The emulator's URL, which the local run's outputs file records next to the stack. */
  readonly endpoint?: string;
}

type JsonObject = Record<string, unknown>;

const REQUIRED = ['tableName', 'queueUrl', 'dlqUrl', 'bucketName'] as const;

/**
 * Parses an outputs file. Two shapes are accepted: cdktf's `{ "<stack>": { "<output>": value } }`
 * (`cdktf output|deploy --outputs-file`) and a flat `{ "<output>": value }`. With the nested shape the stack
 * is `stackName` when given, else the only one in the file. The local run's file adds top-level `endpoint`
 * and `region` strings beside its stack: they are used when the stack has no such output.
 * `source` names the file in messages.
 */
export function parseStackOutputs(text: string, source: string, stackName?: string): StackOutputs {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`outputs file ${source} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new UsageError(`outputs file ${source} must hold a JSON object`);
  const outputs = selectStack(parsed, source, stackName);
  const read = (key: keyof typeof StackOutput): string | undefined => {
    const value = outputs[StackOutput[key]];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const missing = REQUIRED.filter((key) => read(key) === undefined).map((key) => StackOutput[key]);
  if (missing.length > 0) {
    const found = Object.keys(outputs).join(', ') || 'none';
    throw new UsageError(`outputs file ${source} has no ${missing.join(', ')} output (found: ${found})`);
  }
  return {
    tableName: read('tableName') as string,
    tableArn: read('tableArn'),
    queueUrl: read('queueUrl') as string,
    dlqUrl: read('dlqUrl') as string,
    bucketName: read('bucketName') as string,
    lambdaLogGroupName: read('lambdaLogGroupName'),
    eventBusName: read('eventBusName'),
    eventsQueueUrl: read('eventsQueueUrl'),
    statusIndexName: StackOutput.statusIndexName in outputs ? read('statusIndexName') : STATUS_INDEX_NAME,
    region: read('region') ?? topLevelString(parsed, 'region'),
    endpoint: topLevelString(parsed, 'endpoint'),
  };
}

function selectStack(file: JsonObject, source: string, stackName: string | undefined): JsonObject {
  const stacks = Object.entries(file).filter((entry): entry is [string, JsonObject] => isObject(entry[1]));
  if (stackName !== undefined) {
    const stack = stacks.find(([name]) => name === stackName);
    if (!stack) {
      throw new UsageError(`outputs file ${source} has no stack "${stackName}" (stacks: ${names(stacks)})`);
    }
    return stack[1];
  }
  if (StackOutput.tableName in file) return file;
  if (stacks.length === 1) return stacks[0][1];
  if (stacks.length === 0) {
    throw new UsageError(`outputs file ${source} holds neither stack outputs nor a "${StackOutput.tableName}" output`);
  }
  throw new UsageError(`outputs file ${source} holds several stacks (${names(stacks)}): choose one with --stack`);
}

function topLevelString(file: JsonObject, name: string): string | undefined {
  const value = file[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function names(stacks: readonly [string, JsonObject][]): string {
  return stacks.map(([name]) => name).join(', ') || 'none';
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
