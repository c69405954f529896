import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CHUNK_COUNT_ATTRIBUTE, type ChunkRecord, INPUT_PREFIX, ItemAttribute, ItemStatus, ProcessorType } from '../../contracts';
import { makeGoodSamples } from '../samples/documents';
import { DEMO_PROCESSORS, demoCatalog } from './demo';
import { isTerminal, waitForTerminalRows } from './rows';

/** The processor the demo's documents name: the built-in chunk type, as the demo declares it (demo.ts). */
export const DEMO_CHUNK_PROCESSOR = 'chunk' satisfies keyof typeof DEMO_PROCESSORS;

/** The sample documents the demo chunks (local/samples: made from field-guide.md, nothing downloaded). */
const DEMO_DOCUMENTS = ['field-guide.pdf', 'field-guide.docx', 'field-guide.html', 'field-guide.md'];

export interface ChunkDemoRow {
  readonly id: string;
  readonly inputKey: string;
  readonly status?: string;
  readonly failureReason?: string;
  readonly outputPath?: string;
  readonly chunkCount?: number;
  /** The first chunk as written, to show what a line holds. */
  readonly firstChunk?: ChunkRecord;
}

export interface ChunkDemoOptions {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly tableName: string;
  readonly bucketName: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Uploads the sample PDF, DOCX, HTML and Markdown documents, submits each for the `chunk` processor, waits until
 * every row is FINISHED or FAILED and reads back each chunk count and first chunk.
 */
export async function runChunkDemo(options: ChunkDemoOptions): Promise<ChunkDemoRow[]> {
  const run = Date.now().toString(36);
  const samples = (await makeGoodSamples()).filter((sample) => DEMO_DOCUMENTS.includes(sample.name));
  const inputs = samples.map((sample, index) => ({ ...sample, id: `chunk-demo-${run}-${index + 1}`, key: `${INPUT_PREFIX}samples/${sample.name}` }));
  for (const input of inputs) {
    await options.s3.send(new PutObjectCommand({ Bucket: options.bucketName, Key: input.key, Body: input.bytes }));
    await options.dynamodb.send(
      new PutItemCommand({
        TableName: options.tableName,
        Item: {
          [ItemAttribute.id]: { S: input.id },
          [ItemAttribute.status]: { S: ItemStatus.PENDING },
          [ItemAttribute.s3Path]: { S: `s3://${options.bucketName}/${input.key}` },
          [ItemAttribute.processor]: { S: DEMO_CHUNK_PROCESSOR },
        },
      }),
    );
  }
  await waitForTerminalRows(options.dynamodb, options.tableName, inputs.map((input) => input.id), { timeoutMs: options.timeoutMs, signal: options.signal });
  return Promise.all(
    inputs.map(async (input): Promise<ChunkDemoRow> => {
      const { Item } = await options.dynamodb.send(
        new GetItemCommand({ TableName: options.tableName, Key: { [ItemAttribute.id]: { S: input.id } }, ConsistentRead: true }),
      );
      const row = { id: input.id, inputKey: input.key, status: Item?.[ItemAttribute.status]?.S, failureReason: Item?.[ItemAttribute.failureReason]?.S };
      const outputPath = Item?.[ItemAttribute.outputPath]?.S;
      if (row.status !== ItemStatus.FINISHED || outputPath === undefined) return row;
      const key = outputPath.slice(`s3://${options.bucketName}/`.length);
      const chunks = await options.s3.send(new GetObjectCommand({ Bucket: options.bucketName, Key: key }));
      const firstLine = (await chunks.Body!.transformToString()).split('\n')[0];
      return { ...row, outputPath, chunkCount: Number(Item?.[CHUNK_COUNT_ATTRIBUTE]?.N), firstChunk: JSON.parse(firstLine) as ChunkRecord };
    }),
  );
}

/** The chunk demo's lines for the terminal; `failed` when a sample did not end FINISHED with chunks. */
export function summarizeChunkDemo(rows: readonly ChunkDemoRow[]): { text: string; failed: boolean } {
  const lines = rows.map((row) => {
    const name = row.inputKey.slice(row.inputKey.lastIndexOf('/') + 1).padEnd(18);
    if (row.status !== ItemStatus.FINISHED) {
      return `  ${name} ${(row.status ?? '(missing)').padEnd(8)}  ${row.failureReason ?? (isTerminal(row) ? '' : 'did not finish before the deadline')}`;
    }
    const first = row.firstChunk;
    const where = first?.page != null ? `page ${first.page}` : first?.heading != null ? `under ‘${first.heading}’` : '';
    const preview = (first?.text ?? '').replace(/\s+/g, ' ').slice(0, 60);
    return [
      `  ${name} FINISHED  ${row.chunkCount} chunks → ${row.outputPath}`,
      `  ${''.padEnd(18)} first chunk: ${first?.tokens} tokens ${where}: “${preview}…”`,
    ].join('\n');
  });
  const failed = rows.some((row) => row.status !== ItemStatus.FINISHED || !(Number(row.chunkCount) > 0));
  const verdict = failed ? 'chunk demo FAILED: a sample document was not chunked' : `chunk demo passed: ${rows.length} documents chunked`;
  const spec = demoCatalog({}, {}).processors[DEMO_CHUNK_PROCESSOR];
  const settings = spec.type === ProcessorType.chunk ? ` at most ${spec.maxTokens} ${spec.encoding} tokens a chunk, ${spec.overlapTokens} of overlap` : '';
  const heading = `processor ‘${DEMO_CHUNK_PROCESSOR}’ (PDF, DOCX, HTML, Markdown → data/output/<rest>.chunks.jsonl;${settings}):`;
  return { text: [heading, ...lines, verdict].join('\n'), failed };
}
