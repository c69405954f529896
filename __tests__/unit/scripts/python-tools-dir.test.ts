import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PYTHON_TOOLS_DIR, REPO_ROOT } from '../../../local/emulator/paths';

describe('the Python tools virtualenv', () => {
  it('is where scripts/setup-tools.sh creates it', () => {
    const script = readFileSync(path.join(REPO_ROOT, 'scripts', 'setup-tools.sh'), 'utf8');
    const created = /^venv_dir=(\S+)$/m.exec(script)?.[1];

    expect(created).toBeDefined();
    expect(path.join(REPO_ROOT, created!)).toBe(PYTHON_TOOLS_DIR);
  });

  it('is outside the tree git tracks, under node_modules with the other third-party code', () => {
    const relative = path.relative(REPO_ROOT, PYTHON_TOOLS_DIR);

    expect(relative.split(path.sep)[0]).toBe('node_modules');
    // git check-ignore exits 0 and echoes the path when it is ignored.
    expect(execFileSync('git', ['check-ignore', relative], { cwd: REPO_ROOT, encoding: 'utf8' }).trim()).toBe(relative);
  });
});
