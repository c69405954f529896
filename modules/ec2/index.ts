import { Construct } from 'constructs';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { KeyPair } from '@cdktf/provider-aws/lib/key-pair';
import { WORKER_TAG, WorkerMetrics } from '../../contracts';
import { accountOf } from '../shared/arn';
import { assumeRolePolicy, policyDocument, type PolicyStatement } from '../shared/iam';
import type { AcceptedFinding } from '../shared/parliament';

export interface WorkerLaunchProps {
  /** Stem of resource names, e.g. `rag-pipeline-dev`. */
  readonly baseName: string;
  /** What RunInstances receives as ImageId: `ami-…` or `resolve:ssm:<public parameter>`. */
  readonly amiId: string;
  /** The instance types the orchestrator may launch: the preferred one first, then its fallbacks. */
  readonly instanceTypes: readonly string[];
  readonly region: string;
  /** AWS partition (`aws`, `aws-cn`, …), e.g. from the aws_partition data source. */
  readonly partition: string;
  /** The workers' subnets; the first one's ARN also supplies the account ID for the launch ARNs. */
  readonly subnetArns: readonly string[];
  readonly securityGroupArn: string;
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
 * What the orchestrator needs to launch a worker: the AMI to use (resolved by EC2 at launch, so a plan
 * needs no AWS lookup), an optional key pair, and the worker's role and instance profile. Session
 * Manager access comes from AWS's managed core policy.
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

    this.instanceProfileName = profile.name;
    this.instanceProfileArn = profile.arn;
    this.workerRoleArn = role.arn;
    this.workerRoleName = role.name;
  }

  /**
   * What the orchestrator needs to launch a worker and nothing more: RunInstances only into the pipeline's
   * subnets and security group, only of the configured instance types, only tagged as a worker and only
   * with IMDSv2 required; tags only as part of that launch; the worker role passed only to EC2; a look at
   * the image it launches.
   */
  launchStatements(): PolicyStatement[] {
    const { partition, region, subnetArns, securityGroupArn, instanceTypes } = this.props;
    // The account ID is taken from a subnet's ARN, so no plan-time AWS lookup is needed.
    const account = accountOf(subnetArns[0]);
    const ec2Arn = (resource: string) => `arn:${partition}:ec2:${region}:${account}:${resource}`;
    const launched = [ec2Arn('instance/*'), ec2Arn('volume/*'), ec2Arn('network-interface/*')];
    // AMI ARNs carry no account. A pinned AMI is granted exactly; an SSM-resolved one cannot be known in advance.
    const image = `arn:${partition}:ec2:${region}::image/${this.amiSsmParameter === undefined ? this.amiId : '*'}`;

    // RunInstances touches several resource types and a condition key applies only to the types that
    // support it (ec2:InstanceType to instances): one statement with every type would fail the condition on
    // the others, so the grant is split by resource type, as AWS's own RunInstances examples do
    // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ExamplePolicies_EC2.html#iam-example-runinstances).
    const splitByResourceType: AcceptedFinding = {
      issue: 'RESOURCE_MISMATCH',
      reason:
        'RunInstances is granted in three statements split by resource type, each with the conditions that apply to its types; together they cover every resource type the launch needs.',
    };
    const statements: PolicyStatement[] = [
      {
        sid: 'LaunchWorkerInstance',
        actions: ['ec2:RunInstances'],
        resources: [ec2Arn('instance/*')],
        conditions: {
          StringEquals: {
            'ec2:InstanceType': [...instanceTypes],
            [`aws:RequestTag/${WORKER_TAG.key}`]: WORKER_TAG.value,
            'ec2:MetadataHttpTokens': 'required',
          },
        },
        acceptedFindings: [splitByResourceType],
      },
      {
        sid: 'LaunchIntoPipelineNetwork',
        actions: ['ec2:RunInstances'],
        resources: [...subnetArns, securityGroupArn],
        acceptedFindings: [splitByResourceType],
      },
      {
        sid: 'LaunchWithImageAndVolumes',
        actions: ['ec2:RunInstances'],
        resources: [image, ec2Arn('volume/*'), ec2Arn('network-interface/*'), ...(this.keyPairArn ? [this.keyPairArn] : [])],
        acceptedFindings: [splitByResourceType],
      },
      {
        sid: 'TagOnlyAtLaunch',
        actions: ['ec2:CreateTags'],
        resources: launched,
        conditions: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
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
        // The orchestrator checks the image (architecture, owner) before its first launch. DescribeImages
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
