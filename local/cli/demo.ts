import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PipelineConfig } from '../../config/pipeline-config';
import { loadProcessorCatalog, type ProcessorDeclaration } from '../../config/processors';
import { COPY_PROCESSOR_NAME, commandOutputPrefix, INPUT_PREFIX, ItemAttribute, ItemStatus, OUTPUT_PREFIX, type ProcessorCatalog } from '../../contracts';
import { isTerminal, waitForTerminalRows, type RowState } from './rows';

/** The demo's command processors: commands any Linux has, run by the command processor exactly as a worker runs yours. */
const DEMO_COMMANDS = {
  /** `sha256sum` on the input, its line kept as `<name>.sha256`. */
  'demo-checksum': { type: 'command', command: ['sha256sum', '--', '{input_name}'], stdoutFile: '{input_name}.sha256', timeoutSeconds: 60 },
  /** `gzip` of the input, kept as `<name>.gz`. */
  'demo-gzip': { type: 'command', command: ['gzip', '-c', '--', '{input}'], stdoutFile: '{input_name}.gz', timeoutSeconds: 60 },
} as const satisfies Readonly<Record<string, ProcessorDeclaration>>;

/** The demo's own processors, deployed beside those of pipeline.config.ts (docs/processors.md). */
export const DEMO_PROCESSORS = {
  /** The built-in chunker, with chunks smaller than the default 512 tokens so the short samples show several (chunk-demo.ts). */
  chunk: { type: 'chunk', maxTokens: 200, overlapTokens: 20 },
  ...DEMO_COMMANDS,
} as const satisfies Readonly<Record<string, ProcessorDeclaration>>;

/** The processors of {@link DEMO_FILES}' rows (the chunk demo submits its own documents). */
type DemoProcessor = typeof COPY_PROCESSOR_NAME | keyof typeof DEMO_COMMANDS;

/** The catalog `--demo` deploys: pipeline.config.ts's processors and the demo's. */
export function demoCatalog(config: PipelineConfig, env: NodeJS.ProcessEnv): ProcessorCatalog {
  return loadProcessorCatalog({ ...config, processors: { ...config.processors, ...DEMO_PROCESSORS } }, env);
}

/** Sample inputs under data/input/ (one with a space and non-ASCII characters in its name) and the processor of each row. */
export const DEMO_FILES: readonly { readonly rest: string; readonly body: string; readonly processor: DemoProcessor }[] = [
  { rest: 'client_1/test_file_1.txt', body: 'hello from the local pipeline\n', processor: COPY_PROCESSOR_NAME },
  { rest: 'client_1/reports/quarterly report – café ü.txt', body: 'revenue,42\ncosts,17\n', processor: COPY_PROCESSOR_NAME },
  { rest: 'client_2/data/numbers.csv', body: Array.from({ length: 1000 }, (_, index) => `${index},${index * index}`).join('\n'), processor: COPY_PROCESSOR_NAME },
  { rest: 'client_1/test_file_1.txt', body: 'hello from the local pipeline\n', processor: 'demo-checksum' },
  { rest: 'client_1/reports/quarterly report – café ü.txt', body: 'revenue,42\ncosts,17\n', processor: 'demo-checksum' },
  { rest: 'client_2/data/numbers.csv', body: Array.from({ length: 1000 }, (_, index) => `${index},${index * index}`).join('\n'), processor: 'demo-gzip' },
];

export interface DemoRowResult extends RowState {
  readonly inputKey: string;
  readonly processor: DemoProcessor;
  /** FINISHED rows: whether the outputs are what the processor should make of the input. */
  readonly verified?: boolean;
  /** What was checked, or what is wrong: shown in the summary. */
  readonly check?: string;
  /** A text output worth showing (a checksum line). */
  readonly shown?: string;
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
 * Uploads the sample files, inserts a PENDING row per file and processor, waits until every row is FINISHED or
 * FAILED (or the deadline passes), then checks each row's outputs: a copy equals its input, a checksum is the
 * input's SHA-256, a gzip decompresses to the input.
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
          [ItemAttribute.processor]: { S: input.processor },
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
  const read = async (key: string): Promise<Buffer | undefined> => {
    try {
      const object = await options.s3.send(new GetObjectCommand({ Bucket: options.bucketName, Key: key }));
      return Buffer.from(await object.Body!.transformToByteArray());
    } catch {
      return undefined;
    }
  };
  const rows = await Promise.all(
    states.map(async (state, index): Promise<DemoRowResult> => {
      const input = inputs[index];
      const base = { ...state, inputKey: input.key, processor: input.processor };
      if (state.status !== ItemStatus.FINISHED) return base;
      const expected = expectedOutput(input.rest, input.processor);
      const content = await read(expected.key);
      const verdict = content === undefined ? `${expected.key} is missing` : expected.check(content, input.body);
      const shown = input.processor === 'demo-checksum' && content !== undefined ? content.toString().trim() : undefined;
      return { ...base, verified: verdict === undefined, check: verdict ?? expected.describe, ...(shown === undefined ? {} : { shown }) };
    }),
  );
  return { rows, stuck: rows.filter((row) => !isTerminal(row)) };
}

/** Pure: the output a demo row's processor makes of `rest`, and how to check it; `check` returns what is wrong. */
export function expectedOutput(rest: string, processor: DemoProcessor): { key: string; describe: string; check: (output: Buffer, input: string) => string | undefined } {
  const name = rest.slice(rest.lastIndexOf('/') + 1);
  const outputKey = `${OUTPUT_PREFIX}${rest}`;
  switch (processor) {
    case COPY_PROCESSOR_NAME:
      return { key: outputKey, describe: 'identical to its input', check: (output, input) => (output.toString() === input ? undefined : 'OUTPUT DIFFERS from its input') };
    case 'demo-checksum':
      return {
        key: `${commandOutputPrefix(outputKey, processor)}${name}.sha256`,
        describe: 'the SHA-256 of its input',
        check: (output, input) => {
          const line = `${createHash('sha256').update(input).digest('hex')}  ${name}\n`;
          return output.toString() === line ? undefined : `CHECKSUM WRONG: ${JSON.stringify(output.toString())}`;
        },
      };
    case 'demo-gzip':
      return {
        key: `${commandOutputPrefix(outputKey, processor)}${name}.gz`,
        describe: 'gzip of its input',
        check: (output, input) => {
          try {
            return gunzipSync(output).toString() === input ? undefined : 'DECOMPRESSES TO SOMETHING ELSE than its input';
          } catch (error) {
            return `NOT GZIP: ${(error as Error).message}`;
          }
        },
      };
  }
}

/** The demo's summary for the terminal: each row, its processor and outputs; exit non-zero when `failed` is true. */
export function summarizeDemo(result: DemoResult): { text: string; failed: boolean } {
  const lines = result.rows.flatMap((row) => {
    const head = `  ${row.id}  ${(row.status ?? '(missing)').padEnd(8)}  ${row.processor.padEnd(13)}  ${row.inputKey}`;
    if (row.status === ItemStatus.FAILED) return [`${head}  reason: ${row.failureReason ?? '(none)'}`];
    if (row.status !== ItemStatus.FINISHED) return [`${head}  did not finish before the deadline`];
    const outputs = row.outputKeys ?? [];
    return [
      `${head}  → ${row.outputPath ?? '(no output_path)'}: ${row.check ?? 'not checked'}`,
      ...outputs.map((key) => `      output ${key}`),
      ...(row.shown === undefined ? [] : [`      ${row.shown}`]),
    ];
  });
  const wrong = result.rows.filter((row) => row.status === ItemStatus.FINISHED && !row.verified);
  const failed = result.stuck.length > 0 || wrong.length > 0;
  const verdict = failed
    ? `demo FAILED: ${result.stuck.length} row(s) stuck${wrong.length > 0 ? `, ${wrong.length} row(s) with wrong outputs` : ''}`
    : `demo passed: ${result.rows.length} row(s) ended FINISHED or FAILED, every output checked`;
  return { text: [...lines, verdict].join('\n'), failed };
}
