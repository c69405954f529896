import { PENDING_FILTER_PATTERNS } from '../../../contracts';
import { assertSupportedPattern, matchesAnyPattern, matchesPattern, type Pattern } from '../../../local/standins/filter-matcher';

/*
 * Examples taken from AWS's EventBridge documentation:
 *  - "Content filtering in Amazon EventBridge event patterns" / "Comparison operators for use in event patterns"
 *    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 *    (anything-but with a string, a number and a list; exists true/false on leaf nodes only; null; empty)
 *  - "Amazon EventBridge event patterns" https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 *    (the EC2 state-change event and the exact-match pattern)
 *  - "Event pattern syntax" https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html
 *    (several values for one field are OR-ed: source aws.ec2 or aws.fargate)
 *  - "Arrays in Amazon EventBridge event patterns" https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
 *    (an event array matches when it intersects the pattern array)
 */
const ec2StateChange = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};
const withDetail = (detail: Record<string, unknown>) => ({ ...ec2StateChange, detail });

describe('matchesPattern with AWS documented examples', () => {
  it.each([
    {
      case: 'exact match on source, detail-type and a nested field',
      event: ec2StateChange,
      pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } },
      expected: true,
    },
    {
      case: 'exact match fails on another nested value',
      event: withDetail({ 'instance-id': 'i-1234567890abcdef0', state: 'running' }),
      pattern: { source: ['aws.ec2'], detail: { state: ['terminated'] } },
      expected: false,
    },
    {
      case: 'exact match is case-sensitive',
      event: withDetail({ state: 'Terminated' }),
      pattern: { detail: { state: ['terminated'] } },
      expected: false,
    },
    {
      case: 'a field named by the pattern must be in the event',
      event: withDetail({ 'instance-id': 'i-1234567890abcdef0' }),
      pattern: { detail: { state: ['terminated'] } },
      expected: false,
    },
    {
      case: 'several values for a field are OR-ed (aws.ec2 or aws.fargate)',
      event: { ...ec2StateChange, source: 'aws.fargate' },
      pattern: { source: ['aws.ec2', 'aws.fargate'] },
      expected: true,
    },
    {
      case: 'several values for a field: none matches',
      event: { ...ec2StateChange, source: 'aws.s3' },
      pattern: { source: ['aws.ec2', 'aws.fargate'] },
      expected: false,
    },
    {
      case: 'an event array matches when it intersects the pattern array',
      event: {
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        ],
      },
      pattern: {
        resources: [
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
        ],
      },
      expected: true,
    },
    {
      case: 'an event array that does not intersect the pattern array',
      event: { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-00000000'] },
      pattern: { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f'] },
      expected: false,
    },
    {
      case: 'anything-but a string: another value matches',
      event: withDetail({ state: 'running' }),
      pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
      expected: true,
    },
    {
      case: 'anything-but a string: that value does not match',
      event: withDetail({ state: 'initializing' }),
      pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
      expected: false,
    },
    {
      case: 'anything-but a number: another number matches',
      event: withDetail({ 'x-limit': 301.8 }),
      pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
      expected: true,
    },
    {
      case: 'anything-but a number: that number does not match',
      event: withDetail({ 'x-limit': 123 }),
      pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
      expected: false,
    },
    {
      case: 'anything-but a list: a value outside the list matches',
      event: withDetail({ state: 'pending' }),
      pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      expected: true,
    },
    {
      case: 'anything-but a list: a value in the list does not match',
      event: withDetail({ state: 'overloaded' }),
      pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      expected: false,
    },
    {
      case: 'anything-but needs the field to be present',
      event: withDetail({ 'instance-id': 'i-1234567890abcdef0' }),
      pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
      expected: false,
    },
    {
      case: 'exists true: the leaf is present',
      event: withDetail({ 'instance-id': 'i-abcd1111', state: 'pending' }),
      pattern: { detail: { state: [{ exists: true }] } },
      expected: true,
    },
    {
      case: 'exists false: the leaf is present',
      event: withDetail({ 'instance-id': 'i-abcd1111', state: 'pending' }),
      pattern: { detail: { state: [{ exists: false }] } },
      expected: false,
    },
    {
      case: 'exists false: the leaf is absent',
      event: withDetail({ 'instance-id': 'i-abcd1111' }),
      pattern: { detail: { state: [{ exists: false }] } },
      expected: true,
    },
    {
      case: 'exists true: the leaf is absent',
      event: withDetail({ 'instance-id': 'i-abcd1111' }),
      pattern: { detail: { state: [{ exists: true }] } },
      expected: false,
    },
    {
      case: 'exists works on leaf nodes only: an object does not exist as a leaf',
      event: ec2StateChange,
      pattern: { detail: [{ exists: true }] },
      expected: false,
    },
    {
      case: 'exists false under a missing parent matches',
      event: { source: 'aws.ec2' },
      pattern: { detail: { state: [{ exists: false }] } },
      expected: true,
    },
    {
      case: 'null matches a null value',
      event: { UserID: null },
      pattern: { UserID: [null] },
      expected: true,
    },
    {
      case: 'null does not match a missing field',
      event: { Name: 'Alice' },
      pattern: { UserID: [null] },
      expected: false,
    },
    {
      case: 'the empty string matches an empty value only',
      event: { LastName: '' },
      pattern: { LastName: [''] },
      expected: true,
    },
    {
      case: 'a number matches the same number, not its string',
      event: { Price: '100' },
      pattern: { Price: [100] },
      expected: false,
    },
  ])('$case', ({ event, pattern, expected }) => {
    expect(matchesPattern(event, pattern as Pattern)).toBe(expected);
  });
});

describe('matchesPattern refuses operators it does not implement', () => {
  it.each([
    { operator: 'prefix', pattern: { time: [{ prefix: '2017-10-02' }] } },
    { operator: 'suffix', pattern: { FileName: [{ suffix: '.png' }] } },
    { operator: 'numeric', pattern: { Price: [{ numeric: ['>', 10, '<=', 20] }] } },
    { operator: 'cidr', pattern: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } },
    { operator: 'equals-ignore-case', pattern: { Name: [{ 'equals-ignore-case': 'alice' }] } },
    { operator: 'wildcard', pattern: { FilePath: [{ wildcard: 'dir/*.png' }] } },
    { operator: '$or', pattern: { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] } },
    { operator: 'prefix', pattern: { Region: [{ 'anything-but': { prefix: 'us-' } }] } },
  ])('throws naming $operator', ({ operator, pattern }) => {
    expect(() => matchesPattern({ unrelated: 1 }, pattern as Pattern)).toThrow(operator);
  });

  it('throws even when an earlier field already fails to match', () => {
    const pattern = { source: ['aws.ec2'], detail: { state: [{ prefix: 'term' }] } };

    expect(() => matchesPattern({ source: 'aws.s3' }, pattern)).toThrow('prefix');
  });

  it.each([
    { case: 'a bare value instead of an array', pattern: { source: 'aws.ec2' } },
    { case: 'two operators in one rule', pattern: { state: [{ exists: true, 'anything-but': 'x' }] } },
    { case: 'exists with a non-boolean', pattern: { state: [{ exists: 'yes' }] } },
  ])('throws on $case', ({ pattern }) => {
    expect(() => assertSupportedPattern(pattern)).toThrow(/state|source/);
  });
});

/** A DynamoDB stream record (NEW_AND_OLD_IMAGES) as the pipe sees it. */
function streamRecord(eventName: string, newImage?: Record<string, unknown>, oldImage?: Record<string, unknown>) {
  return {
    eventID: 'e1',
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      Keys: { id: { S: 'test1' } },
      ...(newImage ? { NewImage: newImage } : {}),
      ...(oldImage ? { OldImage: oldImage } : {}),
      SequenceNumber: '1',
      SizeBytes: 10,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}
const row = (status: string) => ({ id: { S: 'test1' }, status: { S: status }, s3_path: { S: 's3://b/data/input/a.txt' } });

describe('the product filter (PENDING_FILTER_PATTERNS)', () => {
  it.each([
    { case: 'INSERT with PENDING matches', record: streamRecord('INSERT', row('PENDING')), expected: true },
    { case: "INSERT with 'pending' (lowercase) does not", record: streamRecord('INSERT', row('pending')), expected: false },
    { case: 'MODIFY PENDING→PENDING does not', record: streamRecord('MODIFY', row('PENDING'), row('PENDING')), expected: false },
    { case: 'MODIFY FAILED→PENDING matches', record: streamRecord('MODIFY', row('PENDING'), row('FAILED')), expected: true },
    { case: 'MODIFY PENDING→FINISHED does not', record: streamRecord('MODIFY', row('FINISHED'), row('PENDING')), expected: false },
    {
      case: 'MODIFY of a row without status gaining PENDING matches',
      record: streamRecord('MODIFY', row('PENDING'), { id: { S: 'test1' } }),
      expected: true,
    },
    {
      case: 'key-only INSERT (moto, UpdateItem creating an item) does not',
      record: streamRecord('INSERT', { id: { S: 'test1' } }),
      expected: false,
    },
    { case: 'REMOVE of a PENDING row does not', record: streamRecord('REMOVE', undefined, row('PENDING')), expected: false },
  ])('$case', ({ record, expected }) => {
    expect(matchesAnyPattern(record, PENDING_FILTER_PATTERNS as unknown as Pattern[])).toBe(expected);
  });
});
