import { WORKER_CODE_KEY } from '../../../contracts';
import { DEFAULT_BOOT_BACKOFF } from '../../../functions/orchestrator/boot-backoff';
import { DEFAULT_LAUNCH_BUDGET, loadConfig } from '../../../functions/orchestrator/config';
import { ConfigError } from '../../../runtime/env';

const validEnv: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'rag-pipeline-dev-orchestrator',
  SQS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/rag-pipeline-dev-work',
  DYNAMODB_TABLE_NAME: 'rag-pipeline-dev-items',
  EC2_TAG_KEY: 'Role',
  EC2_TAG_VALUE: 'rag-worker',
  EC2_AMI_ID: 'resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id',
  EC2_INSTANCE_TYPE: 't3.micro',
  EC2_FALLBACK_INSTANCE_TYPES: 't3a.micro, t2.micro',
  EC2_AUTOTERMINATE_MINUTES: '2.5',
  EC2_SUBNET_ID: 'subnet-0abc1234',
  EC2_FALLBACK_SUBNET_IDS: 'subnet-0def5678,subnet-0aaa9999',
  S3_BUCKET_NAME: 'rag-pipeline-dev-20260101abcdef',
  EC2_LAUNCH_TEMPLATE_ID: 'lt-0abc1234def567890',
  EC2_LAUNCH_TEMPLATE_VERSION: '3',
  EC2_PURCHASE_OPTION: 'spot-then-on-demand',
  EC2_ROOT_VOLUME_GIB: '100',
  EC2_ON_DEMAND_AFTER_INTERRUPTION: 'true',
  WORKER_INTERRUPTION_RETRIES: '2',
  MAX_WORKERS: '3',
  MESSAGES_PER_WORKER: '20',
  EC2_WORKER_NAME: 'rag-pipeline-dev-worker',
  EC2_WORKER_TAGS: '{"project":"rag-pipeline","environment":"dev","managed-by":"cdktf"}',
  WORKER_CODE_S3_KEY: 'worker/worker.js',
  WORKER_CONCURRENCY: '4',
  SQS_VISIBILITY_TIMEOUT_SECONDS: '300',
  SQS_MAX_RECEIVE_COUNT: '5',
  WORKER_PROCESSOR_CATALOG_KEY: 'worker/processors.json',
  WORKER_SETUP_S3_KEY: 'worker/setup',
  WORKER_SETUP_TIMEOUT_SECONDS: '900',
};

function errorOf(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig', () => {
  it('reads every variable of a complete environment', () => {
    expect(loadConfig(validEnv)).toEqual({
      region: 'us-east-1',
      functionName: 'rag-pipeline-dev-orchestrator',
      queueUrl: validEnv.SQS_QUEUE_URL,
      tableName: 'rag-pipeline-dev-items',
      bucketName: 'rag-pipeline-dev-20260101abcdef',
      workerTag: { key: 'Role', value: 'rag-worker' },
      workerName: 'rag-pipeline-dev-worker',
      workerTags: { project: 'rag-pipeline', environment: 'dev', 'managed-by': 'cdktf' },
      imageId: validEnv.EC2_AMI_ID,
      instanceType: 't3.micro',
      fallbackInstanceTypes: ['t3a.micro', 't2.micro'],
      subnetId: 'subnet-0abc1234',
      fallbackSubnetIds: ['subnet-0def5678', 'subnet-0aaa9999'],
      launchTemplate: { id: 'lt-0abc1234def567890', version: '3' },
      purchaseOption: 'spot-then-on-demand',
      rootVolumeGib: 100,
      onDemandAfterInterruption: true,
      interruptionRetries: 2,
      maxWorkers: 3,
      messagesPerWorker: 20,
      autoterminateMinutes: 2.5,
      workerConcurrency: 4,
      visibilityTimeoutSeconds: 300,
      maxReceiveCount: 5,
      workerCodeKey: 'worker/worker.js',
      processorCatalogKey: 'worker/processors.json',
      workerSetup: { key: 'worker/setup', timeoutSeconds: 900 },
      bootBackoff: DEFAULT_BOOT_BACKOFF,
      launchBudget: DEFAULT_LAUNCH_BUDGET,
    });
  });

  it('applies the documented defaults to the optional variables', () => {
    const minimal = { ...validEnv };
    for (const name of [
      'EC2_PURCHASE_OPTION',
      'EC2_ROOT_VOLUME_GIB',
      'EC2_ON_DEMAND_AFTER_INTERRUPTION',
      'WORKER_INTERRUPTION_RETRIES',
      'MAX_WORKERS',
      'MESSAGES_PER_WORKER',
      'EC2_WORKER_NAME',
      'EC2_WORKER_TAGS',
      'WORKER_CODE_S3_KEY',
      'WORKER_CONCURRENCY',
      'SQS_VISIBILITY_TIMEOUT_SECONDS',
      'SQS_MAX_RECEIVE_COUNT',
      'WORKER_PROCESSOR_CATALOG_KEY',
      'WORKER_SETUP_S3_KEY',
      'WORKER_SETUP_TIMEOUT_SECONDS',
      'EC2_AUTOTERMINATE_MINUTES',
      'EC2_FALLBACK_INSTANCE_TYPES',
      'EC2_FALLBACK_SUBNET_IDS',
    ]) {
      delete minimal[name];
    }
    expect(loadConfig(minimal)).toMatchObject({
      purchaseOption: 'on-demand',
      rootVolumeGib: 8,
      onDemandAfterInterruption: false,
      interruptionRetries: 5,
      maxWorkers: 1,
      messagesPerWorker: 10,
      workerName: 'rag-worker',
      workerTags: {},
      workerCodeKey: WORKER_CODE_KEY,
      processorCatalogKey: undefined,
      workerSetup: undefined,
      workerConcurrency: undefined,
      visibilityTimeoutSeconds: undefined,
      maxReceiveCount: undefined,
      autoterminateMinutes: 5,
      fallbackInstanceTypes: [],
      fallbackSubnetIds: [],
    });
  });

  it('refuses a setup script key without its timeout, and the reverse', () => {
    expect(errorOf({ ...validEnv, WORKER_SETUP_TIMEOUT_SECONDS: undefined })).toBe('WORKER_SETUP_TIMEOUT_SECONDS must be set with WORKER_SETUP_S3_KEY, got ""');
    expect(errorOf({ ...validEnv, WORKER_SETUP_S3_KEY: undefined })).toBe('WORKER_SETUP_S3_KEY must be set with WORKER_SETUP_TIMEOUT_SECONDS, got ""');
    expect(errorOf({ ...validEnv, WORKER_SETUP_TIMEOUT_SECONDS: '0' })).toContain('WORKER_SETUP_TIMEOUT_SECONDS must be an integer from 1 to 3600, got "0"');
  });

  it('accepts a pinned AMI ID', () => {
    expect(loadConfig({ ...validEnv, EC2_AMI_ID: 'ami-0123456789abcdef0' }).imageId).toBe('ami-0123456789abcdef0');
  });

  it.each([
    { case: 'a missing queue URL', name: 'SQS_QUEUE_URL', value: undefined, message: 'SQS_QUEUE_URL must be set' },
    { case: 'a blank subnet', name: 'EC2_SUBNET_ID', value: '  ', message: 'EC2_SUBNET_ID must be set' },
    { case: 'a missing region', name: 'AWS_REGION', value: undefined, message: 'AWS_REGION must be set' },
    {
      case: 'a non-numeric idle time',
      name: 'EC2_AUTOTERMINATE_MINUTES',
      value: 'abc',
      message: 'EC2_AUTOTERMINATE_MINUTES must be a positive number no greater than 1440, got "abc"',
    },
    {
      case: 'a zero idle time',
      name: 'EC2_AUTOTERMINATE_MINUTES',
      value: '0',
      message: 'EC2_AUTOTERMINATE_MINUTES must be a positive number no greater than 1440, got "0"',
    },
    { case: 'a zero cap', name: 'MAX_WORKERS', value: '0', message: 'MAX_WORKERS must be an integer from 1 to 100, got "0"' },
    {
      case: 'a receive count of 0',
      name: 'SQS_MAX_RECEIVE_COUNT',
      value: '0',
      message: 'SQS_MAX_RECEIVE_COUNT must be an integer from 1 to 1000, got "0"',
    },
    { case: 'a fractional cap', name: 'MAX_WORKERS', value: '1.5', message: 'MAX_WORKERS must be an integer from 1 to 100, got "1.5"' },
    {
      case: 'a negative share per worker',
      name: 'MESSAGES_PER_WORKER',
      value: '-10',
      message: 'MESSAGES_PER_WORKER must be an integer from 1 to 10000, got "-10"',
    },
    {
      case: 'an AMI that is neither an ID nor an SSM reference',
      name: 'EC2_AMI_ID',
      value: 'ubuntu-24.04',
      message: 'EC2_AMI_ID must be an AMI ID (ami-…) or resolve:ssm:<parameter>, got "ubuntu-24.04"',
    },
    {
      case: 'a launch template name instead of an ID',
      name: 'EC2_LAUNCH_TEMPLATE_ID',
      value: 'rag-pipeline-dev-worker',
      message: 'EC2_LAUNCH_TEMPLATE_ID must be a launch template ID (lt-…), got "rag-pipeline-dev-worker"',
    },
    {
      case: 'a launch template version that is not a number',
      name: 'EC2_LAUNCH_TEMPLATE_VERSION',
      value: '$Latest',
      message: 'EC2_LAUNCH_TEMPLATE_VERSION must be a launch template version number, got "$Latest"',
    },
    {
      case: 'an unknown purchase option',
      name: 'EC2_PURCHASE_OPTION',
      value: 'reserved',
      message: 'EC2_PURCHASE_OPTION must be one of on-demand, spot, spot-then-on-demand, got "reserved"',
    },
    {
      case: 'a root volume below the image',
      name: 'EC2_ROOT_VOLUME_GIB',
      value: '4',
      message: 'EC2_ROOT_VOLUME_GIB must be an integer from 8 to 16384, got "4"',
    },
    {
      case: 'a bucket name with dots',
      name: 'S3_BUCKET_NAME',
      value: 'my.bucket',
      message: 'S3_BUCKET_NAME must be an S3 bucket name without dots, got "my.bucket"',
    },
    {
      case: 'tags that are not JSON',
      name: 'EC2_WORKER_TAGS',
      value: 'project=rag',
      message: 'EC2_WORKER_TAGS must be a JSON object of at most 45 string tags, without "Name", "Role", "rag-worker-slot", "rag-worker-launch" or "rag-worker-purchase", got "project=rag"',
    },
    {
      case: 'tags with a number value',
      name: 'EC2_WORKER_TAGS',
      value: '{"cost-center":42}',
      message: 'EC2_WORKER_TAGS must be a JSON object of at most 45 string tags, without "Name", "Role", "rag-worker-slot", "rag-worker-launch" or "rag-worker-purchase", got "{"cost-center":42}"',
    },
    {
      case: 'tags that redefine the worker tag',
      name: 'EC2_WORKER_TAGS',
      value: '{"Role":"other"}',
      message: 'EC2_WORKER_TAGS must be a JSON object of at most 45 string tags, without "Name", "Role", "rag-worker-slot", "rag-worker-launch" or "rag-worker-purchase", got "{"Role":"other"}"',
    },
    {
      case: 'tags that redefine Name',
      name: 'EC2_WORKER_TAGS',
      value: '{"Name":"x"}',
      message: 'EC2_WORKER_TAGS must be a JSON object of at most 45 string tags, without "Name", "Role", "rag-worker-slot", "rag-worker-launch" or "rag-worker-purchase", got "{"Name":"x"}"',
    },
    {
      case: 'tags that redefine the slot tag',
      name: 'EC2_WORKER_TAGS',
      value: '{"rag-worker-slot":"0"}',
      message: 'EC2_WORKER_TAGS must be a JSON object of at most 45 string tags, without "Name", "Role", "rag-worker-slot", "rag-worker-launch" or "rag-worker-purchase", got "{"rag-worker-slot":"0"}"',
    },
    { case: 'a missing function name', name: 'AWS_LAMBDA_FUNCTION_NAME', value: undefined, message: 'AWS_LAMBDA_FUNCTION_NAME must be set' },
    {
      case: 'a fallback subnet that is not a subnet ID',
      name: 'EC2_FALLBACK_SUBNET_IDS',
      value: 'subnet-0def5678,us-east-1b',
      message:
        'EC2_FALLBACK_SUBNET_IDS must be a comma-separated list of at most 5 subnet IDs (subnet-…), without EC2_SUBNET_ID or repeats, got "subnet-0def5678,us-east-1b"',
    },
    {
      case: 'the preferred subnet among the fallbacks',
      name: 'EC2_FALLBACK_SUBNET_IDS',
      value: 'subnet-0abc1234',
      message: 'EC2_FALLBACK_SUBNET_IDS must be a comma-separated list of at most 5 subnet IDs (subnet-…), without EC2_SUBNET_ID or repeats, got "subnet-0abc1234"',
    },
    {
      case: 'a repeated fallback subnet',
      name: 'EC2_FALLBACK_SUBNET_IDS',
      value: 'subnet-0def5678, subnet-0def5678',
      message:
        'EC2_FALLBACK_SUBNET_IDS must be a comma-separated list of at most 5 subnet IDs (subnet-…), without EC2_SUBNET_ID or repeats, got "subnet-0def5678, subnet-0def5678"',
    },
    {
      case: 'six fallback subnets',
      name: 'EC2_FALLBACK_SUBNET_IDS',
      value: 'subnet-1,subnet-2,subnet-3,subnet-4,subnet-5,subnet-6',
      message:
        'EC2_FALLBACK_SUBNET_IDS must be a comma-separated list of at most 5 subnet IDs (subnet-…), without EC2_SUBNET_ID or repeats, got "subnet-1,subnet-2,subnet-3,subnet-4,subnet-5,subnet-6"',
    },
    {
      case: 'an empty entry among the fallback types',
      name: 'EC2_FALLBACK_INSTANCE_TYPES',
      value: 't3a.micro,,t2.micro',
      message: 'EC2_FALLBACK_INSTANCE_TYPES must be a comma-separated list of at most 19 instance types, without EC2_INSTANCE_TYPE or repeats, got "t3a.micro,,t2.micro"',
    },
    {
      case: 'the configured type among the fallback types',
      name: 'EC2_FALLBACK_INSTANCE_TYPES',
      value: 't3a.micro,t3.micro',
      message: 'EC2_FALLBACK_INSTANCE_TYPES must be a comma-separated list of at most 19 instance types, without EC2_INSTANCE_TYPE or repeats, got "t3a.micro,t3.micro"',
    },
    {
      case: 'a worker code key that would need URL encoding',
      name: 'WORKER_CODE_S3_KEY',
      value: 'worker code/worker.js',
      message: `WORKER_CODE_S3_KEY must be an S3 key of letters, digits and !_.*'()/-, got "worker code/worker.js"`,
    },
  ])('rejects $case, naming the variable and the value', ({ name, value, message }) => {
    expect(errorOf({ ...validEnv, [name]: value })).toBe(message);
  });

  it('reports every problem at once', () => {
    const message = errorOf({ ...validEnv, SQS_QUEUE_URL: undefined, MAX_WORKERS: 'many', EC2_SUBNET_ID: 'vpc-1', EC2_FALLBACK_INSTANCE_TYPES: 'big' });
    expect(message.split('; ')).toEqual([
      'SQS_QUEUE_URL must be set',
      'EC2_SUBNET_ID must be a subnet ID (subnet-…), got "vpc-1"',
      'MAX_WORKERS must be an integer from 1 to 100, got "many"',
      'EC2_FALLBACK_INSTANCE_TYPES must be a comma-separated list of at most 19 instance types, without EC2_INSTANCE_TYPE or repeats, got "big"',
    ]);
  });
});
