import { createInstanceMetadata } from '../../../worker/instance-metadata';
import { startInstanceMetadata, type InstanceMetadataStandIn } from '../../../local/standins/instance-metadata';

let imds: InstanceMetadataStandIn;

beforeEach(async () => {
  imds = await startInstanceMetadata({ instanceId: 'i-0123456789abcdef0', instanceType: 'c7i.large', lifecycle: 'spot' });
});
afterEach(() => imds.close());

describe('the instance metadata client, against the local stand-in', () => {
  it('reads the instance’s type and purchase option with an IMDSv2 token', async () => {
    const metadata = createInstanceMetadata({ endpoint: imds.endpoint });

    expect(await metadata.read('instance-type')).toBe('c7i.large');
    expect(await metadata.read('instance-life-cycle')).toBe('spot');
  });

  it('reads no notice until one is posted, then the notice', async () => {
    const metadata = createInstanceMetadata({ endpoint: imds.endpoint });
    expect(await metadata.read('spot/instance-action')).toBeUndefined();
    expect(await metadata.read('events/recommendations/rebalance')).toBeUndefined();

    const { deadlineMs } = imds.interrupt(120_000);
    imds.recommendRebalance();

    expect(JSON.parse((await metadata.read('spot/instance-action'))!)).toEqual({
      action: 'terminate',
      time: new Date(deadlineMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    expect(await metadata.read('events/recommendations/rebalance')).toContain('noticeTime');
  });

  it('keeps its token between reads, and asks for a new one when IMDS refuses it', async () => {
    const metadata = createInstanceMetadata({ endpoint: imds.endpoint });
    await metadata.read('instance-type');
    await metadata.read('instance-life-cycle');
    expect(imds.tokensIssued()).toBe(1);

    imds.expireTokens();

    expect(await metadata.read('instance-type')).toBe('c7i.large');
    expect(imds.tokensIssued()).toBe(2);
  });

  it('asks for a new token when its own ends (six hours, renewed a minute early)', async () => {
    let now = 0;
    const metadata = createInstanceMetadata({ endpoint: imds.endpoint, now: () => now });
    await metadata.read('instance-type');
    now += 6 * 3600_000 - 60_000;
    await metadata.read('instance-type');

    expect(imds.tokensIssued()).toBe(2);
  });

  it('throws when IMDS cannot be reached', async () => {
    const metadata = createInstanceMetadata({ endpoint: imds.endpoint });
    await imds.close();
    imds = await startInstanceMetadata({ instanceId: 'i-1', instanceType: 't3.micro', lifecycle: 'on-demand' });

    await expect(metadata.read('instance-type')).rejects.toThrow();
  });
});
