import type { Construct } from 'constructs';
import { DataResource, type ITerraformDependable } from 'cdktf';

export interface IamPropagationWaitProps {
  /**
   * Seconds to wait, once, when the wait is created. 0 keeps the resource (and so the same dependency
   * graph) without a command: the local run and the emulator need no wait.
   */
  readonly seconds: number;
  /** The grants to wait for: the role policy, and anything else the service must see first. */
  readonly after: readonly ITerraformDependable[];
  /**
   * Values whose change means fresh IAM or a fresh source to wait for again, e.g. the role's `unique_id`
   * (new on every replacement, even under the same name) and the stream ARN. Nothing else re-runs the wait.
   */
  readonly replacedWhen: Readonly<Record<string, string>>;
}

/**
 * A pause between creating IAM grants and creating the resource that uses them, for services that check
 * the grants when the resource is created, before IAM has propagated them. EventBridge Pipes does:
 * creating a pipe with a DynamoDB stream source in the same apply as its role policy fails with "Cannot
 * access stream … Please ensure the customer role can perform actions on source stream", and a second
 * apply succeeds (hashicorp/terraform-provider-aws#40572, open). Make the dependent resource `dependsOn`
 * the returned wait.
 *
 * Built on Terraform's own `terraform_data` with a create-time `local-exec` provisioner: no provider is
 * needed, the command runs only when the wait is created (first apply, or when a `replacedWhen` value
 * changes), and later applies that merely update the role policy or the dependent resource pay nothing.
 * The command is POSIX `sleep`, run by the machine that applies (Linux, macOS, CI runners, WSL).
 */
export function iamPropagationWait(scope: Construct, id: string, props: IamPropagationWaitProps): DataResource {
  if (!Number.isInteger(props.seconds) || props.seconds < 0 || props.seconds > 900) {
    throw new Error(`seconds must be an integer from 0 to 900, got ${props.seconds}`);
  }
  if (props.after.length === 0) throw new Error('after must name the grants to wait for');
  return new DataResource(scope, id, {
    triggersReplace: { ...props.replacedWhen },
    dependsOn: [...props.after],
    provisioners: props.seconds === 0 ? undefined : [{ type: 'local-exec', command: `sleep ${props.seconds}` }],
  });
}
