import { createHash } from 'node:crypto';

/** Everything a chunk's id derives from. */
export interface ChunkIdentity {
  readonly sourceKey: string;
  readonly sourceSha256: string;
  /** The settings that shape chunks (not the size limit). */
  readonly maxTokens: number;
  readonly overlapTokens: number;
  readonly encoding: string;
  /** `<name> <version>` of the extractor, and the chunker's version. */
  readonly extractor: string;
  readonly chunkerVersion: string;
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

/**
 * A stable id: the same file at the same key, chunked with the same settings and code, gets the same ids, so a
 * vector store can upsert by id and skip what did not change. The key is part of it: the same file under two
 * keys is two documents, and their chunks must not overwrite each other.
 *
 * The form is a UUID (RFC 9562 version 8, the version for custom hashes): the first 128 bits of a SHA-256,
 * with the version and variant bits set, which vector stores that want UUIDs (Qdrant, pgvector's uuid) take.
 */
export function chunkId(identity: ChunkIdentity): string {
  const canonical = JSON.stringify([
    'rag-file-pipeline chunk',
    identity.sourceKey,
    identity.sourceSha256,
    identity.maxTokens,
    identity.overlapTokens,
    identity.encoding,
    identity.extractor,
    identity.chunkerVersion,
    identity.index,
    identity.start,
    identity.end,
  ]);
  const bytes = createHash('sha256').update(canonical).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
