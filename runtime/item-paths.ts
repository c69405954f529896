import { INPUT_PREFIX, OUTPUT_PREFIX, templateSafeText } from '../contracts';

const S3_SCHEME = 's3://';
/** S3's limit on a key's UTF-8 length. */
export const MAX_KEY_BYTES = 1024;
/** Values quoted in reasons are cut to this length so a reason stays short in the row. */
const QUOTE_LIMIT = 120;

/** Where one row's file is read from and where its outputs go, all in the pipeline bucket. */
export interface ItemPaths {
  /** `data/input/<rest>`. */
  readonly sourceKey: string;
  /** `<rest>`: the part of the key a processor's outputs are named after. */
  readonly rest: string;
  /** `data/output/<rest>`: the output of `copy`; other processors write it or keys that extend it. */
  readonly outputKey: string;
}

export type PathCheck = { readonly ok: true; readonly paths: ItemPaths } | { readonly ok: false; readonly reason: string };

/**
 * Accepts only `s3://<bucket>/data/input/<rest>` where `<rest>` is one or more non-empty segments, none `.`
 * or `..`, and maps it to `data/output/<rest>` in the same bucket. Anything else is refused with a reason
 * that names the value: a row must never make the worker read or write outside its prefixes.
 */
export function planItemPaths(s3Path: string, bucketName: string): PathCheck {
  if (!s3Path.startsWith(S3_SCHEME)) return refuse(`s3_path must start with ${S3_SCHEME}, got ${quote(s3Path)}`);
  const location = s3Path.slice(S3_SCHEME.length);
  const slash = location.indexOf('/');
  const bucket = slash === -1 ? location : location.slice(0, slash);
  if (bucket !== bucketName) return refuse(`s3_path must be in bucket ${quote(bucketName)}, got bucket ${quote(bucket)}`);
  const sourceKey = slash === -1 ? '' : location.slice(slash + 1);
  if (!sourceKey.startsWith(INPUT_PREFIX)) {
    return refuse(`s3_path must be under ${S3_SCHEME}${bucketName}/${INPUT_PREFIX}, got ${quote(s3Path)}`);
  }
  const rest = sourceKey.slice(INPUT_PREFIX.length);
  if (rest === '') return refuse(`s3_path names no file under ${INPUT_PREFIX}: ${quote(s3Path)}`);
  for (const segment of rest.split('/')) {
    if (segment === '') return refuse(`s3_path has an empty path segment: ${quote(s3Path)}`);
    if (segment === '.' || segment === '..') return refuse(`s3_path has a ${quote(segment)} segment: ${quote(s3Path)}`);
  }
  const outputKey = `${OUTPUT_PREFIX}${rest}`;
  const bytes = Buffer.byteLength(outputKey, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    return refuse(`output key would be ${bytes} bytes, S3 allows ${MAX_KEY_BYTES}: ${quote(s3Path)}`);
  }
  return { ok: true, paths: { sourceKey, rest, outputKey } };
}

/** `s3://<bucket>/<key>`: how rows and events name an object or a prefix. */
export function s3Url(bucketName: string, key: string): string {
  return `${S3_SCHEME}${bucketName}/${key}`;
}

function refuse(reason: string): PathCheck {
  return { ok: false, reason };
}

/**
 * `‘value’`, cut to QUOTE_LIMIT. A reason becomes a FAILED row's `failure_reason` and so an item event's
 * `detail.reason`: it holds no `"`, `\` or control character, which an unescaped input template would turn
 * into invalid JSON (contracts/events.ts).
 */
function quote(value: string): string {
  const shown = value.length > QUOTE_LIMIT ? `${value.slice(0, QUOTE_LIMIT)}…` : value;
  return `‘${templateSafeText(shown)}’`;
}
