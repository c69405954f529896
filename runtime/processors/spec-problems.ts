import { ConfigError } from '../env';

/**
 * Collects what is wrong with processor settings, each problem naming its path and showing the value as JSON,
 * so a string reads quoted and a number does not: `processors.scan.timeoutSeconds must be an integer from 1 to
 * 43200, got 0`. The per-type resolvers use the typed readers below, so every type words its problems alike.
 */
export class SpecProblems {
  private readonly problems: string[] = [];

  add(path: string, requirement: string, value: unknown): void {
    this.problems.push(`${path} must be ${requirement}, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
  }

  /** Fields a type does not know are refused: a misspelt setting must not be silently ignored. */
  unknownFields(path: string, raw: Readonly<Record<string, unknown>>, known: readonly string[]): void {
    for (const [field, value] of Object.entries(raw)) {
      if (!known.includes(field)) this.add(`${path}.${field}`, `left out: a ${String(raw.type)} processor's settings are ${known.join(', ')}`, value);
    }
  }

  /** An integer in [min, max]; `fallback` when absent. */
  integer(path: string, value: unknown, fallback: number, range: { readonly min: number; readonly max: number }): number {
    if (value === undefined) return fallback;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= range.min && value <= range.max) return value;
    this.add(path, `an integer from ${range.min} to ${range.max}`, value);
    return fallback;
  }

  /** A string matching `pattern`; `fallback` when absent. */
  string(path: string, value: unknown, fallback: string, pattern: RegExp, requirement: string): string {
    if (value === undefined) return fallback;
    if (typeof value === 'string' && pattern.test(value)) return value;
    this.add(path, requirement, value);
    return fallback;
  }

  /** A boolean; `fallback` when absent. */
  boolean(path: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    this.add(path, 'true or false', value);
    return fallback;
  }

  /** Problems recorded so far: a resolver compares counts to tell whether its own checks found any. */
  count(): number {
    return this.problems.length;
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
