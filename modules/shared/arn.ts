import { Fn } from 'cdktf';

/**
 * The account ID inside an ARN (`arn:aws:sqs:us-east-1:111122223333:work` → `111122223333`), as a
 * Terraform expression: ARNs of resources in the stack give the account without a plan-time AWS lookup.
 */
export function accountOf(arn: string): string {
  return Fn.element(Fn.split(':', arn), 4);
}
