import { clientToken } from '../../../functions/orchestrator/launch-request';
import { classifyLaunchError } from '../../../functions/orchestrator/launch-errors';

describe('clientToken', () => {
  const eventId = '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa';

  it('is the same for the same tick and slot', () => {
    expect(clientToken(eventId, 0)).toBe(clientToken(eventId, 0));
  });

  it('differs between slots of one tick and between ticks', () => {
    const tokens = new Set([clientToken(eventId, 0), clientToken(eventId, 1), clientToken('another-event', 0)]);
    expect(tokens.size).toBe(3);
  });

  it.each([
    { case: 'a scheduled event UUID', id: eventId, slot: 0 },
    { case: 'a very long id', id: 'x'.repeat(500), slot: 99 },
    { case: 'a non-ASCII id', id: 'tick-é-日本', slot: 7 },
  ])('fits EC2’s 64 printable ASCII characters for $case', ({ id, slot }) => {
    expect(clientToken(id, slot)).toMatch(/^[\x21-\x7e]{1,64}$/);
  });
});

describe('classifyLaunchError', () => {
  it.each([
    { name: 'InsufficientInstanceCapacity', kind: 'capacity' },
    { name: 'InstanceLimitExceeded', kind: 'capacity' },
    { name: 'VcpuLimitExceeded', kind: 'capacity' },
    { name: 'RequestLimitExceeded', kind: 'throttled' },
    { name: 'ThrottlingException', kind: 'throttled' },
    { name: 'UnauthorizedOperation', kind: 'unauthorized' },
    { name: 'InvalidParameterValue', kind: undefined },
    { name: 'IdempotentParameterMismatch', kind: undefined },
    { name: 'toString', kind: undefined },
  ])('$name is $kind', ({ name, kind }) => {
    expect(classifyLaunchError(name)).toBe(kind);
  });
});
