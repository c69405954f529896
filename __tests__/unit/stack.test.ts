import { NODE_RUNTIME_KEY, OrchestratorEnv, WORKER_CODE_KEY } from '../../contracts';
import { UBUNTU_2404_AMI_PARAMETER } from '../../config/settings';
import { onlyResource, refTo, removeSynthesizedStacks, resourcesOf, statementsOf, synthStack, type TerraformJson } from '../support/synth';

// Needs the built bundles (npm test builds first): the stack packages dist/orchestrator and dist/worker.
const defaults = synthStack();
const json = defaults.json;

const byName = (name: string) => (config: Record<string, unknown>) => config.name === name;
const lambdaEnvironment = (stack: TerraformJson) =>
  (onlyResource(stack, 'aws_lambda_function').config.environment as { variables: Record<string, string> }).variables;
const subnetId = (zone: string, stack: TerraformJson = json) => refTo(stack, 'aws_subnet', 'id', (subnet) => subnet.availability_zone_id === zone);
const rolePolicy = (stack: TerraformJson, roleName: string) =>
  statementsOf(
    onlyResource(stack, 'aws_iam_role_policy', (config) => config.role === refTo(stack, 'aws_iam_role', 'id', byName(roleName))).config.policy,
  );

afterAll(removeSynthesizedStacks);

describe('PipelineStack', () => {
  it('configures the provider for the region with default tags on every resource', () => {
    expect(json.provider.aws).toEqual([
      { region: 'us-east-1', default_tags: [{ tags: { project: 'rag-pipeline', environment: 'dev', 'managed-by': 'cdktf' } }] },
    ]);
  });

  it('needs no AWS lookup at plan time: its only data source is the partition', () => {
    expect(Object.keys(json.data ?? {})).toEqual(['aws_partition']);
  });

  it('keeps state in a local file by default', () => {
    expect(json.terraform.backend).toEqual({ local: { path: `${defaults.outdir}/terraform.tfstate` } });
  });

  it('keeps state in S3 with S3-native locking when a state bucket is configured', () => {
    const remote = synthStack({ PIPELINE_STATE_BUCKET: 'team-state', PIPELINE_STATE_REGION: 'eu-west-1' }).json;

    expect(remote.terraform.backend).toEqual({
      s3: { bucket: 'team-state', key: 'rag-pipeline-dev/terraform.tfstate', region: 'eu-west-1', encrypt: true, use_lockfile: true },
    });
  });

  it('gives the orchestrator every OrchestratorEnv variable, wired to the resources', () => {
    const environment = lambdaEnvironment(json);
    const workQueue = byName('rag-pipeline-dev-work');

    expect(Object.keys(environment).sort()).toEqual([...Object.values(OrchestratorEnv), 'NODE_OPTIONS'].sort());
    expect(environment).toEqual({
      SQS_QUEUE_URL: refTo(json, 'aws_sqs_queue', 'url', workQueue),
      DYNAMODB_TABLE_NAME: refTo(json, 'aws_dynamodb_table', 'name'),
      EC2_TAG_KEY: 'Role',
      EC2_TAG_VALUE: 'rag-worker',
      EC2_AMI_ID: `resolve:ssm:${UBUNTU_2404_AMI_PARAMETER}`,
      EC2_INSTANCE_TYPE: 't3.micro',
      EC2_FALLBACK_INSTANCE_TYPES: '',
      EC2_AUTOTERMINATE_MINUTES: '5',
      EC2_SUBNET_ID: subnetId('use1-az1'),
      EC2_FALLBACK_SUBNET_IDS: `${subnetId('use1-az2')},${subnetId('use1-az4')}`,
      EC2_SECURITY_GROUP_ID: refTo(json, 'aws_security_group', 'id'),
      S3_BUCKET_NAME: refTo(json, 'aws_s3_bucket', 'bucket'),
      EC2_KEY_NAME: '',
      EC2_INSTANCE_PROFILE_NAME: refTo(json, 'aws_iam_instance_profile', 'name'),
      MAX_WORKERS: '1',
      MESSAGES_PER_WORKER: '10',
      EC2_WORKER_NAME: 'rag-pipeline-dev-worker',
      EC2_WORKER_TAGS: JSON.stringify({ project: 'rag-pipeline', environment: 'dev', 'managed-by': 'cdktf' }),
      WORKER_CODE_S3_KEY: WORKER_CODE_KEY,
      WORKER_CONCURRENCY: '10',
      SQS_VISIBILITY_TIMEOUT_SECONDS: '300',
      SQS_MAX_RECEIVE_COUNT: '5',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('carries settings into the environment and adds the key pair and SSH rule when asked', () => {
    const custom = synthStack({
      PIPELINE_SSH_CIDR: '203.0.113.7/32',
      PIPELINE_SSH_PUBLIC_KEY: 'ssh-ed25519 AAAAexample',
      PIPELINE_AMI_ID: 'ami-0123456789abcdef0',
      PIPELINE_AUTOTERMINATE_MINUTES: '2.5',
      PIPELINE_MAX_WORKERS: '3',
      PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS: '600',
      PIPELINE_MAX_RECEIVE_COUNT: '3',
      PIPELINE_AVAILABILITY_ZONE_IDS: 'use1-az6,use1-az5',
      PIPELINE_FALLBACK_INSTANCE_TYPES: 't3a.micro,m5.large',
    }).json;

    expect(lambdaEnvironment(custom)).toMatchObject({
      EC2_KEY_NAME: refTo(custom, 'aws_key_pair', 'key_name'),
      EC2_AMI_ID: 'ami-0123456789abcdef0',
      EC2_AUTOTERMINATE_MINUTES: '2.5',
      MAX_WORKERS: '3',
      SQS_VISIBILITY_TIMEOUT_SECONDS: '600',
      SQS_MAX_RECEIVE_COUNT: '3',
      EC2_SUBNET_ID: subnetId('use1-az6', custom),
      EC2_FALLBACK_SUBNET_IDS: subnetId('use1-az5', custom),
      EC2_FALLBACK_INSTANCE_TYPES: 't3a.micro,m5.large',
    });
    expect(onlyResource(custom, 'aws_sqs_queue', byName('rag-pipeline-dev-work')).config.visibility_timeout_seconds).toBe(600);
    expect(onlyResource(custom, 'aws_vpc_security_group_ingress_rule').config).toMatchObject({ cidr_ipv4: '203.0.113.7/32', from_port: 22 });
  });

  it('pipes the table stream into the work queue with the pipe role scoped to exactly those', () => {
    const streamArn = refTo(json, 'aws_dynamodb_table', 'stream_arn');
    const queueArn = refTo(json, 'aws_sqs_queue', 'arn', byName('rag-pipeline-dev-work'));
    const pipeDlqArn = refTo(json, 'aws_sqs_queue', 'arn', byName('rag-pipeline-dev-pipe-dlq'));

    expect(onlyResource(json, 'aws_pipes_pipe').config).toMatchObject({ source: streamArn, target: queueArn });
    expect(rolePolicy(json, 'rag-pipeline-dev-pipe').map(({ Action, Resource }) => ({ Action, Resource }))).toEqual([
      { Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], Resource: [streamArn] },
      { Action: ['dynamodb:ListStreams'], Resource: ['*'] },
      { Action: ['sqs:SendMessage'], Resource: [queueArn] },
      { Action: ['sqs:SendMessage'], Resource: [pipeDlqArn] },
    ]);
  });

  it('lets workers consume the queue, read and update rows, and use their bucket prefixes only', () => {
    const bucketArn = refTo(json, 'aws_s3_bucket', 'arn');

    expect(rolePolicy(json, 'rag-pipeline-dev-worker').map(({ Action, Resource }) => ({ Action, Resource }))).toEqual([
      { Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'], Resource: [refTo(json, 'aws_sqs_queue', 'arn', byName('rag-pipeline-dev-work'))] },
      { Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: [refTo(json, 'aws_dynamodb_table', 'arn')] },
      { Action: ['s3:ListBucket'], Resource: [bucketArn] },
      { Action: ['s3:GetObject', 's3:GetObjectTagging'], Resource: [`${bucketArn}/data/input/*`, `${bucketArn}/${WORKER_CODE_KEY}`] },
      { Action: ['s3:GetObject'], Resource: [`${bucketArn}/${NODE_RUNTIME_KEY}`] },
      { Action: ['s3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'], Resource: [`${bucketArn}/data/output/*`] },
      { Action: ['s3:GetObject', 's3:ListMultipartUploadParts'], Resource: [`${bucketArn}/data/output/*`] },
      { Action: ['s3:PutObject'], Resource: [`${bucketArn}/logs/*`] },
      { Action: ['cloudwatch:PutMetricData'], Resource: ['*'] },
    ]);
    expect(rolePolicy(json, 'rag-pipeline-dev-worker').at(-1)?.Condition).toEqual({
      StringEquals: { 'cloudwatch:namespace': 'RagPipeline/Worker' },
    });
  });

  it('lets the orchestrator read queue attributes, launch workers in the pipeline subnet and write its logs', () => {
    const statements = rolePolicy(json, 'rag-pipeline-dev-orchestrator');

    expect(statements.map(({ Sid }) => Sid)).toEqual([
      'WorkQueueAttributes',
      'LaunchWorkerInstance',
      'LaunchIntoPipelineNetwork',
      'LaunchWithImageAndVolumes',
      'TagOnlyAtLaunch',
      'PassWorkerRoleToEc2',
      'FindRunningWorkers',
      'InspectWorkerImage',
      'ResolveWorkerAmi',
      'ListBootFailureMarkers',
      'WriteOwnLogs',
    ]);
    expect(statements.find(({ Sid }) => Sid === 'LaunchIntoPipelineNetwork')?.Resource).toEqual([
      ...['use1-az1', 'use1-az2', 'use1-az4'].map((zone) => refTo(json, 'aws_subnet', 'arn', (subnet) => subnet.availability_zone_id === zone)),
      refTo(json, 'aws_security_group', 'arn'),
    ]);
    expect(statements.find(({ Sid }) => Sid === 'PassWorkerRoleToEc2')?.Resource).toEqual([
      refTo(json, 'aws_iam_role', 'arn', byName('rag-pipeline-dev-worker')),
    ]);
    expect(statements.find(({ Sid }) => Sid === 'ResolveWorkerAmi')?.Resource).toEqual([
      `arn:\${data.aws_partition.partition.partition}:ssm:us-east-1::parameter${UBUNTU_2404_AMI_PARAMETER}`,
    ]);
    expect(statements.find(({ Sid }) => Sid === 'ListBootFailureMarkers')).toMatchObject({
      Resource: [refTo(json, 'aws_s3_bucket', 'arn')],
      Condition: { StringEquals: { 's3:prefix': 'logs/boot-failures/' } },
    });
  });

  it('grants no wildcard action in any role, and "*" resources only to actions that take no resource', () => {
    const statements = resourcesOf(json, 'aws_iam_role_policy').flatMap(([, policy]) => statementsOf(policy.policy));

    for (const { Action } of statements) {
      for (const action of Action) expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
    }
    expect(statements.filter(({ Resource }) => Resource.includes('*')).flatMap(({ Action }) => Action).sort()).toEqual([
      'cloudwatch:PutMetricData',
      'dynamodb:ListStreams',
      'ec2:DescribeImages',
      'ec2:DescribeInstances',
    ]);
  });

  it('outputs what operators and the local run read', () => {
    expect(Object.keys(json.output).sort()).toEqual([
      'ami_id', 'bucket_name', 'dashboard_name', 'dlq_url', 'instance_profile_name', 'lambda_function_name', 'lambda_log_group_name',
      'pipe_arn', 'pipe_dlq_url', 'queue_url', 'region', 'schedule_rule_name', 'security_group_id', 'subnet_id', 'subnet_ids',
      'table_name', 'table_stream_arn', 'vpc_id', 'worker_code_key', 'worker_role_arn',
    ]);
    expect(json.output.subnet_id.value).toBe(subnetId('use1-az1'));
    expect(json.output.subnet_ids.value).toEqual([subnetId('use1-az1'), subnetId('use1-az2'), subnetId('use1-az4')]);
    expect(json.output.queue_url.value).toBe(refTo(json, 'aws_sqs_queue', 'url', byName('rag-pipeline-dev-work')));
    expect(json.output.dlq_url.value).toBe(refTo(json, 'aws_sqs_queue', 'url', byName('rag-pipeline-dev-work-dlq')));
    expect(synthStack({ PIPELINE_ALARM_EMAIL: 'ops@example.com' }).json.output.alarm_topic_arn.value).toMatch(/^\$\{aws_sns_topic\./);
  });

  it('keeps its construct IDs and resource addresses stable (renaming one replaces the resource)', () => {
    const addresses = Object.entries(json.resource).flatMap(([type, resources]) => Object.keys(resources).map((id) => `${type}.${id}`));
    const assets = {
      lambda: onlyResource(json, 'aws_lambda_function').config.filename,
      worker: onlyResource(json, 'aws_s3_object', (config) => config.key === WORKER_CODE_KEY).config.source,
      nodeRuntime: onlyResource(json, 'aws_s3_object', (config) => config.key === NODE_RUNTIME_KEY).config.source,
    };
    const maskHashes = (value: unknown) => String(value).replace(/[0-9A-F]{32}/g, '<content-hash>').replace(/[0-9a-f]{128}/g, '<pinned-sha512>');

    expect({
      addresses: addresses.sort(),
      assets: { lambda: maskHashes(assets.lambda), worker: maskHashes(assets.worker), nodeRuntime: maskHashes(assets.nodeRuntime) },
    }).toMatchSnapshot();
  });
});
