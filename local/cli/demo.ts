import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { INPUT_PREFIX, ItemAttribute, ItemStatus, OUTPUT_PREFIX } from '../../contracts';
import { isTerminal, waitForTerminalRows, type RowState } from './rows';

/** Sample inputs: paths under data/input/, one with a space and non-ASCII characters in its name. */
export const DEMO_FILES: readonly { readonly rest: string; readonly body: string }[] = [
  { rest: 'client_1/test_file_1.txt', body: 'hello from the local pipeline\n' },
  { rest: 'client_1/reports/quarterly report – café ü.txt', body: 'revenue,42\ncosts,17\n' },
  { rest: 'client_2/data/numbers.csv', body: Array.from({ length: 1000 }, (_, index) => `${index},${index * index}`).join('\n') },
];

export interface DemoRowResult extends RowState {
  readonly inputKey: string;
  /** The output object equals the input, byte for byte (FINISHED rows only). */
  readonly identical?: boolean;
}

export interface DemoResult {
  readonly rows: DemoRowResult[];
  /** Rows neither FINISHED nor FAILED at the deadline. */
  readonly stuck: DemoRowResult[];
}

export interface DemoOptions {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly tableName: string;
  readonly bucketName: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly onPoll?: (rows: RowState[]) => void;
}

/**
 * Uploads the sample files, inserts a PENDING row for each, waits until every row is FINISHED or
 * FAILED (or the deadline passes) and checks each output against its input.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const run = Date.now().toString(36);
  const inputs = DEMO_FILES.map((file, index) => ({ ...file, id: `demo-${run}-${index + 1}`, key: `${INPUT_PREFIX}${file.rest}` }));
  for (const input of inputs) {
    await options.s3.send(new PutObjectCommand({ Bucket: options.bucketName, Key: input.key, Body: input.body }));
    await options.dynamodb.send(
      new PutItemCommand({
        TableName: options.tableName,
        Item: {
          [ItemAttribute.id]: { S: input.id },
          [ItemAttribute.status]: { S: ItemStatus.PENDING },
          [ItemAttribute.s3Path]: { S: `s3://${options.bucketName}/${input.key}` },
        },
      }),
    );
  }

  const states = await waitForTerminalRows(
    options.dynamodb,
    options.tableName,
    inputs.map((input) => input.id),
    { timeoutMs: options.timeoutMs, signal: options.signal, onPoll: options.onPoll },
  );
  const rows = await Promise.all(
    states.map(async (state, index): Promise<DemoRowResult> => {
      const input = inputs[index];
      if (state.status !== ItemStatus.FINISHED) return { ...state, inputKey: input.key };
      const outputKey = `${OUTPUT_PREFIX}${input.rest}`;
      const output = await options.s3.send(new GetObjectCommand({ Bucket: options.bucketName, Key: outputKey }));
      return { ...state, inputKey: input.key, identical: (await output.Body!.transformToString()) === input.body };
    }),
  );
  return { rows, stuck: rows.filter((row) => !isTerminal(row)) };
}

/** The demo's summary for the terminal; exit non-zero when `failed` is true. */
export function summarizeDemo(result: DemoResult): { text: string; failed: boolean } {
  const lines = result.rows.map((row) => {
    const detail =
      row.status === ItemStatus.FINISHED
        ? `→ ${row.outputPath ?? '(no output_path)'}${row.identical ? ' (identical)' : ' (OUTPUT DIFFERS)'}`
        : row.status === ItemStatus.FAILED
          ? `reason: ${row.failureReason ?? '(none)'}`
          : 'did not finish before the deadline';
    return `  ${row.id}  ${(row.status ?? '(missing)').padEnd(8)}  ${row.inputKey}  ${detail}`;
  });
  const differs = result.rows.some((row) => row.status === ItemStatus.FINISHED && !row.identical);
  const failed = result.stuck.length > 0 || differs;
  const verdict = failed
    ? `demo FAILED: ${result.stuck.length} row(s) stuck${differs ? ', an output differs from its input' : ''}`
    : `demo passed: ${result.rows.length} row(s) ended FINISHED or FAILED`;
  return { text: [...lines, verdict].join('\n'), failed };
}
