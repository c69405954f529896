import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { WORKER_SETUP_TIMEOUT_SECONDS } from '../../../contracts';
import { loadWorkerSetup } from '../../../config/worker-setup';
import { ConfigError } from '../../../runtime/env';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'worker-setup-test-'));
  mkdirSync(path.join(root, 'setup'));
  writeFileSync(path.join(root, 'setup', 'install.sh'), '#!/bin/bash\nset -euo pipefail\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const problemsOf = (declared: unknown): readonly string[] => {
  try {
    loadWorkerSetup({ workerSetup: declared as never }, root);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('loadWorkerSetup', () => {
  it('is undefined when none is declared', () => {
    expect(loadWorkerSetup({}, root)).toBeUndefined();
  });

  it('resolves the script from the repository root and fills the default timeout', () => {
    expect(loadWorkerSetup({ workerSetup: { script: 'setup/install.sh' } }, root)).toEqual({
      scriptPath: path.join(root, 'setup', 'install.sh'),
      timeoutSeconds: WORKER_SETUP_TIMEOUT_SECONDS.default,
    });
    expect(loadWorkerSetup({ workerSetup: { script: 'setup/install.sh', timeoutSeconds: 3600 } }, root)?.timeoutSeconds).toBe(3600);
  });

  it.each([
    { case: 'a missing file', declared: { script: 'setup/nope.sh' }, problem: 'pipeline.config.ts: workerSetup.script must be an existing file (' },
    { case: 'a directory', declared: { script: 'setup' }, problem: 'workerSetup.script must be a file (' },
    { case: 'no script', declared: {}, problem: 'workerSetup.script must be the path of a script, relative to the repository root, got nothing' },
    { case: 'a timeout of 0', declared: { script: 'setup/install.sh', timeoutSeconds: 0 }, problem: 'workerSetup.timeoutSeconds must be an integer from 1 to 3600, got 0' },
    { case: 'a misspelt setting', declared: { script: 'setup/install.sh', timeout: 5 }, problem: "workerSetup.timeout must be left out: the worker setup's settings are script, timeoutSeconds, got 5" },
    { case: 'a string', declared: 'setup/install.sh', problem: 'workerSetup must be an object with a "script", got "setup/install.sh"' },
  ])('refuses $case, naming the setting and the value', ({ declared, problem }) => {
    expect(problemsOf(declared)).toContainEqual(expect.stringContaining(problem));
  });

  it('refuses a file without #!, which could not be run as a program', () => {
    writeFileSync(path.join(root, 'setup', 'plain.sh'), 'apt-get install -y poppler-utils\n');

    expect(problemsOf({ script: 'setup/plain.sh' })).toEqual([
      `pipeline.config.ts: workerSetup.script must be a script starting with #! (its interpreter: it is run as a program) (${path.join(root, 'setup', 'plain.sh')}), got "setup/plain.sh"`,
    ]);
  });

  it('refuses a script larger than 256 KiB', () => {
    writeFileSync(path.join(root, 'setup', 'big.sh'), `#!/bin/bash\n${'#'.repeat(256 * 1024)}\n`);

    expect(problemsOf({ script: 'setup/big.sh' })).toContainEqual(expect.stringContaining('must be at most 262144 bytes'));
  });
});
