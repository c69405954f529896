import {
  ITEM_EVENT_DETAIL_TYPE,
  ITEM_EVENT_FILTER_PATTERNS,
  ITEM_EVENT_INPUT_TEMPLATE,
  ITEM_EVENT_SOURCE,
  IMAGE_PARAMETERS,
  NODE_RUNTIME_KEY,
  OrchestratorEnv,
  WORKER_CODE_KEY,
} from '../../contracts';
import {
  decodeJsonAttribute,
  EVERY_OPTIONAL_FEATURE,
  onlyResource,
  refTo,
  removeSynthesizedStacks,
  resourcesOf,
  statementsOf,
  synthStack,
  type TerraformJson,
} from '../support/synth';

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
      EC2_AMI_ID: `resolve:ssm:${IMAGE_PARAMETERS.ubuntu}`,
      EC2_INSTANCE_TYPE: 't3.micro',
      EC2_FALLBACK_INSTANCE_TYPES: '',
      EC2_AUTOTERMINATE_MINUTES: '5',
      EC2_SUBNET_ID: subnetId('use1-az1'),
      EC2_FALLBACK_SUBNET_IDS: `${subnetId('use1-az2')},${subnetId('use1-az4')}`,
      S3_BUCKET_NAME: refTo(json, 'aws_s3_bucket', 'bucket'),
      EC2_LAUNCH_TEMPLATE_ID: refTo(json, 'aws_launch_template', 'id'),
      EC2_LAUNCH_TEMPLATE_VERSION: refTo(json, 'aws_launch_template', 'latest_version'),
      EC2_PURCHASE_OPTION: 'on-demand',
      EC2_ROOT_VOLUME_GIB: '8',
      EC2_ON_DEMAND_AFTER_INTERRUPTION: 'false',
      WORKER_INTERRUPTION_RETRIES: '5',
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

    expect(onlyResource(custom, 'aws_launch_template').config.key_name).toBe(refTo(custom, 'aws_key_pair', 'key_name'));
    expect(lambdaEnvironment(custom)).toMatchObject({
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

    expect(onlyResource(json, 'aws_pipes_pipe', byName('rag-pipeline-dev-items-to-queue')).config).toMatchObject({ source: streamArn, target: queueArn });
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
      { Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:SendMessage'], Resource: [refTo(json, 'aws_sqs_queue', 'arn', byName('rag-pipeline-dev-work'))] },
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
      'LaunchWorkerFleet',
      'LaunchWorkerInstanceFromFleet',
      'LaunchWorkerInstance',
      'LaunchFromWorkerTemplate',
      'LaunchWithEncryptedVolumes',
      'LaunchIntoPipelineNetwork',
      'TagOnlyAtLaunch',
      'PassWorkerRoleToEc2',
      'FindRunningWorkers',
      'InspectWorkerImage',
      'ResolveWorkerAmi',
      'ListLaunchMarkers',
      'WakeQueueConsume',
      'WriteOwnLogs',
    ]);
    expect(statements.find(({ Sid }) => Sid === 'LaunchFromWorkerTemplate')?.Resource).toEqual([
      refTo(json, 'aws_launch_template', 'arn'),
      'arn:${data.aws_partition.partition.partition}:ec2:us-east-1::image/*',
      ...['use1-az1', 'use1-az2', 'use1-az4'].map((zone) => refTo(json, 'aws_subnet', 'arn', (subnet) => subnet.availability_zone_id === zone)),
    ]);
    expect(statements.find(({ Sid }) => Sid === 'LaunchIntoPipelineNetwork')?.Resource?.[0]).toEqual(refTo(json, 'aws_security_group', 'arn'));
    expect(statements.find(({ Sid }) => Sid === 'PassWorkerRoleToEc2')?.Resource).toEqual([
      refTo(json, 'aws_iam_role', 'arn', byName('rag-pipeline-dev-worker')),
    ]);
    expect(statements.find(({ Sid }) => Sid === 'ResolveWorkerAmi')?.Resource).toEqual([
      `arn:\${data.aws_partition.partition.partition}:ssm:us-east-1::parameter${IMAGE_PARAMETERS.ubuntu}`,
    ]);
    expect(statements.find(({ Sid }) => Sid === 'ListLaunchMarkers')).toMatchObject({
      Resource: [refTo(json, 'aws_s3_bucket', 'arn')],
      Condition: { StringEquals: { 's3:prefix': ['logs/boot-failures/', 'logs/interruptions/'] } },
    });
  });

  it('grants no wildcard action in any role, and "*" resources only to actions that take no resource', () => {
    const statements = resourcesOf(json, 'aws_iam_role_policy').flatMap(([, policy]) => statementsOf(policy.policy));

    for (const { Action } of statements) {
      for (const action of Action) expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
    }
    expect(statements.filter(({ Resource }) => Resource.includes('*')).flatMap(({ Action }) => Action).sort()).toEqual([
      'cloudwatch:PutMetricData',
      // One per stream reader: the work queue's pipe and the events pipe.
      'dynamodb:ListStreams',
      'dynamodb:ListStreams',
      'ec2:DescribeImages',
      'ec2:DescribeInstances',
    ]);
  });

  it('outputs what operators and the local run read', () => {
    expect(Object.keys(json.output).sort()).toEqual([
      'ami_id', 'bucket_name', 'dashboard_name', 'dlq_url', 'event_bus_name', 'events_pipe_arn', 'events_pipe_dlq_url',
      'instance_profile_name', 'lambda_function_name', 'lambda_log_group_name', 'pipe_arn', 'pipe_dlq_url', 'queue_url', 'region',
      'schedule_rule_name', 'security_group_id', 'status_index_name', 'subnet_id', 'subnet_ids', 'table_arn', 'table_name', 'table_stream_arn',
      'vpc_id', 'wake_queue_url', 'worker_code_key', 'worker_role_arn',
    ]);
    expect(json.output.status_index_name.value).toBe('status-index');
    expect(json.output.event_bus_name.value).toBe('default');
    expect(json.output.wake_queue_url.value).toBe(refTo(json, 'aws_sqs_queue', 'url', byName('rag-pipeline-dev-wake')));
    expect(json.output.subnet_id.value).toBe(subnetId('use1-az1'));
    expect(json.output.subnet_ids.value).toEqual([subnetId('use1-az1'), subnetId('use1-az2'), subnetId('use1-az4')]);
    expect(json.output.queue_url.value).toBe(refTo(json, 'aws_sqs_queue', 'url', byName('rag-pipeline-dev-work')));
    expect(json.output.dlq_url.value).toBe(refTo(json, 'aws_sqs_queue', 'url', byName('rag-pipeline-dev-work-dlq')));
    expect(json.output.table_arn.value).toBe(refTo(json, 'aws_dynamodb_table', 'arn'));
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

describe('PipelineStack: item events, the wake queue and the outcome queue', () => {
  const streamArn = refTo(json, 'aws_dynamodb_table', 'stream_arn');
  const tableArn = refTo(json, 'aws_dynamodb_table', 'arn');
  const defaultBusArn = `arn:\${data.aws_partition.partition.partition}:events:us-east-1:\${element(split(":", ${tableArn.slice(2, -1)}), 4)}:event-bus/default`;
  const everything = synthStack(EVERY_OPTIONAL_FEATURE).json;
  const scheduleOnly = synthStack({ PIPELINE_EVENT_TRIGGER: 'false' }).json;
  const eventsPipe = (stack: TerraformJson) => onlyResource(stack, 'aws_pipes_pipe', byName('rag-pipeline-dev-items-to-events')).config;
  const pattern = (rule: Record<string, unknown>) => decodeJsonAttribute(rule.event_pattern);

  // "More than 2 processes are reading from the same streams shard at the same time. Exceeding this limit may
  // result in request throttling" (DynamoDB Streams LimitExceededException). Each pipe and each event source
  // mapping on the stream is a reader.
  it.each([
    { case: 'defaults', stack: json },
    { case: 'every optional feature', stack: everything },
    { case: 'the event trigger off', stack: scheduleOnly },
  ])('reads the table stream with at most two readers ($case)', ({ stack }) => {
    const stream = refTo(stack, 'aws_dynamodb_table', 'stream_arn');
    const readers = [
      ...resourcesOf(stack, 'aws_pipes_pipe').filter(([, pipe]) => pipe.source === stream),
      ...resourcesOf(stack, 'aws_lambda_event_source_mapping').filter(([, mapping]) => mapping.event_source_arn === stream),
    ];

    expect(readers.map(([id]) => id).sort()).toEqual(
      resourcesOf(stack, 'aws_pipes_pipe').map(([id]) => id).sort(),
    );
    expect(readers).toHaveLength(2);
  });

  it('publishes status changes from the stream to the default bus, shaped by the documented template', () => {
    expect(eventsPipe(json)).toMatchObject({
      source: streamArn,
      target: defaultBusArn,
      source_parameters: {
        dynamodb_stream_parameters: { starting_position: 'TRIM_HORIZON', batch_size: 10, maximum_retry_attempts: 10 },
        filter_criteria: { filter: ITEM_EVENT_FILTER_PATTERNS.map((filterPattern) => ({ pattern: JSON.stringify(filterPattern) })) },
      },
      target_parameters: {
        input_template: ITEM_EVENT_INPUT_TEMPLATE,
        eventbridge_event_bus_parameters: { source: ITEM_EVENT_SOURCE, detail_type: ITEM_EVENT_DETAIL_TYPE, resources: [tableArn] },
      },
    });
  });

  it('lets the events pipe read the stream and put events on that one bus, nothing else', () => {
    expect(rolePolicy(json, 'rag-pipeline-dev-events-pipe').map(({ Action, Resource }) => ({ Action, Resource }))).toEqual([
      { Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], Resource: [streamArn] },
      { Action: ['dynamodb:ListStreams'], Resource: ['*'] },
      { Action: ['events:PutEvents'], Resource: [defaultBusArn] },
      { Action: ['sqs:SendMessage'], Resource: [refTo(json, 'aws_sqs_queue', 'arn', byName('rag-pipeline-dev-events-pipe-dlq'))] },
    ]);
  });

  it('uses a bus of its own with PIPELINE_EVENT_BUS=pipeline, for the pipe, the grant and every rule', () => {
    const busArn = refTo(everything, 'aws_cloudwatch_event_bus', 'arn');
    const busName = refTo(everything, 'aws_cloudwatch_event_bus', 'name');

    expect(onlyResource(everything, 'aws_cloudwatch_event_bus').config.name).toBe('rag-pipeline-dev-events');
    expect(eventsPipe(everything).target).toBe(busArn);
    expect(rolePolicy(everything, 'rag-pipeline-dev-events-pipe').find(({ Sid }) => Sid === 'ItemEventsPut')?.Resource).toEqual([busArn]);
    const itemRules = resourcesOf(everything, 'aws_cloudwatch_event_rule').filter(([, rule]) => rule.event_pattern !== undefined);
    expect(itemRules).toHaveLength(2);
    for (const [, rule] of itemRules) expect(rule.event_bus_name).toBe(busName);
    expect(everything.output.event_bus_name.value).toBe(busName);
  });

  it('wakes the orchestrator from a rule on PENDING events of this table, through a queue only that rule may send to', () => {
    const rule = onlyResource(json, 'aws_cloudwatch_event_rule', byName('rag-pipeline-dev-wake'));
    const queue = onlyResource(json, 'aws_sqs_queue', byName('rag-pipeline-dev-wake'));
    const queueArn = `\${aws_sqs_queue.${queue.id}.arn}`;

    expect(pattern(rule.config)).toEqual({
      source: [ITEM_EVENT_SOURCE],
      'detail-type': [ITEM_EVENT_DETAIL_TYPE],
      resources: [tableArn],
      detail: { status: ['PENDING'] },
    });
    expect(rule.config.event_bus_name).toBe('default');
    expect(onlyResource(json, 'aws_cloudwatch_event_target', (target) => target.arn === queueArn).config.rule).toBe(
      `\${aws_cloudwatch_event_rule.${rule.id}.name}`,
    );
    expect(queue.config).toMatchObject({ sqs_managed_sse_enabled: true, message_retention_seconds: 900, visibility_timeout_seconds: 360 });
    expect(statementsOf(onlyResource(json, 'aws_sqs_queue_policy').config.policy)).toEqual([
      {
        Sid: 'WakeRuleSends',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['sqs:SendMessage'],
        Resource: [queueArn],
        Condition: { ArnEquals: { 'aws:SourceArn': `\${aws_cloudwatch_event_rule.${rule.id}.arn}` } },
      },
    ]);
  });

  it('runs the orchestrator on batches of the wake queue: 1,000 a batch, a 1 s window, at most 2 at once', () => {
    const queueArn = refTo(json, 'aws_sqs_queue', 'arn', byName('rag-pipeline-dev-wake'));

    expect(onlyResource(json, 'aws_lambda_event_source_mapping').config).toMatchObject({
      event_source_arn: queueArn,
      function_name: refTo(json, 'aws_lambda_function', 'arn'),
      batch_size: 1000,
      maximum_batching_window_in_seconds: 1,
      scaling_config: { maximum_concurrency: 2 },
    });
    expect(rolePolicy(json, 'rag-pipeline-dev-orchestrator').find(({ Sid }) => Sid === 'WakeQueueConsume')).toEqual({
      Sid: 'WakeQueueConsume',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      Resource: [queueArn],
    });
  });

  it('leaves the wake queue, its mapping and its grant out with PIPELINE_EVENT_TRIGGER=false, and keeps the events', () => {
    expect(resourcesOf(scheduleOnly, 'aws_lambda_event_source_mapping')).toEqual([]);
    expect(resourcesOf(scheduleOnly, 'aws_sqs_queue').map(([, queue]) => queue.name)).not.toContain('rag-pipeline-dev-wake');
    expect(rolePolicy(scheduleOnly, 'rag-pipeline-dev-orchestrator').map(({ Sid }) => Sid)).not.toContain('WakeQueueConsume');
    expect(scheduleOnly.output).not.toHaveProperty('wake_queue_url');
    // The events pipe is the default stack's, to the letter: the wake rule is a subscriber, the pipe does not know it.
    expect(eventsPipe(scheduleOnly)).toEqual(eventsPipe(json));
  });

  it('creates the outcome queue only with PIPELINE_EVENTS_QUEUE=true: FINISHED and FAILED events, a dead-letter queue, alarms, outputs', () => {
    const rule = onlyResource(everything, 'aws_cloudwatch_event_rule', byName('rag-pipeline-dev-outcomes'));
    const queueArn = refTo(everything, 'aws_sqs_queue', 'arn', byName('rag-pipeline-dev-outcomes'));
    const dlqArn = refTo(everything, 'aws_sqs_queue', 'arn', byName('rag-pipeline-dev-outcomes-dlq'));
    const ruleArn = `\${aws_cloudwatch_event_rule.${rule.id}.arn}`;

    expect((pattern(rule.config) as { detail: unknown }).detail).toEqual({ status: ['FINISHED', 'FAILED'] });
    expect(onlyResource(everything, 'aws_cloudwatch_event_target', (target) => target.arn === queueArn).config.dead_letter_config).toEqual({ arn: dlqArn });
    const policies = resourcesOf(everything, 'aws_sqs_queue_policy').flatMap(([, policy]) => statementsOf(policy.policy));
    for (const arn of [queueArn, dlqArn]) {
      expect(policies.filter(({ Resource }) => Resource.includes(arn))).toEqual([
        expect.objectContaining({ Action: ['sqs:SendMessage'], Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } } }),
      ]);
    }
    expect(onlyResource(everything, 'aws_sqs_queue', byName('rag-pipeline-dev-outcomes')).config).not.toHaveProperty('redrive_policy');
    const alarms = resourcesOf(everything, 'aws_cloudwatch_metric_alarm').map(([, alarm]) => alarm.alarm_name);
    expect(alarms).toEqual(expect.arrayContaining(['rag-pipeline-dev-outcomes-dlq-messages', 'rag-pipeline-dev-outcomes-queue-age']));
    expect(Object.keys(everything.output)).toEqual(expect.arrayContaining(['events_queue_url', 'events_dlq_url']));

    expect(resourcesOf(json, 'aws_sqs_queue').map(([, queue]) => queue.name)).not.toContain('rag-pipeline-dev-outcomes');
    expect(json.output).not.toHaveProperty('events_queue_url');
  });

  it('alarms on the events pipe like on the work queue pipe', () => {
    const alarms = Object.fromEntries(resourcesOf(json, 'aws_cloudwatch_metric_alarm').map(([, alarm]) => [alarm.alarm_name, alarm]));

    expect(alarms['rag-pipeline-dev-events-pipe-dlq-messages']).toMatchObject({
      metric_name: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: refTo(json, 'aws_sqs_queue', 'name', byName('rag-pipeline-dev-events-pipe-dlq')) },
      threshold: 0,
    });
    expect(alarms['rag-pipeline-dev-events-pipe-failures']).toMatchObject({
      namespace: 'AWS/EventBridge/Pipes',
      dimensions: { PipeName: refTo(json, 'aws_pipes_pipe', 'name', byName('rag-pipeline-dev-items-to-events')) },
    });
  });

  // docs/scale.md §4: the status index caps PENDING writes near 500 rows/s; the setting removes it and the
  // ops CLI scans instead (it reads the empty output).
  it('has no status index with PIPELINE_STATUS_INDEX=false, and says so in an empty output', () => {
    const withoutIndex = synthStack({ PIPELINE_STATUS_INDEX: 'false' }).json;
    const table = onlyResource(withoutIndex, 'aws_dynamodb_table').config;

    expect(table.global_secondary_index).toEqual([]);
    expect(table.attribute).toEqual([{ name: 'id', type: 'S' }]);
    expect(withoutIndex.output.status_index_name.value).toBe('');
    expect(onlyResource(json, 'aws_dynamodb_table').config.global_secondary_index).toEqual([
      expect.objectContaining({ name: 'status-index', hash_key: 'status', projection_type: 'ALL' }),
    ]);
  });

  it("sends the bucket's object events to EventBridge", () => {
    expect(onlyResource(json, 'aws_s3_bucket_notification').config).toMatchObject({ bucket: refTo(json, 'aws_s3_bucket', 'id'), eventbridge: true });
  });
});
