import { createFleetInput, launchPools, withClientToken } from '../../../functions/orchestrator/launch-request';
import { orchestrator } from '../../support/orchestrator-kit';

const IMAGE = { imageId: 'ami-0abcdef1234567890', rootDeviceName: '/dev/sda1', rootSnapshotGib: 8, publisher: 'canonical' as const };

describe('launchPools', () => {
  it('offers the preferred type in every subnet, preferred subnet first, then each other type', () => {
    expect(launchPools({ subnetId: 'subnet-a', fallbackSubnetIds: ['subnet-b', 'subnet-c'], instanceType: 't3.micro', fallbackInstanceTypes: ['t3a.micro'] })).toEqual([
      { subnetId: 'subnet-a', instanceType: 't3.micro' },
      { subnetId: 'subnet-b', instanceType: 't3.micro' },
      { subnetId: 'subnet-c', instanceType: 't3.micro' },
      { subnetId: 'subnet-a', instanceType: 't3a.micro' },
      { subnetId: 'subnet-b', instanceType: 't3a.micro' },
      { subnetId: 'subnet-c', instanceType: 't3a.micro' },
    ]);
  });

  it('is the one preferred pool without fallbacks', () => {
    expect(launchPools({ subnetId: 'subnet-a', fallbackSubnetIds: [], instanceType: 't3.micro', fallbackInstanceTypes: [] })).toEqual([
      { subnetId: 'subnet-a', instanceType: 't3.micro' },
    ]);
  });
});

describe('createFleetInput', () => {
  const { config } = orchestrator({ EC2_FALLBACK_INSTANCE_TYPES: 't3a.micro' });

  it('asks Spot for price-capacity-optimized pools and sets no priorities', () => {
    const input = createFleetInput(config, 'dXNlcg==', { slot: 0, capacityType: 'spot', image: IMAGE });

    expect(input).toMatchObject({
      Type: 'instant',
      TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'spot' },
      SpotOptions: { AllocationStrategy: 'price-capacity-optimized' },
    });
    expect(input.OnDemandOptions).toBeUndefined();
    expect(input.LaunchTemplateConfigs![0].Overrides!.map((pool) => pool.Priority)).toEqual([undefined, undefined]);
  });

  it('asks on-demand to follow the preference order', () => {
    const input = createFleetInput(config, 'dXNlcg==', { slot: 0, capacityType: 'on-demand', image: IMAGE });

    expect(input).toMatchObject({ OnDemandOptions: { AllocationStrategy: 'prioritized' } });
    expect(input.LaunchTemplateConfigs![0].Overrides!.map((pool) => [pool.InstanceType, pool.Priority])).toEqual([
      ['t3.micro', 0],
      ['t3a.micro', 1],
    ]);
  });

  it('writes the client token on the instance only, beside the slot and purchase tags', () => {
    const input = withClientToken(createFleetInput(config, 'dXNlcg==', { slot: 3, capacityType: 'spot', image: IMAGE }), 'rag-s3-g0-token');

    expect(input.ClientToken).toBe('rag-s3-g0-token');
    expect(input.TagSpecifications).toEqual([
      {
        ResourceType: 'instance',
        Tags: expect.arrayContaining([
          { Key: 'rag-worker-slot', Value: '3' },
          { Key: 'rag-worker-purchase', Value: 'spot' },
          { Key: 'rag-worker-launch', Value: 'rag-s3-g0-token' },
        ]),
      },
      { ResourceType: 'fleet', Tags: [{ Key: 'Role', Value: 'rag-worker' }] },
    ]);
  });
});
