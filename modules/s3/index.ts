import { existsSync } from 'node:fs';
import { Construct } from 'constructs';
import { TerraformAsset, AssetType, type ITerraformDependable } from 'cdktf';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketNotification } from '@cdktf/provider-aws/lib/s3-bucket-notification';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import {
  BOOT_FAILURES_PREFIX,
  INTERRUPTIONS_PREFIX,
  INPUT_PREFIX,
  LOGS_PREFIX,
  NODE_RUNTIME,
  NODE_RUNTIME_KEY,
  nodeRuntimeSha512Hex,
  OUTPUT_PREFIX,
  PROCESSOR_CATALOG_KEY,
  ProcessorType,
  WORKER_CODE_KEY,
  WORKER_SETUP_KEY,
  type ProcessorCatalog,
} from '../../contracts';
import { isCopyOnly } from '../../runtime/processors/catalog';
import { skipCheckov } from '../shared/checkov';
import { policyDocument, type PolicyStatement } from '../shared/iam';

/** Versioning keeps an overwritten or deleted input recoverable; the emulator's resource builder applies it too. */
export const BUCKET_VERSIONING_STATUS = 'Enabled';

export interface PipelineBucketProps {
  /** Stem of resource names, e.g. `rag-pipeline-dev`; the bucket name gets a unique suffix. */
  readonly baseName: string;
  /** Path of the built worker bundle (`dist/worker/worker.js`); it must exist at synth. */
  readonly workerBundlePath: string;
  /**
   * Path of the packed Node.js runtime the workers boot with: the archive contracts/node-runtime.ts pins
   * (`npm run build` puts it in `.tools/node-runtime/`); it must exist at synth.
   */
  readonly nodeRuntimeArchivePath: string;
  /** @default 30 — days before worker logs under `logs/` expire */
  readonly workerLogExpirationDays?: number;
  /**
   * @default 30 — days an overwritten or deleted object's old version is kept (every rerun that rewrites
   * `data/output/…` and every worker-bundle upload leaves one)
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * @default false — `cdktf destroy` deletes the bucket with its objects; true keeps a non-empty bucket
   * (destroy then fails until it is emptied by hand)
   */
  readonly retainObjects?: boolean;
  /**
   * @default only `copy` — the deployment's processors (config/processors.ts). Unless they are `copy` alone, they
   * are uploaded as JSON under PROCESSOR_CATALOG_KEY, where workers read them at start; the JSON is the object's
   * content, so a processor change reads as such in `cdktf diff`.
   */
  readonly processorCatalog?: ProcessorCatalog;
  /**
   * @default undefined — no setup script. Path of the deployment's worker setup script (config/worker-setup.ts):
   * uploaded under WORKER_SETUP_KEY with a hash of its content, so an edit shows in `cdktf diff`; the workers
   * may read it.
   */
  readonly workerSetupScriptPath?: string;
}

/** Incomplete multipart copies (a worker killed mid-copy) are cleaned up after this many days. */
const ABORT_INCOMPLETE_UPLOADS_DAYS = 7;

/**
 * The pipeline bucket: inputs under `data/input/`, outputs under `data/output/`, worker logs under `logs/`,
 * the worker bundle and the Node.js runtime the workers boot with. Versioned, encrypted with S3-managed keys,
 * closed to the public, owner-enforced (no ACLs), TLS-only; worker logs expire, and so do old versions and
 * the delete markers they leave; its object events go to EventBridge. The worker bundle is uploaded with a hash of its content, so a code change
 * shows in `cdktf diff` and replaces the object.
 */
export class PipelineBucket extends Construct {
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly workerCodeKey: string = WORKER_CODE_KEY;
  /** The processor catalog's key; undefined when only `copy` is configured (no catalog is uploaded). */
  readonly processorCatalogKey: string | undefined;
  /** The worker setup script's key; undefined when none is configured. */
  readonly workerSetupKey: string | undefined;
  /** True when a `command` processor is configured: its workers list and delete their own earlier outputs. */
  private readonly commandProcessors: boolean;

  constructor(scope: Construct, id: string, props: PipelineBucketProps) {
    super(scope, id);
    const logExpirationDays = props.workerLogExpirationDays ?? 30;
    if (!Number.isInteger(logExpirationDays) || logExpirationDays < 1) {
      throw new Error(`workerLogExpirationDays must be a positive integer, got ${logExpirationDays}`);
    }
    const noncurrentDays = props.noncurrentVersionExpirationDays ?? 30;
    if (!Number.isInteger(noncurrentDays) || noncurrentDays < 1) {
      throw new Error(`noncurrentVersionExpirationDays must be a positive integer, got ${noncurrentDays}`);
    }

    const bucket = new S3Bucket(this, 'bucket', {
      bucketPrefix: `${props.baseName}-`,
      forceDestroy: !(props.retainObjects ?? false),
    });
    skipCheckov(
      bucket,
      {
        id: 'CKV_AWS_18',
        comment: 'Access logging needs a second bucket; every copy is recorded on its DynamoDB row (worker_instance_id) and in the worker logs under logs/.',
      },
      {
        id: 'CKV_AWS_144',
        comment: 'Cross-region replication doubles storage cost; outputs can be recreated from inputs, which their owners back up as they see fit.',
      },
      {
        id: 'CKV_AWS_145',
        comment: 'SSE-S3 (AES-256) encrypts every object with no key to manage; SSE-KMS would add request costs and a key grant for every reader.',
      },
    );
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;

    // Every object event goes to the account's default event bus, for users who key on objects (an output
    // created under data/output/, docs/events.md). EventBridge, unlike SNS or SQS notifications, needs no
    // destination policy, and rules pick the prefix.
    new S3BucketNotification(this, 'notifications', { bucket: bucket.id, eventbridge: true });

    const versioning = new S3BucketVersioningA(this, 'versioning', {
      bucket: bucket.id,
      versioningConfiguration: { status: BUCKET_VERSIONING_STATUS },
    });
    const encryption = new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket: bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    // Rules overlap (the last one covers logs/ too): where two set the same kind of expiration, S3 applies
    // the shorter, so old versions of logs still go after a day.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-conflicts.html
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: bucket.id,
      rule: [
        {
          id: 'expire-worker-logs',
          status: 'Enabled',
          filter: [{ prefix: LOGS_PREFIX }],
          expiration: [{ days: logExpirationDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 1 }],
        },
        {
          id: 'abort-incomplete-multipart-uploads',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: ABORT_INCOMPLETE_UPLOADS_DAYS }],
        },
        {
          id: 'expire-noncurrent-versions',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          noncurrentVersionExpiration: [{ noncurrentDays }],
          // A delete marker whose older versions have all expired serves no one; S3 forbids combining this
          // with days in the same expiration, so this rule has no other expiration.
          expiration: [{ expiredObjectDeleteMarker: true }],
        },
      ],
    });

    const bundle = new TerraformAsset(this, 'worker-bundle', { path: props.workerBundlePath, type: AssetType.FILE });
    const workerCode = new S3Object(this, 'worker-code', {
      bucket: bucket.id,
      key: WORKER_CODE_KEY,
      source: bundle.path,
      sourceHash: bundle.assetHash,
      contentType: 'application/javascript',
      // Uploaded into the finished bucket: versioned from its first version, under the bucket's encryption.
      dependsOn: [versioning, encryption],
    });

    const nodeRuntime = this.uploadNodeRuntime(bucket.id, props.nodeRuntimeArchivePath, [versioning, encryption]);
    const catalog = props.processorCatalog;
    this.commandProcessors = Object.values(catalog?.processors ?? {}).some((spec) => spec.type === ProcessorType.command);
    const uploads: ITerraformDependable[] = [workerCode, nodeRuntime];
    if (props.workerSetupScriptPath !== undefined) {
      const script = new TerraformAsset(this, 'worker-setup-script', { path: props.workerSetupScriptPath, type: AssetType.FILE });
      uploads.push(
        new S3Object(this, 'worker-setup', {
          bucket: bucket.id,
          key: WORKER_SETUP_KEY,
          source: script.path,
          sourceHash: script.assetHash,
          contentType: 'text/x-shellscript',
          dependsOn: [versioning, encryption],
        }),
      );
    }
    this.workerSetupKey = props.workerSetupScriptPath === undefined ? undefined : WORKER_SETUP_KEY;
    if (catalog !== undefined && !isCopyOnly(catalog)) {
      uploads.push(
        new S3Object(this, 'processor-catalog', {
          bucket: bucket.id,
          key: PROCESSOR_CATALOG_KEY,
          content: `${JSON.stringify(catalog, null, 2)}\n`,
          contentType: 'application/json',
          dependsOn: [versioning, encryption],
        }),
      );
      this.processorCatalogKey = PROCESSOR_CATALOG_KEY;
    }

    new S3BucketPolicy(this, 'policy', {
      bucket: bucket.id,
      policy: policyDocument([
        {
          sid: 'DenyInsecureTransport',
          effect: 'Deny',
          principal: '*',
          actions: ['s3:*'],
          resources: [bucket.arn, `${bucket.arn}/*`],
          conditions: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ]),
      // After the public access block, which S3 wants in place first; and after the uploaded objects: the
      // local emulator (moto) treats this conditional Deny as unconditional, so any upload after it would
      // be refused there. AWS itself is indifferent to the order.
      dependsOn: [publicAccess, ...uploads],
    });
  }

  /**
   * The runtime archive, tens of MB, as an object whose hash is the pinned integrity. The asset is given
   * that hash, so a synth copies the archive into the stack directory (the `source` then resolves from there,
   * on any machine and after `cdktf synth --hcl`) but never reads it to hash it.
   */
  private uploadNodeRuntime(bucketId: string, archivePath: string, dependsOn: ITerraformDependable[]): S3Object {
    if (!existsSync(archivePath)) {
      throw new Error(`nodeRuntimeArchivePath ${archivePath} does not exist: "npm run build" packs the pinned Node.js runtime there`);
    }
    const archive = new TerraformAsset(this, 'node-runtime-archive', {
      path: archivePath,
      type: AssetType.FILE,
      assetHash: nodeRuntimeSha512Hex(),
    });
    return new S3Object(this, 'node-runtime', {
      bucket: bucketId,
      key: NODE_RUNTIME_KEY,
      source: archive.path,
      sourceHash: NODE_RUNTIME.integrity,
      contentType: 'application/gzip',
      dependsOn,
    });
  }

  /**
   * What a worker needs: read inputs, its own code and its Node.js runtime, write outputs and logs. Listing is limited to the
   * input prefix so a missing input reads as "not found" rather than "access denied". Tagging actions
   * let CopyObject carry an input's tags to its output.
   */
  workerStatements(): PolicyStatement[] {
    return [
      {
        sid: 'BucketListInputs',
        actions: ['s3:ListBucket'],
        resources: [this.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${INPUT_PREFIX}*`] } },
      },
      {
        sid: 'BucketReadInputsAndCode',
        actions: ['s3:GetObject', 's3:GetObjectTagging'],
        resources: [`${this.bucketArn}/${INPUT_PREFIX}*`, `${this.bucketArn}/${WORKER_CODE_KEY}`],
      },
      {
        sid: 'BucketReadNodeRuntime',
        actions: ['s3:GetObject'],
        resources: [`${this.bucketArn}/${NODE_RUNTIME_KEY}`],
      },
      ...(this.processorCatalogKey === undefined
        ? []
        : [{ sid: 'BucketReadProcessorCatalog', actions: ['s3:GetObject'], resources: [`${this.bucketArn}/${this.processorCatalogKey}`] }]),
      ...(this.workerSetupKey === undefined
        ? []
        : [{ sid: 'BucketReadWorkerSetup', actions: ['s3:GetObject'], resources: [`${this.bucketArn}/${this.workerSetupKey}`] }]),
      {
        sid: 'BucketWriteOutputs',
        actions: ['s3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'],
        resources: [`${this.bucketArn}/${OUTPUT_PREFIX}*`],
      },
      {
        // After NoSuchUpload on Complete the worker checks whether its copy landed (HeadObject), and after an
        // abort it lists the parts left behind: both only ever on its own outputs.
        sid: 'BucketVerifyOutputs',
        actions: ['s3:GetObject', 's3:ListMultipartUploadParts'],
        resources: [`${this.bucketArn}/${OUTPUT_PREFIX}*`],
      },
      ...(this.commandProcessors ? this.commandOutputStatements() : []),
      {
        sid: 'BucketWriteLogs',
        actions: ['s3:PutObject'],
        resources: [`${this.bucketArn}/${LOGS_PREFIX}*`],
      },
    ];
  }

  /**
   * A command processor's rerun replaces a row's outputs: after uploading, it lists the row's output prefix and
   * deletes what an earlier run left there (worker/processors/command/publish.ts). Both only under the outputs.
   */
  private commandOutputStatements(): PolicyStatement[] {
    return [
      {
        sid: 'BucketListOutputs',
        actions: ['s3:ListBucket'],
        resources: [this.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${OUTPUT_PREFIX}*`] } },
      },
      {
        sid: 'BucketDeleteStaleOutputs',
        actions: ['s3:DeleteObject'],
        resources: [`${this.bucketArn}/${OUTPUT_PREFIX}*`],
      },
    ];
  }

  /**
   * What the orchestrator needs to decide its launches from the workers' markers, and nothing else: list the
   * boot-failure markers (to back off from failing boots) and the interruption markers (to launch on-demand after
   * a Spot interruption). It reads only their keys (time and instance ID), never their content, and always lists
   * with exactly one of these prefixes.
   */
  launchMarkerListStatement(): PolicyStatement {
    return {
      sid: 'ListLaunchMarkers',
      actions: ['s3:ListBucket'],
      resources: [this.bucketArn],
      conditions: { StringEquals: { 's3:prefix': [BOOT_FAILURES_PREFIX, INTERRUPTIONS_PREFIX] } },
    };
  }
}
