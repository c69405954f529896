import { InvalidArgumentError } from 'commander';
import { numberFlag } from '../../../local/cli/number-flag';

describe('numberFlag', () => {
  it.each([
    { bounds: { above: 0 }, raw: '0.5', value: 0.5 },
    { bounds: { integer: true, min: 1, max: 65535 }, raw: '65535', value: 65535 },
    { bounds: { min: 0, max: 100 }, raw: '0', value: 0 },
  ])('accepts $raw within $bounds', ({ bounds, raw, value }) => {
    expect(numberFlag('--n', bounds)(raw)).toBe(value);
  });

  it.each([
    { bounds: { above: 0 }, raw: '0', message: '--n must be a number > 0, got "0"' },
    { bounds: { above: 0 }, raw: 'soon', message: '--n must be a number > 0, got "soon"' },
    { bounds: { above: 0 }, raw: ' ', message: '--n must be a number > 0, got " "' },
    { bounds: { integer: true, min: 1 }, raw: '1.5', message: '--n must be a whole number ≥ 1, got "1.5"' },
    { bounds: { integer: true, min: 1, max: 65535 }, raw: '70000', message: '--n must be a whole number ≥ 1 and ≤ 65535, got "70000"' },
    { bounds: { min: 0, max: 100 }, raw: 'Infinity', message: '--n must be a number ≥ 0 and ≤ 100, got "Infinity"' },
  ])('refuses $raw, naming the flag, the bounds and the value', ({ bounds, raw, message }) => {
    const parse = () => numberFlag('--n', bounds)(raw);
    expect(parse).toThrow(InvalidArgumentError);
    expect(parse).toThrow(message);
  });
});
