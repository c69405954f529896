import { TailBuffer } from '../../../../../worker/processors/command/tail';

describe('TailBuffer', () => {
  it('keeps the last bytes of a stream and counts them all', () => {
    const tail = new TailBuffer(10);
    for (const chunk of ['hello ', 'wonderful ', 'wide ', 'world']) tail.push(Buffer.from(chunk));

    expect(tail.text()).toBe('wide world');
    expect(tail.totalBytes).toBe(26);
  });

  it('holds no more than its limit however much passes through it', () => {
    const tail = new TailBuffer(1024);
    const chunk = Buffer.alloc(64 * 1024, 'a');
    for (let count = 0; count < 1000; count++) tail.push(chunk);

    expect(tail.bytes()).toHaveLength(1024);
    expect(tail.totalBytes).toBe(64 * 1024 * 1000);
  });
});
