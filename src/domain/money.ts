/** Amounts in yen, as the portal's 契約変更 screen shows them. */
export const DEFAULT_TAX_RATE_PERCENT = 10;

export interface Amounts {
  subtotal: number;
  tax: number;
  total: number;
}

/** Tax is floored over the whole order, not per line (2,610 円 → 261 円). */
export function computeAmounts(lines: readonly { quantity: number; unitPrice: number }[], taxRatePercent = DEFAULT_TAX_RATE_PERCENT): Amounts {
  const subtotal = lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
  // Integer arithmetic: subtotal × rate / 100 in floating point can land just below an integer.
  const tax = Math.floor((subtotal * taxRatePercent) / 100);
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
