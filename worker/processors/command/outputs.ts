import { lstat, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { COMMAND_MANIFEST_FILE, MAX_COMMAND_OUTPUT_FILES, templateSafeText } from '../../../contracts';
import { MAX_KEY_BYTES } from '../../../runtime/item-paths';

/** One file the command left, and the key it is uploaded to. */
export interface OutputFile {
  /** Relative to the output directory, `/`-separated. */
  readonly relativePath: string;
  readonly absolutePath: string;
  readonly key: string;
  readonly bytes: number;
}

export type OutputListing = { readonly ok: true; readonly files: readonly OutputFile[] } | { readonly ok: false; readonly reason: string };

/** What an entry of the output directory is, as lstat says: a symbolic link is never followed. */
export type EntryKind = 'file' | 'directory' | 'symlink' | 'other';

/** The key of an output: the row's prefix (contracts' commandOutputPrefix) and the file's relative path. */
export function outputKeyFor(prefix: string, relativePath: string): string {
  return `${prefix}${relativePath}`;
}

/**
 * Pure: why an entry of the output directory cannot be published; undefined when it can (a regular file or a
 * directory to look into). Everything uploaded is a regular file found under the output directory without
 * following a link, so nothing leads outside it.
 */
export function entryProblem(entry: { readonly relativePath: string; readonly kind: EntryKind; readonly name: string }, prefix: string): string | undefined {
  const shown = quote(entry.relativePath);
  if (entry.kind === 'symlink') return `the output directory holds a symbolic link, which is never followed or uploaded: ${shown}`;
  if (entry.kind === 'other') return `the output directory holds ${shown}, which is neither a regular file nor a directory`;
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(entry.name)) return `an output file name holds a control character: ${shown}`;
  if (entry.kind === 'file' && entry.relativePath === COMMAND_MANIFEST_FILE) {
    return `the command wrote ${shown}, a name the pipeline keeps for its manifest of outputs`;
  }
  const bytes = Buffer.byteLength(outputKeyFor(prefix, entry.relativePath), 'utf8');
  if (entry.kind === 'file' && bytes > MAX_KEY_BYTES) return `the output ${shown} would have a key of ${bytes} bytes, S3 allows ${MAX_KEY_BYTES}`;
  return undefined;
}

/**
 * Every regular file under `outputDir`, checked with {@link entryProblem}; empty directories are left out (S3 has
 * none). Refused: the directory itself replaced, a link or a special file anywhere, a name that is not UTF-8,
 * more than MAX_COMMAND_OUTPUT_FILES files.
 */
export async function listOutputs(outputDir: string, prefix: string): Promise<OutputListing> {
  const root = await lstat(outputDir).catch(() => undefined);
  if (root === undefined || !root.isDirectory()) return { ok: false, reason: 'the command removed or replaced its output directory' };
  const files: OutputFile[] = [];
  const pending: string[] = [''];
  while (pending.length > 0) {
    const relativeDir = pending.pop()!;
    const names = await readdir(path.join(outputDir, relativeDir), { encoding: 'buffer' });
    for (const raw of names.sort(Buffer.compare)) {
      const name = raw.toString('utf8');
      const relativePath = relativeDir === '' ? name : `${relativeDir}/${name}`;
      if (!Buffer.from(name, 'utf8').equals(raw)) return { ok: false, reason: `an output file name is not valid UTF-8: ${quote(relativePath)}` };
      const absolutePath = path.join(outputDir, relativePath);
      const stats = await lstat(absolutePath);
      const kind: EntryKind = stats.isSymbolicLink() ? 'symlink' : stats.isDirectory() ? 'directory' : stats.isFile() ? 'file' : 'other';
      const problem = entryProblem({ relativePath, kind, name }, prefix);
      if (problem !== undefined) return { ok: false, reason: problem };
      if (kind === 'directory') {
        pending.push(relativePath);
        continue;
      }
      files.push({ relativePath, absolutePath, key: outputKeyFor(prefix, relativePath), bytes: stats.size });
      if (files.length > MAX_COMMAND_OUTPUT_FILES) return { ok: false, reason: `the command wrote more than ${MAX_COMMAND_OUTPUT_FILES} files` };
    }
  }
  return { ok: true, files: files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) };
}

function quote(value: string): string {
  const characters = Array.from(value);
  return `‘${templateSafeText(characters.length > 120 ? `${characters.slice(0, 120).join('')}…` : value)}’`;
}
