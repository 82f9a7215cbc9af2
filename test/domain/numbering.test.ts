import { describe, expect, it } from 'vitest';
import { formatContractNo, formatOrderNo, isContractNo } from '../../src/domain/numbering.js';

describe('formatOrderNo / formatContractNo', () => {
  it('writes prefix, year and month of the date, and ten digits', () => {
    expect(formatOrderNo('2026-11-26', 1)).toBe('NOD202611-0000000001');
    expect(formatOrderNo('2021-07-20', 7584)).toBe('NOD202107-0000007584');
    expect(formatContractNo('2021-07-20', 3109)).toBe('NCN202107-0000003109');
  });

  it('takes the largest ten-digit number', () => {
    expect(formatOrderNo('2026-11-26', 9_999_999_999)).toBe('NOD202611-9999999999');
  });

  it.each([0, -1, 1.5, 10_000_000_000, Number.NaN, Number.POSITIVE_INFINITY])('refuses sequence %s with a RangeError', (sequence) => {
    expect(() => formatOrderNo('2026-11-26', sequence)).toThrow(RangeError);
    expect(() => formatContractNo('2026-11-26', sequence)).toThrow(RangeError);
  });
});

describe('isContractNo', () => {
  it('knows a contract number', () => {
    expect(isContractNo('NCN202107-0000003109')).toBe(true);
  });

  it.each([
    'NOD202107-0000007584', // an order number
    'NCN202113-0000003109', // month 13
    'NCN202100-0000003109', // month 0
    'NCN202107-000003109', // nine digits
    'NCN2021070000003109', // no hyphen
    'ncn202107-0000003109',
    ' NCN202107-0000003109',
    '',
  ])('refuses %j', (value) => {
    expect(isContractNo(value)).toBe(false);
  });
});
