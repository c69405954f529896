import { Construct } from 'constructs';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { KeyPair } from '@cdktf/provider-aws/lib/key-pair';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { Token } from 'cdktf';
import { WORKER_TAG, WorkerMetrics } from '../../contracts';
import { accountOf } from '../shared/arn';
import { assumeRolePolicy, policyDocument, type PolicyStatement } from '../shared/iam';
import type { AcceptedFinding } from '../shared/parliament';

export interface WorkerLaunchProps {
  /** Stem of resource names, e.g. `rag-pipeline-dev`. */
  readonly baseName: string;
  /** The image the orchestrator resolves and checks at each launch: `ami-…` or `resolve:ssm:<public parameter>`. */
  readonly amiId: string;
  /** The instance types the orchestrator may launch, preferred first. */
  readonly instanceTypes: readonly string[];
  readonly region: string;
  /** AWS partition (`aws`, `aws-cn`, …), e.g. from the aws_partition data source. */
  readonly partition: string;
  /** The workers' subnets; the first one's ARN also supplies the account ID for the launch ARNs. */
  readonly subnetArns: readonly string[];
  /** The workers' security group: the launch template's only one. */
  readonly securityGroupId: string;
  readonly securityGroupArn: string;
  /** Tags for the workers' volumes, which the launch template puts on them (the provider's default tags do not reach them). */
  readonly volumeTags: Readonly<Record<string, string>>;
  /** Grants the worker needs on the queue, table and bucket, built by those modules; its metrics grant is added here. */
  readonly workerStatements: readonly PolicyStatement[];
  /** @default undefined — no key pair; workers are reachable through Session Manager only */
  readonly sshPublicKey?: string;
}

/**
 * PutMetricData supports no resource-level permissions (AWS accepts only "*"); the `cloudwatch:namespace`
 * condition keeps the worker to its own namespace.
 */
export function publishWorkerMetricsStatement(): PolicyStatement {
  return {
    sid: 'PublishWorkerMetrics',
    actions: ['cloudwatch:PutMetricData'],
    resources: ['*'],
    conditions: { StringEquals: { 'cloudwatch:namespace': WorkerMetrics.namespace } },
  };
}

/**
 * What the orchestrator needs to launch a worker: the AMI to use (resolved at launch, so a plan needs no AWS
 * lookup), an optional key pair, the worker's role and instance profile, and the launch template every
 * CreateFleet request names. The template holds what no launch varies and security rests on: the security group,
 * the instance profile, the key pair, IMDSv2 with one hop, the power-off that terminates, the volume tags. Each
 * request adds the image, the types, the subnets, the root volume, the user data and the instance tags.
 * Session Manager access comes from AWS's managed core policy.
 */
export class WorkerLaunch extends Construct {
  readonly amiId: string;
  /** The SSM parameter behind {@link amiId}, or undefined when the AMI is pinned. */
  readonly amiSsmParameter?: string;
  /** Empty when no key pair is configured. */
  readonly keyName: string;
  /** Undefined when no key pair is configured. */
  readonly keyPairArn?: string;
  readonly instanceProfileName: string;
  readonly instanceProfileArn: string;
  readonly workerRoleArn: string;
  readonly workerRoleName: string;
  /** `lt-…`: the template every launch names. */
  readonly launchTemplateId: string;
  readonly launchTemplateArn: string;
  /** The template's latest version number, as a string: every launch names it, so a new version never reuses a client token. */
  readonly launchTemplateVersion: string;
  private readonly props: WorkerLaunchProps;

  constructor(scope: Construct, id: string, props: WorkerLaunchProps) {
    super(scope, id);
    this.props = props;
    this.amiId = props.amiId;
    const ssmPrefix = 'resolve:ssm:';
    this.amiSsmParameter = props.amiId.startsWith(ssmPrefix) ? props.amiId.slice(ssmPrefix.length) : undefined;
    if (this.amiSsmParameter === undefined && !/^ami-[0-9a-f]{8,17}$/.test(props.amiId)) {
      throw new Error(`amiId must be an AMI ID (ami-…) or resolve:ssm:<parameter>, got "${props.amiId}"`);
    }
    if (props.workerStatements.length === 0) throw new Error('workerStatements must grant the worker something');
    if (props.instanceTypes.length === 0) throw new Error('instanceTypes must name at least one instance type');
    if (props.subnetArns.length === 0) throw new Error('subnetArns must name at least one subnet');

    if (props.sshPublicKey !== undefined) {
      const keyPair = new KeyPair(this, 'key-pair', { keyName: `${props.baseName}-worker`, publicKey: props.sshPublicKey });
      this.keyName = keyPair.keyName;
      this.keyPairArn = keyPair.arn;
    } else {
      this.keyName = '';
    }

    // No confused-deputy condition: AWS documents aws:SourceArn / aws:SourceAccount for EC2's instance
    // roles nowhere, and EC2 assumes the role for the instance, not for another resource of the account.
    const role = new IamRole(this, 'role', {
      name: `${props.baseName}-worker`,
      assumeRolePolicy: assumeRolePolicy('ec2.amazonaws.com'),
    });
    new IamRolePolicy(this, 'role-policy', {
      name: 'worker',
      role: role.id,
      policy: policyDocument([...props.workerStatements, publishWorkerMetricsStatement()]),
    });
    new IamRolePolicyAttachment(this, 'ssm-core', {
      role: role.name,
      policyArn: `arn:${props.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
    });
    const profile = new IamInstanceProfile(this, 'profile', { name: `${props.baseName}-worker`, role: role.name });

    // The power-off that ends a worker must terminate it; IMDSv2 only, one hop (the worker runs on the host,
    // so nothing forwarded can reach the credentials). No image, type or subnet: each launch sets those.
    const template = new LaunchTemplate(this, 'launch-template', {
      name: `${props.baseName}-worker`,
      description: 'rag-worker: what every launch shares; the orchestrator adds the image, types, subnets, root volume and user data',
      updateDefaultVersion: true,
      vpcSecurityGroupIds: [props.securityGroupId],
      iamInstanceProfile: { arn: profile.arn },
      ...(props.sshPublicKey === undefined ? {} : { keyName: this.keyName }),
      instanceInitiatedShutdownBehavior: 'terminate',
      metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'disabled' },
      tagSpecifications: [{ resourceType: 'volume', tags: { ...props.volumeTags } }],
      tags: { [WORKER_TAG.key]: WORKER_TAG.value },
    });

    this.instanceProfileName = profile.name;
    this.instanceProfileArn = profile.arn;
    this.workerRoleArn = role.arn;
    this.workerRoleName = role.name;
    this.launchTemplateId = template.id;
    this.launchTemplateArn = template.arn;
    this.launchTemplateVersion = Token.asString(template.latestVersion);
  }

  /**
   * What the orchestrator needs to launch a worker and nothing more. It launches with CreateFleet (type
   * `instant`), which EC2 authorizes on the fleet, the instance, the image, the launch template, the subnet and
   * the volume, and then, on the caller's behalf, as RunInstances on every resource of the launch (AWS's
   * Service Authorization Reference; Karpenter's controller policy grants both actions the same way). So each
   * resource gets both actions, with the conditions its type supports: instances only of the configured types,
   * only tagged as a worker, only with the worker's instance profile, only with IMDSv2 required (RunInstances);
   * volumes only encrypted; the fleet only tagged as a worker; only the workers' template, subnets, security group
   * and image. Tags only as part of a launch; the worker role passed only to EC2; a look at the instances and the
   * image.
   */
  launchStatements(): PolicyStatement[] {
    const { partition, region, subnetArns, securityGroupArn, instanceTypes } = this.props;
    // The account ID is taken from a subnet's ARN, so no plan-time AWS lookup is needed.
    const account = accountOf(subnetArns[0]);
    const ec2Arn = (resource: string) => `arn:${partition}:ec2:${region}:${account}:${resource}`;
    // AMI ARNs carry no account. A pinned AMI is granted exactly; an SSM-resolved one cannot be known in advance.
    const image = `arn:${partition}:ec2:${region}::image/${this.amiSsmParameter === undefined ? this.amiId : '*'}`;
    const launch = ['ec2:CreateFleet', 'ec2:RunInstances'];
    const workerTag = { [`aws:RequestTag/${WORKER_TAG.key}`]: WORKER_TAG.value };

    // A launch touches several resource types and a condition key applies only to the types (and actions) that
    // support it (ec2:InstanceType to instances, ec2:MetadataHttpTokens to RunInstances' instances): one
    // statement with every type would fail the condition on the others, so the grant is split by resource type
    // and action, as AWS's own RunInstances examples do
    // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ExamplePolicies_EC2.html#iam-example-runinstances).
    const splitByResourceType: AcceptedFinding = {
      issue: 'RESOURCE_MISMATCH',
      reason:
        'The launch is granted in statements split by resource type and action, each with the conditions that apply to its types; together they cover every resource type CreateFleet and RunInstances need.',
    };
    const statements: PolicyStatement[] = [
      {
        sid: 'LaunchWorkerFleet',
        actions: ['ec2:CreateFleet'],
        resources: [ec2Arn('fleet/*')],
        conditions: { StringEquals: workerTag },
        acceptedFindings: [splitByResourceType],
      },
      {
        sid: 'LaunchWorkerInstanceFromFleet',
        actions: ['ec2:CreateFleet'],
        resources: [ec2Arn('instance/*')],
        conditions: { StringEquals: { 'ec2:InstanceType': [...instanceTypes], ...workerTag }, ArnEquals: { 'ec2:InstanceProfile': this.instanceProfileArn } },
        acceptedFindings: [splitByResourceType],
      },
      {
        sid: 'LaunchWorkerInstance',
        actions: ['ec2:RunInstances'],
        resources: [ec2Arn('instance/*')],
        conditions: {
          StringEquals: { 'ec2:InstanceType': [...instanceTypes], ...workerTag, 'ec2:MetadataHttpTokens': 'required' },
          ArnEquals: { 'ec2:InstanceProfile': this.instanceProfileArn },
        },
        acceptedFindings: [splitByResourceType],
      },
      {
        sid: 'LaunchFromWorkerTemplate',
        actions: launch,
        resources: [this.launchTemplateArn, image, ...subnetArns],
        acceptedFindings: [splitByResourceType],
      },
      {
        sid: 'LaunchWithEncryptedVolumes',
        actions: launch,
        resources: [ec2Arn('volume/*')],
        conditions: { Bool: { 'ec2:Encrypted': 'true' } },
        acceptedFindings: [splitByResourceType],
      },
      {
        sid: 'LaunchIntoPipelineNetwork',
        actions: ['ec2:RunInstances'],
        resources: [securityGroupArn, ec2Arn('network-interface/*'), ...(this.keyPairArn ? [this.keyPairArn] : [])],
        acceptedFindings: [splitByResourceType],
      },
      {
        sid: 'TagOnlyAtLaunch',
        actions: ['ec2:CreateTags'],
        resources: [ec2Arn('fleet/*'), ec2Arn('instance/*'), ec2Arn('volume/*'), ec2Arn('network-interface/*')],
        conditions: { StringEquals: { 'ec2:CreateAction': ['CreateFleet', 'RunInstances'] } },
      },
      {
        sid: 'PassWorkerRoleToEc2',
        actions: ['iam:PassRole'],
        resources: [this.workerRoleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
      {
        // DescribeInstances supports no resource-level permissions: AWS only accepts "*" for it.
        sid: 'FindRunningWorkers',
        actions: ['ec2:DescribeInstances'],
        resources: ['*'],
      },
      {
        // The orchestrator checks the image (owner, release, architecture) before it launches. DescribeImages
        // supports no resource-level permissions either.
        sid: 'InspectWorkerImage',
        actions: ['ec2:DescribeImages'],
        resources: ['*'],
      },
    ];
    if (this.amiSsmParameter !== undefined) {
      statements.push({
        sid: 'ResolveWorkerAmi',
        actions: ['ssm:GetParameters'],
        // Public parameters have no account in their ARN.
        resources: [`arn:${partition}:ssm:${region}::parameter${this.amiSsmParameter}`],
        acceptedFindings: [
          {
            issue: 'RESOURCE_MISMATCH',
            reason:
              "AWS's public parameters (/aws/service/...) have ARNs without an account (arn:aws:ssm:<region>::parameter/aws/service/...), which parliament's pattern, requiring one, does not match.",
          },
        ],
      });
    }
    return statements;
  }
}
