import { InvalidArgumentError } from 'commander';

export interface NumberFlagBounds {
  /** @default false — whole numbers only */
  readonly integer?: boolean;
  /** Smallest value allowed (inclusive). */
  readonly min?: number;
  /** The value must be greater than this (exclusive): `{ above: 0 }` for "positive". */
  readonly above?: number;
  /** Largest value allowed (inclusive). */
  readonly max?: number;
}

/** A commander argument parser for a numeric flag: refuses what is out of bounds, naming the flag and the value. */
export function numberFlag(flag: string, bounds: NumberFlagBounds): (raw: string) => number {
  const { integer = false, min, above, max } = bounds;
  const limits = [
    above === undefined ? undefined : `> ${above}`,
    min === undefined ? undefined : `≥ ${min}`,
    max === undefined ? undefined : `≤ ${max}`,
  ].filter((limit) => limit !== undefined);
  const expected = `${integer ? 'a whole number' : 'a number'}${limits.length > 0 ? ` ${limits.join(' and ')}` : ''}`;
  return (raw: string) => {
    const value = Number(raw);
    const valid =
      raw.trim() !== '' &&
      Number.isFinite(value) &&
      (!integer || Number.isInteger(value)) &&
      (above === undefined || value > above) &&
      (min === undefined || value >= min) &&
      (max === undefined || value <= max);
    if (!valid) throw new InvalidArgumentError(`${flag} must be ${expected}, got "${raw}"`);
    return value;
  };
}
