import { Testing } from 'cdktf';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { WorkerLaunch, type WorkerLaunchProps } from '../../../modules/ec2';
import { policyDocument, type PolicyStatement } from '../../../modules/shared/iam';
import { onlyResource, parseSynth, refTo, resourcesOf, statementsOf } from '../../support/synth';

const SUBNET_ARN = 'arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-0abc';
const FALLBACK_SUBNET_ARN = 'arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-0def';
const SG_ARN = 'arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0abc';
const AMI_PARAMETER = '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id';
const WORKER_GRANT: PolicyStatement = { sid: 'WorkQueueConsume', actions: ['sqs:ReceiveMessage'], resources: ['arn:aws:sqs:eu-west-1:111122223333:work'] };

const props: WorkerLaunchProps = {
  baseName: 'rag-pipeline-dev',
  amiId: `resolve:ssm:${AMI_PARAMETER}`,
  instanceTypes: ['t3.micro'],
  region: 'eu-west-1',
  partition: 'aws',
  subnetArns: [SUBNET_ARN],
  securityGroupId: 'sg-0abc',
  securityGroupArn: SG_ARN,
  volumeTags: { Role: 'rag-worker', Name: 'rag-pipeline-dev-worker', project: 'rag-pipeline' },
  workerStatements: [WORKER_GRANT],
};

function build(overrides: Partial<WorkerLaunchProps> = {}): { launch: WorkerLaunch; synthesized: string } {
  let launch!: WorkerLaunch;
  const synthesized = Testing.synthScope((scope) => {
    launch = new WorkerLaunch(scope, 'ec2', { ...props, ...overrides });
  });
  return { launch, synthesized };
}

/** The launch statements as the orchestrator's role would carry them, with Terraform references resolved. */
function launchPolicy(overrides: Partial<WorkerLaunchProps> = {}) {
  const synthesized = Testing.synthScope((scope) => {
    const launch = new WorkerLaunch(scope, 'ec2', { ...props, ...overrides });
    new IamRolePolicy(scope, 'probe', { role: 'probe', policy: policyDocument(launch.launchStatements()) });
  });
  const json = parseSynth(synthesized);
  const probe = onlyResource(json, 'aws_iam_role_policy', (config) => config.role === 'probe').config;
  return { json, statements: statementsOf(probe.policy) };
}

const ACCOUNT = '${element(split(":", "arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-0abc"), 4)}';
const ec2Arn = (resource: string) => `arn:aws:ec2:eu-west-1:${ACCOUNT}:${resource}`;

describe('WorkerLaunch', () => {
  it('resolves the AMI through its public SSM parameter by default', () => {
    const { launch } = build();

    expect(launch.amiId).toBe(`resolve:ssm:${AMI_PARAMETER}`);
    expect(launch.amiSsmParameter).toBe(AMI_PARAMETER);
  });

  it('creates no key pair unless a public key is supplied', () => {
    const { launch, synthesized } = build();

    expect(resourcesOf(parseSynth(synthesized), 'aws_key_pair')).toEqual([]);
    expect(launch.keyName).toBe('');
  });

  it('creates a key pair from the supplied public key', () => {
    const { synthesized } = build({ sshPublicKey: 'ssh-ed25519 AAAAexample' });

    expect(synthesized).toHaveResourceWithProperties({ tfResourceType: 'aws_key_pair' }, {
      key_name: 'rag-pipeline-dev-worker',
      public_key: 'ssh-ed25519 AAAAexample',
    });
  });

  it('gives the worker a role EC2 assumes, with the given grants, Session Manager core and an instance profile', () => {
    const json = parseSynth(build().synthesized);
    const role = onlyResource(json, 'aws_iam_role').config;

    // No confused-deputy condition: AWS documents none for EC2 instance roles.
    expect(statementsOf(role.assume_role_policy)).toEqual([
      { Sid: 'TrustedService', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    expect(statementsOf(onlyResource(json, 'aws_iam_role_policy').config.policy)).toEqual([
      { Sid: 'WorkQueueConsume', Effect: 'Allow', Action: ['sqs:ReceiveMessage'], Resource: ['arn:aws:sqs:eu-west-1:111122223333:work'] },
      {
        Sid: 'PublishWorkerMetrics',
        Effect: 'Allow',
        Action: ['cloudwatch:PutMetricData'],
        Resource: ['*'],
        Condition: { StringEquals: { 'cloudwatch:namespace': 'RagPipeline/Worker' } },
      },
    ]);
    expect(onlyResource(json, 'aws_iam_role_policy_attachment').config).toEqual({
      role: refTo(json, 'aws_iam_role', 'name'),
      policy_arn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
    });
    expect(onlyResource(json, 'aws_iam_instance_profile').config).toEqual({
      name: 'rag-pipeline-dev-worker',
      role: refTo(json, 'aws_iam_role', 'name'),
    });
  });

  it('holds what no launch varies in a launch template: the security group, the profile, IMDSv2 with one hop, terminate on power-off, the volume tags', () => {
    const json = parseSynth(build().synthesized);
    // Exactly these: no image, type or subnet (each launch sets those) and no user data (it travels with the request).
    expect(onlyResource(json, 'aws_launch_template').config).toEqual({
      name: 'rag-pipeline-dev-worker',
      description: expect.any(String),
      update_default_version: true,
      vpc_security_group_ids: ['sg-0abc'],
      iam_instance_profile: { arn: refTo(json, 'aws_iam_instance_profile', 'arn') },
      instance_initiated_shutdown_behavior: 'terminate',
      metadata_options: { http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1, instance_metadata_tags: 'disabled' },
      tag_specifications: [{ resource_type: 'volume', tags: { Role: 'rag-worker', Name: 'rag-pipeline-dev-worker', project: 'rag-pipeline' } }],
      tags: { Role: 'rag-worker' },
    });
  });

  it('names the key pair in the template only when there is one', () => {
    const json = parseSynth(build({ sshPublicKey: 'ssh-ed25519 AAAAexample' }).synthesized);

    expect(onlyResource(json, 'aws_launch_template').config.key_name).toBe(refTo(json, 'aws_key_pair', 'key_name'));
  });

  it('lets the orchestrator launch only through fleets of workers of these types, from this template, in this network, tagged, with IMDSv2', () => {
    const { json, statements } = launchPolicy();
    const workerRole = refTo(json, 'aws_iam_role', 'arn');
    const profile = refTo(json, 'aws_iam_instance_profile', 'arn');
    const template = refTo(json, 'aws_launch_template', 'arn');

    expect(statements).toEqual([
      {
        Sid: 'LaunchWorkerFleet',
        Effect: 'Allow',
        Action: ['ec2:CreateFleet'],
        Resource: [ec2Arn('fleet/*')],
        Condition: { StringEquals: { 'aws:RequestTag/Role': 'rag-worker' } },
      },
      {
        Sid: 'LaunchWorkerInstanceFromFleet',
        Effect: 'Allow',
        Action: ['ec2:CreateFleet'],
        Resource: [ec2Arn('instance/*')],
        Condition: { StringEquals: { 'ec2:InstanceType': ['t3.micro'], 'aws:RequestTag/Role': 'rag-worker' }, ArnEquals: { 'ec2:InstanceProfile': profile } },
      },
      {
        Sid: 'LaunchWorkerInstance',
        Effect: 'Allow',
        Action: ['ec2:RunInstances'],
        Resource: [ec2Arn('instance/*')],
        Condition: {
          StringEquals: { 'ec2:InstanceType': ['t3.micro'], 'aws:RequestTag/Role': 'rag-worker', 'ec2:MetadataHttpTokens': 'required' },
          ArnEquals: { 'ec2:InstanceProfile': profile },
        },
      },
      {
        Sid: 'LaunchFromWorkerTemplate',
        Effect: 'Allow',
        Action: ['ec2:CreateFleet', 'ec2:RunInstances'],
        Resource: [template, 'arn:aws:ec2:eu-west-1::image/*', SUBNET_ARN],
      },
      {
        Sid: 'LaunchWithEncryptedVolumes',
        Effect: 'Allow',
        Action: ['ec2:CreateFleet', 'ec2:RunInstances'],
        Resource: [ec2Arn('volume/*')],
        Condition: { Bool: { 'ec2:Encrypted': 'true' } },
      },
      { Sid: 'LaunchIntoPipelineNetwork', Effect: 'Allow', Action: ['ec2:RunInstances'], Resource: [SG_ARN, ec2Arn('network-interface/*')] },
      {
        Sid: 'TagOnlyAtLaunch',
        Effect: 'Allow',
        Action: ['ec2:CreateTags'],
        Resource: [ec2Arn('fleet/*'), ec2Arn('instance/*'), ec2Arn('volume/*'), ec2Arn('network-interface/*')],
        Condition: { StringEquals: { 'ec2:CreateAction': ['CreateFleet', 'RunInstances'] } },
      },
      {
        Sid: 'PassWorkerRoleToEc2',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: [workerRole],
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
      { Sid: 'FindRunningWorkers', Effect: 'Allow', Action: ['ec2:DescribeInstances'], Resource: ['*'] },
      { Sid: 'InspectWorkerImage', Effect: 'Allow', Action: ['ec2:DescribeImages'], Resource: ['*'] },
      { Sid: 'ResolveWorkerAmi', Effect: 'Allow', Action: ['ssm:GetParameters'], Resource: [`arn:aws:ssm:eu-west-1::parameter${AMI_PARAMETER}`] },
    ]);
  });

  it('grants a pinned AMI exactly, the key pair when there is one, and no SSM read', () => {
    const { json, statements } = launchPolicy({ amiId: 'ami-0123456789abcdef0', sshPublicKey: 'ssh-ed25519 AAAAexample' });

    expect(statements.find((statement) => statement.Sid === 'LaunchFromWorkerTemplate')?.Resource).toEqual([
      refTo(json, 'aws_launch_template', 'arn'),
      'arn:aws:ec2:eu-west-1::image/ami-0123456789abcdef0',
      SUBNET_ARN,
    ]);
    expect(statements.find((statement) => statement.Sid === 'LaunchIntoPipelineNetwork')?.Resource).toEqual([
      SG_ARN,
      ec2Arn('network-interface/*'),
      refTo(json, 'aws_key_pair', 'arn'),
    ]);
    expect(statements.map((statement) => statement.Sid)).not.toContain('ResolveWorkerAmi');
  });

  it('lets the orchestrator launch every configured instance type in every subnet, and no other', () => {
    const { statements } = launchPolicy({ instanceTypes: ['t3.micro', 't3a.micro', 'm5.large'], subnetArns: [SUBNET_ARN, FALLBACK_SUBNET_ARN] });

    for (const sid of ['LaunchWorkerInstance', 'LaunchWorkerInstanceFromFleet']) {
      expect(statements.find((statement) => statement.Sid === sid)?.Condition?.StringEquals['ec2:InstanceType']).toEqual(['t3.micro', 't3a.micro', 'm5.large']);
    }
    expect(statements.find((statement) => statement.Sid === 'LaunchFromWorkerTemplate')?.Resource).toEqual(expect.arrayContaining([SUBNET_ARN, FALLBACK_SUBNET_ARN]));
  });

  it('records why the launch is split by resource type and why the public parameter has no account', () => {
    const { launch } = build();
    const accepted = Object.fromEntries(launch.launchStatements().map(({ sid, acceptedFindings }) => [sid, (acceptedFindings ?? []).map(({ issue }) => issue)]));

    expect(accepted).toEqual({
      LaunchWorkerFleet: ['RESOURCE_MISMATCH'],
      LaunchWorkerInstanceFromFleet: ['RESOURCE_MISMATCH'],
      LaunchWorkerInstance: ['RESOURCE_MISMATCH'],
      LaunchFromWorkerTemplate: ['RESOURCE_MISMATCH'],
      LaunchWithEncryptedVolumes: ['RESOURCE_MISMATCH'],
      LaunchIntoPipelineNetwork: ['RESOURCE_MISMATCH'],
      TagOnlyAtLaunch: [],
      PassWorkerRoleToEc2: [],
      FindRunningWorkers: [],
      InspectWorkerImage: [],
      ResolveWorkerAmi: ['RESOURCE_MISMATCH'],
    });
  });

  it.each([
    { case: 'AMI that is neither an ID nor an SSM reference', overrides: { amiId: 'ubuntu' }, message: 'amiId must be an AMI ID (ami-…) or resolve:ssm:<parameter>, got "ubuntu"' },
    { case: 'worker without grants', overrides: { workerStatements: [] }, message: 'workerStatements must grant the worker something' },
    { case: 'launch without an instance type', overrides: { instanceTypes: [] }, message: 'instanceTypes must name at least one instance type' },
    { case: 'launch without a subnet', overrides: { subnetArns: [] }, message: 'subnetArns must name at least one subnet' },
  ])('rejects a $case', ({ overrides, message }) => {
    expect(() => build(overrides)).toThrow(message);
  });
});
