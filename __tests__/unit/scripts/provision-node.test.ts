import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NODE_RUNTIME, NODE_RUNTIME_ARCHIVE_DIR, NODE_RUNTIME_ARCHIVE_NAME } from '../../../contracts';
import { NODE_RUNTIME_ARCHIVE_PATH } from '../../../main';
import {
  decideNodeProvisioning,
  minimumNodeMajor,
  PROVISIONED_NODE_DIR,
  provisionNode,
  type NodeProvisioningInput,
} from '../../../scripts/provision-node';

jest.setTimeout(60_000);

describe('minimumNodeMajor', () => {
  it.each([
    { engines: '>=22', major: 22 },
    { engines: '>= 24', major: 24 },
  ])('reads $major from "$engines"', ({ engines, major }) => {
    expect(minimumNodeMajor(engines)).toBe(major);
  });

  it.each(['^22', '>=22.6', '22', ''])('refuses "%s", naming it', (engines) => {
    expect(() => minimumNodeMajor(engines)).toThrow(`package.json engines.node must have the form ">=<major>", got "${engines}"`);
  });
});

describe('decideNodeProvisioning', () => {
  const base: NodeProvisioningInput = { running: '22.22.2', engines: '>=22', pinned: '22.22.2', platform: 'linux', arch: 'x64' };

  it.each([
    { case: 'Node 22 on linux-x64', input: { ...base }, action: 'use-running' },
    { case: 'Node 24 on macOS arm64', input: { ...base, running: '24.21.0', platform: 'darwin', arch: 'arm64' }, action: 'use-running' },
    { case: 'Node 20 on linux-x64', input: { ...base, running: '20.20.2' }, action: 'provision' },
    { case: 'Node 20 on macOS arm64', input: { ...base, running: '20.20.2', platform: 'darwin', arch: 'arm64' }, action: 'unsupported' },
    { case: 'Node 20 on linux-arm64', input: { ...base, running: '20.20.2', arch: 'arm64' }, action: 'unsupported' },
  ])('$case: $action', ({ input, action }) => {
    expect(decideNodeProvisioning(input).action).toBe(action);
  });

  it('tells a machine it cannot provision what to install, naming its platform', () => {
    const decision = decideNodeProvisioning({ ...base, running: '20.20.2', platform: 'darwin', arch: 'arm64' });
    expect(decision).toEqual({ action: 'unsupported', reason: expect.stringContaining('this machine is darwin-arm64: install Node 22 or newer') });
  });

  it('refuses a pinned build older than engines', () => {
    expect(() => decideNodeProvisioning({ ...base, running: '20.20.2', pinned: '20.20.2' })).toThrow(
      "the pinned Node 20.20.2 (contracts/node-runtime.ts) is older than package.json's engines (>=22)",
    );
  });
});

describe('provisionNode', () => {
  const scratch: string[] = [];
  afterAll(() => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  /** A repository root whose .tools/node-runtime already holds the checked archive, so nothing is downloaded. */
  function rootWithArchive(): string {
    const root = mkdtempSync(path.join(tmpdir(), 'provision-node-'));
    scratch.push(root);
    mkdirSync(path.join(root, NODE_RUNTIME_ARCHIVE_DIR), { recursive: true });
    symlinkSync(NODE_RUNTIME_ARCHIVE_PATH, path.join(root, NODE_RUNTIME_ARCHIVE_DIR, NODE_RUNTIME_ARCHIVE_NAME));
    return root;
  }
  const versionOf = (node: string) => spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();

  it('unpacks the pinned node into .tools/node/bin, and keeps it on the next run', async () => {
    const root = rootWithArchive();

    const binDir = await provisionNode(root);

    expect(binDir).toBe(path.join(root, PROVISIONED_NODE_DIR, 'bin'));
    expect(versionOf(path.join(binDir, 'node'))).toBe(`v${NODE_RUNTIME.version}`);
    const unpackedAt = statSync(path.join(binDir, 'node')).ino;
    await provisionNode(root);
    expect(statSync(path.join(binDir, 'node')).ino).toBe(unpackedAt);
  });

  it('replaces a node of another version', async () => {
    const root = rootWithArchive();
    const stale = path.join(root, PROVISIONED_NODE_DIR, 'bin', 'node');
    mkdirSync(path.dirname(stale), { recursive: true });
    writeFileSync(stale, '#!/bin/sh\necho v20.20.2\n', { mode: 0o755 });

    await provisionNode(root);

    expect(versionOf(stale)).toBe(`v${NODE_RUNTIME.version}`);
  });
});
