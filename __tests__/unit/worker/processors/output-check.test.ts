import { checkOutput, OutputContractError } from '../../../../worker/processors/output-check';
import type { ProcessorOutput } from '../../../../worker/processors/processor';

const request = { itemId: 'a', bucketName: 'b', sourceKey: 'data/input/x/y.pdf', rest: 'x/y.pdf', outputKey: 'data/output/x/y.pdf' };
const keys = (count: number) => Array.from({ length: count }, (_, index) => `data/output/x/y.pdf/${index}.txt`);

describe('checkOutput', () => {
  it.each([
    { case: 'the one object', output: { locationKey: 'data/output/x/y.pdf', keys: ['data/output/x/y.pdf'] } },
    { case: 'files under a prefix', output: { locationKey: 'data/output/x/y.pdf/', keys: keys(3) } },
    { case: 'a suffixed object and its manifest', output: { locationKey: 'data/output/x/y.pdf.chunks.jsonl', keys: ['data/output/x/y.pdf.chunks.jsonl', 'data/output/x/y.pdf.manifest.json'], attributes: { chunk_count: 4 } } },
    { case: 'many keys with a manifest', output: { locationKey: 'data/output/x/y.pdf/', keys: keys(21), manifestKey: 'data/output/x/y.pdf/_manifest.json' } },
    { case: 'no key at all (a processor that writes nothing)', output: { locationKey: 'data/output/x/y.pdf/', keys: [] } },
  ] as Array<{ case: string; output: ProcessorOutput }>)('accepts $case', ({ output }) => {
    expect(() => checkOutput('p', request, output)).not.toThrow();
  });

  it.each([
    { case: 'a key of another row', output: { locationKey: 'data/output/x/y.pdf', keys: ['data/output/x/z.pdf'] }, message: 'outside its output' },
    { case: 'a key outside data/output/', output: { locationKey: 'data/output/x/y.pdf', keys: ['data/input/x/y.pdf'] }, message: 'outside its output' },
    { case: 'a location elsewhere', output: { locationKey: 'logs/', keys: [] }, message: 'outside its output' },
    { case: 'more than 20 keys without a manifest', output: { locationKey: 'data/output/x/y.pdf/', keys: keys(21) }, message: '21 output keys without a manifest' },
    { case: 'a reserved attribute', output: { locationKey: 'data/output/x/y.pdf', keys: [], attributes: { status: 1 } }, message: 'reserved or invalid' },
    { case: 'an invalid attribute name', output: { locationKey: 'data/output/x/y.pdf', keys: [], attributes: { 'a b': 1 } }, message: 'reserved or invalid' },
    { case: 'a non-finite attribute', output: { locationKey: 'data/output/x/y.pdf', keys: [], attributes: { chunk_count: Number.NaN } }, message: 'non-finite' },
  ] as Array<{ case: string; output: ProcessorOutput; message: string }>)('refuses $case', ({ output, message }) => {
    expect(() => checkOutput('p', request, output)).toThrow(OutputContractError);
    expect(() => checkOutput('p', request, output)).toThrow(message);
  });
});
