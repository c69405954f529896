import { loadSettings } from '../../../config/settings';

/**
 * AWS, "Configuring scaling behavior for SQS event source mappings": make sure the reserved concurrency is at
 * least the total maximum concurrency of all SQS event sources, "otherwise Lambda may throttle your messages"
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html). The wake queue's mapping runs up to
 * 2 at once and the schedule adds one.
 */
describe('PIPELINE_ORCHESTRATOR_RESERVED_CONCURRENCY against the event trigger', () => {
  it.each(['1', '2'])('refuses %s with the event trigger on (the default), naming the variable and why', (reserved) => {
    expect(() => loadSettings({ PIPELINE_ORCHESTRATOR_RESERVED_CONCURRENCY: reserved })).toThrow(
      `PIPELINE_ORCHESTRATOR_RESERVED_CONCURRENCY must be at least 3 while PIPELINE_EVENT_TRIGGER is on: the wake queue's mapping runs up to 2 at once and the scheduled run needs a third, or Lambda throttles them (unset it to reserve none, or set PIPELINE_EVENT_TRIGGER=false), got "${reserved}"`,
    );
  });

  it('refuses 2 with the event trigger set on explicitly', () => {
    expect(() => loadSettings({ PIPELINE_ORCHESTRATOR_RESERVED_CONCURRENCY: '2', PIPELINE_EVENT_TRIGGER: 'true' })).toThrow(/at least 3/);
  });

  it.each([
    { case: 'the minimum with the event trigger', env: { PIPELINE_ORCHESTRATOR_RESERVED_CONCURRENCY: '3' }, expected: 3 },
    { case: '1 without the event trigger (the schedule alone)', env: { PIPELINE_ORCHESTRATOR_RESERVED_CONCURRENCY: '1', PIPELINE_EVENT_TRIGGER: 'false' }, expected: 1 },
    { case: 'no reservation with the event trigger', env: {}, expected: undefined },
  ])('accepts $case', ({ env, expected }) => {
    expect(loadSettings(env).orchestratorReservedConcurrency).toBe(expected);
  });
});
