import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NODE_RUNTIME } from '../../contracts';
import { minimumNodeMajor, PROVISIONED_NODE_DIR } from '../../scripts/provision-node';

const ROOT = path.resolve(__dirname, '../..');

interface PackageJson {
  readonly engines: { readonly node: string };
  readonly allowScripts: Record<string, boolean>;
  readonly scripts: Record<string, string>;
}
interface LockedPackage {
  readonly version: string;
  readonly hasInstallScript?: boolean;
}

const packageJson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
const lockfile = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockedPackage> };
const minimum = minimumNodeMajor(packageJson.engines.node);
const major = (version: string) => Number(version.replace(/^v/, '').split('.')[0]);

describe('Node.js', () => {
  // npm test, .ci/run and the workflows run the suite on the Node the Lambda and the workers run on, or newer.
  it(`runs this suite on ${process.version}, which package.json's engines (${packageJson.engines.node}) accepts`, () => {
    if (major(process.version) < minimum) {
      throw new Error(
        `the tests run on ${process.version}, older than package.json's engines (${packageJson.engines.node}): ` +
          `run them with npm test, which runs them on Node ${NODE_RUNTIME.version} from ${PROVISIONED_NODE_DIR}/bin ` +
          `(scripts/with-node.sh), or export PATH="$PWD/${PROVISIONED_NODE_DIR}/bin:$PATH" first.`,
      );
    }
  });

  it("pins the workers' runtime to a version engines accepts, so a machine can be provisioned with it", () => {
    expect(major(NODE_RUNTIME.version)).toBeGreaterThanOrEqual(minimum);
  });

  it('runs every npm script but the one that chains others through scripts/with-node.sh, so each runs on that Node', () => {
    const direct = Object.entries(packageJson.scripts).filter(([, command]) => !/^bash scripts\/with-node\.sh '[^']+'$/.test(command));

    expect(direct).toEqual([['check', 'npm run lint && npm run typecheck && npm test']]);
  });

  it('scripts/with-node.sh runs the command on a Node engines accepts, with the arguments appended as npm appends them', () => {
    const run = spawnSync('bash', ['scripts/with-node.sh', 'node -e "console.log(JSON.stringify([process.versions.node, process.argv.slice(1)]))"', 'two words', '--flag'], {
      cwd: ROOT,
      encoding: 'utf8',
    });

    expect(run.status).toBe(0);
    const [version, args] = JSON.parse(run.stdout) as [string, string[]];
    expect(major(version)).toBeGreaterThanOrEqual(minimum);
    expect(args).toEqual(['two words', '--flag']);
  });
});

describe('install scripts (npm allowScripts)', () => {
  const packageName = (location: string) => location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const withInstallScripts = [
    ...new Set(
      Object.entries(lockfile.packages)
        .filter(([location, locked]) => location !== '' && locked.hasInstallScript === true)
        .map(([location]) => packageName(location)),
    ),
  ].sort();

  it('decides about every locked package with an install script', () => {
    expect(withInstallScripts.length).toBeGreaterThan(0);
    expect(withInstallScripts.filter((name) => packageJson.allowScripts[name] === undefined)).toEqual([]);
  });

  it('names no package that has no install script any more', () => {
    expect(Object.keys(packageJson.allowScripts).filter((name) => !withInstallScripts.includes(name))).toEqual([]);
  });
});

describe("npm run local's output", () => {
  const script = packageJson.scripts.local;
  /** The Node flags the local script hands tsx before the entry point. */
  const scriptNodeFlags = /\btsx((?:\s+--\S+)*)\s+local\/cli\/main\.ts/.exec(script)?.[1].trim().split(/\s+/).filter(Boolean) ?? [];

  /** stderr of `code` run by this Node with `flags`. */
  function stderrOf(code: string, flags: readonly string[]): string {
    const inherited = { ...process.env };
    delete inherited.NODE_OPTIONS;
    return spawnSync(process.execPath, [...flags, '-e', code], { cwd: ROOT, env: inherited, encoding: 'utf8' }).stderr;
  }

  // cdktf 0.21 (archived) calls util.isArray in TerraformOutput, which Node 22 deprecates at runtime (DEP0044),
  // and the local run synthesizes the stack in its own process.
  const synthWithOutput = (outdir: string) =>
    `const { App, TerraformStack, TerraformOutput } = require('cdktf');
     const app = new App({ outdir: ${JSON.stringify(outdir)} });
     new TerraformOutput(new TerraformStack(app, 'probe'), 'value', { value: { name: 'x' } });
     app.synth();`;
  let outdir: string;
  beforeEach(() => (outdir = mkdtempSync(path.join(tmpdir(), 'local-warnings-'))));
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  it('the probe shows the warning without the local script\'s flag', () => {
    expect(stderrOf(synthWithOutput(outdir), [])).toContain('[DEP0044]');
  });

  it("leaves out cdktf's util.isArray deprecation, and no other warning", () => {
    expect(scriptNodeFlags).toEqual(['--disable-warning=DEP0044']);
    expect(stderrOf(synthWithOutput(outdir), scriptNodeFlags)).not.toContain('[DEP0044]');
    expect(stderrOf(`new Buffer(1); process.emitWarning('still shown')`, scriptNodeFlags)).toMatch(/DEP0005[\s\S]*still shown/);
    expect(script).not.toMatch(/no-warnings|NODE_NO_WARNINGS/);
  });
});
