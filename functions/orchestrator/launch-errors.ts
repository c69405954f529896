/**
 * Launch failures the next tick can recover from on its own, by EC2 error code. The handler logs them,
 * reports them in its summary and ends the tick normally; anything else is rethrown.
 * - `capacity`: AWS or the account has no room for the instance right now.
 * - `throttled`: the EC2 API refused the rate, after the SDK's own retries.
 * - `unauthorized`: the role may not launch (a policy or an SCP); logged as an error because it needs a person.
 */
export type LaunchFailureKind = 'capacity' | 'throttled' | 'unauthorized';

const KIND_BY_ERROR_CODE: Readonly<Record<string, LaunchFailureKind>> = {
  InsufficientInstanceCapacity: 'capacity',
  InsufficientCapacity: 'capacity',
  InstanceLimitExceeded: 'capacity',
  VcpuLimitExceeded: 'capacity',
  InsufficientFreeAddressesInSubnet: 'capacity',
  RequestLimitExceeded: 'throttled',
  Throttling: 'throttled',
  ThrottlingException: 'throttled',
  UnauthorizedOperation: 'unauthorized',
  AccessDenied: 'unauthorized',
  AccessDeniedException: 'unauthorized',
};

/** The kind of a known, recoverable launch failure; undefined for anything else. */
export function classifyLaunchError(errorName: string): LaunchFailureKind | undefined {
  return Object.hasOwn(KIND_BY_ERROR_CODE, errorName) ? KIND_BY_ERROR_CODE[errorName] : undefined;
}
