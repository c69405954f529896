import { TerraformResource, type TerraformStack } from 'cdktf';
import { registeredPolicy, type RegisteredStatement } from '../../modules/shared/parliament';
import { decodeJsonAttribute, type ParsedStatement, type TerraformJson } from './synth';

/** One IAM policy document of the synthesized stack, with what the module registered for it. */
export interface StackPolicy {
  /** `aws_iam_role_policy.lambda_role-policy_1A2B3C4D.policy` */
  readonly where: string;
  readonly resourceType: string;
  readonly resourceName: string;
  /** A role trust policy: its statements have no Resource; the role is the resource. */
  readonly trust: boolean;
  /** As synthesized, Terraform references in `${...}` form. */
  readonly statements: ParsedStatement[];
  /** Each statement's registration (its accepted parliament findings), in statement order. */
  readonly registered: readonly RegisteredStatement[];
}

/**
 * Every attribute of the synthesized JSON that holds an IAM policy document (anything with a `Statement`),
 * as `<type>.<name>.<attribute>`: what the gate must cover, however the policy was built. An attribute that
 * looks like a JSON document and does not decode throws: it could be a policy the gate would miss.
 */
export function policyAttributes(json: TerraformJson): string[] {
  const found: string[] = [];
  for (const [type, resources] of Object.entries(json.resource)) {
    for (const [name, config] of Object.entries(resources)) {
      for (const [attribute, value] of Object.entries(config)) {
        if (typeof value !== 'string' || !/^(\$\{jsonencode\(|\{)/.test(value)) continue;
        let decoded: unknown;
        try {
          decoded = decodeJsonAttribute(value);
        } catch (error) {
          throw new Error(`${type}.${name}.${attribute} looks like a JSON document but does not decode: ${(error as Error).message}`);
        }
        if (typeof decoded === 'object' && decoded !== null && 'Statement' in decoded) found.push(`${type}.${name}.${attribute}`);
      }
    }
  }
  return found.sort();
}

/**
 * The policies the stack's modules built with `policyDocument` / `assumeRolePolicy`, found through each
 * resource's unresolved configuration (the document's token string is the registry key) and paired with
 * the synthesized document.
 */
export function stackPolicies(stack: TerraformStack, json: TerraformJson): StackPolicy[] {
  const policies: StackPolicy[] = [];
  for (const resource of stack.node.findAll()) {
    if (!(resource instanceof TerraformResource)) continue;
    const byType = (resource.toTerraform() as { resource: Record<string, Record<string, Record<string, unknown>>> }).resource;
    for (const [resourceType, byName] of Object.entries(byType)) {
      for (const [resourceName, config] of Object.entries(byName)) {
        for (const [attribute, value] of Object.entries(config)) {
          const registered = typeof value === 'string' ? registeredPolicy(value) : undefined;
          if (!registered) continue;
          const synthesized = json.resource[resourceType][resourceName][attribute];
          const statements = (decodeJsonAttribute(synthesized) as { Statement: ParsedStatement[] }).Statement;
          if (statements.map(({ Sid }) => Sid).join() !== registered.statements.map(({ sid }) => sid).join()) {
            throw new Error(`${resourceType}.${resourceName}.${attribute}: synthesized statements do not match the registered ones`);
          }
          policies.push({
            where: `${resourceType}.${resourceName}.${attribute}`,
            resourceType,
            resourceName,
            trust: registered.trust,
            statements,
            registered: registered.statements,
          });
        }
      }
    }
  }
  return policies.sort((a, b) => (a.where < b.where ? -1 : a.where > b.where ? 1 : 0));
}
