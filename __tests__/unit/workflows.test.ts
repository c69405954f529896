import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { minimumNodeMajor } from '../../scripts/provision-node';

// js-yaml comes with eslint's dependencies and ships no types; only `load` is used.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { load } = require('js-yaml') as { load(source: string): unknown };

const WORKFLOWS_DIR = path.resolve(__dirname, '../../.github/workflows');

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly id?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly uses?: string;
  readonly needs?: string | string[];
  readonly if?: string;
  readonly permissions?: Record<string, string>;
  readonly strategy?: Record<string, unknown>;
  readonly steps?: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  readonly jobs: Record<string, Job>;
}

const packageJson = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { engines: { node: string } };
const ENGINES_MINIMUM = minimumNodeMajor(packageJson.engines.node);

const workflowFiles = readdirSync(WORKFLOWS_DIR).filter((file) => /\.ya?ml$/.test(file));
const source = (file: string): string => readFileSync(path.join(WORKFLOWS_DIR, file), 'utf8');
const workflow = (file: string): Workflow => load(source(file)) as Workflow;
const allSteps = (job: Job): Step[] => job.steps ?? [];
const stepUsing = (job: Job, action: string): Step | undefined =>
  allSteps(job).find((step) => step.uses?.split('@')[0] === action);
const runText = (job: Job): string => allSteps(job).map((step) => step.run ?? '').join('\n');

describe('GitHub workflows', () => {
  it('exist: pull request, deploy and the shared checks', () => {
    expect(workflowFiles).toEqual(expect.arrayContaining(['pr.yml', 'deploy.yml', 'checks.yml']));
  });

  it.each(workflowFiles)('%s validates against the GitHub workflow schema', (file) => {
    expect(validateWorkflow(source(file)).errors).toEqual([]);
  });

  it('the schema validator rejects a job without runs-on (it is really checking)', () => {
    const broken = 'on: push\njobs:\n  build:\n    steps:\n      - run: echo hi\n';
    expect(validateWorkflow(broken).errors).not.toEqual([]);
  });

  // js-yaml drops comments, so the pins are read from the source lines.
  const usesLines = (file: string): string[] =>
    source(file)
      .split('\n')
      .map((line) => /^\s*(?:- )?uses: (.*)$/.exec(line)?.[1])
      .filter((value): value is string => value !== undefined);

  it.each(workflowFiles)('%s pins every action to a full commit SHA, with the tag in a comment', (file) => {
    const actions = usesLines(file).filter((uses) => !uses.startsWith('$/'));
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(action).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('pins each action to the same commit in every workflow', () => {
    const pins = new Map<string, Set<string>>();
    for (const uses of workflowFiles.flatMap(usesLines).filter((value) => !value.startsWith('$/'))) {
      const [action, pin] = uses.split('@');
      pins.set(action, (pins.get(action) ?? new Set()).add(pin));
    }
    expect([...pins].filter(([, pinned]) => pinned.size > 1)).toEqual([]);
  });

  it.each(workflowFiles)('%s never reads AWS keys from secrets', (file) => {
    expect(source(file)).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key/i);
    expect(source(file)).not.toMatch(/secrets\.AWS/i);
  });

  describe('checks (reused by both)', () => {
    const checks = workflow('checks.yml');
    const job = checks.jobs.checks;

    it('is a reusable workflow with read-only permissions', () => {
      expect(Object.keys(checks.on)).toEqual(['workflow_call']);
      expect(checks.permissions).toEqual({ contents: 'read' });
    });

    it("runs on Node 22, package.json's baseline, and on Node 24, each leg to the end", () => {
      expect(job.strategy).toEqual({ 'fail-fast': false, matrix: { 'node-version': [ENGINES_MINIMUM, 24] } });
      expect(stepUsing(job, 'actions/setup-node')?.with).toMatchObject({ 'node-version': '${{ matrix.node-version }}', cache: 'npm' });
    });

    it('sets up Python 3.11 and Terraform 1.11 without the wrapper', () => {
      expect(stepUsing(job, 'actions/setup-python')?.with).toMatchObject({ 'python-version': '3.11' });
      const terraform = stepUsing(job, 'hashicorp/setup-terraform')?.with;
      expect(String(terraform?.terraform_version)).toMatch(/^1\.11\./);
      expect(terraform?.terraform_wrapper).toBe(false);
    });

    it('installs, sets up the tools, then lints, type-checks and tests in that order', () => {
      const commands = allSteps(job).map((step) => step.run?.trim()).filter(Boolean);
      const order = ['npm ci', 'bash scripts/setup-tools.sh', 'npm run lint', 'npm run typecheck', 'npm test'].map((wanted) =>
        commands.findIndex((command) => command?.startsWith(wanted)),
      );
      expect(order.every((index) => index >= 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    });

    it('mirrors the same AWS provider version that setup-tools.sh looks for', () => {
      const setupTools = readFileSync(path.resolve(__dirname, '../../scripts/setup-tools.sh'), 'utf8');
      const wanted = /provider_version=(\S+)/.exec(setupTools)?.[1];
      expect(wanted).toBeDefined();
      expect(checks.jobs.checks).toMatchObject({ env: { AWS_PROVIDER_VERSION: wanted } });
      expect(runText(job)).toContain('TF_PROVIDER_MIRROR=');
    });
  });

  describe.each([
    ['pr.yml', 'diff', 'AWS_PLAN_ROLE_ARN'],
    ['deploy.yml', 'deploy', 'AWS_ROLE_ARN'],
  ])('%s', (file, jobName, roleVariable) => {
    const definition = workflow(file);
    const job = definition.jobs[jobName];

    it('runs the shared checks first', () => {
      // The self-repository form resolves to the running commit, never to files an earlier step wrote.
      expect(definition.jobs.checks.uses).toBe('$/.github/workflows/checks.yml');
      expect(job.needs).toBe('checks');
    });

    it('gets AWS credentials from OIDC with the role from a repository variable', () => {
      expect(definition.permissions).toEqual({ contents: 'read' });
      expect(job.permissions).toMatchObject({ 'id-token': 'write', contents: 'read' });
      const credentials = stepUsing(job, 'aws-actions/configure-aws-credentials');
      expect(credentials?.with?.['role-to-assume']).toBe(`\${{ vars.${roleVariable} }}`);
      expect(Object.keys(credentials?.with ?? {})).not.toEqual(expect.arrayContaining(['aws-access-key-id']));
    });

    it("synthesizes on Node 22, package.json's baseline and the Lambda's runtime", () => {
      expect(stepUsing(job, 'actions/setup-node')?.with).toMatchObject({ 'node-version': ENGINES_MINIMUM, cache: 'npm' });
    });

    it('builds the bundles before cdktf synthesizes (assets are hashed at synth)', () => {
      const steps = allSteps(job);
      const build = steps.findIndex((step) => step.run?.trim() === 'npm run build');
      const cdktf = steps.findIndex((step) => /npx cdktf (diff|deploy)/.test(step.run ?? ''));
      expect(build).toBeGreaterThanOrEqual(0);
      expect(cdktf).toBeGreaterThan(build);
    });

    it('passes the PIPELINE_* repository variables as settings and requires the state bucket', () => {
      const settings = allSteps(job).find((step) => step.env?.REPOSITORY_VARIABLES !== undefined);
      expect(settings?.env?.REPOSITORY_VARIABLES).toBe('${{ toJSON(vars) }}');
      expect(settings?.run).toContain('PIPELINE_STATE_BUCKET');
    });
  });

  describe('pr.yml', () => {
    const pr = workflow('pr.yml');
    const diff = pr.jobs.diff;

    it('runs on pull requests and cancels superseded runs of the same pull request', () => {
      expect(Object.keys(pr.on)).toEqual(['pull_request']);
      expect(pr.concurrency).toEqual({ group: 'pr-${{ github.event.pull_request.number }}', 'cancel-in-progress': true });
    });

    it('runs cdktf diff and keeps its output for the comment', () => {
      const step = allSteps(diff).find((candidate) => candidate.id === 'diff');
      expect(step?.run).toMatch(/npx cdktf diff/);
      expect(step?.run).toContain('set -o pipefail');
      expect(step?.run).toMatch(/tee "\$RUNNER_TEMP\/cdktf-diff.txt"/);
    });

    it('posts the diff to one sticky comment, updating it on later pushes', () => {
      expect(diff.permissions).toMatchObject({ 'pull-requests': 'write' });
      const comment = stepUsing(diff, 'actions/github-script');
      const script = String(comment?.with?.script);
      expect(comment?.env?.DIFF_FILE).toBe('${{ runner.temp }}/cdktf-diff.txt');
      expect(script).toContain('<!-- cdktf-diff -->');
      expect(script).toContain('updateComment');
      expect(script).toContain('createComment');
    });

    it('fails the job after commenting when the diff failed', () => {
      const steps = allSteps(diff);
      const last = steps[steps.length - 1];
      expect(last.if).toBe("steps.diff.outcome != 'success'");
      expect(last.run).toContain('exit 1');
    });

    it('skips the diff for forks, which get no OIDC token', () => {
      expect(diff.if).toBe('github.event.pull_request.head.repo.full_name == github.repository');
    });
  });

  describe('deploy.yml', () => {
    const deploy = workflow('deploy.yml');

    it('runs on pushes to main only, and never two at once', () => {
      expect(deploy.on).toEqual({ push: { branches: ['main'] } });
      // One group per repository, the same for every run, and a queued run waits instead of cancelling.
      expect(deploy.concurrency).toEqual({ group: 'deploy-${{ github.repository }}', 'cancel-in-progress': false });
    });

    it('deploys without a prompt', () => {
      expect(runText(deploy.jobs.deploy)).toMatch(/npx cdktf deploy --auto-approve/);
    });
  });

  describe('the settings step (run with bash and jq)', () => {
    const script = allSteps(workflow('deploy.yml').jobs.deploy).find((step) => step.env?.REPOSITORY_VARIABLES)?.run ?? '';
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'settings-step-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const runStep = (variables: Record<string, string>) => {
      const githubEnv = path.join(dir, 'github-env');
      const result = spawnSync('bash', ['-eo', 'pipefail', '-c', script], {
        env: { PATH: process.env.PATH, GITHUB_ENV: githubEnv, REPOSITORY_VARIABLES: JSON.stringify(variables) },
        encoding: 'utf8',
      });
      let exported = '';
      try {
        exported = readFileSync(githubEnv, 'utf8');
      } catch {
        // nothing exported
      }
      return { status: result.status, stdout: result.stdout, exported };
    };

    it('is the same step in pr.yml, so diffs synthesize what deploys do', () => {
      const prStep = allSteps(workflow('pr.yml').jobs.diff).find((step) => step.env?.REPOSITORY_VARIABLES)?.run;
      expect(script).not.toBe('');
      expect(prStep).toBe(script);
    });

    it('exports every PIPELINE_* variable and nothing else', () => {
      const result = runStep({ PIPELINE_STATE_BUCKET: 'state-bucket', PIPELINE_REGION: 'eu-west-1', AWS_ROLE_ARN: 'arn' });
      expect(result.status).toBe(0);
      expect(result.exported.trim().split('\n').sort()).toEqual(['PIPELINE_REGION=eu-west-1', 'PIPELINE_STATE_BUCKET=state-bucket']);
    });

    it('refuses to run without a state bucket', () => {
      const result = runStep({ PIPELINE_REGION: 'eu-west-1' });
      expect(result.status).not.toBe(0);
      expect(result.stdout).toContain('PIPELINE_STATE_BUCKET');
      expect(result.exported).toBe('');
    });

    it('refuses a multi-line value, which could inject other variables', () => {
      const result = runStep({ PIPELINE_STATE_BUCKET: 'b', PIPELINE_SCHEDULE: 'rate(1 minute)\nNODE_OPTIONS=--require=x' });
      expect(result.status).not.toBe(0);
      expect(result.exported).toBe('');
    });
  });
});
