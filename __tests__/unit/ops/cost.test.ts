import { estimateCost, formatCostEstimate, hourlyPrice, ON_DEMAND_PRICES, SPOT_PRICE_RATIO } from '../../../ops/cost';
import { parseRatio } from '../../../ops/arguments';

describe('public prices', () => {
  it('each has a source and the date it was read', () => {
    for (const [type, price] of Object.entries(ON_DEMAND_PRICES)) {
      expect([type, price.usdPerHour > 0]).toEqual([type, true]);
      expect(price.source).toMatch(/^(https:\/\/|AWS Price List, https:\/\/)/);
      expect(price.asOf).toMatch(/^\d{4}-\d\d-\d\d$/);
    }
    expect(SPOT_PRICE_RATIO.source).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
  });

  it('prices the default type and the GPU types the docs name', () => {
    for (const type of ['t3.micro', 'c6i.large', 'm7i.large', 'g4dn.xlarge', 'g5.xlarge', 'g6.xlarge']) expect(ON_DEMAND_PRICES[type]).toBeDefined();
  });

  it('takes Spot as a share of on-demand', () => {
    expect(hourlyPrice('c5.2xlarge', 'on-demand')).toBe(0.34);
    expect(hourlyPrice('c5.2xlarge', 'spot', 0.5)).toBe(0.17);
    expect(hourlyPrice('x9.unknown', 'spot')).toBeUndefined();
  });
});

describe('estimateCost', () => {
  it('sums each row’s share of worker time at the price of its type and purchase option', () => {
    const estimate = estimateCost(
      [
        { instanceType: 't3.micro', purchaseOption: 'on-demand', instanceSeconds: 1800, processingSeconds: 1700 },
        { instanceType: 't3.micro', purchaseOption: 'on-demand', instanceSeconds: 1800, processingSeconds: 1000 },
        { instanceType: 't3.micro', purchaseOption: 'spot', instanceSeconds: 3600, interruptions: 3 },
        { instanceType: 'z9.mega', purchaseOption: 'spot', instanceSeconds: 100 },
        { processingSeconds: 5 },
      ],
      0.5,
    );

    expect(estimate.lines.map(({ instanceType, purchaseOption, rows, instanceSeconds, usd }) => [instanceType, purchaseOption, rows, instanceSeconds, usd])).toEqual([
      ['t3.micro', 'on-demand', 2, 3600, 0.0104],
      ['t3.micro', 'spot', 1, 3600, 0.0052],
      ['z9.mega', 'spot', 1, 100, undefined],
    ]);
    expect(estimate.usd).toBeCloseTo(0.0156, 10);
    expect(estimate.onDemandUsd).toBeCloseTo(0.0208, 10);
    expect(estimate).toMatchObject({ rows: 5, rowsWithoutUsage: 1, processingSeconds: 2705, interruptions: 3, interruptedRows: 1, unpricedTypes: ['z9.mega'] });

    const text = formatCostEstimate(estimate, 'all');
    expect(text).toContain('not priced: z9.mega (add them to ops/cost.ts)');
    expect(text).toContain('1 rows record no worker time');
    expect(text).toContain('not included: boot and idle time of the workers');
  });

  it('counts a row without a purchase option as on-demand (every worker before Spot)', () => {
    expect(estimateCost([{ instanceType: 'm5.large', instanceSeconds: 3600 }]).usd).toBeCloseTo(0.096, 10);
  });
});

describe('--spot-ratio', () => {
  it.each([['0.35', 0.35], ['.5', 0.5], ['1', 1]])('accepts %s', (value, expected) => expect(parseRatio('--spot-ratio', value)).toBe(expected));
  it.each([['0'], ['1.5'], ['abc'], ['-0.2']])('refuses %s', (value) => expect(() => parseRatio('--spot-ratio', value)).toThrow('--spot-ratio must be a number above 0'));
});
