import { Testing } from 'cdktf';
import { Network, type NetworkProps } from '../../../modules/vpc';
import { parseSynth, resourcesOf, refTo } from '../../support/synth';

const props: NetworkProps = { baseName: 'rag-pipeline-dev', region: 'eu-west-1', vpcCidr: '10.42.0.0/16', subnetCidr: '10.42.1.0/24' };

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

  it('creates the workers subnet in the VPC with public addresses and the given zone', () => {
    const json = parseSynth(synth({ availabilityZone: 'eu-west-1b' }));

    expect(synth({ availabilityZone: 'eu-west-1b' })).toHaveResourceWithProperties({ tfResourceType: 'aws_subnet' }, {
      vpc_id: refTo(json, 'aws_vpc', 'id'),
      cidr_block: '10.42.1.0/24',
      availability_zone: 'eu-west-1b',
      map_public_ip_on_launch: true,
    });
  });

  it('routes the subnet to the internet through a gateway', () => {
    const json = parseSynth(synth());

    expect(resourcesOf(json, 'aws_route').map(([, route]) => route)).toEqual([
      expect.objectContaining({ destination_cidr_block: '0.0.0.0/0', gateway_id: refTo(json, 'aws_internet_gateway', 'id') }),
    ]);
    expect(resourcesOf(json, 'aws_route_table_association').map(([, association]) => association)).toEqual([
      { subnet_id: refTo(json, 'aws_subnet', 'id'), route_table_id: refTo(json, 'aws_route_table', 'id') },
    ]);
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

  it('gives the worker security group no inbound rule by default, only HTTPS and HTTP out', () => {
    const json = parseSynth(synth());

    expect(resourcesOf(json, 'aws_vpc_security_group_ingress_rule')).toEqual([]);
    expect(Object.keys(json.resource)).not.toContain('aws_security_group_rule');
    const group = resourcesOf(json, 'aws_security_group')[0][1];
    expect(group).not.toHaveProperty('ingress');
    expect(resourcesOf(json, 'aws_vpc_security_group_egress_rule').map(([, rule]) => rule)).toEqual([
      expect.objectContaining({ ip_protocol: 'tcp', from_port: 443, to_port: 443, cidr_ipv4: '0.0.0.0/0' }),
      expect.objectContaining({ ip_protocol: 'tcp', from_port: 80, to_port: 80, cidr_ipv4: '0.0.0.0/0' }),
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
