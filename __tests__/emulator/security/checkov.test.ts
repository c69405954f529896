import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { VENV_BIN } from '../../../local/emulator/paths';
import { EVERY_OPTIONAL_FEATURE, EVERY_OPTIONAL_PROCESSOR, everyOptionalSetup, offlinePlan, removeSynthesizedStacks, synthStack, type TerraformJson } from '../../support/synth';

// The security gate: checkov over the offline plan's JSON. A failed check passes the gate only when the
// failing resource carries a skip for it, with a reason, written beside the resource in the module
// (modules/shared/checkov.ts). A skip that no longer matches a failure fails the gate too. The plans are the
// plan suite's own, made once per jest run (support/synth.ts).
const TIMEOUT_MS = 300_000;

interface CheckovFinding {
  readonly check_id: string;
  readonly check_name: string;
  readonly resource: string;
}

interface CheckovReport {
  readonly summary: { readonly passed: number; readonly failed: number; readonly parsing_errors: number };
  readonly results: { readonly failed_checks: readonly CheckovFinding[]; readonly passed_checks: readonly CheckovFinding[] };
}

/** `aws_s3_bucket.<id>` → the skips declared on it in the synthesized JSON's `//` block. */
function declaredSkips(json: TerraformJson): Map<string, { id: string; comment: string }[]> {
  const skips = new Map<string, { id: string; comment: string }[]>();
  for (const [type, resources] of Object.entries(json.resource)) {
    for (const [name, config] of Object.entries(resources)) {
      const declared = (config['//'] as { checkov?: { skip?: { id: string; comment: string }[] } } | undefined)?.checkov?.skip;
      if (declared) skips.set(`${type}.${name}`, declared);
    }
  }
  return skips;
}

function checkov(planFile: string): CheckovReport {
  const run = spawnSync(
    path.join(VENV_BIN, 'checkov'),
    ['--file', planFile, '--framework', 'terraform_plan', '--output', 'json', '--compact', '--skip-download'],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      // Offline: no update check, and any stray request goes to a closed loopback port.
      env: { ...process.env, CKV_SKIP_PACKAGE_UPDATE_CHECK: 'true', HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' },
    },
  );
  if (run.error) throw run.error;
  // checkov exits 1 when a check fails; the JSON report is what the gate judges.
  if (!run.stdout.trim().startsWith('{') && !run.stdout.trim().startsWith('[')) {
    throw new Error(`checkov produced no report (exit ${run.status}):\n${run.stderr}`);
  }
  const parsed = JSON.parse(run.stdout) as CheckovReport | CheckovReport[];
  return Array.isArray(parsed) ? parsed[0] : parsed;
}

afterAll(removeSynthesizedStacks);

describe.each([
  { case: 'defaults', env: {}, processors: undefined, setup: undefined },
  { case: 'every optional feature', env: EVERY_OPTIONAL_FEATURE, processors: EVERY_OPTIONAL_PROCESSOR, setup: everyOptionalSetup() },
])('checkov over the offline plan with $case', ({ env, processors, setup }) => {
  let report: CheckovReport;
  let skips: Map<string, { id: string; comment: string }[]>;

  beforeAll(async () => {
    const stack = synthStack(env, { processors, setup });
    skips = declaredSkips(stack.json);
    report = checkov((await offlinePlan(stack)).planJsonFile);
  }, TIMEOUT_MS);

  it('parses the whole plan and runs checks on it', () => {
    expect(report.summary.parsing_errors).toBe(0);
    expect(report.results.passed_checks.length).toBeGreaterThan(50);
  });

  it('has no failed check without a written reason beside the resource', () => {
    const unexplained = report.results.failed_checks
      .filter(({ check_id, resource }) => !(skips.get(resource) ?? []).some(({ id }) => id === check_id))
      .map(({ check_id, check_name, resource }) => `${resource}: ${check_id} ${check_name}`);

    expect(unexplained).toEqual([]);
  });

  it('has no skip left over for a check that now passes or no longer runs', () => {
    const failed = new Set(report.results.failed_checks.map(({ check_id, resource }) => `${resource} ${check_id}`));
    const stale = [...skips].flatMap(([resource, declared]) => declared.filter(({ id }) => !failed.has(`${resource} ${id}`)).map(({ id }) => `${resource} ${id}`));

    expect(stale).toEqual([]);
  });
});
