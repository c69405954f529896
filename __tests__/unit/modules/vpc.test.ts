import { TerraformOutput, Testing } from 'cdktf';
import { Network, type NetworkProps } from '../../../modules/vpc';
import { parseSynth, resourcesOf, refTo } from '../../support/synth';

const props: NetworkProps = {
  baseName: 'rag-pipeline-dev',
  region: 'eu-west-1',
  vpcCidr: '10.42.0.0/16',
  subnets: [
    { availabilityZoneId: 'euw1-az1', cidrBlock: '10.42.0.0/24' },
    { availabilityZoneId: 'euw1-az3', cidrBlock: '10.42.1.0/24' },
  ],
};

function synth(overrides: Partial<NetworkProps> = {}): string {
  return Testing.synthScope((scope) => {
    new Network(scope, 'vpc', { ...props, ...overrides });
  });
}

describe('Network', () => {
  it('creates a dedicated VPC with DNS support and hostnames', () => {
    expect(synth()).toHaveResourceWithProperties({ tfResourceType: 'aws_vpc' }, {
      cidr_block: '10.42.0.0/16',
      enable_dns_support: true,
      enable_dns_hostnames: true,
    });
  });

  it('creates one workers subnet per zone, by zone ID, in the VPC with public addresses', () => {
    const json = parseSynth(synth());

    expect(resourcesOf(json, 'aws_subnet').map(([, subnet]) => subnet)).toEqual([
      expect.objectContaining({ vpc_id: refTo(json, 'aws_vpc', 'id'), cidr_block: '10.42.0.0/24', availability_zone_id: 'euw1-az1', map_public_ip_on_launch: true }),
      expect.objectContaining({ vpc_id: refTo(json, 'aws_vpc', 'id'), cidr_block: '10.42.1.0/24', availability_zone_id: 'euw1-az3', map_public_ip_on_launch: true }),
    ]);
    for (const [, subnet] of resourcesOf(json, 'aws_subnet')) expect(subnet).not.toHaveProperty('availability_zone');
  });

  it('exposes the subnets in the given order, the preferred one first', () => {
    const json = parseSynth(
      Testing.synthScope((scope) => {
        const network = new Network(scope, 'vpc', props);
        new TerraformOutput(scope, 'subnet_ids', { value: network.subnetIds });
      }),
    );
    const subnetId = (zone: string) => refTo(json, 'aws_subnet', 'id', (subnet) => subnet.availability_zone_id === zone);

    expect(json.output.subnet_ids.value).toEqual([subnetId('euw1-az1'), subnetId('euw1-az3')]);
  });

  it('routes every subnet to the internet through one gateway', () => {
    const json = parseSynth(synth());
    const subnetId = (zone: string) => refTo(json, 'aws_subnet', 'id', (subnet) => subnet.availability_zone_id === zone);

    expect(resourcesOf(json, 'aws_route').map(([, route]) => route)).toEqual([
      expect.objectContaining({ destination_cidr_block: '0.0.0.0/0', gateway_id: refTo(json, 'aws_internet_gateway', 'id') }),
    ]);
    expect(resourcesOf(json, 'aws_route_table_association').map(([, association]) => association)).toEqual([
      { subnet_id: subnetId('euw1-az1'), route_table_id: refTo(json, 'aws_route_table', 'id') },
      { subnet_id: subnetId('euw1-az3'), route_table_id: refTo(json, 'aws_route_table', 'id') },
    ]);
  });

  it('rejects a zone named twice', () => {
    expect(() => synth({ subnets: [props.subnets[0], props.subnets[0]] })).toThrow(
      'subnets must name one or more distinct availability zone IDs, got [euw1-az1, euw1-az1]',
    );
  });

  it('adds free gateway endpoints for S3 and DynamoDB on the subnet route table', () => {
    const json = parseSynth(synth());

    const endpoints = resourcesOf(json, 'aws_vpc_endpoint').map(([, endpoint]) => endpoint);

    expect(endpoints.map((endpoint) => endpoint.service_name).sort()).toEqual([
      'com.amazonaws.eu-west-1.dynamodb',
      'com.amazonaws.eu-west-1.s3',
    ]);
    for (const endpoint of endpoints) {
      expect(endpoint).toMatchObject({ vpc_endpoint_type: 'Gateway', route_table_ids: [refTo(json, 'aws_route_table', 'id')] });
    }
  });

  it('gives the worker security group no inbound rule by default, only HTTPS out', () => {
    const json = parseSynth(synth());

    expect(resourcesOf(json, 'aws_vpc_security_group_ingress_rule')).toEqual([]);
    expect(Object.keys(json.resource)).not.toContain('aws_security_group_rule');
    const group = resourcesOf(json, 'aws_security_group')[0][1];
    expect(group).not.toHaveProperty('ingress');
    expect(resourcesOf(json, 'aws_vpc_security_group_egress_rule').map(([, rule]) => rule)).toEqual([
      expect.objectContaining({ ip_protocol: 'tcp', from_port: 443, to_port: 443, cidr_ipv4: '0.0.0.0/0' }),
    ]);
  });

  it('empties the default security group so nothing can use it', () => {
    const json = parseSynth(synth());

    expect(resourcesOf(json, 'aws_default_security_group').map(([, group]) => group)).toEqual([
      expect.objectContaining({ vpc_id: refTo(json, 'aws_vpc', 'id') }),
    ]);
    expect(resourcesOf(json, 'aws_default_security_group')[0][1]).not.toHaveProperty('ingress');
  });

  it('allows SSH only from the supplied CIDR when one is given', () => {
    const json = parseSynth(synth({ sshCidr: '203.0.113.7/32' }));

    expect(resourcesOf(json, 'aws_vpc_security_group_ingress_rule').map(([, rule]) => rule)).toEqual([
      expect.objectContaining({
        security_group_id: refTo(json, 'aws_security_group', 'id'),
        ip_protocol: 'tcp',
        from_port: 22,
        to_port: 22,
        cidr_ipv4: '203.0.113.7/32',
      }),
    ]);
  });
});
