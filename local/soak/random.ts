/**
 * A small seeded pseudo-random generator (mulberry32), so a soak's choices — which rows are bad, which are
 * resubmitted, when workers are killed — are the same for the same seed on every machine. Not for secrets.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max). */
  integer(min: number, max: number): number;
  /** A float in [min, max). */
  between(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** `length` bytes. */
  bytes(length: number): Buffer;
  /** 32 lowercase hex digits: a request token, reproducible from the seed. */
  token(): string;
}

/** FNV-1a over the seed's UTF-8 bytes: any string (or number) seeds the generator. */
export function seedNumber(seed: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(seed, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function seededRandom(seed: string): Random {
  let state = seedNumber(seed);
  const nextUint32 = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = () => nextUint32() / 2 ** 32;
  const integer = (min: number, max: number) => {
    if (!(max > min)) throw new Error(`integer(${min}, ${max}): max must exceed min`);
    return min + Math.floor(next() * (max - min));
  };
  return {
    next,
    integer,
    between: (min, max) => min + next() * (max - min),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick() from an empty list');
      return items[integer(0, items.length)];
    },
    shuffle: (items) => {
      const copy = [...items];
      for (let index = copy.length - 1; index > 0; index--) {
        const other = integer(0, index + 1);
        [copy[index], copy[other]] = [copy[other], copy[index]];
      }
      return copy;
    },
    bytes: (length) => {
      const buffer = Buffer.alloc(length);
      for (let offset = 0; offset < length; offset += 4) {
        const word = nextUint32();
        for (let byte = 0; byte < 4 && offset + byte < length; byte++) buffer[offset + byte] = (word >>> (8 * byte)) & 0xff;
      }
      return buffer;
    },
    token: () => Array.from({ length: 4 }, () => nextUint32().toString(16).padStart(8, '0')).join(''),
  };
}
