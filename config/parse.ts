/**
 * Readers for one deploy-time setting each. Every failure names the variable and quotes the value:
 * `PIPELINE_MAX_WORKERS must be an integer from 1 to 100, got "0"`.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** The variable's value with surrounding blanks removed; unset and blank both count as unset. */
export function readRaw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Comma-separated values, blanks dropped: `"a, b,,c"` → `["a", "b", "c"]`; undefined when unset. */
export function readList(env: Env, name: string): string[] | undefined {
  const raw = readRaw(env, name);
  return raw === undefined ? undefined : raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

export function fail(name: string, requirement: string, raw: string): never {
  throw new Error(`${name} must be ${requirement}, got "${raw}"`);
}

export function readString(env: Env, name: string, fallback: string, pattern: RegExp, requirement: string): string {
  const raw = readRaw(env, name) ?? fallback;
  if (!pattern.test(raw)) fail(name, requirement, raw);
  return raw;
}

export function readOptionalString(env: Env, name: string, pattern: RegExp, requirement: string): string | undefined {
  const raw = readRaw(env, name);
  if (raw !== undefined && !pattern.test(raw)) fail(name, requirement, raw);
  return raw;
}

export interface IntegerRange {
  readonly min: number;
  readonly max: number;
}

export function readInteger(env: Env, name: string, fallback: number, range: IntegerRange): number {
  const raw = readRaw(env, name);
  if (raw === undefined) return fallback;
  const value = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < range.min || value > range.max) {
    fail(name, `an integer from ${range.min} to ${range.max}`, raw);
  }
  return value;
}

/** Like {@link readInteger}, but unset means undefined. */
export function readOptionalInteger(env: Env, name: string, range: IntegerRange): number | undefined {
  return readRaw(env, name) === undefined ? undefined : readInteger(env, name, 0, range);
}

/** A decimal number greater than zero, at most `max` (e.g. minutes: `0.5`, `5`). */
export function readPositiveNumber(env: Env, name: string, fallback: number, max: number): number {
  const raw = readRaw(env, name);
  if (raw === undefined) return fallback;
  const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(value > 0 && value <= max)) fail(name, `a positive number no greater than ${max}`, raw);
  return value;
}

export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = readRaw(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  return fail(name, '"true" or "false"', raw);
}

export function readChoice<T extends number | string>(env: Env, name: string, fallback: T, choices: readonly T[]): T {
  const raw = readRaw(env, name);
  if (raw === undefined) return fallback;
  const choice = choices.find((value) => String(value) === raw);
  if (choice === undefined) fail(name, `one of ${choices.join(', ')}`, raw);
  return choice;
}
