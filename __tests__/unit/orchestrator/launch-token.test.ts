import type { RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { clientToken, firstUnusedGeneration, LAUNCH_WINDOW_MS, launchWindowStart } from '../../../functions/orchestrator/launch-token';

const request: RunInstancesCommandInput = {
  MinCount: 1,
  MaxCount: 1,
  ImageId: 'ami-0abcdef1234567890',
  InstanceType: 't3.micro',
  SubnetId: 'subnet-0aaa0001',
  TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'rag-worker-slot', Value: '0' }] }],
  UserData: 'dXNlci1kYXRh',
};
const scope = { slot: 0, windowStartMs: Date.parse('2026-11-25T16:00:00Z'), generation: 0 };

describe('clientToken', () => {
  it('is the same for the same request and scope, whatever the key order', () => {
    const reordered = Object.fromEntries(Object.entries(request).reverse()) as RunInstancesCommandInput;

    expect(clientToken(reordered, scope)).toBe(clientToken(request, scope));
  });

  it('ignores a token already on the request', () => {
    expect(clientToken({ ...request, ClientToken: 'anything' }, scope)).toBe(clientToken(request, scope));
  });

  it.each([
    { case: 'another subnet', change: { SubnetId: 'subnet-0bbb0002' } },
    { case: 'another instance type', change: { InstanceType: 't3a.micro' } },
    { case: 'another image', change: { ImageId: 'ami-0fedcba9876543210' } },
    { case: 'other user data', change: { UserData: 'b3RoZXI=' } },
    { case: 'another tag', change: { TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'rag-worker-slot', Value: '1' }] }] } },
  ])('changes with $case', ({ change }) => {
    expect(clientToken({ ...request, ...change } as RunInstancesCommandInput, scope)).not.toBe(clientToken(request, scope));
  });

  it.each([
    { case: 'the slot', other: { ...scope, slot: 1 } },
    { case: 'the window', other: { ...scope, windowStartMs: scope.windowStartMs + LAUNCH_WINDOW_MS } },
    { case: 'the generation', other: { ...scope, generation: 1 } },
  ])('changes with $case', ({ other }) => {
    expect(clientToken(request, other)).not.toBe(clientToken(request, scope));
  });

  it('fits EC2’s 64 printable ASCII characters and names its slot and generation', () => {
    const token = clientToken(request, { ...scope, slot: 99, generation: 100 });

    expect(token).toMatch(/^rag-s99-g100-[0-9a-f]{40}$/);
    expect(token.length).toBeLessThanOrEqual(64);
  });
});

describe('launchWindowStart', () => {
  it.each([
    ['2026-11-25T16:00:00.000Z', '2026-11-25T16:00:00.000Z'],
    ['2026-11-25T16:09:59.999Z', '2026-11-25T16:00:00.000Z'],
    ['2026-11-25T16:10:00.000Z', '2026-11-25T16:10:00.000Z'],
  ])('%s is in the window starting %s', (now, start) => {
    expect(new Date(launchWindowStart(Date.parse(now))).toISOString()).toBe(start);
  });
});

describe('firstUnusedGeneration', () => {
  const tokensOf = (generation: number) => [`a-${generation}`, `b-${generation}`];

  it.each([
    { case: 'nothing used', used: [], from: 0, expected: 0 },
    { case: 'one candidate of generation 0 used', used: ['b-0'], from: 0, expected: 1 },
    { case: 'generations 0 and 1 used by different candidates', used: ['a-0', 'b-1'], from: 0, expected: 2 },
    { case: 'a gap', used: ['a-0', 'a-2'], from: 0, expected: 1 },
    { case: 'starting after a used-up generation', used: ['a-0', 'a-2'], from: 2, expected: 3 },
  ])('$case → $expected', ({ used, from, expected }) => {
    expect(firstUnusedGeneration(tokensOf, new Set(used), { from, limit: 10 })).toBe(expected);
  });

  it('stops at the limit', () => {
    expect(() => firstUnusedGeneration(tokensOf, new Set(['a-0', 'a-1', 'a-2']), { limit: 2 })).toThrow('every client token generation up to 2');
  });
});
