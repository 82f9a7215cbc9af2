import { describe, expect, it } from 'vitest';
import { validateContractGroup, type GroupVerdict } from '../../src/domain/cancelRules.js';
import { aLine, aRow, aRuleContext, aSerial, aSnapshot } from '../builders.js';

/** A line at quantity 0 has nothing left to cancel: it is never a target, whatever the row says. */

function refusal(verdict: GroupVerdict): { code: string; detail: string | undefined } {
  if (verdict.ok)
    throw new Error(
      `expected a refusal, got a plan for lines ${verdict.plan.lines.map((l) => `${l.quantityBefore}→${l.quantityBefore - l.cancelQuantity}`).join(', ')}`,
    );
  const [e] = [...verdict.errors.values()];
  return { code: e!.code, detail: e!.detail?.en };
}

describe('lines at quantity 0', () => {
  it('a row naming the line by product code or subscription id is LINE_NOT_ACTIVE ("no active seats")', () => {
    const empty = aLine({ quantity: 0 });
    const other = aLine();
    for (const row of [aRow({ productCode: empty.productCode }), aRow({ subscriptionId: empty.subscriptionId })]) {
      expect(refusal(validateContractGroup([row], aSnapshot([empty, other]), aRuleContext()))).toEqual({
        code: 'LINE_NOT_ACTIVE',
        detail: 'the line has no active seats (quantity 0)',
      });
    }
  });

  it('a whole-contract row (全選択) takes only the lines with seats', () => {
    const empty = aLine({ quantity: 0 });
    const full = aLine({ quantity: 3 });
    const verdict = validateContractGroup([aRow()], aSnapshot([empty, full]), aRuleContext());
    expect(verdict.ok && verdict.plan.lines.map((l) => [l.lineId, l.quantityBefore, l.cancelQuantity])).toEqual([[full.id, 3, 3]]);
  });

  it('a whole-contract row with a quantity picks the one line that has seats, not LINE_AMBIGUOUS', () => {
    const empty = aLine({ quantity: 0 });
    const full = aLine({ quantity: 3 });
    const verdict = validateContractGroup([aRow({ cancelQuantity: 2 })], aSnapshot([empty, full]), aRuleContext());
    expect(verdict.ok && verdict.plan.lines.map((l) => [l.lineId, l.cancelQuantity])).toEqual([[full.id, 2]]);
  });

  it('a whole-contract row on a contract whose active lines are all at 0 is refused', () => {
    expect(refusal(validateContractGroup([aRow()], aSnapshot([aLine({ quantity: 0 }), aLine({ quantity: 0 })]), aRuleContext())).code).toBe('LINE_NOT_ACTIVE');
  });

  it('a trial line at 0 still forbids cancelling the contract as a whole', () => {
    expect(refusal(validateContractGroup([aRow()], aSnapshot([aLine({ quantity: 0, isTrial: true }), aLine()]), aRuleContext())).code).toBe(
      'TRIAL_BLOCKS_FULL_CANCEL',
    );
  });

  it('a serial row on a line at 0 (inconsistent data) is refused too, not an order line 0 → 0', () => {
    const line = aLine({ quantity: 0, subscriptionId: '', serials: [aSerial('SN-1')] });
    expect(refusal(validateContractGroup([aRow({ serialNo: 'SN-1' })], aSnapshot([line]), aRuleContext())).code).toBe('LINE_NOT_ACTIVE');
  });
});
