import { describe, expect, it } from 'vitest';
import { validateContractGroup, type ContractSnapshot } from '../../src/domain/cancelRules.js';
import { transact } from '../../src/store/retry.js';
import { importContracts, loadSnapshots } from '../../src/store/contractRepository.js';
import { confirmOrders, createCancelOrders, recordLinkage, transitionOrders, type LinkageUpdate } from '../../src/store/orderRepository.js';
import { aContractInput, aLineInput, aRow, aRuleContext } from '../builders.js';
import { aWriteContext, useStore } from './useStore.js';
import { knexOf } from '../../src/store/store.js';

const ctx = useStore();
const write = aWriteContext();
let nextContract = 1;

/** A contract with the given subscription lines, one accepted order cancelling all of them, and the lines' ids. */
async function acceptedOrder(
  lines: { sub: string; quantity: number }[],
): Promise<{ orderId: number; contractId: number; orderLineIds: Map<string, number>; lineIds: Map<string, number> }> {
  const contractNo = `NCN202401-${String(nextContract++).padStart(10, '0')}`;
  await importContracts(
    ctx.store,
    [aContractInput({ contractNo, lines: lines.map((l) => aLineInput({ productCode: `P-${l.sub}`, subscriptionId: l.sub, quantity: l.quantity })) })],
    'importer',
    '2026-11-01 09:00:00',
  );
  const snapshot = (await loadSnapshots(knexOf(ctx.store), [contractNo])).get(contractNo) as ContractSnapshot;
  const verdict = validateContractGroup([aRow({ contractNo })], snapshot, aRuleContext({ defaultEndDate: '2026-12-31' }));
  if (!verdict.ok) throw new Error('refused');
  const { created } = await transact(ctx.store, (trx) => createCancelOrders(trx, [verdict.plan], { ...write, runId: null }));
  const orderId = created[0]!.orderId;
  await transact(ctx.store, (trx) => transitionOrders(trx, [orderId], 'requested', 'accepted', write, 'accept'));
  const rows = (await knexOf(ctx.store)('order_lines as ol')
    .join('contract_lines as cl', 'cl.id', 'ol.contract_line_id')
    .where('ol.order_id', orderId)
    .select('ol.id', 'cl.id as line_id', 'cl.subscription_id')) as { id: number; line_id: number; subscription_id: string }[];
  return {
    orderId,
    contractId: snapshot.contract.id,
    orderLineIds: new Map(rows.map((r) => [r.subscription_id, Number(r.id)])),
    lineIds: new Map(rows.map((r) => [r.subscription_id, Number(r.line_id)])),
  };
}

function outcome(lineId: number, status: LinkageUpdate['status'], code: string | null = null, message: string | null = null): LinkageUpdate {
  return { lineId, status, code, message };
}

describe('confirmOrders releases the lines the supplier refused', () => {
  it('the taken line is applied; the refused one keeps its quantity, its claim is freed, its code and words kept, what was asked audited', async () => {
    const o = await acceptedOrder([
      { sub: 'GOOD-1', quantity: 3 },
      { sub: 'NCE-LATE-1', quantity: 2 },
    ]);
    await transact(ctx.store, (trx) =>
      recordLinkage(
        trx,
        [outcome(o.orderLineIds.get('GOOD-1')!, 'linked'), outcome(o.orderLineIds.get('NCE-LATE-1')!, 'failed', '900117', 'cancellation is not allowed')],
        write,
      ),
    );

    // Without leave to release (a cancel run), and with only final refusals released when one is not final, nothing happens.
    expect(await transact(ctx.store, (trx) => confirmOrders(trx, [o.orderId], null, write))).toEqual([]);
    expect(await transact(ctx.store, (trx) => confirmOrders(trx, [o.orderId], null, write, 'final'))).toEqual([o.orderId]);

    const db = knexOf(ctx.store);
    const lines = await db('contract_lines')
      .whereIn('id', [...o.lineIds.values()])
      .orderBy('id')
      .select('subscription_id', 'quantity', 'status');
    expect(lines).toEqual([
      { subscription_id: 'GOOD-1', quantity: 0, status: 'cancelled' },
      { subscription_id: 'NCE-LATE-1', quantity: 2, status: 'active' },
    ]);
    expect(await db('contracts').where({ id: o.contractId }).first('status')).toEqual({ status: 'active' });
    const orderLines = await db('order_lines')
      .where({ order_id: o.orderId })
      .orderBy('id')
      .select('quantity_before', 'cancel_quantity', 'quantity_after', 'linkage_status', 'linkage_code', 'linkage_message');
    expect(orderLines).toEqual([
      { quantity_before: 3, cancel_quantity: 3, quantity_after: 0, linkage_status: 'linked', linkage_code: null, linkage_message: null },
      {
        quantity_before: 2,
        cancel_quantity: 0,
        quantity_after: 2,
        linkage_status: 'failed',
        linkage_code: '900117',
        linkage_message: 'cancellation is not allowed',
      },
    ]);
    expect(
      await db('cancelled_serials as cs')
        .join('order_lines as ol', 'ol.id', 'cs.order_line_id')
        .where('ol.order_id', o.orderId)
        .select('cs.serial_no', 'cs.cancel_quantity'),
    ).toEqual([{ serial_no: 'GOOD-1', cancel_quantity: 3 }]);
    expect(await db('line_claims').whereIn('contract_line_id', [...o.lineIds.values()])).toEqual([]);
    const audit = await db('audit_log')
      .where({ entity: 'order_line', action: 'release', entity_id: o.orderLineIds.get('NCE-LATE-1') })
      .select('detail');
    expect(audit.map((a: { detail: string }) => JSON.parse(a.detail))).toEqual([
      expect.objectContaining({
        quantityBefore: 2,
        askedCancelQuantity: 2,
        askedQuantityAfter: 0,
        supplierCode: '900117',
        supplierMessage: 'cancellation is not allowed',
      }),
    ]);
  });

  it('a refusal that is not final (an unreadable answer) is released only by an operator (any)', async () => {
    const o = await acceptedOrder([
      { sub: 'GOOD-2', quantity: 1 },
      { sub: 'ODD-2', quantity: 1 },
    ]);
    await transact(ctx.store, (trx) =>
      recordLinkage(
        trx,
        [outcome(o.orderLineIds.get('GOOD-2')!, 'linked'), outcome(o.orderLineIds.get('ODD-2')!, 'failed', 'BAD_RESPONSE', 'unexpected body')],
        write,
      ),
    );
    expect(await transact(ctx.store, (trx) => confirmOrders(trx, [o.orderId], null, write, 'final'))).toEqual([]);
    expect(await transact(ctx.store, (trx) => confirmOrders(trx, [o.orderId], '2026-12-31', write, 'any'))).toEqual([o.orderId]);
    expect(
      await knexOf(ctx.store)('contract_lines')
        .where({ id: o.lineIds.get('ODD-2') })
        .first('quantity', 'status'),
    ).toEqual({ quantity: 1, status: 'active' });
  });
});

describe('recordLinkage: a confirmed line the supplier settled elsewhere', () => {
  it('the contract line follows the supplier once; a second report of the same changes nothing', async () => {
    const o = await acceptedOrder([{ sub: 'SLOW-3', quantity: 5 }]);
    const id = o.orderLineIds.get('SLOW-3')!;
    // Confirmed unsettled (the rules allowed it: --confirm-unsettled): applied at 0, the line still pending.
    await transact(ctx.store, (trx) => recordLinkage(trx, [outcome(id, 'pending')], write));
    expect(await transact(ctx.store, (trx) => confirmOrders(trx, [o.orderId], null, write))).toEqual([o.orderId]);
    expect(await knexOf(ctx.store)('contracts').where({ id: o.contractId }).first('status')).toEqual({ status: 'cancelled' });

    const settled: LinkageUpdate = { ...outcome(id, 'linked', 'SUPPLIER_QUANTITY_MISMATCH', 'the supplier settled at 2, not 0'), supplierQuantity: 2 };
    await transact(ctx.store, (trx) => recordLinkage(trx, [settled], aWriteContext({ today: '2026-11-28' })));
    await transact(ctx.store, (trx) => recordLinkage(trx, [settled], aWriteContext({ today: '2026-11-29' })));
    const db = knexOf(ctx.store);
    expect(
      await db('contract_lines')
        .where({ id: o.lineIds.get('SLOW-3') })
        .first('quantity', 'status', 'end_date'),
    ).toEqual({ quantity: 2, status: 'active', end_date: null });
    expect(await db('contracts').where({ id: o.contractId }).first('status', 'end_date', 'cancelled_on')).toEqual({
      status: 'active',
      end_date: null,
      cancelled_on: null,
    });
    const audit = await db('audit_log').where({ action: 'supplier-settled-other-quantity' }).select('detail');
    expect(audit.map((a: { detail: string }) => JSON.parse(a.detail))).toEqual([
      expect.objectContaining({ orderLineId: id, confirmedQuantity: 0, storeHad: 0, supplierQuantity: 2, applied: true }),
    ]);
  });
});
