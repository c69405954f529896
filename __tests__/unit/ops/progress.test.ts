import { PROGRESS_BAR_MIN_ITEMS, startProgress } from '../../../ops/progress';

describe('startProgress', () => {
  let written: string[];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    written = [];
    spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  });
  afterEach(() => spy.mockRestore());

  it.each([
    { case: 'not a terminal', total: 100, interactive: false },
    { case: 'few items', total: PROGRESS_BAR_MIN_ITEMS - 1, interactive: true },
  ])('draws nothing when $case', ({ total, interactive }) => {
    const progress = startProgress(total, interactive);
    progress.tick();
    progress.stop();

    expect(written).toEqual([]);
  });

  it('draws a bar on a terminal for many items, and counts each tick up to the total', () => {
    // cli-progress draws only on a TTY: jest's stderr is a pipe, so the test makes it look like a terminal.
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    try {
      const total = PROGRESS_BAR_MIN_ITEMS;
      const progress = startProgress(total, true);
      for (let done = 0; done < total; done++) progress.tick();
      progress.stop();
    } finally {
      if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }

    const drawn = written.join('');
    expect(drawn).toContain(`submit [`);
    expect(drawn).toContain(`0/${PROGRESS_BAR_MIN_ITEMS}`);
    expect(drawn).toContain(`${PROGRESS_BAR_MIN_ITEMS}/${PROGRESS_BAR_MIN_ITEMS}`);
  });
});
