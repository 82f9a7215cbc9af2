/** Amounts in yen, as the portal's 契約変更 screen shows them. */
export const DEFAULT_TAX_RATE_PERCENT = 10;

/**
 * Whole yen, as big integers: a quantity and a unit price may each be up to 2,147,483,647,
 * and their product (about 4.6 × 10^18) is past what a JavaScript number holds exactly.
 */
export interface Amounts {
  subtotal: bigint;
  tax: bigint;
  total: bigint;
}

/** Tax is floored over the whole order, not per line (2,610 円 → 261 円). */
export function computeAmounts(lines: readonly { quantity: number; unitPrice: number }[], taxRatePercent = DEFAULT_TAX_RATE_PERCENT): Amounts {
  const subtotal = lines.reduce((sum, l) => sum + BigInt(l.quantity) * BigInt(l.unitPrice), 0n);
  // Integer division floors a non-negative amount: no floating point between.
  const tax = (subtotal * BigInt(taxRatePercent)) / 100n;
  return { subtotal, tax, total: subtotal + tax };
}

export function orderAmounts(
  lines: readonly { quantityBefore: number; quantityAfter: number; unitPrice: number }[],
  taxRatePercent = DEFAULT_TAX_RATE_PERCENT,
): { before: Amounts; after: Amounts } {
  return {
    before: computeAmounts(
      lines.map((l) => ({ quantity: l.quantityBefore, unitPrice: l.unitPrice })),
      taxRatePercent,
    ),
    after: computeAmounts(
      lines.map((l) => ({ quantity: l.quantityAfter, unitPrice: l.unitPrice })),
      taxRatePercent,
    ),
  };
}
