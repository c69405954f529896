import { LaunchFailureKind } from '../../contracts';

/**
 * What a launch does after an error, by AWS error code (and, for InvalidParameterValue, message), whether EC2
 * threw it for the whole CreateFleet call or listed it for one pool in the response's `Errors`:
 * - `no-capacity`: this capacity type has no room (or no quota) in the pools EC2 tried: the launch tries the next
 *   capacity type (Spot → on-demand), or the slot fails as `capacity`.
 * - `next-generation`: the client token belongs to an instance that is gone; launch with the next token.
 * - `stop`: the slot fails with `kind`; the remaining slots of the tick would meet the same wall.
 * Unknown errors classify as undefined: the tick rethrows them and the Lambda Errors alarm fires.
 */
export type LaunchErrorAction =
  | { readonly action: 'no-capacity' }
  | { readonly action: 'next-generation' }
  | { readonly action: 'stop'; readonly kind: LaunchFailureKind };

const ACTION_BY_CODE: Readonly<Record<string, LaunchErrorAction>> = {
  // "Your requested instance type (t3.micro) is not supported in your requested Availability Zone
  // (us-east-1e)…" (ned1313/Getting-Started-Terraform#44). Also "The requested configuration is currently not
  // supported" for a type the region lacks.
  Unsupported: { action: 'no-capacity' },
  // On-demand: "We currently do not have sufficient m6i.xlarge capacity in the Availability Zone you requested"
  // (ansible-collections/amazon.aws#1038). Spot, from CreateFleet: "There is no Spot capacity available that
  // matches your request." (osbuild/osbuild-composer#4507).
  InsufficientInstanceCapacity: { action: 'no-capacity' },
  // "At this time there isn't enough spare capacity to fulfill your request for Spot Instances" (EC2 API
  // reference, error codes; osbuild/osbuild-composer#4220 retries it as on-demand).
  UnfulfillableCapacity: { action: 'no-capacity' },
  InsufficientCapacity: { action: 'no-capacity' },
  // "There are not enough free addresses in subnet 'subnet-…'" (osbuild/osbuild-composer#1575).
  InsufficientFreeAddressesInSubnet: { action: 'no-capacity' },
  // Quotas: "Max spot instance count exceeded" (the Spot vCPU quota, separate from on-demand's), and the
  // on-demand vCPU and instance quotas. Karpenter counts all of these as capacity it cannot have for now
  // (aws/karpenter-provider-aws, pkg/errors: unfulfillableCapacityErrorCodes). Spot's quota does not stop an
  // on-demand fallback.
  MaxSpotInstanceCountExceeded: { action: 'no-capacity' },
  VcpuLimitExceeded: { action: 'no-capacity' },
  InstanceLimitExceeded: { action: 'no-capacity' },
  // "The client token you have provided is associated with a terminated instance. Please use a different
  // client token." (boto/boto3#4406)
  IdempotentInstanceTerminated: { action: 'next-generation' },
  // The EC2 API refused the rate, after the SDK's retries; CreateFleet can also list it per pool
  // (aws/aws-parallelcluster-node#578).
  RequestLimitExceeded: { action: 'stop', kind: LaunchFailureKind.throttled },
  Throttling: { action: 'stop', kind: LaunchFailureKind.throttled },
  ThrottlingException: { action: 'stop', kind: LaunchFailureKind.throttled },
  // "You are not authorized to perform this operation. Encoded authorization failure message: …" (EC2, HTTP
  // 403; CheckPointSW/Cuckoo-AWS#21); AccessDeniedException from SSM.
  UnauthorizedOperation: { action: 'stop', kind: LaunchFailureKind.unauthorized },
  AccessDenied: { action: 'stop', kind: LaunchFailureKind.unauthorized },
  AccessDeniedException: { action: 'stop', kind: LaunchFailureKind.unauthorized },
  // "The provided credentials do not have permission to create the service-linked role for EC2 Spot
  // Instances." A Spot launch in an account without AWSServiceRoleForEC2Spot (terraform-aws-modules/
  // terraform-aws-eks#2670, listed in a CreateFleet response): docs/first-deploy.md creates it once.
  'AuthFailure.ServiceLinkedRoleCreationNotPermitted': { action: 'stop', kind: LaunchFailureKind.unauthorized },
};

/**
 * "Value (<name>) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name": EC2
 * does not see the instance profile yet, as right after the apply that created it
 * (hashicorp/terraform-provider-aws#27516). IAM propagates within seconds to minutes, so the next tick
 * retries; a profile that never appears keeps the LaunchFailures metric up and its alarm fires.
 */
const PROFILE_NOT_READY = /\biamInstanceProfile\b/i;

/**
 * The action for an AWS error code and message, from CreateFleet (thrown, or one of its `Errors`) or from the
 * SSM and DescribeImages calls that precede it; undefined when the code is not understood.
 * IdempotentParameterMismatch is deliberately not classified: the client token covers every parameter
 * (launch-token.ts), so a mismatch means something this code does not model, and it must fail loudly.
 */
export function classifyErrorCode(code: string, message: string): LaunchErrorAction | undefined {
  if (code === 'InvalidParameterValue' && PROFILE_NOT_READY.test(message)) {
    return { action: 'stop', kind: LaunchFailureKind.instanceProfileNotReady };
  }
  return Object.hasOwn(ACTION_BY_CODE, code) ? ACTION_BY_CODE[code] : undefined;
}

/** {@link classifyErrorCode} for a thrown error (the SDK names the error after its AWS code). */
export function classifyLaunchError(error: unknown): LaunchErrorAction | undefined {
  if (!(error instanceof Error)) return undefined;
  return classifyErrorCode(error.name, error.message);
}

/**
 * How sure each action is when one response lists several: a launch stops for a person (unauthorized, the
 * profile) before it stops for the rate, and moves on (next generation, no capacity) only when nothing stops it.
 */
export function precedence(action: LaunchErrorAction): number {
  if (action.action === 'stop') {
    if (action.kind === LaunchFailureKind.unauthorized) return 0;
    if (action.kind === LaunchFailureKind.instanceProfileNotReady) return 1;
    return 2;
  }
  return action.action === 'next-generation' ? 3 : 4;
}
