import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NODE_RUNTIME, NODE_RUNTIME_ARCHIVE_DIR, NODE_RUNTIME_ARCHIVE_NAME } from '../../../contracts';
import { NODE_RUNTIME_ARCHIVE_PATH } from '../../../main';
import { fetchNodeRuntime, sha512Integrity } from '../../../scripts/fetch-node-runtime';

jest.setTimeout(60_000);

const scratch: string[] = [];
afterAll(() => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('the packed Node.js runtime', () => {
  it('is the archive the pin names: its SHA-512 is the pinned integrity, and it holds the node binary', async () => {
    expect(await sha512Integrity(NODE_RUNTIME_ARCHIVE_PATH)).toBe(NODE_RUNTIME.integrity);
    const listing = spawnSync('tar', ['-tzf', NODE_RUNTIME_ARCHIVE_PATH, 'package/bin/node'], { encoding: 'utf8' });
    expect(listing.stdout).toBe('package/bin/node\n');
  });

  it('replaces an archive that does not match the pin with the real one from npm', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'node-runtime-'));
    scratch.push(root);
    const archive = path.join(root, NODE_RUNTIME_ARCHIVE_DIR, NODE_RUNTIME_ARCHIVE_NAME);
    mkdirSync(path.dirname(archive), { recursive: true });
    writeFileSync(archive, 'tampered');

    expect(await fetchNodeRuntime(root)).toBe(archive);

    expect(await sha512Integrity(archive)).toBe(NODE_RUNTIME.integrity);
    expect(statSync(archive).size).toBe(statSync(NODE_RUNTIME_ARCHIVE_PATH).size);
  });
});
