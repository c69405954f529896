import { freeSlots, parseSlot, type WorkerInstance } from '../../../functions/orchestrator/slots';

const worker = (slot: number | undefined, state = 'running'): WorkerInstance => ({ instanceId: `i-${slot}-${state}`, state, slot, clientToken: undefined });

describe('freeSlots', () => {
  it.each([
    { case: 'no worker: the lowest slots', workers: [], max: 3, count: 2, expected: [0, 1] },
    { case: 'slot 0 held', workers: [worker(0)], max: 3, count: 2, expected: [1, 2] },
    { case: 'a gap is filled first', workers: [worker(1, 'pending')], max: 3, count: 2, expected: [0, 2] },
    { case: 'terminated and shutting-down workers hold nothing', workers: [worker(0, 'terminated'), worker(1, 'shutting-down')], max: 2, count: 2, expected: [0, 1] },
    { case: 'never past MAX_WORKERS', workers: [worker(0)], max: 2, count: 5, expected: [1] },
    { case: 'a worker without a slot tag holds no slot', workers: [worker(undefined)], max: 2, count: 1, expected: [0] },
    { case: 'a slot above a lowered cap holds nothing below it', workers: [worker(5)], max: 2, count: 2, expected: [0, 1] },
  ])('$case', ({ workers, max, count, expected }) => {
    expect(freeSlots(workers, max, count)).toEqual(expected);
  });
});

describe('parseSlot', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['007', undefined],
    ['-1', undefined],
    ['1.5', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%p → %p', (value, expected) => {
    expect(parseSlot(value)).toBe(expected);
  });
});
