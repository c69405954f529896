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
});
