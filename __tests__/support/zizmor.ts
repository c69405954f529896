import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { VENV_BIN } from '../../local/emulator/paths';

/**
 * The workflow gate: zizmor (GitHub Actions security analysis, pinned in requirements.txt) over a
 * workflows directory, offline. A finding passes only when zizmor's own ignore comment, with a written
 * reason, sits on the finding's lines: `# zizmor: ignore[<rule>] <why this is accepted>`. An ignore
 * comment that no longer matches a finding fails the gate too, as checkov skips do.
 */

/** The strictest persona: code smells and possible false positives too; accept them with a reason. */
const PERSONA = 'auditor';

interface ZizmorLocation {
  /** `Primary` is where the finding is; other kinds point at context (the enclosing job, say). */
  readonly symbolic: { readonly kind: string; readonly key: { readonly Local?: { readonly verbatim_path: string } } };
  /** Rows are 0-based; an end at column 0 ends on the previous line. */
  readonly concrete: {
    readonly location: {
      readonly start_point: { readonly row: number; readonly column: number };
      readonly end_point: { readonly row: number; readonly column: number };
    };
  };
}

interface ZizmorFinding {
  readonly ident: string;
  readonly desc: string;
  readonly locations: readonly ZizmorLocation[];
}

/** One finding at one place, as people read it: `pr.yml:32 unpinned-uses (unpinned action reference)`. */
export interface Finding {
  readonly file: string;
  /** 1-based lines the finding spans. */
  readonly firstLine: number;
  readonly lastLine: number;
  readonly rule: string;
  readonly description: string;
}

/** A `# zizmor: ignore[...]` comment in a workflow. */
export interface IgnoreComment {
  readonly file: string;
  readonly line: number;
  readonly rules: readonly string[];
  readonly reason: string;
}

export interface GateResult {
  /** Findings zizmor still reports with the ignore comments honoured. */
  readonly unaccepted: readonly string[];
  /** Ignore comments without a written reason. */
  readonly withoutReason: readonly string[];
  /** Ignore comments (per rule) that match no finding. */
  readonly stale: readonly string[];
  /** Every finding zizmor makes when ignores are not honoured, accepted or not. */
  readonly all: readonly Finding[];
}

const IGNORE_COMMENT = /#\s*zizmor:\s*ignore\[([^\]]*)\](.*)$/;
/** A reason is a phrase, not a token: at least three words. */
const REASON = /\S+\s+\S+\s+\S+/;

/** zizmor reads a GitHub token from these and would refuse an empty one. */
const TOKEN_VARIABLES = ['GH_TOKEN', 'GITHUB_TOKEN', 'ZIZMOR_GITHUB_TOKEN'];

const ZIZMOR = path.join(VENV_BIN, 'zizmor');

function runZizmor(workflowsDir: string, honourIgnores: boolean): Finding[] {
  const args = ['--offline', '--format', 'json', `--persona=${PERSONA}`, ...(honourIgnores ? [] : ['--no-ignores']), workflowsDir];
  // Offline by flag and without a token; a stray request would still go to a closed loopback port.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !TOKEN_VARIABLES.includes(name)));
  const run = spawnSync(ZIZMOR, args, {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    env: { ...env, HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' },
  });
  if (run.error) throw new Error(`could not run ${ZIZMOR} (scripts/setup-tools.sh installs it): ${run.error.message}`);
  // zizmor exits non-zero when it finds something; the JSON report is what the gate judges.
  if (!run.stdout.trim().startsWith('[')) throw new Error(`zizmor produced no report (exit ${run.status}):\n${run.stderr}`);
  return (JSON.parse(run.stdout) as ZizmorFinding[]).flatMap((finding) =>
    finding.locations.filter((location) => location.symbolic.kind === 'Primary').map((location) => {
      const { start_point: start, end_point: end } = location.concrete.location;
      return {
        file: path.basename(location.symbolic.key.Local?.verbatim_path ?? '?'),
        firstLine: start.row + 1,
        lastLine: Math.max(start.row + 1, end.column === 0 ? end.row : end.row + 1),
        rule: finding.ident,
        description: finding.desc,
      };
    }),
  );
}

function ignoreComments(workflowsDir: string): IgnoreComment[] {
  return readdirSync(workflowsDir)
    .filter((file) => /\.ya?ml$/.test(file))
    .flatMap((file) =>
      readFileSync(path.join(workflowsDir, file), 'utf8')
        .split('\n')
        .flatMap((text, index) => {
          const match = IGNORE_COMMENT.exec(text);
          if (!match) return [];
          const rules = match[1].split(',').map((rule) => rule.trim()).filter(Boolean);
          return [{ file, line: index + 1, rules, reason: match[2].trim() }];
        }),
    );
}

const describeFinding = (finding: Finding): string => `${finding.file}:${finding.firstLine} ${finding.rule} (${finding.description})`;

/** Runs zizmor over `workflowsDir` and judges its findings against the ignore comments there. */
export function zizmorGate(workflowsDir: string): GateResult {
  const unaccepted = runZizmor(workflowsDir, true);
  const all = runZizmor(workflowsDir, false);
  const comments = ignoreComments(workflowsDir);
  const matches = (comment: IgnoreComment, rule: string) =>
    all.some((finding) => finding.file === comment.file && finding.rule === rule && finding.firstLine <= comment.line && comment.line <= finding.lastLine);
  return {
    unaccepted: unaccepted.map(describeFinding),
    withoutReason: comments.filter((comment) => !REASON.test(comment.reason)).map((comment) => `${comment.file}:${comment.line}`),
    stale: comments.flatMap((comment) =>
      comment.rules.filter((rule) => !matches(comment, rule)).map((rule) => `${comment.file}:${comment.line} ignore[${rule}]`),
    ),
    all,
  };
}
