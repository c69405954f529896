import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type GateResult, zizmorGate } from '../../support/zizmor';

// The workflow gate: zizmor, offline, over .github/workflows/. Every finding is fixed, or accepted with
// zizmor's own ignore comment and a written reason; an ignore that matches nothing fails too.
const WORKFLOWS_DIR = path.resolve(__dirname, '../../../.github/workflows');

describe('zizmor over .github/workflows/', () => {
  let gate: GateResult;
  beforeAll(() => (gate = zizmorGate(WORKFLOWS_DIR)));

  it('leaves no finding unaccepted', () => {
    expect(gate.unaccepted).toEqual([]);
  });

  it('gives every accepted finding a written reason', () => {
    expect(gate.withoutReason).toEqual([]);
  });

  it('has no ignore comment that matches no finding', () => {
    expect(gate.stale).toEqual([]);
  });
});

describe('the zizmor gate on a workflow made to fail (it is really checking)', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'zizmor-gate-'));
    // zizmor collects workflows from a .github/workflows directory only.
    dir = path.join(root, '.github', 'workflows');
    mkdirSync(dir, { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const workflow = (steps: string[]) =>
    writeFileSync(
      path.join(dir, 'ci.yml'),
      [
        'name: ci',
        'on: push',
        'permissions: {}',
        'concurrency: { group: ci, cancel-in-progress: true }',
        'jobs:',
        '  build:',
        '    name: build',
        '    runs-on: ubuntu-24.04',
        '    steps:',
        ...steps.map((step) => `      ${step}`),
        '',
      ].join('\n'),
    );

  it('reports an action pinned to a tag, not a commit', () => {
    workflow(['- uses: actions/setup-node@v4']);
    expect(zizmorGate(dir).unaccepted).toEqual(['ci.yml:10 unpinned-uses (unpinned action reference)']);
  });

  it('reports a checkout that leaves the token in .git/config', () => {
    workflow(['- uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0']);
    expect(zizmorGate(dir).unaccepted).toEqual([expect.stringMatching(/^ci\.yml:10 artipacked /)]);
  });

  it('accepts a finding whose ignore comment gives a reason', () => {
    workflow(['- uses: actions/setup-node@v4 # zizmor: ignore[unpinned-uses] the tag is what this fixture tests']);
    const gate = zizmorGate(dir);
    expect(gate).toMatchObject({ unaccepted: [], withoutReason: [], stale: [] });
    expect(gate.all.map((finding) => finding.rule)).toEqual(['unpinned-uses']);
  });

  it('refuses an ignore comment without a reason', () => {
    workflow(['- uses: actions/setup-node@v4 # zizmor: ignore[unpinned-uses]']);
    expect(zizmorGate(dir).withoutReason).toEqual(['ci.yml:10']);
  });

  it('refuses an ignore comment that no longer matches a finding', () => {
    workflow(['- uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 # zizmor: ignore[unpinned-uses] was a tag once']);
    expect(zizmorGate(dir).stale).toEqual(['ci.yml:10 ignore[unpinned-uses]']);
  });
});
