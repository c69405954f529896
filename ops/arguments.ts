import { PROCESSOR_NAME, PROCESSOR_NAME_REQUIREMENT } from '../contracts';
import { UsageError } from './errors';

/** A processor's name as rows carry it (contracts/processors.ts). */
export function parseProcessorName(value: string): string {
  if (!PROCESSOR_NAME.test(value)) throw new UsageError(`--processor must be a processor name (${PROCESSOR_NAME_REQUIREMENT}), got "${value}"`);
  return value;
}

/** EC2 instance IDs: `i-` and 8 or 17 hexadecimal digits. Anything else could escape `logs/<id>/`. */
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

export function parseInstanceId(value: string): string {
  if (!INSTANCE_ID.test(value)) throw new UsageError(`"${value}" is not an EC2 instance id such as i-0123456789abcdef0`);
  return value;
}

const DURATION = /^(\d+)([smhdw])$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A duration such as `30s`, `10m`, `2h`, `1d` or `1w` (as `aws logs tail --since` takes it), in milliseconds. */
export function parseDuration(option: string, value: string): number {
  const match = DURATION.exec(value);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]] : NaN;
  if (!Number.isSafeInteger(ms) || ms < 1) {
    throw new UsageError(`${option} must be a duration such as 30s, 10m, 2h or 1d, got "${value}"`);
  }
  return ms;
}

/** A share strictly between 0 and 1, such as 0.35. */
export function parseRatio(option: string, value: string): number {
  const number = /^(0?\.\d+|1(\.0+)?)$/.test(value) ? Number(value) : NaN;
  if (!(number > 0 && number <= 1)) throw new UsageError(`${option} must be a number above 0 and at most 1, such as 0.35, got "${value}"`);
  return number;
}

/** For option values such as --limit and --concurrency. */
export function parsePositiveInteger(option: string, value: string, max: number): number {
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < 1 || number > max) {
    throw new UsageError(`${option} must be an integer from 1 to ${max}, got "${value}"`);
  }
  return number;
}

/** An `http(s)://host[:port]` endpoint such as the emulator's `http://127.0.0.1:5000`. */
export function parseEndpointUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--endpoint-url must be an http(s) URL such as http://127.0.0.1:5000, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--endpoint-url must be an http(s) URL such as http://127.0.0.1:5000, got "${value}"`);
  }
  return value;
}

/**
 * The --prefix of uploaded files, relative to `data/input/`: segments separated by `/`, none empty, `.` or
 * `..`. Returned with one trailing slash (or empty), ready to put between the input prefix and a file name.
 */
export function parseKeyPrefix(value: string): string {
  const trimmed = value.replace(/\/+$/, '');
  if (trimmed === '') return '';
  const segments = trimmed.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new UsageError(`--prefix must be a relative path such as "batch-7/" without empty, "." or ".." parts, got "${value}"`);
  }
  return `${trimmed}/`;
}
