import { BadDocumentError } from '../../../../../worker/processors/chunk/failures';
import { decodeText, decodeWhole, StrictDecoder, textEncodingOf } from '../../../../../worker/processors/chunk/text-encoding';

async function* piecesOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

async function decodeAll(bytes: Uint8Array, size: number): Promise<string> {
  let text = '';
  for await (const piece of decodeText(piecesOf(bytes, size), textEncodingOf(bytes))) text += piece;
  return text;
}

const SAMPLE = 'Zoë’s café — 日本語 — 🙂 emoji, and plain ASCII.';

describe('text encodings', () => {
  it.each([
    { case: 'UTF-8 without a BOM', bytes: Buffer.from(SAMPLE), encoding: 'utf-8' },
    { case: 'UTF-8 with a BOM', bytes: Buffer.from(`\ufeff${SAMPLE}`), encoding: 'utf-8' },
    { case: 'UTF-16LE with a BOM', bytes: Buffer.from(`\ufeff${SAMPLE}`, 'utf16le'), encoding: 'utf-16le' },
    { case: 'UTF-16BE with a BOM', bytes: Buffer.from(`\ufeff${SAMPLE}`, 'utf16le').swap16(), encoding: 'utf-16be' },
  ])('$case: decoded without the BOM, whole or cut at any byte', async ({ bytes, encoding }) => {
    expect(textEncodingOf(bytes)).toBe(encoding);
    expect(decodeWhole(bytes, textEncodingOf(bytes))).toBe(SAMPLE);
    for (let size = 1; size <= 5; size++) expect(await decodeAll(bytes, size)).toBe(SAMPLE);
  });

  it.each([
    { case: 'a Latin-1 byte', bytes: Buffer.from('caf\u00e9 au lait', 'latin1'), reason: /^the file is not valid UTF-8 text \(an invalid byte sequence within bytes 0–11\)/ },
    { case: 'a stray continuation byte', bytes: Uint8Array.from([0x61, 0x80, 0x62]), reason: /not valid UTF-8 text/ },
    { case: 'an overlong encoding', bytes: Uint8Array.from([0xc0, 0xaf]), reason: /not valid UTF-8 text/ },
    { case: 'a character cut at the end', bytes: Buffer.from('ok 日').subarray(0, 5), reason: /^the file is not valid UTF-8 text \(it ends inside a character within bytes 2–4\)/ },
    { case: 'an unpaired UTF-16 surrogate', bytes: Uint8Array.from([0xff, 0xfe, 0x3d, 0xd8, 0x41, 0x00]), reason: /not valid UTF-16 text/ },
  ])('refuses $case with a reason that says what to do', async ({ bytes, reason }) => {
    expect(() => decodeWhole(bytes, textEncodingOf(bytes))).toThrow(BadDocumentError);
    expect(() => decodeWhole(bytes, textEncodingOf(bytes))).toThrow(reason);
    await expect(decodeAll(bytes, 2)).rejects.toThrow(/save it as UTF-8, or as UTF-16 with a byte order mark/);
  });

  it('names the piece an invalid byte is in', () => {
    const decoder = new StrictDecoder('utf-8');
    decoder.decode(Buffer.from('a'.repeat(100)));

    expect(() => decoder.decode(Uint8Array.from([0x61, 0xff]))).toThrow('within bytes 97–101');
  });
});
