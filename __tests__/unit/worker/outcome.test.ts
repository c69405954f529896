import { ItemAttribute, ItemStatus } from '../../../contracts';
import { decide, givingUpReason, isLastReceive } from '../../../worker/outcome';

const BUCKET = 'pipeline-bucket';
const PROCESSORS = { defaultProcessor: 'copy', names: () => ['copy', 'scan'] };
const INPUT = `s3://${BUCKET}/data/input/c/f.txt`;
const row = (attributes: Record<string, unknown>) => ({ [ItemAttribute.id]: 'item-1', ...attributes });

describe('decide', () => {
  it.each([
    { case: 'a missing row', item: undefined, expected: { action: 'drop', reason: 'row not found' } },
    {
      case: 'a FINISHED row (a duplicate message)',
      item: row({ [ItemAttribute.status]: ItemStatus.FINISHED, [ItemAttribute.s3Path]: `s3://${BUCKET}/data/input/a` }),
      expected: { action: 'skip', reason: 'already FINISHED', status: ItemStatus.FINISHED },
    },
    {
      case: 'a FAILED row',
      item: row({ [ItemAttribute.status]: ItemStatus.FAILED }),
      expected: { action: 'skip', reason: 'status is "FAILED", not PENDING', status: ItemStatus.FAILED },
    },
    {
      case: 'a row without a status',
      item: row({ [ItemAttribute.s3Path]: `s3://${BUCKET}/data/input/a` }),
      expected: { action: 'skip', reason: 'status is missing, not PENDING', status: undefined },
    },
    {
      case: 'a PENDING row without s3_path',
      item: row({ [ItemAttribute.status]: ItemStatus.PENDING }),
      expected: { action: 'fail', reason: 's3_path is missing', processedBy: 'copy' },
    },
    {
      case: 'a PENDING row with a numeric s3_path',
      item: row({ [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: 7 }),
      expected: { action: 'fail', reason: 's3_path must be a string, got number', processedBy: 'copy' },
    },
    {
      case: 'a PENDING row pointing at another bucket',
      item: row({ [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: 's3://elsewhere/data/input/a' }),
      expected: { action: 'fail', reason: 's3_path must be in bucket ‘pipeline-bucket’, got bucket ‘elsewhere’', processedBy: 'copy' },
    },
    {
      case: 'a valid PENDING row naming no processor (the default)',
      item: row({ [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: INPUT }),
      expected: {
        action: 'process',
        processor: 'copy',
        paths: { sourceKey: 'data/input/c/f.txt', rest: 'c/f.txt', outputKey: 'data/output/c/f.txt' },
      },
    },
    {
      case: 'a valid PENDING row naming a configured processor',
      item: row({ [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: INPUT, [ItemAttribute.processor]: 'scan' }),
      expected: {
        action: 'process',
        processor: 'scan',
        paths: { sourceKey: 'data/input/c/f.txt', rest: 'c/f.txt', outputKey: 'data/output/c/f.txt' },
      },
    },
    {
      case: 'a row naming a processor that is not configured',
      item: row({ [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: INPUT, [ItemAttribute.processor]: 'ocr' }),
      expected: {
        action: 'fail',
        reason: 'processor ‘ocr’ is not configured; the configured processors are copy, scan',
        processedBy: 'ocr',
        unknownProcessor: true,
      },
    },
    {
      case: 'a row naming an unknown processor with quotes in its name (kept out of the reason)',
      item: row({ [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: INPUT, [ItemAttribute.processor]: 'say "hi"' }),
      expected: {
        action: 'fail',
        reason: 'processor ‘say \ufffdhi\ufffd’ is not configured; the configured processors are copy, scan',
        processedBy: 'say \ufffdhi\ufffd',
        unknownProcessor: true,
      },
    },
    {
      case: 'a row whose processor is not a string',
      item: row({ [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: INPUT, [ItemAttribute.processor]: 3 }),
      expected: {
        action: 'fail',
        reason: 'processor must be the name of a processor (copy, scan), got a number',
        processedBy: '(a number)',
      },
    },
    {
      case: 'a row naming an unknown processor and a bad path (the processor is checked first)',
      item: row({ [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: 7, [ItemAttribute.processor]: 'ocr' }),
      expected: {
        action: 'fail',
        reason: 'processor ‘ocr’ is not configured; the configured processors are copy, scan',
        processedBy: 'ocr',
        unknownProcessor: true,
      },
    },
  ])('$case → $expected.action', ({ item, expected }) => {
    expect(decide(item, BUCKET, PROCESSORS)).toEqual(expected);
  });

  it('cuts a long unknown processor name in the reason and in processed_by', () => {
    const name = 'p'.repeat(500);
    const decision = decide(
      row({ [ItemAttribute.status]: ItemStatus.PENDING, [ItemAttribute.s3Path]: INPUT, [ItemAttribute.processor]: name }),
      BUCKET,
      PROCESSORS,
    );

    expect(decision).toMatchObject({ action: 'fail', processedBy: `${'p'.repeat(64)}…` });
    expect(decision.action === 'fail' && decision.reason.length).toBeLessThan(200);
  });
});

describe('isLastReceive', () => {
  it.each([
    { case: 'a receive below the count', receiveCount: 4, maxReceiveCount: 5, expected: false },
    { case: 'the receive that reaches the count', receiveCount: 5, maxReceiveCount: 5, expected: true },
    { case: 'a receive past the count (an approximate count, or a lowered redrive)', receiveCount: 7, maxReceiveCount: 5, expected: true },
    { case: 'no configured count', receiveCount: 99, maxReceiveCount: undefined, expected: false },
    { case: 'an unreadable receive count', receiveCount: Number.NaN, maxReceiveCount: 1, expected: false },
  ])('$case → $expected', ({ receiveCount, maxReceiveCount, expected }) => {
    expect(isLastReceive(receiveCount, maxReceiveCount)).toBe(expected);
  });
});

describe('givingUpReason', () => {
  it('names the receives and the last error', () => {
    expect(givingUpReason(5, 'SlowDown: Please reduce your request rate.')).toBe(
      'gave up after 5 receives, last error: SlowDown: Please reduce your request rate.',
    );
  });

  it('keeps a long error short', () => {
    const reason = givingUpReason(5, 'x'.repeat(2_000));

    expect(reason.length).toBeLessThanOrEqual(501);
    expect(reason.endsWith('…')).toBe(true);
  });
});
