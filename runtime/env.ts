/**
 * The one reader of configuration from environment variables, shared by the deploy-time settings (config/),
 * the orchestrator and the worker. A reader collects every problem; `finish` throws them together, so one
 * failed synth or start lists them all, each naming the variable and quoting its value:
 * `MAX_WORKERS must be an integer from 1 to 100, got "0"; EC2_SUBNET_ID must be set`.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** One or more configuration values are missing or invalid; the message names each variable and value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

export interface Range {
  readonly min: number;
  readonly max: number;
}

/** `NAME must be <requirement>, got "<raw>"`. */
export function problem(name: string, requirement: string, raw: string): string {
  return `${name} must be ${requirement}, got "${raw}"`;
}

/**
 * Throws a one-problem ConfigError. For checks whose steps depend on each other: run them in
 * {@link EnvReader.guard}, which records the problem and carries on with the next variable.
 */
export function fail(name: string, requirement: string, raw: string): never {
  throw new ConfigError([problem(name, requirement, raw)]);
}

/**
 * Reads one variable per call. A bad or missing value is recorded, and the call returns the fallback (or an
 * empty string for a required value) so that reading goes on; {@link finish} then throws every problem.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** The value with surrounding blanks removed; unset and blank both count as unset. */
  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  /** Comma-separated values, blanks dropped: `"a, b,,c"` → `["a", "b", "c"]`; undefined when unset. */
  list(name: string): string[] | undefined {
    return this.raw(name)
      ?.split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  /** Records that `name` must be `requirement`, quoting `raw`. */
  reject(name: string, requirement: string, raw: string): void {
    this.problems.push(problem(name, requirement, raw));
  }

  /** A value that must be set; `''` when it is not (finish then throws). */
  present(name: string): string {
    const raw = this.raw(name);
    if (raw === undefined) this.problems.push(`${name} must be set`);
    return raw ?? '';
  }

  /** A value that must be set and match `pattern`; `''` when it does not. */
  required(name: string, pattern: RegExp, requirement: string): string {
    const raw = this.present(name);
    return raw === '' ? '' : (this.check(name, raw, pattern.test(raw), requirement) ?? '');
  }

  /** `fallback` when unset; the fallback is checked too (a default must be valid). */
  string(name: string, fallback: string, pattern: RegExp, requirement: string): string {
    const raw = this.raw(name) ?? fallback;
    return this.check(name, raw, pattern.test(raw), requirement) ?? fallback;
  }

  optional(name: string, pattern: RegExp, requirement: string): string | undefined {
    const raw = this.raw(name);
    return raw === undefined ? undefined : this.check(name, raw, pattern.test(raw), requirement);
  }

  /** An http(s) URL that must be set. */
  url(name: string): string {
    const raw = this.present(name);
    return raw === '' ? '' : (this.check(name, raw, isHttpUrl(raw), 'an http(s) URL') ?? '');
  }

  optionalUrl(name: string): string | undefined {
    const raw = this.raw(name);
    return raw === undefined ? undefined : this.check(name, raw, isHttpUrl(raw), 'an http(s) URL');
  }

  integer(name: string, fallback: number, range: Range): number {
    return this.optionalInteger(name, range) ?? fallback;
  }

  /** Like {@link integer}, but unset (or bad) means undefined. */
  optionalInteger(name: string, range: Range): number | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    const value = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    const ok = Number.isSafeInteger(value) && value >= range.min && value <= range.max;
    return this.check(name, raw, ok, `an integer from ${range.min} to ${range.max}`) === undefined ? undefined : value;
  }

  /** A decimal number greater than zero, at most `max` (minutes: `0.5`, `5`). */
  positiveNumber(name: string, fallback: number, max: number): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
    return this.check(name, raw, value > 0 && value <= max, `a positive number no greater than ${max}`) === undefined ? fallback : value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === 'false') return raw === 'true';
    this.reject(name, '"true" or "false"', raw);
    return fallback;
  }

  choice<T extends number | string>(name: string, fallback: T, choices: readonly T[]): T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const choice = choices.find((value) => String(value) === raw);
    if (choice === undefined) this.reject(name, `one of ${choices.join(', ')}`, raw);
    return choice ?? fallback;
  }

  /**
   * Runs checks whose steps depend on each other (a subnet must lie inside the VPC block read before it).
   * Their first problem, thrown with {@link fail}, is recorded and `fallback` returned, so the variables
   * read after it are still checked.
   */
  guard<T>(check: () => T, fallback: T): T {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.problems.push(...error.problems);
      return fallback;
    }
  }

  /** Throws every recorded problem in one ConfigError; returns `value` when there is none. */
  finish<T>(value: T): T {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
    return value;
  }

  private check(name: string, raw: string, ok: boolean, requirement: string): string | undefined {
    if (ok) return raw;
    this.reject(name, requirement, raw);
    return undefined;
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}
