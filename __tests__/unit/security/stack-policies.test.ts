import { policyAttributes } from '../../support/stack-policies';
import type { TerraformJson } from '../../support/synth';

/** The gate's inventory of policy documents (support/stack-policies.ts), which parliament.test.ts audits. */
describe('policyAttributes', () => {
  const stack = (attributes: Record<string, unknown>) => ({ resource: { aws_iam_policy: { p: attributes } } }) as unknown as TerraformJson;

  it('lists the attributes holding a policy document, plain or in jsonencode, and only those', () => {
    const json = stack({
      policy: '{"Version":"2012-10-17","Statement":[]}',
      assume: '${jsonencode({"Statement" = []})}',
      tags: '{"Name":"x"}',
      name: 'plain text',
    });

    expect(policyAttributes(json)).toEqual(['aws_iam_policy.p.assume', 'aws_iam_policy.p.policy']);
  });

  it('throws, naming it, on an attribute that looks like a document and does not decode: it could be a policy', () => {
    const json = stack({ policy: '{"Statement": [' });

    expect(() => policyAttributes(json)).toThrow(/^aws_iam_policy\.p\.policy looks like a JSON document but does not decode: /);
  });
});
