import { parseDuration, parseEndpointUrl, parseInstanceId, parseKeyPrefix, parsePositiveInteger, parseProcessorName } from '../../../ops/arguments';
import { UsageError } from '../../../ops/errors';

describe('parseInstanceId', () => {
  it.each(['i-0123456789abcdef0', 'i-1234abcd'])('accepts %s', (id) => {
    expect(parseInstanceId(id)).toBe(id);
  });

  it.each(['', 'i-', '../etc', 'i-0123/..', 'I-0123456789ABCDEF0', 'i-0123456789abcdef01'])('refuses "%s", quoting it', (id) => {
    expect(() => parseInstanceId(id)).toThrow(new UsageError(`"${id}" is not an EC2 instance id such as i-0123456789abcdef0`));
  });
});

describe('parsePositiveInteger', () => {
  it('accepts an integer in range', () => {
    expect(parsePositiveInteger('--max', '25', 100)).toBe(25);
  });

  it.each(['0', '-1', '1.5', 'ten', '101', ''])('refuses "%s", naming the option', (value) => {
    expect(() => parsePositiveInteger('--max', value, 100)).toThrow(`--max must be an integer from 1 to 100, got "${value}"`);
  });
});

describe('parseEndpointUrl', () => {
  it.each(['http://127.0.0.1:5000', 'https://s3.example.test'])('accepts %s', (url) => {
    expect(parseEndpointUrl(url)).toBe(url);
  });

  it.each(['127.0.0.1:5000', 'ftp://host', 'not a url'])('refuses "%s"', (url) => {
    expect(() => parseEndpointUrl(url)).toThrow(`--endpoint-url must be an http(s) URL such as http://127.0.0.1:5000, got "${url}"`);
  });
});

describe('parseKeyPrefix', () => {
  it.each([
    { case: 'empty', value: '', expected: '' },
    { case: 'one segment', value: 'batch-7', expected: 'batch-7/' },
    { case: 'trailing slashes', value: 'a/b//', expected: 'a/b/' },
  ])('normalizes $case', ({ value, expected }) => {
    expect(parseKeyPrefix(value)).toBe(expected);
  });

  it.each(['../escape', 'a/../b', '/absolute', 'a//b', './a'])('refuses "%s"', (value) => {
    expect(() => parseKeyPrefix(value)).toThrow(`--prefix must be a relative path such as "batch-7/" without empty, "." or ".." parts, got "${value}"`);
  });
});

describe('parseDuration', () => {
  it.each([
    { value: '30s', expected: 30_000 },
    { value: '10m', expected: 600_000 },
    { value: '2h', expected: 7_200_000 },
    { value: '1d', expected: 86_400_000 },
    { value: '1w', expected: 604_800_000 },
  ])('reads $value as $expected ms', ({ value, expected }) => {
    expect(parseDuration('--since', value)).toBe(expected);
  });

  it.each(['', '10', 'm', '0m', '-5m', '1.5h', '10 m', '3y', '99999999999999999w'])('refuses "%s", naming the option', (value) => {
    expect(() => parseDuration('--since', value)).toThrow(new UsageError(`--since must be a duration such as 30s, 10m, 2h or 1d, got "${value}"`));
  });
});

describe('parseProcessorName', () => {
  it.each(['copy', 'pdf-to-text', 'x2'])('accepts %s', (name) => {
    expect(parseProcessorName(name)).toBe(name);
  });

  it.each(['', 'Copy', '2x', 'a b', '$(id)', 'p'.repeat(33)])('refuses "%s", quoting it', (name) => {
    expect(() => parseProcessorName(name)).toThrow(`--processor must be a processor name (lowercase letters, digits and hyphens, starting with a letter, at most 32 characters), got "${name}"`);
  });
});
