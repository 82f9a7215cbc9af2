import { describe, expect, it } from 'vitest';
import {
  parseCancelRow,
  validateContractGroup,
  type CancelRow,
  type ContractSnapshot,
  type GroupPlan,
  type GroupVerdict,
} from '../../src/domain/cancelRules.js';
import { aLine, aRow, aRuleContext, aSerial, aSerialLine, aSnapshot, TODAY } from '../builders.js';

function judge(rows: readonly CancelRow[], snapshot: ContractSnapshot | undefined, ctx = aRuleContext()): GroupVerdict {
  return validateContractGroup(rows, snapshot, ctx);
}

/** Row number → error code, for a refused group. */
function codesOf(verdict: GroupVerdict): Record<number, string> {
  if (verdict.ok) throw new Error(`expected a refusal, got a plan for ${verdict.plan.lines.length} line(s)`);
  return Object.fromEntries([...verdict.errors].map(([row, e]) => [row, e.code]));
}

function planOf(verdict: GroupVerdict): GroupPlan {
  if (!verdict.ok) throw new Error(`expected a plan, got ${JSON.stringify(Object.fromEntries([...verdict.errors].map(([r, e]) => [r, e.code])))}`);
  return verdict.plan;
}

describe('parseCancelRow', () => {
  it('reads a full row', () => {
    const parsed = parseCancelRow(7, {
      contractNo: 'NCN202107-0000003109',
      productCode: 'O365-E1',
      subscriptionId: 'SUB-1',
      serialNo: 'SN-1',
      cancelQuantity: '2',
      endDate: '2026/1/5',
      requestId: 'REQ-1',
      note: 'memo',
    });
    expect(parsed).toEqual({
      ok: true,
      value: {
        row: 7,
        contractNo: 'NCN202107-0000003109',
        productCode: 'O365-E1',
        subscriptionId: 'SUB-1',
        serialNo: 'SN-1',
        cancelQuantity: 2,
        endDate: '2026-01-05',
        requestId: 'REQ-1',
        note: 'memo',
      },
    });
  });

  it('leaves the quantity and the end date open when they are empty or absent', () => {
    const parsed = parseCancelRow(1, { contractNo: 'NCN202107-0000003109', cancelQuantity: '', endDate: '' });
    expect(parsed.ok && parsed.value).toMatchObject({ cancelQuantity: null, endDate: null, productCode: '', serialNo: '' });
  });

  it.each(['0', '-1', '1.5', 'abc', '1e2', '+1'])('refuses the quantity %j with QUANTITY_INVALID', (quantity) => {
    const parsed = parseCancelRow(1, { contractNo: 'NCN202107-0000003109', cancelQuantity: quantity });
    expect(parsed).toMatchObject({ ok: false, contractNo: 'NCN202107-0000003109', error: { code: 'QUANTITY_INVALID' } });
  });

  it.each(['2026-02-30', '2026-13-01', 'abc', '2026.1'])('refuses the end date %j with DATE_INVALID', (endDate) => {
    const parsed = parseCancelRow(1, { contractNo: 'NCN202107-0000003109', endDate });
    expect(parsed).toMatchObject({ ok: false, error: { code: 'DATE_INVALID' } });
  });

  it('refuses a row without a contract number as MALFORMED_ROW', () => {
    expect(parseCancelRow(1, { contractNo: '', cancelQuantity: '1' })).toMatchObject({ ok: false, contractNo: '', error: { code: 'MALFORMED_ROW' } });
    expect(parseCancelRow(1, { productCode: 'O365-E1' })).toMatchObject({ ok: false, error: { code: 'MALFORMED_ROW' } });
  });
});

describe('validateContractGroup: refusals', () => {
  it('CONTRACT_NOT_FOUND for every row of an unknown contract', () => {
    const a = aRow();
    const b = aRow({ productCode: 'X' });
    expect(codesOf(judge([a, b], undefined))).toEqual({ [a.row]: 'CONTRACT_NOT_FOUND', [b.row]: 'CONTRACT_NOT_FOUND' });
  });

  it('CONTRACT_NOT_ACTIVE for a cancelled contract', () => {
    const a = aRow();
    expect(codesOf(judge([a], aSnapshot([aLine({ status: 'cancelled' })], { status: 'cancelled' })))).toEqual({ [a.row]: 'CONTRACT_NOT_ACTIVE' });
  });

  it('CONTRACT_NOT_ACTIVE for a whole-contract row when no line is active any more', () => {
    const a = aRow();
    expect(codesOf(judge([a], aSnapshot([aLine({ status: 'cancelled' })])))).toEqual({ [a.row]: 'CONTRACT_NOT_ACTIVE' });
  });

  it('LINE_NOT_FOUND for a product code or subscription id the contract does not have', () => {
    const a = aRow({ productCode: 'NOPE' });
    const b = aRow({ subscriptionId: 'NOPE' });
    expect(codesOf(judge([a], aSnapshot()))).toEqual({ [a.row]: 'LINE_NOT_FOUND' });
    expect(codesOf(judge([b], aSnapshot()))).toEqual({ [b.row]: 'LINE_NOT_FOUND' });
  });

  it('LINE_NOT_FOUND when product code and subscription id name different lines', () => {
    const one = aLine();
    const two = aLine();
    const a = aRow({ productCode: one.productCode, subscriptionId: two.subscriptionId });
    expect(codesOf(judge([a], aSnapshot([one, two])))).toEqual({ [a.row]: 'LINE_NOT_FOUND' });
  });

  it('LINE_AMBIGUOUS for two active lines with the same product code', () => {
    const a = aRow({ productCode: 'O365-E1' });
    const snapshot = aSnapshot([aLine({ productCode: 'O365-E1' }), aLine({ productCode: 'O365-E1' })]);
    expect(codesOf(judge([a], snapshot))).toEqual({ [a.row]: 'LINE_AMBIGUOUS' });
  });

  it('LINE_AMBIGUOUS for a quantity with no line named on a contract of two active lines', () => {
    const a = aRow({ cancelQuantity: 1 });
    expect(codesOf(judge([a], aSnapshot([aLine(), aLine()])))).toEqual({ [a.row]: 'LINE_AMBIGUOUS' });
  });

  it('LINE_NOT_ACTIVE for a line whose cancellation is already confirmed', () => {
    const gone = aLine({ status: 'cancelled', quantity: 0 });
    const a = aRow({ productCode: gone.productCode });
    expect(codesOf(judge([a], aSnapshot([gone, aLine()])))).toEqual({ [a.row]: 'LINE_NOT_ACTIVE' });
  });

  it('TRIAL_LINE for a trial line named by product code', () => {
    const trial = aLine({ isTrial: true, unitPrice: 0, quantity: 1 });
    const a = aRow({ productCode: trial.productCode });
    expect(codesOf(judge([a], aSnapshot([aLine(), trial])))).toEqual({ [a.row]: 'TRIAL_LINE' });
  });

  it('TRIAL_BLOCKS_FULL_CANCEL for a whole-contract row on a contract with a trial', () => {
    const a = aRow();
    expect(codesOf(judge([a], aSnapshot([aLine(), aLine({ isTrial: true })])))).toEqual({ [a.row]: 'TRIAL_BLOCKS_FULL_CANCEL' });
  });

  it('QUANTITY_EXCEEDS_REMAINING for one row above the line quantity', () => {
    const line = aLine({ quantity: 3 });
    const a = aRow({ productCode: line.productCode, cancelQuantity: 4 });
    const verdict = judge([a], aSnapshot([line]));
    expect(codesOf(verdict)).toEqual({ [a.row]: 'QUANTITY_EXCEEDS_REMAINING' });
    expect(!verdict.ok && verdict.errors.get(a.row)?.detail?.en).toBe('4 > 3 remaining');
  });

  it('QUANTITY_EXCEEDS_REMAINING for serial rows that together exceed the line quantity', () => {
    // A line of 1 that still carries two active serials: each serial row alone is fine.
    const line = aLine({ quantity: 1, subscriptionId: '', serials: [aSerial('SN-1'), aSerial('SN-2')] });
    const a = aRow({ serialNo: 'SN-1' });
    const b = aRow({ serialNo: 'SN-2' });
    expect(codesOf(judge([a, b], aSnapshot([line])))).toEqual({ [a.row]: 'QUANTITY_EXCEEDS_REMAINING', [b.row]: 'QUANTITY_EXCEEDS_REMAINING' });
  });

  it('SERIAL_REQUIRED for a partial cancellation of a serial-managed line without serials', () => {
    const line = aSerialLine(['SN-1', 'SN-2', 'SN-3', 'SN-4']);
    const a = aRow({ productCode: line.productCode, cancelQuantity: 2 });
    expect(codesOf(judge([a], aSnapshot([line])))).toEqual({ [a.row]: 'SERIAL_REQUIRED' });
  });

  it('SERIAL_NOT_FOUND for an unknown serial, an already cancelled one, or one on another line than named', () => {
    const line = aLine({ quantity: 2, subscriptionId: '', serials: [aSerial('SN-1'), aSerial('SN-OLD', { status: 'cancelled' })] });
    const other = aLine();
    const snapshot = aSnapshot([line, other]);
    for (const row of [aRow({ serialNo: 'SN-9' }), aRow({ serialNo: 'SN-OLD' }), aRow({ serialNo: 'SN-1', productCode: other.productCode })]) {
      expect(codesOf(judge([row], snapshot))).toEqual({ [row.row]: 'SERIAL_NOT_FOUND' });
    }
  });

  it('QUANTITY_INVALID for a serial row that cancels more than one unit', () => {
    const a = aRow({ serialNo: 'SN-1', cancelQuantity: 2 });
    expect(codesOf(judge([a], aSnapshot([aSerialLine(['SN-1', 'SN-2'])])))).toEqual({ [a.row]: 'QUANTITY_INVALID' });
  });

  it('END_DATE_BEFORE_START for an end date before the contract start', () => {
    const a = aRow({ endDate: '2026-11-30' });
    expect(codesOf(judge([a], aSnapshot([aLine()], { startDate: '2026-12-01' })))).toEqual({ [a.row]: 'END_DATE_BEFORE_START' });
  });

  it('END_DATE_BEFORE_START when the default end date is before a future start', () => {
    const a = aRow();
    const verdict = judge([a], aSnapshot([aLine()], { startDate: '2026-12-15' }), aRuleContext({ defaultEndDate: TODAY }));
    expect(codesOf(verdict)).toEqual({ [a.row]: 'END_DATE_BEFORE_START' });
  });

  it('END_DATE_BEFORE_APPLIED for an end date before today (the application date)', () => {
    const a = aRow({ endDate: '2026-11-25' });
    expect(codesOf(judge([a], aSnapshot()))).toEqual({ [a.row]: 'END_DATE_BEFORE_APPLIED' });
  });

  it('END_DATE_CONFLICT for every row when two rows of a contract give different end dates', () => {
    const one = aLine();
    const two = aLine();
    const a = aRow({ productCode: one.productCode, endDate: '2026-11-30' });
    const b = aRow({ productCode: two.productCode, endDate: '2026-12-31' });
    const c = aRow({ productCode: 'NOPE' });
    expect(codesOf(judge([a, b, c], aSnapshot([one, two])))).toEqual({ [a.row]: 'END_DATE_CONFLICT', [b.row]: 'END_DATE_CONFLICT', [c.row]: 'LINE_NOT_FOUND' });
  });

  it('DUPLICATE_ROW for a second row on the same line; the first is refused with the group', () => {
    const line = aLine();
    const a = aRow({ productCode: line.productCode, cancelQuantity: 1 });
    const b = aRow({ subscriptionId: line.subscriptionId, cancelQuantity: 1 });
    expect(codesOf(judge([a, b], aSnapshot([line])))).toEqual({ [a.row]: 'CONTRACT_GROUP_REFUSED', [b.row]: 'DUPLICATE_ROW' });
  });

  it('DUPLICATE_ROW for a line row after a whole-contract row, and for the same serial twice', () => {
    const line = aSerialLine(['SN-1', 'SN-2', 'SN-3']);
    const whole = aRow();
    const named = aRow({ productCode: line.productCode });
    expect(codesOf(judge([whole, named], aSnapshot([line])))).toEqual({ [whole.row]: 'CONTRACT_GROUP_REFUSED', [named.row]: 'DUPLICATE_ROW' });

    const s1 = aRow({ serialNo: 'SN-1' });
    const s1again = aRow({ serialNo: 'SN-1' });
    expect(codesOf(judge([s1, s1again], aSnapshot([line])))).toEqual({ [s1.row]: 'CONTRACT_GROUP_REFUSED', [s1again.row]: 'DUPLICATE_ROW' });

    const serialFirst = aRow({ serialNo: 'SN-2' });
    const lineAfter = aRow({ productCode: line.productCode });
    expect(codesOf(judge([serialFirst, lineAfter], aSnapshot([line])))).toEqual({
      [serialFirst.row]: 'CONTRACT_GROUP_REFUSED',
      [lineAfter.row]: 'DUPLICATE_ROW',
    });
  });

  it('LINE_HAS_OPEN_ORDER for a line another open order holds', () => {
    const held = aLine({ heldByOpenOrder: true });
    const a = aRow({ productCode: held.productCode, cancelQuantity: 1 });
    const whole = aRow();
    expect(codesOf(judge([a], aSnapshot([held, aLine()])))).toEqual({ [a.row]: 'LINE_HAS_OPEN_ORDER' });
    expect(codesOf(judge([whole], aSnapshot([aLine(), held])))).toEqual({ [whole.row]: 'LINE_HAS_OPEN_ORDER' });
  });

  it('CONTRACT_GROUP_REFUSED for the good rows of a contract with one bad row', () => {
    const one = aLine();
    const two = aLine();
    const good1 = aRow({ productCode: one.productCode });
    const bad = aRow({ productCode: two.productCode, cancelQuantity: 99 });
    const alsoBad = aRow({ subscriptionId: 'NOPE' });
    expect(codesOf(judge([good1, bad], aSnapshot([one, two])))).toEqual({ [good1.row]: 'CONTRACT_GROUP_REFUSED', [bad.row]: 'QUANTITY_EXCEEDS_REMAINING' });
    // Each bad row keeps its own reason; only the good ones say CONTRACT_GROUP_REFUSED.
    expect(codesOf(judge([good1, bad, alsoBad], aSnapshot([one, two])))).toEqual({
      [good1.row]: 'CONTRACT_GROUP_REFUSED',
      [bad.row]: 'QUANTITY_EXCEEDS_REMAINING',
      [alsoBad.row]: 'LINE_NOT_FOUND',
    });
  });
});

describe('validateContractGroup: plans', () => {
  it('matches product codes and subscription ids regardless of case', () => {
    const line = aLine({ productCode: 'O365-E1', subscriptionId: 'ab12cd34-0000-4000-8000-00000000000f' });
    const byCode = planOf(judge([aRow({ productCode: 'o365-e1', cancelQuantity: 1 })], aSnapshot([line])));
    expect(byCode.lines.map((l) => [l.lineId, l.cancelQuantity])).toEqual([[line.id, 1]]);
    const bySub = planOf(judge([aRow({ subscriptionId: 'AB12CD34-0000-4000-8000-00000000000F' })], aSnapshot([line])));
    expect(bySub.lines.map((l) => [l.lineId, l.cancelQuantity])).toEqual([[line.id, 3]]);
  });

  it('全選択: every active line in full, with all its active serials', () => {
    const subscription = aLine({ quantity: 3, unitPrice: 870 });
    const serialLine = aLine({ quantity: 2, subscriptionId: '', serials: [aSerial('SN-1'), aSerial('SN-2'), aSerial('SN-0', { status: 'cancelled' })] });
    const gone = aLine({ status: 'cancelled', quantity: 0 });
    const a = aRow({ note: '解約依頼' });
    const snapshot = aSnapshot([subscription, gone, serialLine]);
    const plan = planOf(judge([a], snapshot));
    expect(plan).toEqual({
      contractId: snapshot.contract.id,
      endDate: '2026-11-30',
      note: '解約依頼',
      lines: [
        { lineId: subscription.id, quantityBefore: 3, cancelQuantity: 3, unitPrice: 870, serialIds: [] },
        { lineId: serialLine.id, quantityBefore: 2, cancelQuantity: 2, unitPrice: 870, serialIds: [serialLine.serials[0]!.id, serialLine.serials[1]!.id] },
      ],
      rowLines: new Map([[a.row, [subscription.id, serialLine.id]]]),
    });
  });

  it('a quantity with no line named on a one-line contract cancels that much of the line', () => {
    const line = aLine({ quantity: 3 });
    const plan = planOf(judge([aRow({ cancelQuantity: 1 })], aSnapshot([line, aLine({ status: 'cancelled' })])));
    expect(plan.lines).toEqual([{ lineId: line.id, quantityBefore: 3, cancelQuantity: 1, unitPrice: 870, serialIds: [] }]);
  });

  it('partial by product code', () => {
    const line = aLine({ productCode: 'O365-E1', quantity: 3 });
    const plan = planOf(judge([aRow({ productCode: 'O365-E1', cancelQuantity: 2 })], aSnapshot([line, aLine()])));
    expect(plan.lines).toEqual([{ lineId: line.id, quantityBefore: 3, cancelQuantity: 2, unitPrice: 870, serialIds: [] }]);
  });

  it('a product code picks the one active line when a cancelled one shares it', () => {
    const active = aLine({ productCode: 'O365-E1' });
    const plan = planOf(judge([aRow({ productCode: 'O365-E1' })], aSnapshot([aLine({ productCode: 'O365-E1', status: 'cancelled' }), active])));
    expect(plan.lines.map((l) => l.lineId)).toEqual([active.id]);
  });

  it('by subscription id, in full when no quantity is given', () => {
    const line = aLine({ subscriptionId: 'SC0F21D7-C48D-493D-A6B1-0000003109', quantity: 5 });
    const a = aRow({ subscriptionId: 'SC0F21D7-C48D-493D-A6B1-0000003109' });
    const plan = planOf(judge([a], aSnapshot([aLine(), line])));
    expect(plan.lines).toEqual([{ lineId: line.id, quantityBefore: 5, cancelQuantity: 5, unitPrice: 870, serialIds: [] }]);
    expect(plan.rowLines.get(a.row)).toEqual([line.id]);
  });

  it('serial rows: two serials of one line make one planned line of 2 with those serials', () => {
    const line = aSerialLine(['SN-1', 'SN-2', 'SN-3', 'SN-4']);
    const a = aRow({ serialNo: 'SN-2' });
    const b = aRow({ serialNo: 'SN-4', productCode: line.productCode, cancelQuantity: 1 });
    const plan = planOf(judge([a, b], aSnapshot([line])));
    expect(plan.lines).toEqual([
      { lineId: line.id, quantityBefore: 4, cancelQuantity: 2, unitPrice: 870, serialIds: [line.serials[1]!.id, line.serials[3]!.id] },
    ]);
    expect(plan.rowLines).toEqual(
      new Map([
        [a.row, [line.id]],
        [b.row, [line.id]],
      ]),
    );
  });

  it('a serial-managed line named in full takes all its serials', () => {
    const line = aSerialLine(['SN-1', 'SN-2']);
    const plan = planOf(judge([aRow({ productCode: line.productCode, cancelQuantity: 2 })], aSnapshot([line])));
    expect(plan.lines[0]?.serialIds).toEqual(line.serials.map((s) => s.id));
  });

  it('accepts a contract that starts today (※契約開始日の契約も解約対象)', () => {
    const plan = planOf(judge([aRow()], aSnapshot([aLine()], { startDate: TODAY }), aRuleContext({ defaultEndDate: TODAY })));
    expect(plan.endDate).toBe(TODAY);
  });

  it('rows without an end date take the one another row of the contract gives', () => {
    const one = aLine();
    const two = aLine();
    const a = aRow({ productCode: one.productCode });
    const b = aRow({ productCode: two.productCode, endDate: '2026-12-31', note: 'b' });
    const plan = planOf(judge([a, b], aSnapshot([one, two])));
    expect(plan.endDate).toBe('2026-12-31');
    expect(plan.lines.map((l) => l.lineId)).toEqual([one.id, two.id]);
    expect(plan.note).toBe('b');
    // Two rows giving the same date do not conflict.
    expect(planOf(judge([{ ...a, endDate: '2026-12-31' }, b], aSnapshot([one, two]))).endDate).toBe('2026-12-31');
  });

  it('rows without any end date take the default', () => {
    expect(planOf(judge([aRow()], aSnapshot(), aRuleContext({ defaultEndDate: '2027-01-31' }))).endDate).toBe('2027-01-31');
  });
});
