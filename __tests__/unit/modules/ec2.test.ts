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
  securityGroupArn: SG_ARN,
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

  it('lets the orchestrator launch only workers of this type, in this network, tagged, with IMDSv2', () => {
    const { json, statements } = launchPolicy();
    const workerRole = refTo(json, 'aws_iam_role', 'arn');

    expect(statements).toEqual([
      {
        Sid: 'LaunchWorkerInstance',
        Effect: 'Allow',
        Action: ['ec2:RunInstances'],
        Resource: [ec2Arn('instance/*')],
        Condition: { StringEquals: { 'ec2:InstanceType': ['t3.micro'], 'aws:RequestTag/Role': 'rag-worker', 'ec2:MetadataHttpTokens': 'required' } },
      },
      { Sid: 'LaunchIntoPipelineNetwork', Effect: 'Allow', Action: ['ec2:RunInstances'], Resource: [SUBNET_ARN, SG_ARN] },
      {
        Sid: 'LaunchWithImageAndVolumes',
        Effect: 'Allow',
        Action: ['ec2:RunInstances'],
        Resource: ['arn:aws:ec2:eu-west-1::image/*', ec2Arn('volume/*'), ec2Arn('network-interface/*')],
      },
      {
        Sid: 'TagOnlyAtLaunch',
        Effect: 'Allow',
        Action: ['ec2:CreateTags'],
        Resource: [ec2Arn('instance/*'), ec2Arn('volume/*'), ec2Arn('network-interface/*')],
        Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
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

    expect(statements.find((statement) => statement.Sid === 'LaunchWithImageAndVolumes')?.Resource).toEqual([
      'arn:aws:ec2:eu-west-1::image/ami-0123456789abcdef0',
      ec2Arn('volume/*'),
      ec2Arn('network-interface/*'),
      refTo(json, 'aws_key_pair', 'arn'),
    ]);
    expect(statements.map((statement) => statement.Sid)).not.toContain('ResolveWorkerAmi');
  });

  it('lets the orchestrator fall back to every configured instance type and subnet, and no other', () => {
    const { statements } = launchPolicy({ instanceTypes: ['t3.micro', 't3a.micro', 'm5.large'], subnetArns: [SUBNET_ARN, FALLBACK_SUBNET_ARN] });

    expect(statements.find((statement) => statement.Sid === 'LaunchWorkerInstance')?.Condition?.StringEquals['ec2:InstanceType']).toEqual([
      't3.micro',
      't3a.micro',
      'm5.large',
    ]);
    expect(statements.find((statement) => statement.Sid === 'LaunchIntoPipelineNetwork')?.Resource).toEqual([SUBNET_ARN, FALLBACK_SUBNET_ARN, SG_ARN]);
  });

  it('records why RunInstances is split by resource type and why the public parameter has no account', () => {
    const { launch } = build();
    const accepted = Object.fromEntries(launch.launchStatements().map(({ sid, acceptedFindings }) => [sid, (acceptedFindings ?? []).map(({ issue }) => issue)]));

    expect(accepted).toEqual({
      LaunchWorkerInstance: ['RESOURCE_MISMATCH'],
      LaunchIntoPipelineNetwork: ['RESOURCE_MISMATCH'],
      LaunchWithImageAndVolumes: ['RESOURCE_MISMATCH'],
      TagOnlyAtLaunch: [],
      PassWorkerRoleToEc2: [],
      FindRunningWorkers: [],
      InspectWorkerImage: [],
      ResolveWorkerAmi: ['RESOURCE_MISMATCH'],
    });
  });

  it.each([
    { $case: 'AMI that is neither an ID nor an SSM reference', overrides: { amiId: 'ubuntu' }, message: 'amiId must be an AMI ID (ami-…) or resolve:ssm:<parameter>, got "ubuntu"' },
    { $case: 'worker without grants', overrides: { workerStatements: [] }, message: 'workerStatements must grant the worker something' },
    { $case: 'launch without an instance type', overrides: { instanceTypes: [] }, message: 'instanceTypes must name at least one instance type' },
    { $case: 'launch without a subnet', overrides: { subnetArns: [] }, message: 'subnetArns must name at least one subnet' },
  ])('rejects a $case', ({ overrides, message }) => {
    expect(() => build(overrides)).toThrow(message);
  });
});
