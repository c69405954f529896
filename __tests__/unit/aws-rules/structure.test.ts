import { IMAGE_PARAMETERS, LaunchDeferralKind, LaunchFailureKind, OrchestratorMetrics } from '../../../contracts';
import { bucketNameRefusal, generatedBucketName, securityGroupNameRefusal } from '../../../config/aws-names';
import { loadCapacity } from '../../../config/capacity';
import { loadSettings } from '../../../config/settings';
import {
  onlyResource,
  refTo,
  removeSynthesizedStacks,
  resourcesOf,
  statementsOf,
  synthStack,
  type ParsedStatement,
  type TerraformJson,
} from '../../support/synth';

// "AWS rules": what a real account refuses or needs although the emulator (moto) accepts the stack
// anyway. Each test checks one rule over the synthesized Terraform JSON and cites where the rule comes
// from. The orchestrator's runtime rules (error codes at launch) are in ./orchestrator.test.ts.

const defaults = synthStack().json;
afterAll(removeSynthesizedStacks);

const byName = (name: string) => (config: Record<string, unknown>) => config.name === name;
const rolePolicy = (json: TerraformJson, roleName: string): ParsedStatement[] =>
  statementsOf(onlyResource(json, 'aws_iam_role_policy', (config) => config.role === refTo(json, 'aws_iam_role', 'id', byName(roleName))).config.policy);
const trustPolicy = (json: TerraformJson, roleName: string): ParsedStatement[] =>
  statementsOf(onlyResource(json, 'aws_iam_role', byName(roleName)).config.assume_role_policy);
const lambdaEnvironment = (json: TerraformJson) =>
  (onlyResource(json, 'aws_lambda_function').config.environment as { variables: Record<string, string> }).variables;

// https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html — "You can reserve up to the
// Unreserved account concurrency value minus 100." New accounts often have 10 in all, so any reservation
// fails the first apply.
it('reserves no Lambda concurrency by default', () => {
  expect(onlyResource(defaults, 'aws_lambda_function').config).not.toHaveProperty('reserved_concurrent_executions');
});

// hashicorp/terraform-provider-aws#40572 (open): a pipe created in the same apply as its role policy fails
// with "Cannot access stream … ensure the customer role can perform actions on source stream"; published
// workarounds wait 90 s or more (CraftsmenLtd/BloodConnect#428). The wait must run at creation only.
it.each([
  { pipeName: 'rag-pipeline-dev-items-to-queue', roleName: 'rag-pipeline-dev-pipe' },
  { pipeName: 'rag-pipeline-dev-items-to-events', roleName: 'rag-pipeline-dev-events-pipe' },
])('creates pipe $pipeName only after a create-time wait of at least 90 s that follows its role policy', ({ pipeName, roleName }) => {
  const pipe = onlyResource(defaults, 'aws_pipes_pipe', byName(pipeName)).config;
  const pipeRolePolicy = onlyResource(defaults, 'aws_iam_role_policy', (config) => config.role === refTo(defaults, 'aws_iam_role', 'id', byName(roleName)));
  const wait = onlyResource(defaults, 'terraform_data', (config) => JSON.stringify(config.depends_on) === JSON.stringify([`aws_iam_role_policy.${pipeRolePolicy.id}`]));

  expect(pipe.depends_on).toEqual([`terraform_data.${wait.id}`]);
  const provisioners = wait.config.provisioner as Array<Record<string, { command: string; when?: string }>>;
  expect(provisioners).toHaveLength(1);
  expect(provisioners[0]['local-exec'].when).toBeUndefined();
  expect(Number(/^sleep (\d+)$/.exec(provisioners[0]['local-exec'].command)?.[1])).toBeGreaterThanOrEqual(90);
  expect(Object.keys(wait.config.triggers_replace as object).sort()).toEqual(['role', 'source']);
});

// Lambda refuses an SQS event source mapping whose queue's visibility timeout is below the function's timeout
// ("Queue visibility timeout: … is less than Function timeout: …",
// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html), and MaximumConcurrency below 2
// (https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html). More than 10 messages a batch need
// a batching window of at least 1 s.
it("maps the wake queue with a visibility timeout no shorter than the function's, and a concurrency Lambda accepts", () => {
  const mapping = onlyResource(defaults, 'aws_lambda_event_source_mapping').config;
  const [, queue] = resourcesOf(defaults, 'aws_sqs_queue').find(([id]) => `\${aws_sqs_queue.${id}.arn}` === mapping.event_source_arn)!;

  expect(queue.visibility_timeout_seconds).toBeGreaterThanOrEqual(onlyResource(defaults, 'aws_lambda_function').config.timeout as number);
  expect((mapping.scaling_config as { maximum_concurrency: number }).maximum_concurrency).toBeGreaterThanOrEqual(2);
  expect(mapping.maximum_batching_window_in_seconds).toBeGreaterThanOrEqual(1);
});

// EventBridge can deliver to an encrypted queue only with SSE-SQS or a customer-managed key whose policy lets it
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html#eb-sqs-encrypted): the
// AWS-managed aws/sqs key cannot be granted.
it('encrypts every queue a rule sends to with SSE-SQS', () => {
  const targets = resourcesOf(defaults, 'aws_cloudwatch_event_target').map(([, target]) => target.arn);
  const ruleQueues = resourcesOf(synthStack({ PIPELINE_EVENTS_QUEUE: 'true' }).json, 'aws_sqs_queue').filter(([id]) => targets.includes(`\${aws_sqs_queue.${id}.arn}`));

  expect(resourcesOf(defaults, 'aws_sqs_queue').filter(([id]) => targets.includes(`\${aws_sqs_queue.${id}.arn}`))).toHaveLength(1);
  for (const [, queue] of ruleQueues) {
    expect(queue.sqs_managed_sse_enabled).toBe(true);
    expect(queue).not.toHaveProperty('kms_master_key_id');
  }
});

// AZ names map to physical zones differently per account; AZ IDs do not
// (https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html). In us-east-1, use1-az3
// offers no t3: "Unsupported: Your requested instance type (t3.micro) is not supported in your requested
// Availability Zone" (ned1313/Getting-Started-Terraform#44, magenx/Magento-2-aws-cluster-terraform#16).
// A data source such as aws_ec2_instance_type_offerings would need AWS at plan time.
it('puts workers in two or more zones chosen by zone ID, never use1-az3 by default, without plan-time lookups', () => {
  const subnets = resourcesOf(defaults, 'aws_subnet').map(([, subnet]) => subnet);
  const zoneIds = subnets.map((subnet) => subnet.availability_zone_id);

  expect(subnets.length).toBeGreaterThanOrEqual(2);
  expect(new Set(zoneIds).size).toBe(subnets.length);
  for (const subnet of subnets) expect(subnet).not.toHaveProperty('availability_zone');
  expect(zoneIds).not.toContain('use1-az3');
  expect(Object.keys(defaults.data ?? {})).toEqual(['aws_partition']);
  const environment = lambdaEnvironment(defaults);
  expect([environment.EC2_SUBNET_ID, ...environment.EC2_FALLBACK_SUBNET_IDS.split(',')].sort()).toEqual(
    resourcesOf(defaults, 'aws_subnet').map(([id]) => `\${aws_subnet.${id}.id}`).sort(),
  );
});

// CreateFleet and the RunInstances it makes on the caller's behalf are authorized per resource: the instance
// type condition and the subnet ARNs must cover every type and subnet a launch offers, or that pool is refused.
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ExamplePolicies_EC2.html#iam-example-runinstances
it('lets the orchestrator launch every configured instance type into every subnet', () => {
  const json = synthStack({}, { capacity: { instanceTypes: ['c7i.large', 'c6i.large', 'm7i.large'] } }).json;
  const statements = rolePolicy(json, 'rag-pipeline-dev-orchestrator');
  const environment = lambdaEnvironment(json);
  const types = [environment.EC2_INSTANCE_TYPE, ...environment.EC2_FALLBACK_INSTANCE_TYPES.split(',')];

  expect(types).toEqual(['c7i.large', 'c6i.large', 'm7i.large']);
  for (const sid of ['LaunchWorkerInstance', 'LaunchWorkerInstanceFromFleet']) {
    expect(statements.find(({ Sid }) => Sid === sid)?.Condition?.StringEquals['ec2:InstanceType']).toEqual(types);
  }
  expect(statements.find(({ Sid }) => Sid === 'LaunchFromWorkerTemplate')?.Resource).toEqual(
    expect.arrayContaining(resourcesOf(json, 'aws_subnet').map(([id]) => `\${aws_subnet.${id}.arn}`)),
  );
});

// The worker runs the linux-x64 Node.js build; Graviton types (a `g` after the generation digit) are arm64.
// https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html
it('refuses instance types the worker runtime cannot run', () => {
  expect(() => loadCapacity({}, { PIPELINE_INSTANCE_TYPE: 't4g.micro' }, 'us-east-1')).toThrow('PIPELINE_INSTANCE_TYPE must be an x86_64 instance type');
  expect(() => loadCapacity({}, { PIPELINE_FALLBACK_INSTANCE_TYPES: 'c7g.large' }, 'us-east-1')).toThrow(
    'PIPELINE_FALLBACK_INSTANCE_TYPES must be an x86_64 instance type',
  );
  expect(() => loadCapacity({ instanceTypes: ['m7g.large'] }, {}, 'us-east-1')).toThrow('capacity.instanceTypes[0] must be an x86_64 instance type');
});

// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html — ListStreams
// has no resource type: scoped to a stream ARN it grants nothing.
it.each(['rag-pipeline-dev-pipe', 'rag-pipeline-dev-events-pipe'])('grants dynamodb:ListStreams to %s on "*", in a statement of its own', (roleName) => {
  const listStreams = rolePolicy(defaults, roleName).filter(({ Action }) => Action.includes('dynamodb:ListStreams'));

  expect(listStreams).toEqual([expect.objectContaining({ Action: ['dynamodb:ListStreams'], Resource: ['*'] })]);
});

// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html — DescribeImages has
// no resource type. The orchestrator checks the AMI before launching it.
it('lets the orchestrator describe images, on "*", in a statement of its own', () => {
  const describeImages = rolePolicy(defaults, 'rag-pipeline-dev-orchestrator').filter(({ Action }) => Action.includes('ec2:DescribeImages'));

  expect(describeImages).toEqual([expect.objectContaining({ Action: ['ec2:DescribeImages'], Resource: ['*'] })]);
});

// Cross-service confused deputy: https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html.
// AWS's Pipes getting-started template conditions the pipe role's trust on aws:SourceArn (the pipe) and
// aws:SourceAccount. For Lambda only aws:SourceAccount: the Lambda guide says aws:SourceArn "applies only to
// policies where your Lambda function is the target resource"
// (https://docs.aws.amazon.com/lambda/latest/dg/permissions-source-function-arn.html).
it('lets only this pipe and only this account assume the service roles', () => {
  const lambda = trustPolicy(defaults, 'rag-pipeline-dev-orchestrator')[0].Condition?.StringEquals as Record<string, string>;
  const account = /^\$\{element\(split\(":", [\w.-]+\.arn\), 4\)\}$/;

  for (const [roleName, pipeName] of [
    ['rag-pipeline-dev-pipe', 'rag-pipeline-dev-items-to-queue'],
    ['rag-pipeline-dev-events-pipe', 'rag-pipeline-dev-items-to-events'],
  ]) {
    const pipe = trustPolicy(defaults, roleName)[0].Condition?.StringEquals as Record<string, string>;
    expect(pipe['aws:SourceAccount']).toMatch(account);
    expect(pipe['aws:SourceArn']).toBe(`arn:\${data.aws_partition.partition.partition}:pipes:us-east-1:${pipe['aws:SourceAccount']}:pipe/${pipeName}`);
    expect(onlyResource(defaults, 'aws_pipes_pipe', byName(pipeName)).config.role_arn).toBe(refTo(defaults, 'aws_iam_role', 'arn', byName(roleName)));
  }
  expect(lambda['aws:SourceAccount']).toMatch(account);
});

// "Cannot start with sg-" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html);
// bucket names must not start with xn--, sthree- or amzn-s3-demo-, nor end with -s3alias or --ol-s3
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
it('names no security group or bucket the way AWS refuses, and refuses such names at synth', () => {
  const securityGroups = resourcesOf(defaults, 'aws_security_group').map(([, group]) => String(group.name));
  const bucketPrefix = String(onlyResource(defaults, 'aws_s3_bucket').config.bucket_prefix);

  expect(securityGroups.map(securityGroupNameRefusal)).toEqual(securityGroups.map(() => undefined));
  expect(onlyResource(defaults, 'aws_s3_bucket').config).not.toHaveProperty('bucket');
  expect(bucketNameRefusal(generatedBucketName(bucketPrefix))).toBeUndefined();
  expect(() => loadSettings({ PIPELINE_NAME_PREFIX: 'sg-files' })).toThrow('PIPELINE_NAME_PREFIX and PIPELINE_ENVIRONMENT must be names AWS accepts');
  expect(() => loadSettings({ PIPELINE_NAME_PREFIX: 'xn--files' })).toThrow('S3 refuses bucket names starting with "xn--"');
});

// Versioning keeps every overwritten object; a whole-bucket rule expires old versions and the delete
// markers left behind. Overlapping rules are valid and the shorter expiration wins
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-conflicts.html); ExpiredObjectDeleteMarker
// cannot share an Expiration with Days (https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html).
it('expires noncurrent versions and orphaned delete markers across the whole bucket', () => {
  const rules = onlyResource(defaults, 'aws_s3_bucket_lifecycle_configuration').config.rule as Array<Record<string, unknown>>;
  const wholeBucket = rules.filter((rule) => JSON.stringify(rule.filter) === JSON.stringify([{ prefix: '' }]));

  expect(wholeBucket).toContainEqual(
    expect.objectContaining({ noncurrent_version_expiration: [{ noncurrent_days: 30 }], expiration: [{ expired_object_delete_marker: true }] }),
  );
  for (const rule of rules) {
    for (const expiration of (rule.expiration ?? []) as Array<Record<string, unknown>>) {
      expect('expired_object_delete_marker' in expiration && 'days' in expiration).toBe(false);
    }
  }
});

// The bootstrap needs Ubuntu (the ubuntu user, /dev/sda1) of 24.04 or later (its curl signs S3 requests), the
// worker linux-x64. Canonical publishes its AMI IDs under
// /aws/service/canonical/ubuntu/server/<release>/stable/current/<arch>/hvm/<volume>/ami-id
// (https://documentation.ubuntu.com/aws/aws-how-to/instances/find-ubuntu-images/); AWS its Deep Learning AMIs
// under /aws/service/deeplearning/ami/<arch>/<ami_type>/latest/ami-id (DLAMI guide, "Finding the ID of a DLAMI").
// A pinned AMI ID cannot be checked offline: the orchestrator checks it at launch.
it('launches a Canonical Ubuntu 24.04 amd64 image by default, the Deep Learning Base GPU image when asked, and refuses other parameters at synth', () => {
  expect(lambdaEnvironment(defaults).EC2_AMI_ID).toBe(`resolve:ssm:${IMAGE_PARAMETERS.ubuntu}`);
  expect(lambdaEnvironment(synthStack({}, { capacity: { image: 'gpu', instanceTypes: ['g5.xlarge'] } }).json).EC2_AMI_ID).toBe(
    `resolve:ssm:${IMAGE_PARAMETERS.gpu}`,
  );
  for (const parameter of [
    '/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id',
    '/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id',
  ]) {
    expect(() => loadCapacity({}, { PIPELINE_AMI_SSM_PARAMETER: parameter }, 'us-east-1')).toThrow('PIPELINE_AMI_SSM_PARAMETER must be Canonical');
  }
});

// An alarm matches a metric only with all of its dimensions
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension): the
// orchestrator's EMF lines carry exactly FunctionName and Kind (contracts/metrics.ts).
it('alarms on refused and deferred launches with the dimensions the orchestrator emits', () => {
  const launchAlarms = resourcesOf(defaults, 'aws_cloudwatch_metric_alarm')
    .map(([, alarm]) => alarm)
    .filter((alarm) => alarm.namespace === OrchestratorMetrics.namespace);
  const watched = launchAlarms.map((alarm) => `${String(alarm.metric_name)}/${(alarm.dimensions as Record<string, string>).Kind}`).sort();

  expect(watched).toEqual(
    [
      `${OrchestratorMetrics.launchFailures}/${LaunchFailureKind.unauthorized}`,
      `${OrchestratorMetrics.launchFailures}/${LaunchFailureKind.unsupportedImage}`,
      `${OrchestratorMetrics.launchFailures}/${LaunchFailureKind.instanceProfileNotReady}`,
      `${OrchestratorMetrics.launchesDeferred}/${LaunchDeferralKind.bootFailures}`,
    ].sort(),
  );
  for (const alarm of launchAlarms) {
    expect(Object.keys(alarm.dimensions as object).sort()).toEqual([OrchestratorMetrics.functionDimension, OrchestratorMetrics.kindDimension].sort());
    expect(alarm).toMatchObject({ period: 60, treat_missing_data: 'notBreaching' });
  }
});
