import { launchCandidates } from '../../../functions/orchestrator/launch-request';

describe('launchCandidates', () => {
  it('tries the preferred subnet, then the other zones, with the configured type before each fallback type', () => {
    expect(
      launchCandidates({ subnetId: 'subnet-a', fallbackSubnetIds: ['subnet-b', 'subnet-c'], instanceType: 't3.micro', fallbackInstanceTypes: ['t3a.micro'] }),
    ).toEqual([
      { subnetId: 'subnet-a', instanceType: 't3.micro' },
      { subnetId: 'subnet-b', instanceType: 't3.micro' },
      { subnetId: 'subnet-c', instanceType: 't3.micro' },
      { subnetId: 'subnet-a', instanceType: 't3a.micro' },
      { subnetId: 'subnet-b', instanceType: 't3a.micro' },
      { subnetId: 'subnet-c', instanceType: 't3a.micro' },
    ]);
  });

  it('is the one preferred pair without fallbacks', () => {
    expect(launchCandidates({ subnetId: 'subnet-a', fallbackSubnetIds: [], instanceType: 't3.micro', fallbackInstanceTypes: [] })).toEqual([
      { subnetId: 'subnet-a', instanceType: 't3.micro' },
    ]);
  });
});
