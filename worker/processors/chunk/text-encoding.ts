import { TextDecoder } from 'node:util';
import { BadDocumentError } from './failures';

/** The encodings plain text, Markdown and HTML may be in: UTF-8 (with or without a BOM), UTF-16 with a BOM. */
export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/** The encoding the byte order mark names; UTF-8 without one. */
export function textEncodingOf(head: Uint8Array): TextEncoding {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return 'utf-8';
}

/** Pieces a whole buffer is decoded in, so an invalid byte is located within this many bytes. */
const WHOLE_PIECE_BYTES = 64 * 1024;

/**
 * Decodes bytes piece by piece, without the byte order mark. A byte sequence the encoding does not allow, or
 * bytes that end inside a character, are a BadDocumentError that says where.
 */
export class StrictDecoder {
  private readonly decoder: TextDecoder;
  private offset = 0;

  constructor(private readonly encoding: TextEncoding) {
    this.decoder = new TextDecoder(encoding, { fatal: true });
  }

  decode(piece: Uint8Array): string {
    try {
      return this.decoder.decode(piece, { stream: true });
    } catch {
      // A character cut by the previous piece may be the one at fault: its first bytes came before this piece.
      throw this.invalid(Math.max(0, this.offset - 3), this.offset + piece.length - 1);
    } finally {
      this.offset += piece.length;
    }
  }

  /** The bytes are complete. */
  finish(): string {
    try {
      return this.decoder.decode();
    } catch {
      throw this.invalid(Math.max(0, this.offset - 3), Math.max(0, this.offset - 1), 'it ends inside a character');
    }
  }

  private invalid(from: number, to: number, what = 'an invalid byte sequence'): BadDocumentError {
    const name = this.encoding === 'utf-8' ? 'UTF-8' : 'UTF-16';
    return new BadDocumentError(
      `the file is not valid ${name} text (${what} within bytes ${from}–${to}): save it as UTF-8, or as UTF-16 with a byte order mark`,
    );
  }
}

/** The text of a byte stream, piece by piece (StrictDecoder). */
export async function* decodeText(pieces: AsyncIterable<Uint8Array>, encoding: TextEncoding): AsyncGenerator<string> {
  const decoder = new StrictDecoder(encoding);
  for await (const piece of pieces) {
    const text = decoder.decode(piece);
    if (text !== '') yield text;
  }
  const rest = decoder.finish();
  if (rest !== '') yield rest;
}

/** The whole text of `bytes` (StrictDecoder). */
export function decodeWhole(bytes: Uint8Array, encoding: TextEncoding): string {
  const decoder = new StrictDecoder(encoding);
  const parts: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += WHOLE_PIECE_BYTES) {
    parts.push(decoder.decode(bytes.subarray(offset, offset + WHOLE_PIECE_BYTES)));
  }
  parts.push(decoder.finish());
  return parts.join('');
}
