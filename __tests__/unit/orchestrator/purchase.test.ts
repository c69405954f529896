import { capacityTypesFor, readsInterruptions } from '../../../functions/orchestrator/purchase';

describe('capacityTypesFor', () => {
  it.each([
    { case: 'on-demand', option: 'on-demand', after: false, recent: 0, expected: ['on-demand'] },
    { case: 'spot', option: 'spot', after: false, recent: 0, expected: ['spot'] },
    { case: 'spot with a fallback', option: 'spot-then-on-demand', after: false, recent: 0, expected: ['spot', 'on-demand'] },
    { case: 'spot after an interruption, not asked to switch', option: 'spot', after: false, recent: 2, expected: ['spot'] },
    { case: 'spot after an interruption, asked to switch', option: 'spot', after: true, recent: 1, expected: ['on-demand'] },
    { case: 'spot with a fallback after an interruption, asked to switch', option: 'spot-then-on-demand', after: true, recent: 1, expected: ['on-demand'] },
    { case: 'spot asked to switch, no recent interruption', option: 'spot', after: true, recent: 0, expected: ['spot'] },
  ] as const)('$case', ({ option, after, recent, expected }) => {
    expect(capacityTypesFor(option, { onDemandAfterInterruption: after, recentInterruptions: recent })).toEqual(expected);
  });

  it('reads the interruption markers only when they can change the answer', () => {
    expect(readsInterruptions('on-demand', true)).toBe(false);
    expect(readsInterruptions('spot', false)).toBe(false);
    expect(readsInterruptions('spot', true)).toBe(true);
    expect(readsInterruptions('spot-then-on-demand', true)).toBe(true);
  });
});
