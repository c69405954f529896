import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { VENV_BIN } from '../../../local/emulator/paths';
import { documentWithSampleValues, SAMPLE_ACCOUNT } from '../../support/sample-arns';
import { policyAttributes, stackPolicies, type StackPolicy } from '../../support/stack-policies';
import { EVERY_OPTIONAL_FEATURE, EVERY_OPTIONAL_PROCESSOR, everyOptionalSetup, removeSynthesizedStacks, synthStack, type ParsedStatement } from '../../support/synth';

// The security gate's IAM half: parliament (pinned in requirements.txt) audits every policy document of the
// stack (role policies, trust policies, the bucket policy, the alarm key's policy) against AWS's own action,
// resource and condition tables, offline. A finding passes only when its statement carries an accepted
// finding with a written reason (`acceptedFindings` beside the statement, modules/shared/parliament.ts);
// an acceptance no finding needs any more fails the gate too.
const TIMEOUT_MS = 120_000;
const AUDIT_SCRIPT = path.join(__dirname, 'parliament-audit.py');

interface Finding {
  readonly id: string;
  readonly statement: number | null;
  readonly issue: string;
  readonly detail: unknown;
}

interface AuditedPolicy {
  readonly policy: StackPolicy;
  readonly document: { Version: string; Statement: ParsedStatement[] };
}

/**
 * The synthesized documents with every Terraform reference replaced by a sample value of the right shape.
 * A trust policy gets the role's own ARN as its Resource: the role is what a trust policy governs, and
 * parliament expects every statement to name a resource.
 */
function auditable(policies: readonly StackPolicy[], json: Parameters<typeof documentWithSampleValues>[1], region: string, unmapped: Set<string>): AuditedPolicy[] {
  return policies.map((policy) => {
    const statements = policy.statements.map((statement) =>
      policy.trust ? { ...statement, Resource: [`arn:aws:iam::${SAMPLE_ACCOUNT}:role/${String(json.resource.aws_iam_role[policy.resourceName].name)}`] } : statement,
    );
    return { policy, document: documentWithSampleValues({ Version: '2012-10-17', Statement: statements }, json, region, unmapped) };
  });
}

function parliament(audited: readonly AuditedPolicy[]): Finding[] {
  const run = spawnSync(path.join(VENV_BIN, 'python'), [AUDIT_SCRIPT], {
    input: JSON.stringify(audited.map(({ policy, document }) => ({ id: policy.where, document }))),
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    // Offline: any stray request goes to a closed loopback port.
    env: { ...process.env, HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' },
  });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`parliament-audit.py failed (exit ${run.status}): run "bash scripts/setup-tools.sh" to install parliament.\n${run.stderr}`);
  return JSON.parse(run.stdout) as Finding[];
}

afterAll(removeSynthesizedStacks);

describe.each([
  { case: 'defaults', env: {}, processors: undefined, setup: undefined },
  { case: 'every optional feature', env: EVERY_OPTIONAL_FEATURE, processors: EVERY_OPTIONAL_PROCESSOR, setup: everyOptionalSetup() },
])('parliament over every policy of the stack with $case', ({ env, processors, setup }) => {
  let policies: StackPolicy[];
  let findings: Finding[];
  let unmapped: Set<string>;
  let attributes: string[];

  beforeAll(() => {
    const { stack, json } = synthStack(env, { processors, setup });
    attributes = policyAttributes(json);
    policies = stackPolicies(stack, json);
    unmapped = new Set();
    findings = parliament(auditable(policies, json, 'us-east-1', unmapped));
  }, TIMEOUT_MS);

  it('audits every policy document the stack synthesizes, each built by policyDocument or assumeRolePolicy', () => {
    expect(policies.map(({ where }) => where)).toEqual(attributes);
    expect(policies.filter(({ trust }) => trust)).toHaveLength(4);
    expect(policies.length).toBeGreaterThanOrEqual(7);
  });

  it('replaces every Terraform reference with a sample value before the audit', () => {
    expect([...unmapped]).toEqual([]);
  });

  it('has no finding about a policy as a whole', () => {
    expect(findings.filter(({ statement }) => statement === null)).toEqual([]);
  });

  it('has no finding without a written reason beside its statement', () => {
    const unexplained = findings
      .filter(({ id, statement, issue }) => {
        const policy = policies.find(({ where }) => where === id)!;
        return statement !== null && !policy.registered[statement].acceptedFindings.some((accepted) => accepted.issue === issue);
      })
      .map(({ id, statement, issue, detail }) => `${id} ${policies.find(({ where }) => where === id)!.statements[statement!].Sid}: ${issue} ${JSON.stringify(detail)}`);

    expect(unexplained).toEqual([]);
  });

  it('has no accepted finding left over for a finding parliament no longer reports', () => {
    const reported = new Set(findings.map(({ id, statement, issue }) => `${id} ${statement} ${issue}`));
    const stale = policies.flatMap((policy) =>
      policy.registered.flatMap((statement, index) =>
        statement.acceptedFindings.filter(({ issue }) => !reported.has(`${policy.where} ${index} ${issue}`)).map(({ issue }) => `${policy.where} ${statement.sid}: ${issue}`),
      ),
    );

    expect(stale).toEqual([]);
  });
});
