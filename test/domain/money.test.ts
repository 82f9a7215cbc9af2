import { describe, expect, it } from 'vitest';
import { computeAmounts, orderAmounts } from '../../src/domain/money.js';

describe('computeAmounts', () => {
  it("gives the manual's example: 3 × 870 → 2,610 / 261 / 2,871", () => {
    expect(computeAmounts([{ quantity: 3, unitPrice: 870 }])).toEqual({ subtotal: 2610n, tax: 261n, total: 2871n });
  });

  it('floors the tax over the order, not per line', () => {
    // Per line: floor(1.5) + floor(1.5) = 2; over the order: floor(3) = 3.
    expect(
      computeAmounts([
        { quantity: 1, unitPrice: 15 },
        { quantity: 1, unitPrice: 15 },
      ]),
    ).toEqual({ subtotal: 30n, tax: 3n, total: 33n });
  });

  it('rounds the tax down to the yen', () => {
    expect(computeAmounts([{ quantity: 1, unitPrice: 19 }])).toEqual({ subtotal: 19n, tax: 1n, total: 20n });
    expect(computeAmounts([{ quantity: 1, unitPrice: 9 }])).toEqual({ subtotal: 9n, tax: 0n, total: 9n });
  });

  it('is 0 / 0 / 0 for no lines or nothing left', () => {
    expect(computeAmounts([])).toEqual({ subtotal: 0n, tax: 0n, total: 0n });
    expect(computeAmounts([{ quantity: 0, unitPrice: 870 }])).toEqual({ subtotal: 0n, tax: 0n, total: 0n });
  });

  it('takes another rate in percent', () => {
    expect(computeAmounts([{ quantity: 3, unitPrice: 870 }], 8)).toEqual({ subtotal: 2610n, tax: 208n, total: 2818n });
  });

  it('stays exact past what a JavaScript number holds: the largest quantity at the largest price', () => {
    expect(computeAmounts([{ quantity: 2_147_483_647, unitPrice: 2_147_483_647 }])).toEqual({
      subtotal: 4_611_686_014_132_420_609n,
      tax: 461_168_601_413_242_060n,
      total: 5_072_854_615_545_662_669n,
    });
  });

  it('stays exact on large integer amounts', () => {
    expect(computeAmounts([{ quantity: 100_000, unitPrice: 99_999 }])).toEqual({ subtotal: 9_999_900_000n, tax: 999_990_000n, total: 10_999_890_000n });
  });
});

describe('orderAmounts', () => {
  it('shows before and after as the 契約変更 screen does (after a full cancel: 0 / 0 / 0)', () => {
    expect(orderAmounts([{ quantityBefore: 3, quantityAfter: 0, unitPrice: 870 }])).toEqual({
      before: { subtotal: 2610n, tax: 261n, total: 2871n },
      after: { subtotal: 0n, tax: 0n, total: 0n },
    });
  });

  it('sums several lines before flooring the tax', () => {
    const { before, after } = orderAmounts([
      { quantityBefore: 1, quantityAfter: 1, unitPrice: 15 },
      { quantityBefore: 2, quantityAfter: 1, unitPrice: 15 },
    ]);
    expect(before).toEqual({ subtotal: 45n, tax: 4n, total: 49n });
    expect(after).toEqual({ subtotal: 30n, tax: 3n, total: 33n });
  });
});
