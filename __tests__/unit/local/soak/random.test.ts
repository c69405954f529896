import { seededRandom, seedNumber } from '../../../../local/soak/random';

describe('seededRandom', () => {
  it('gives the same sequence for the same seed, and another for another seed', () => {
    const draw = (seed: string) => {
      const random = seededRandom(seed);
      return [random.next(), random.integer(0, 1000), random.token(), random.bytes(7).toString('hex')];
    };

    expect(draw('42')).toEqual(draw('42'));
    expect(draw('42')).not.toEqual(draw('43'));
  });

  it('keeps integers and floats in their ranges', () => {
    const random = seededRandom('ranges');
    for (let draw = 0; draw < 2000; draw++) {
      const integer = random.integer(-3, 4);
      expect(Number.isInteger(integer) && integer >= -3 && integer < 4).toBe(true);
      const float = random.between(0.05, 0.85);
      expect(float >= 0.05 && float < 0.85).toBe(true);
    }
  });

  it('reaches every value of a small range', () => {
    const random = seededRandom('coverage');
    const seen = new Set(Array.from({ length: 500 }, () => random.integer(0, 10)));
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('shuffles into a permutation without changing its input', () => {
    const items = Array.from({ length: 50 }, (_, index) => index);
    const shuffled = seededRandom('shuffle').shuffle(items);

    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    expect(shuffled).not.toEqual(items);
    expect(items[0]).toBe(0);
  });

  it('makes bytes of the length asked and tokens of 32 hex digits', () => {
    const random = seededRandom('bytes');
    expect(random.bytes(0)).toHaveLength(0);
    expect(random.bytes(13)).toHaveLength(13);
    expect(random.token()).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses an empty range and an empty list', () => {
    const random = seededRandom('errors');
    expect(() => random.integer(3, 3)).toThrow('integer(3, 3): max must exceed min');
    expect(() => random.pick([])).toThrow('pick() from an empty list');
  });

  it('hashes seeds with FNV-1a', () => {
    // Reference values of 32-bit FNV-1a.
    expect(seedNumber('')).toBe(0x811c9dc5);
    expect(seedNumber('a')).toBe(0xe40c292c);
    expect(seedNumber('foobar')).toBe(0xbf9cf968);
  });
});
