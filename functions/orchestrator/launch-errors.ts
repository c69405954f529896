import { LaunchFailureKind } from '../../contracts';

/**
 * What a launch does after an error, by AWS error code (and, for InvalidParameterValue, message):
 * - `next-candidate`: this subnet and instance type cannot launch now; try the next pair in the same tick.
 * - `next-subnet`: this subnet cannot launch anything now; skip it for every instance type.
 * - `next-generation`: the client token belongs to an instance that is gone; launch with the next token.
 * - `stop`: the slot fails with `kind`; the remaining slots of the tick would meet the same wall.
 * Unknown errors classify as undefined: the tick rethrows them and the Lambda Errors alarm fires.
 */
export type LaunchErrorAction =
  | { readonly action: 'next-candidate' }
  | { readonly action: 'next-subnet' }
  | { readonly action: 'next-generation' }
  | { readonly action: 'stop'; readonly kind: LaunchFailureKind };

const ACTION_BY_CODE: Readonly<Record<string, LaunchErrorAction>> = {
  // "Your requested instance type (t3.micro) is not supported in your requested Availability Zone
  // (us-east-1e). Please retry your request by not specifying an Availability Zone or choosing us-east-1a, …"
  // (ned1313/Getting-Started-Terraform#44; RedHatGov/redhatgov.workshops#113). Also "The requested
  // configuration is currently not supported" for a type the region lacks: another type may still work.
  Unsupported: { action: 'next-candidate' },
  // "We currently do not have sufficient m6i.xlarge capacity in the Availability Zone you requested
  // (us-east-1c). … You can currently get m6i.xlarge capacity by not specifying an Availability Zone in your
  // request or choosing us-east-1a, …" (ansible-collections/amazon.aws#1038).
  InsufficientInstanceCapacity: { action: 'next-candidate' },
  // "There are not enough free addresses in subnet 'subnet-…' to satisfy the requested number of
  // instances." (osbuild/osbuild-composer#1575)
  InsufficientFreeAddressesInSubnet: { action: 'next-subnet' },
  // "The client token you have provided is associated with a terminated instance. Please use a different
  // client token." (boto/boto3#4406)
  IdempotentInstanceTerminated: { action: 'next-generation' },
  // Account quotas: no other subnet or type of the same family helps.
  InstanceLimitExceeded: { action: 'stop', kind: LaunchFailureKind.capacity },
  VcpuLimitExceeded: { action: 'stop', kind: LaunchFailureKind.capacity },
  RequestLimitExceeded: { action: 'stop', kind: LaunchFailureKind.throttled },
  Throttling: { action: 'stop', kind: LaunchFailureKind.throttled },
  ThrottlingException: { action: 'stop', kind: LaunchFailureKind.throttled },
  // "You are not authorized to perform this operation. Encoded authorization failure message: …" (EC2, HTTP
  // 403; CheckPointSW/Cuckoo-AWS#21); AccessDeniedException from SSM.
  UnauthorizedOperation: { action: 'stop', kind: LaunchFailureKind.unauthorized },
  AccessDenied: { action: 'stop', kind: LaunchFailureKind.unauthorized },
  AccessDeniedException: { action: 'stop', kind: LaunchFailureKind.unauthorized },
};

/**
 * "Value (<name>) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name": EC2
 * does not see the instance profile yet, as right after the apply that created it
 * (hashicorp/terraform-provider-aws#27516). IAM propagates within seconds to minutes, so the next tick
 * retries; a profile that never appears keeps the LaunchFailures metric up and its alarm fires.
 */
const PROFILE_NOT_READY = /\biamInstanceProfile\b/;

/**
 * The action for an error from RunInstances (or from the SSM and DescribeImages calls that precede it);
 * undefined when the error is not understood. IdempotentParameterMismatch is deliberately not classified:
 * the client token covers every parameter (launch-token.ts), so a mismatch means something this code does
 * not model, and it must fail loudly.
 */
export function classifyLaunchError(error: unknown): LaunchErrorAction | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'InvalidParameterValue' && PROFILE_NOT_READY.test(error.message)) {
    return { action: 'stop', kind: LaunchFailureKind.instanceProfileNotReady };
  }
  return Object.hasOwn(ACTION_BY_CODE, error.name) ? ACTION_BY_CODE[error.name] : undefined;
}
