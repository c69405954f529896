/**
 * What made a chunk, recorded in the manifest and folded into every chunk id: a change of any of these may
 * change the chunks, so it changes their ids, and a vector store re-embeds instead of keeping stale text.
 */

/** This folder's own version: bump it with any change that changes a chunk for the same input and settings. */
export const CHUNKER_VERSION = '1';

/** The bundled libraries' versions (package-lock.json; a unit test holds these to node_modules). */
export const LIBRARY_VERSIONS = {
  unpdf: '1.8.1',
  /** The PDF.js build inside unpdf. */
  'pdf.js': '6.1.200',
  mammoth: '1.13.0',
  'html-to-text': '10.0.1',
  'markdown-it': '15.0.3',
  'gpt-tokenizer': '4.0.0',
} as const;
