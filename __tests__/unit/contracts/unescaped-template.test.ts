import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ITEM_EVENT_INPUT_TEMPLATE, ItemAttribute, ItemStatus, TEMPLATE_BREAKER_STAND_IN, templateSafeText } from '../../../contracts';
import { planItemPaths } from '../../../runtime/item-paths';
import { givingUpReason } from '../../../worker/outcome';
import { recordFailed } from '../../../worker/table';

/**
 * AWS documents for EventBridge input transformers that "EventBridge does not escape values extracted by Input
 * Path, when populating the Input Template" (eb-transform-target-input, "Common issues with transforming
 * input"), and the Pipes page says nothing either way. This renders the events pipe's template that way: each
 * value inserted as it is. The local stand-in escapes (local/standins/input-template.ts), so only this test
 * shows what an unescaping pipe would publish.
 */
function renderUnescaped(template: string, record: unknown): string {
  return template.replace(/<\$\.([^>]+)>/g, (_placeholder, path: string) => {
    const value = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], record);
    return value === undefined ? '' : String(value);
  });
}

function failedRecord(s3Path: string, reason: string) {
  return {
    dynamodb: {
      Keys: { [ItemAttribute.id]: { S: 'item-1' } },
      NewImage: {
        [ItemAttribute.id]: { S: 'item-1' },
        [ItemAttribute.status]: { S: ItemStatus.FAILED },
        [ItemAttribute.s3Path]: { S: s3Path },
        [ItemAttribute.failureReason]: { S: reason },
        [ItemAttribute.finishedAt]: { S: '2026-11-25T16:00:00.000Z' },
        [ItemAttribute.workerInstanceId]: { S: 'i-1' },
      },
    },
  };
}

const BUCKET = 'pipeline-bucket';
/** `"`, `\`, a C0 control or DEL: what JSON cannot hold unescaped inside a string (and DEL). */
function breakersIn(text: string): string[] {
  return [...text].filter((char) => char === '"' || char === '\\' || char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);
}

describe('failure reasons and an input template that AWS may not escape', () => {
  it.each([
    { case: 'a path without a scheme', path: 'foo' },
    { case: 'another bucket', path: 's3://elsewhere/data/input/a.txt' },
    { case: 'a ".." segment', path: `s3://${BUCKET}/data/input/../a.txt` },
    { case: 'an empty segment', path: `s3://${BUCKET}/data/input/a//b.txt` },
  ])('publishes valid JSON for the FAILED event of $case', ({ path }) => {
    const check = planItemPaths(path, BUCKET);
    const reason = check.ok ? '' : check.reason;

    expect(reason).not.toBe('');
    expect(() => JSON.parse(renderUnescaped(ITEM_EVENT_INPUT_TEMPLATE, failedRecord(path, reason)))).not.toThrow();
  });

  it.each([
    { case: 'a double quote', path: 'say "hi"' },
    { case: 'a backslash', path: 'C:\\data\\input\\a.txt' },
    { case: 'a newline and a tab', path: 'line 1\nline\t2' },
    { case: 'a NUL and a DEL', path: 'a\u0000b\u007f' },
  ])('keeps $case of a refused path out of the reason', ({ path }) => {
    const check = planItemPaths(path, BUCKET);

    expect(breakersIn(check.ok ? '' : check.reason)).toEqual([]);
    expect(check.ok ? '' : check.reason).toContain(TEMPLATE_BREAKER_STAND_IN);
  });

  it('replaces each breaking character by one stand-in and leaves the rest alone', () => {
    expect(templateSafeText('a"b\\c\nd\u007fé ‘x’')).toBe(`a${TEMPLATE_BREAKER_STAND_IN}b${TEMPLATE_BREAKER_STAND_IN}c${TEMPLATE_BREAKER_STAND_IN}d${TEMPLATE_BREAKER_STAND_IN}é ‘x’`);
  });

  it('writes a "gave up" reason quoting an SDK error without its quotes, backslashes or newlines', async () => {
    const documentMock = mockClient(DynamoDBDocumentClient);
    documentMock.on(UpdateCommand).resolves({});
    const table = { documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), tableName: 'items' };
    const reason = givingUpReason(5, 'AccessDenied: User "arn:aws:sts::123456789012:assumed-role/x" is not authorized\nto perform s3:GetObject on C:\\x');

    await recordFailed(table, {
      itemId: 'item-1',
      submission: { s3Path: 's3://b/data/input/x', requestToken: undefined, processor: undefined },
      processedBy: 'copy',
      reason,
      finishedAt: '2026-11-25T16:00:00.000Z',
      workerInstanceId: 'i-1',
    });

    const written = documentMock.commandCalls(UpdateCommand)[0].args[0].input.ExpressionAttributeValues?.[':reason'] as string;
    expect(written).toBe(templateSafeText(reason));
    expect(breakersIn(written)).toEqual([]);
    expect(() => JSON.parse(renderUnescaped(ITEM_EVENT_INPUT_TEMPLATE, failedRecord('s3://b/data/input/x', written)))).not.toThrow();
    documentMock.restore();
  });
});
