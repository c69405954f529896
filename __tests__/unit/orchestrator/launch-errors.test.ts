import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { classifyLaunchError } from '../../../functions/orchestrator/launch-errors';

const awsError = (name: string, message = `${name}: simulated`) =>
  new EC2ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });

describe('classifyLaunchError', () => {
  it.each([
    { name: 'Unsupported', expected: { action: 'no-capacity' } },
    { name: 'InsufficientInstanceCapacity', expected: { action: 'no-capacity' } },
    { name: 'UnfulfillableCapacity', expected: { action: 'no-capacity' } },
    { name: 'InsufficientFreeAddressesInSubnet', expected: { action: 'no-capacity' } },
    { name: 'MaxSpotInstanceCountExceeded', expected: { action: 'no-capacity' } },
    { name: 'IdempotentInstanceTerminated', expected: { action: 'next-generation' } },
    { name: 'InstanceLimitExceeded', expected: { action: 'no-capacity' } },
    { name: 'VcpuLimitExceeded', expected: { action: 'no-capacity' } },
    { name: 'AuthFailure.ServiceLinkedRoleCreationNotPermitted', expected: { action: 'stop', kind: 'unauthorized' } },
    { name: 'RequestLimitExceeded', expected: { action: 'stop', kind: 'throttled' } },
    { name: 'ThrottlingException', expected: { action: 'stop', kind: 'throttled' } },
    { name: 'UnauthorizedOperation', expected: { action: 'stop', kind: 'unauthorized' } },
    { name: 'AccessDenied', expected: { action: 'stop', kind: 'unauthorized' } },
    { name: 'AccessDeniedException', expected: { action: 'stop', kind: 'unauthorized' } },
    { name: 'IdempotentParameterMismatch', expected: undefined },
    { name: 'InvalidAMIID.Malformed', expected: undefined },
    { name: 'toString', expected: undefined },
  ])('$name', ({ name, expected }) => {
    expect(classifyLaunchError(awsError(name))).toEqual(expected);
  });

  it('reads an instance profile EC2 does not see yet as transient', () => {
    const error = awsError('InvalidParameterValue', 'Value (rag-pipeline-dev-worker) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name');

    expect(classifyLaunchError(error)).toEqual({ action: 'stop', kind: 'instance-profile-not-ready' });
  });

  it('leaves any other InvalidParameterValue unknown, so the tick fails loudly', () => {
    expect(classifyLaunchError(awsError('InvalidParameterValue', 'Value (t3.micro) for parameter instanceType is invalid.'))).toBeUndefined();
  });

  it('leaves what is not an Error unknown', () => {
    expect(classifyLaunchError('UnauthorizedOperation')).toBeUndefined();
  });
});
