import { describe, expect, it } from 'vitest';
import { compareQuantities, largestQuantity, parseQuantity, type Quantity } from './quota.js';

const amount = (text: string | number): Quantity => {
  const parsed = parseQuantity(text);
  if (!parsed) throw new Error(`${text} did not parse`);
  return parsed;
};
/** The amount as a decimal fraction, for readable expectations. */
const exactly =
  (numerator: bigint, denominator = 1n) =>
  (q: Quantity) =>
    q.numerator * denominator === numerator * q.denominator;

describe('parseQuantity', () => {
  it.each([
    ['4', 4n],
    [4, 4n],
    ['500m', 1n, 2n],
    ['0.5', 1n, 2n],
    ['5.', 5n],
    ['.5', 1n, 2n],
    ['+3', 3n],
    ['-2', -2n],
    ['250u', 1n, 4000n],
    ['7n', 7n, 1_000_000_000n],
    ['2k', 2000n],
    ['1M', 1_000_000n],
    ['3G', 3_000_000_000n],
    ['1T', 10n ** 12n],
    ['1P', 10n ** 15n],
    ['2E', 2n * 10n ** 18n],
    ['1Ki', 1024n],
    ['1Mi', 1_048_576n],
    ['8Gi', 8_589_934_592n],
    ['1.5Gi', 1_610_612_736n],
    ['2Ti', 2_199_023_255_552n],
    ['1Pi', 1_125_899_906_842_624n],
    ['7Ei', 7n * 2n ** 60n],
    ['1e3', 1000n],
    ['1E3', 1000n],
    ['12e-1', 6n, 5n],
    ['1.5e+2', 150n],
    [1e21 / 1e3, 10n ** 18n],
    ['99999.' + '0'.repeat(320), 99999n],
    ['9223372036854775807', 2n ** 63n - 1n],
  ])('reads %s exactly', (quantity, numerator, denominator = 1n) => {
    expect(exactly(numerator, denominator)(amount(quantity))).toBe(true);
  });

  it.each([
    ['1100m', '1.1'],
    ['32000m', '32'],
    ['131072Mi', '128Gi'],
    ['0.5Gi', '512Mi'],
    ['1.5k', '1500'],
    ['1e3', '1k'],
    ['0.000000001', '1n'],
  ])('reads %s and %s as the same amount', (a, b) => {
    expect(compareQuantities(amount(a), amount(b))).toBe(0);
  });

  it('tells decimal from binary units: 137G is below 128Gi, 138G above', () => {
    expect(compareQuantities(amount('137G'), amount('128Gi'))).toBe(-1);
    expect(compareQuantities(amount('138G'), amount('128Gi'))).toBe(1);
  });

  it('compares amounts beyond floating point exactly: neither Infinity nor NaN', () => {
    expect(compareQuantities(amount('99999.' + '0'.repeat(320)), amount('32'))).toBe(1);
    expect(compareQuantities(amount('32.' + '0'.repeat(400) + '1'), amount('32'))).toBe(1);
    expect(compareQuantities(amount('9007199254740993'), amount('9007199254740992'))).toBe(1);
  });

  it.each([
    '',
    'Gi',
    '1.2.3',
    '1gi',
    '1 Gi',
    '32 cores',
    '.',
    '1e',
    '1e3Gi',
    '1ee3',
    '--1',
    'constructor',
    '1constructor',
    '0x10',
    'Infinity',
    'NaN',
  ])('refuses %j: no quantity', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  it.each([
    ['2^63 base units, which Kubernetes would cap without a word', '9223372036854775808'],
    ['8Ei', '8Ei'],
    ['an exponent beyond any ceiling', '1e19'],
    ['an exponent too large to compute', '1e99999999'],
    ['an exponent too small to compute', '1e-99999999'],
  ])('refuses %s', (_, text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  it('refuses numbers that are no quantity', () => {
    expect(parseQuantity(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(parseQuantity(Number.NaN)).toBeUndefined();
  });

  it('keeps the largest accepted amount exactly', () => {
    expect(compareQuantities(amount('9223372036854775807'), largestQuantity)).toBe(0);
  });
});
