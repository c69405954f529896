import { describeTrigger } from '../../../functions/orchestrator/trigger';

describe('describeTrigger', () => {
  const sqsRecord = { messageId: 'm1', eventSource: 'aws:sqs', body: '{}' };

  it.each([
    { case: 'a scheduled event', event: { id: 'e1', source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, expected: { trigger: 'schedule' } },
    { case: 'a wake batch of two', event: { Records: [sqsRecord, { ...sqsRecord, messageId: 'm2' }] }, expected: { trigger: 'wake', wakeMessages: 2 } },
    { case: 'records from another source', event: { Records: [{ eventSource: 'aws:dynamodb' }] }, expected: { trigger: 'direct' } },
    { case: 'an empty batch', event: { Records: [] }, expected: { trigger: 'direct' } },
    { case: 'a console test event', event: {}, expected: { trigger: 'direct' } },
    { case: 'another EventBridge event', event: { source: 'aws.events', 'detail-type': 'Something Else' }, expected: { trigger: 'direct' } },
    { case: 'no event at all', event: null, expected: { trigger: 'direct' } },
  ])('names $case', ({ event, expected }) => {
    expect(describeTrigger(event)).toEqual(expected);
  });
});
