import { INTERRUPTION_MARGIN_MS } from '../../../contracts';
import { capacityTypeOf, jobsCutoffMs, parseInstanceAction, requeueDecision } from '../../../worker/interruption';
import { Occupancy } from '../../../worker/occupancy';

describe('parseInstanceAction', () => {
  it('reads the notice IMDS posts two minutes before the end', () => {
    // The example of AWS's "Spot Instance interruption notices".
    expect(parseInstanceAction('{"action": "terminate", "time": "2017-09-18T08:22:00Z"}')).toEqual({
      action: 'terminate',
      deadlineMs: Date.parse('2017-09-18T08:22:00Z'),
    });
  });

  it.each([
    { case: 'not JSON', text: '<html>' },
    { case: 'no time', text: '{"action":"stop"}' },
    { case: 'a time that is not one', text: '{"action":"stop","time":"soon"}' },
    { case: 'no action', text: '{"time":"2017-09-18T08:22:00Z"}' },
    { case: 'JSON null', text: 'null' },
  ])('ignores a text that is not a notice ($case)', ({ text }) => {
    expect(parseInstanceAction(text)).toBeUndefined();
  });
});

describe('jobsCutoffMs', () => {
  const notice = { action: 'terminate', deadlineMs: Date.parse('2026-11-25T16:02:00Z') };

  it('stops the jobs still running well before the deadline, leaving the margin for what follows', () => {
    expect(jobsCutoffMs(notice, Date.parse('2026-11-25T16:00:00Z'))).toBe(notice.deadlineMs - INTERRUPTION_MARGIN_MS);
  });

  it('stops them at once when the notice came too late for the margin', () => {
    const now = notice.deadlineMs - 10_000;
    expect(jobsCutoffMs(notice, now)).toBe(now);
  });
});

describe('requeueDecision', () => {
  it.each([
    { interruptions: 0, retries: 5, expected: { action: 'resend', interruptions: 1 } },
    { interruptions: 4, retries: 5, expected: { action: 'resend', interruptions: 5 } },
    { interruptions: 5, retries: 5, expected: { action: 'release' } },
    { interruptions: 0, retries: 0, expected: { action: 'release' } },
  ])('after $interruptions interruptions with a bound of $retries: $expected.action', ({ interruptions, retries, expected }) => {
    expect(requeueDecision(interruptions, retries)).toEqual(expected);
  });
});

describe('capacityTypeOf', () => {
  it.each([
    ['spot', 'spot'],
    ['on-demand', 'on-demand'],
    ['scheduled', 'on-demand'],
    [undefined, undefined],
    ['something-new', undefined],
  ])('IMDS instance-life-cycle %s is %s', (lifecycle, expected) => {
    expect(capacityTypeOf(lifecycle)).toBe(expected);
  });
});

describe('Occupancy', () => {
  it('charges each second to the jobs running in it, so the shares add up to the busy time', () => {
    let now = 0;
    const occupancy = new Occupancy(() => now);

    const first = occupancy.begin();
    now = 10_000; // alone for 10 s
    const second = occupancy.begin();
    now = 30_000; // two for 20 s
    const firstRun = first();
    now = 40_000; // alone again for 10 s
    const secondRun = second();

    expect(firstRun).toEqual({ processingMs: 30_000, instanceMs: 20_000 });
    expect(secondRun).toEqual({ processingMs: 30_000, instanceMs: 20_000 });
    expect(firstRun.instanceMs + secondRun.instanceMs).toBe(40_000);
  });

  it('answers the same when a job is ended twice', () => {
    let now = 0;
    const occupancy = new Occupancy(() => now);
    const end = occupancy.begin();
    now = 5_000;

    expect(end()).toEqual(end());
  });
});
