import { describe, expect, it } from 'vitest';
import { parseQuantity } from './quota.js';

describe('parseQuantity', () => {
  it.each([
    ['4', 4],
    [4, 4],
    ['500m', 0.5],
    ['0.5', 0.5],
    ['2k', 2000],
    ['1M', 1_000_000],
    ['3G', 3_000_000_000],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1Ki', 1024],
    ['1Mi', 1_048_576],
    ['8Gi', 8_589_934_592],
    ['1.5Gi', 1_610_612_736],
    ['2Ti', 2_199_023_255_552],
    ['1Pi', 1_125_899_906_842_624],
  ])('reads %s as %d', (quantity, expected) => {
    expect(parseQuantity(quantity)).toBe(expected);
  });

  it.each([
    ['1100m', '1.1'],
    ['32000m', '32'],
    ['131072Mi', '128Gi'],
    ['0.5Gi', '512Mi'],
    ['1.5k', '1500'],
  ])('reads %s and %s as the same amount', (a, b) => {
    expect(parseQuantity(a)).toBe(parseQuantity(b));
  });

  it('tells decimal from binary units: 137G is below 128Gi, 138G above', () => {
    expect(parseQuantity('137G')!).toBeLessThan(parseQuantity('128Gi')!);
    expect(parseQuantity('138G')!).toBeGreaterThan(parseQuantity('128Gi')!);
  });

  it.each(['', 'Gi', '1.2.3', '-1', '1gi', '1 Gi', '32 cores', '.5', '1.', 'constructor', '1constructor'])('refuses %j', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });
});
