import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const APP_COMMAND = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdktf.json'), 'utf8')) as { app: string }).app;

// The app as `cdktf synth` runs it (cdktf.json's command, through a shell, in the project directory): a bad
// setting stops it before any Terraform JSON is written, with the setting and the value in the message. The
// settings are read when the app runs, not when it is compiled (scripts/synth-app.js).
it('fails synth on a bad setting, naming the setting and the value', () => {
  const result = spawnSync(APP_COMMAND, {
    shell: true,
    cwd: REPO_ROOT,
    env: { ...process.env, PIPELINE_VPC_CIDR: '10.42.0.0/16', PIPELINE_SUBNET_CIDRS: '10.42.0.0/24,10.99.0.0/24,10.42.2.0/24' },
    encoding: 'utf8',
    timeout: 60_000,
  });

  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain('PIPELINE_SUBNET_CIDRS must be inside PIPELINE_VPC_CIDR (10.42.0.0/16), got "10.99.0.0/24"');
}, 60_000);
