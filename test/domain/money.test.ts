import { describe, expect, it } from 'vitest';
import { computeAmounts, orderAmounts } from '../../src/domain/money.js';

describe('computeAmounts', () => {
  it("gives the manual's example: 3 × 870 → 2,610 / 261 / 2,871", () => {
    expect(computeAmounts([{ quantity: 3, unitPrice: 870 }])).toEqual({ subtotal: 2610, tax: 261, total: 2871 });
  });

  it('floors the tax over the order, not per line', () => {
    // Per line: floor(1.5) + floor(1.5) = 2; over the order: floor(3) = 3.
    expect(
      computeAmounts([
        { quantity: 1, unitPrice: 15 },
        { quantity: 1, unitPrice: 15 },
      ]),
    ).toEqual({ subtotal: 30, tax: 3, total: 33 });
  });

  it('rounds the tax down to the yen', () => {
    expect(computeAmounts([{ quantity: 1, unitPrice: 19 }])).toEqual({ subtotal: 19, tax: 1, total: 20 });
    expect(computeAmounts([{ quantity: 1, unitPrice: 9 }])).toEqual({ subtotal: 9, tax: 0, total: 9 });
  });

  it('is 0 / 0 / 0 for no lines or nothing left', () => {
    expect(computeAmounts([])).toEqual({ subtotal: 0, tax: 0, total: 0 });
    expect(computeAmounts([{ quantity: 0, unitPrice: 870 }])).toEqual({ subtotal: 0, tax: 0, total: 0 });
  });

  it('takes another rate in percent', () => {
    expect(computeAmounts([{ quantity: 3, unitPrice: 870 }], 8)).toEqual({ subtotal: 2610, tax: 208, total: 2818 });
  });

  it('stays exact on large integer amounts', () => {
    expect(computeAmounts([{ quantity: 100_000, unitPrice: 99_999 }])).toEqual({ subtotal: 9_999_900_000, tax: 999_990_000, total: 10_999_890_000 });
  });
});

describe('orderAmounts', () => {
  it('shows before and after as the 契約変更 screen does (after a full cancel: 0 / 0 / 0)', () => {
    expect(orderAmounts([{ quantityBefore: 3, quantityAfter: 0, unitPrice: 870 }])).toEqual({
      before: { subtotal: 2610, tax: 261, total: 2871 },
      after: { subtotal: 0, tax: 0, total: 0 },
    });
  });

  it('sums several lines before flooring the tax', () => {
    const { before, after } = orderAmounts([
      { quantityBefore: 1, quantityAfter: 1, unitPrice: 15 },
      { quantityBefore: 2, quantityAfter: 1, unitPrice: 15 },
    ]);
    expect(before).toEqual({ subtotal: 45, tax: 4, total: 49 });
    expect(after).toEqual({ subtotal: 30, tax: 3, total: 33 });
  });
});
