import { Construct } from 'constructs';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { skipCheckov } from '../shared/checkov';

/** One workers' subnet. */
export interface WorkerSubnet {
  /** Availability zone ID (`use1-az1`): the same physical zone in every account, unlike a zone name. */
  readonly availabilityZoneId: string;
  /** Inside the VPC's block (checked by the settings). */
  readonly cidrBlock: string;
}

export interface NetworkProps {
  /** Stem of resource names, e.g. `rag-pipeline-dev`. */
  readonly baseName: string;
  readonly region: string;
  readonly vpcCidr: string;
  /**
   * The workers' subnets, one per zone, in the orchestrator's preference order: it launches into the first
   * and tries the next when a zone lacks the instance type or capacity.
   */
  readonly subnets: readonly WorkerSubnet[];
  /** @default undefined — no inbound rule at all; set it to allow SSH (tcp/22) from this block only */
  readonly sshCidr?: string;
}

/**
 * The workers' network: a dedicated VPC with one public subnet per availability zone (an internet route, so
 * a worker can install Node.js at boot without a NAT gateway's hourly cost), free gateway endpoints that
 * keep S3 and DynamoDB traffic inside AWS, and the worker security group. Nothing is ever placed in the
 * default VPC. Subnets are free; only running instances cost, so several zones cost nothing extra.
 */
export class Network extends Construct {
  readonly vpcId: string;
  /** In the order of {@link NetworkProps.subnets}. */
  readonly subnetIds: string[];
  readonly subnetArns: string[];
  readonly securityGroupId: string;
  readonly securityGroupArn: string;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);

    const vpc = new Vpc(this, 'vpc', {
      cidrBlock: props.vpcCidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: props.baseName },
    });
    skipCheckov(vpc, {
      id: 'CKV2_AWS_11',
      comment: 'Flow logs cost per GB and this VPC holds only short-lived workers with no inbound rule; add an aws_flow_log if an audit requires one.',
    });

    // The VPC's default group is never used; emptied so nothing can be launched into an open group by mistake.
    new DefaultSecurityGroup(this, 'default-sg', { vpcId: vpc.id });

    const zones = props.subnets.map(({ availabilityZoneId }) => availabilityZoneId);
    if (zones.length === 0 || new Set(zones).size !== zones.length) {
      throw new Error(`subnets must name one or more distinct availability zone IDs, got [${zones.join(', ')}]`);
    }

    const gateway = new InternetGateway(this, 'igw', { vpcId: vpc.id, tags: { Name: props.baseName } });
    const routes = new RouteTable(this, 'routes', { vpcId: vpc.id, tags: { Name: props.baseName } });
    new Route(this, 'internet-route', {
      routeTableId: routes.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: gateway.id,
    });

    // Construct IDs carry the zone ID, so adding or removing a zone leaves the other subnets in place.
    const subnets = props.subnets.map(({ availabilityZoneId, cidrBlock }) => {
      const subnet = new Subnet(this, `subnet-${availabilityZoneId}`, {
        vpcId: vpc.id,
        cidrBlock,
        // By ID, not name: `us-east-1a` is a different physical zone in each account.
        availabilityZoneId,
        // Workers need a public address to reach the internet gateway; the security group admits nothing inbound.
        mapPublicIpOnLaunch: true,
        tags: { Name: `${props.baseName}-workers-${availabilityZoneId}` },
      });
      skipCheckov(subnet, {
        id: 'CKV_AWS_130',
        comment: "Workers need a public address to reach the SQS and CloudWatch APIs without a NAT gateway's hourly cost; their security group admits nothing inbound.",
      });
      new RouteTableAssociation(this, `subnet-routes-${availabilityZoneId}`, { subnetId: subnet.id, routeTableId: routes.id });
      return subnet;
    });

    for (const service of ['s3', 'dynamodb']) {
      new VpcEndpoint(this, `${service}-endpoint`, {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${props.region}.${service}`,
        vpcEndpointType: 'Gateway',
        routeTableIds: [routes.id],
        tags: { Name: `${props.baseName}-${service}` },
      });
    }

    const workers = new SecurityGroup(this, 'worker-sg', {
      name: `${props.baseName}-worker`,
      description: 'Pipeline workers: outbound HTTPS only; inbound SSH only from the configured CIDR',
      vpcId: vpc.id,
      tags: { Name: `${props.baseName}-worker` },
    });
    // HTTPS reaches the SQS and CloudWatch APIs (S3 and DynamoDB go through the gateway endpoints, and the
    // Node.js runtime comes from the pipeline bucket), and whatever a worker setup script downloads over HTTPS
    // (docs/processors.md, "Software on the worker"). Nothing else: plain HTTP (Ubuntu's default apt mirrors)
    // is closed. DNS and NTP go to the VPC's own link-local services, which security groups do not filter.
    new VpcSecurityGroupEgressRule(this, 'egress-443', {
      securityGroupId: workers.id,
      description: 'HTTPS: AWS APIs',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: '0.0.0.0/0',
    });
    if (props.sshCidr !== undefined) {
      new VpcSecurityGroupIngressRule(this, 'ssh-ingress', {
        securityGroupId: workers.id,
        description: 'SSH from the operator-supplied CIDR',
        ipProtocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        cidrIpv4: props.sshCidr,
      });
    }

    this.vpcId = vpc.id;
    this.subnetIds = subnets.map((subnet) => subnet.id);
    this.subnetArns = subnets.map((subnet) => subnet.arn);
    this.securityGroupId = workers.id;
    this.securityGroupArn = workers.arn;
  }
}
