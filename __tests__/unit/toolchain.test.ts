import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
  // .ci/run and the workflows run the suite on the Node the Lambda and the workers run on, or newer.
  it(`runs this suite on ${process.version}, which package.json's engines (${packageJson.engines.node}) accepts`, () => {
    if (major(process.version) < minimum) {
      throw new Error(
        `the tests run on ${process.version}, older than package.json's engines (${packageJson.engines.node}): ` +
          `bash scripts/setup-tools.sh puts Node ${NODE_RUNTIME.version} in ${PROVISIONED_NODE_DIR}/bin; ` +
          `run export PATH="$PWD/${PROVISIONED_NODE_DIR}/bin:$PATH" first.`,
      );
    }
  });

  it("pins the workers' runtime to a version engines accepts, so a machine can be provisioned with it", () => {
    expect(major(NODE_RUNTIME.version)).toBeGreaterThanOrEqual(minimum);
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

describe('npm run local on a Node older than 22', () => {
  /** The `NAME=value` assignments the local script puts before its command. */
  const localScriptEnv = (): Record<string, string> =>
    Object.fromEntries([...packageJson.scripts.local.matchAll(/(?:^|\s)([A-Z][A-Z0-9_]*)=(\S+)\s/g)].map(([, name, value]) => [name, value]));

  /** What the AWS SDK writes to stderr when a client starts on Node 20, with `env` added. */
  function sdkStartOnNode20(env: Record<string, string>): string {
    const clientCore = require.resolve('@aws-sdk/core/client', { paths: [path.dirname(require.resolve('@aws-sdk/client-s3'))] });
    const probe = `require(${JSON.stringify(clientCore)}).emitWarningIfUnsupportedVersion('v20.20.2')`;
    const inherited = { ...process.env };
    delete inherited.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    return spawnSync(process.execPath, ['-e', probe], { env: { ...inherited, ...env }, encoding: 'utf8' }).stderr;
  }

  it("would print the SDK's Node version warning without the switch (the probe works)", () => {
    expect(sdkStartOnNode20({})).toContain('NodeVersionSupportWarning');
  });

  it("keeps the SDK's Node version warning, and only that one, out of the output", () => {
    expect(localScriptEnv()).toEqual({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
    expect(packageJson.scripts.local).not.toMatch(/no-warnings|NODE_NO_WARNINGS/);
    expect(sdkStartOnNode20(localScriptEnv())).not.toContain('NodeVersionSupportWarning');
  });
});
