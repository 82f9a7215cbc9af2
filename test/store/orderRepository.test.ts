import { describe, expect, it } from 'vitest';
import { validateContractGroup, type CancelRow, type ContractSnapshot, type GroupPlan } from '../../src/domain/cancelRules.js';
import { transact } from '../../src/store/retry.js';
import { importContracts, loadSnapshots, type ContractInput } from '../../src/store/contractRepository.js';
import { confirmOrders, createCancelOrders, loadOrders, releaseClaims, transitionOrders, type CreatedOrder } from '../../src/store/orderRepository.js';
import { aContractInput, aLineInput, aRow, aRuleContext, TODAY } from '../builders.js';
import { aWriteContext, useStore } from './useStore.js';
import { knexOf } from '../../src/store/store.js';

const ctx = useStore();
const write = aWriteContext();

async function importAndLoad(...inputs: ContractInput[]): Promise<ContractSnapshot[]> {
  await importContracts(ctx.store, inputs, 'importer', '2026-11-01 09:00:00');
  const snapshots = await loadSnapshots(
    knexOf(ctx.store),
    inputs.map((c) => c.contractNo),
  );
  return inputs.map((c) => snapshots.get(c.contractNo)!);
}

/** The plan the rules make of some rows, as the pipeline would. */
function planFor(snapshot: ContractSnapshot, rows: Partial<CancelRow>[] = [{}], endDate = '2026-11-30'): GroupPlan {
  const verdict = validateContractGroup(
    rows.map((r) => aRow({ contractNo: snapshot.contract.contractNo, ...r })),
    snapshot,
    aRuleContext({ defaultEndDate: endDate }),
  );
  if (!verdict.ok) throw new Error(`rows refused: ${[...verdict.errors.values()].map((e) => e.code).join(', ')}`);
  return verdict.plan;
}

function create(plans: GroupPlan[]) {
  return transact(ctx.store, (trx) => createCancelOrders(trx, plans, { ...write, runId: null }));
}

async function accept(created: CreatedOrder[]): Promise<number[]> {
  return transact(ctx.store, (trx) =>
    transitionOrders(
      trx,
      created.map((c) => c.orderId),
      'requested',
      'accepted',
      write,
      'accept',
    ),
  );
}

const sequenceOf = (orderNo: string) => Number(orderNo.slice(-10));

describe('createCancelOrders', () => {
  it('creates requested orders with consecutive numbers that never repeat across calls', async () => {
    const [a, b, c] = await importAndLoad(aContractInput(), aContractInput(), aContractInput());
    const first = await create([planFor(a!), planFor(b!)]);
    const second = await create([planFor(c!)]);
    expect(first.lost).toEqual([]);
    const numbers = [...first.created, ...second.created].map((o) => o.orderNo);
    for (const no of numbers) expect(no).toMatch(/^NOD202611-\d{10}$/);
    const seqs = numbers.map(sequenceOf);
    expect(seqs).toEqual([seqs[0], seqs[0]! + 1, seqs[0]! + 2]);
    expect(new Set(numbers).size).toBe(3);
    expect(first.created.map((o) => o.contractId)).toEqual([a!.contract.id, b!.contract.id]);

    const all = (await knexOf(ctx.store)('change_orders').select('order_no')).map((r: { order_no: string }) => r.order_no);
    expect(new Set(all).size).toBe(all.length);
  });

  it('writes the order, its lines with before/cancel/after, the named serials and the line claims', async () => {
    const [snapshot] = await importAndLoad(
      aContractInput({
        lines: [
          aLineInput({ subscriptionId: 'SUB-W', quantity: 3, unitPrice: 870 }),
          aLineInput({ subscriptionId: '', productCode: 'ESET-W', quantity: 4, unitPrice: 550, serials: ['W-1', 'W-2', 'W-3', 'W-4'] }),
        ],
      }),
    );
    const plan = planFor(snapshot!, [{ subscriptionId: 'SUB-W', cancelQuantity: 2, note: 'n1' }, { serialNo: 'W-2' }, { serialNo: 'W-3' }], '2026-12-31');
    const { created } = await create([plan]);
    const order = (await loadOrders(knexOf(ctx.store), [created[0]!.orderId])).get(created[0]!.orderId)!;
    expect(order.order).toMatchObject({
      orderNo: created[0]!.orderNo,
      kind: 'cancel',
      status: 'requested',
      appliedOn: TODAY,
      endDate: '2026-12-31',
      note: 'n1',
      updatedBy: 'tester',
      contractId: snapshot!.contract.id,
    });
    const [subLine, serialLine] = snapshot!.lines;
    expect(order.lines.map((l) => [l.contractLineId, l.quantityBefore, l.cancelQuantity, l.quantityAfter, l.unitPrice, l.linkageStatus])).toEqual([
      [subLine!.id, 3, 2, 1, 870, 'unlinked'],
      [serialLine!.id, 4, 2, 2, 550, 'unlinked'],
    ]);
    const serialRows = await knexOf(ctx.store)('order_line_serials as ols')
      .join('serials as s', 's.id', 'ols.serial_id')
      .where('ols.order_line_id', order.lines[1]!.id)
      .orderBy('s.serial_no')
      .select('s.serial_no');
    expect(serialRows.map((r: { serial_no: string }) => r.serial_no)).toEqual(['W-2', 'W-3']);
    const claims = await knexOf(ctx.store)('line_claims').whereIn('contract_line_id', [subLine!.id, serialLine!.id]).orderBy('contract_line_id');
    expect(claims).toEqual([
      { contract_line_id: subLine!.id, order_id: created[0]!.orderId },
      { contract_line_id: serialLine!.id, order_id: created[0]!.orderId },
    ]);
    const reloaded = (await loadSnapshots(knexOf(ctx.store), [snapshot!.contract.contractNo])).get(snapshot!.contract.contractNo)!;
    expect(reloaded.lines.map((l) => l.heldByOpenOrder)).toEqual([true, true]);
  });

  it('returns a plan for an already claimed line in `lost` and writes nothing of it', async () => {
    const [a, b] = await importAndLoad(aContractInput(), aContractInput());
    // Two runs judged the same snapshot; the first one wins the line.
    const planA = planFor(a!);
    await create([planA]);
    const ordersBefore = await knexOf(ctx.store)('change_orders').count({ n: '*' }).first();
    const sequenceBefore = await knexOf(ctx.store)('sequences').where({ name: 'order_no' }).first();

    const planB = planFor(b!);
    const again = await create([planA, planB]);
    expect(again.lost).toEqual([planA]);
    expect(again.created.map((c) => c.contractId)).toEqual([b!.contract.id]);
    expect(sequenceOf(again.created[0]!.orderNo)).toBe(Number(sequenceBefore.value) + 1);
    const ordersAfter = await knexOf(ctx.store)('change_orders').count({ n: '*' }).first();
    expect(Number(ordersAfter!.n)).toBe(Number(ordersBefore!.n) + 1);

    const onlyLost = await create([planA]);
    expect(onlyLost).toEqual({ created: [], lost: [planA], changed: [] });
  });

  it('writes nothing when a line changed since the plans were judged (quantity, price, a named serial), and returns those plans to be judged again', async () => {
    const [a, b, c] = await importAndLoad(
      aContractInput({ lines: [aLineInput({ subscriptionId: 'SUB-Q', quantity: 5 })] }),
      aContractInput({ lines: [aLineInput({ subscriptionId: 'SUB-P', quantity: 5, unitPrice: 870 })] }),
      aContractInput({ lines: [aLineInput({ subscriptionId: '', productCode: 'ESET-C', quantity: 2, serials: ['C-1', 'C-2'] })] }),
    );
    const plans = [planFor(a!, [{ cancelQuantity: 1 }]), planFor(b!, [{ cancelQuantity: 1 }]), planFor(c!, [{ serialNo: 'C-2' }])];
    const ordersBefore = Number((await knexOf(ctx.store)('change_orders').count({ n: '*' }).first())!.n);
    // A master import lands between the judgement and the orders' transaction.
    await knexOf(ctx.store)('contract_lines').where({ id: a!.lines[0]!.id }).update({ quantity: 7 });
    await knexOf(ctx.store)('contract_lines').where({ id: b!.lines[0]!.id }).update({ unit_price: 700 });
    await knexOf(ctx.store)('serials').where({ line_id: c!.lines[0]!.id, serial_no: 'C-2' }).update({ status: 'removed' });
    for (const [i, plan] of plans.entries()) {
      expect(await create([plan]), `plan ${i}`).toEqual({ created: [], lost: [], changed: [plan] });
    }
    // One changed plan holds back the whole page: nothing is written for the others either.
    const [d] = await importAndLoad(aContractInput());
    expect(await create([planFor(d!), plans[0]!])).toEqual({ created: [], lost: [], changed: [plans[0]] });
    expect(Number((await knexOf(ctx.store)('change_orders').count({ n: '*' }).first())!.n)).toBe(ordersBefore);
    // Judged again on what the lines hold now, the orders are made.
    const fresh = (await loadSnapshots(knexOf(ctx.store), [a!.contract.contractNo])).get(a!.contract.contractNo)!;
    const { created } = await create([planFor(fresh, [{ cancelQuantity: 1 }])]);
    const order = (await loadOrders(knexOf(ctx.store), [created[0]!.orderId])).get(created[0]!.orderId)!;
    expect(order.lines.map((l) => [l.quantityBefore, l.quantityAfter])).toEqual([[7, 6]]);
  });

  it('gives the line back when the order is withdrawn', async () => {
    const [a] = await importAndLoad(aContractInput());
    const { created } = await create([planFor(a!)]);
    await transact(ctx.store, async (trx) => {
      await transitionOrders(trx, [created[0]!.orderId], 'requested', 'withdrawn', write, 'withdraw');
      await releaseClaims(trx, [created[0]!.orderId]);
    });
    const { created: again, lost } = await create([planFor(a!)]);
    expect(lost).toEqual([]);
    expect(again).toHaveLength(1);
  });
});

describe('transitionOrders', () => {
  it('is guarded: a second identical call moves nothing', async () => {
    const [a, b] = await importAndLoad(aContractInput(), aContractInput());
    const { created } = await create([planFor(a!), planFor(b!)]);
    const ids = created.map((c) => c.orderId);
    const later = aWriteContext({ now: '2026-11-26 11:00:00', actor: 'accepter' });
    expect(await transact(ctx.store, (trx) => transitionOrders(trx, ids, 'requested', 'accepted', later, 'accept'))).toEqual(ids);
    expect(
      await transact(ctx.store, (trx) => transitionOrders(trx, ids, 'requested', 'accepted', aWriteContext({ now: '2026-11-26 12:00:00' }), 'accept')),
    ).toEqual([]);
    const rows = await knexOf(ctx.store)('change_orders').whereIn('id', ids).select('status', 'updated_at', 'updated_by');
    expect(rows).toEqual(ids.map(() => ({ status: 'accepted', updated_at: '2026-11-26 11:00:00', updated_by: 'accepter' })));
    const audits = await knexOf(ctx.store)('audit_log').where({ entity: 'order', action: 'accept' }).whereIn('entity_id', ids);
    expect(audits).toHaveLength(2);
  });

  it('moves only the orders that are in the given status', async () => {
    const [a, b] = await importAndLoad(aContractInput(), aContractInput());
    const { created } = await create([planFor(a!), planFor(b!)]);
    await accept([created[0]!]);
    const moved = await transact(ctx.store, (trx) =>
      transitionOrders(
        trx,
        created.map((c) => c.orderId),
        'requested',
        'withdrawn',
        write,
        'withdraw',
      ),
    );
    expect(moved).toEqual([created[1]!.orderId]);
  });
});

describe('confirmOrders', () => {
  async function tableState(contractIds: number[]) {
    const db = knexOf(ctx.store);
    const lineIds = (await db('contract_lines').whereIn('contract_id', contractIds).select('id')).map((r: { id: number }) => r.id);
    return {
      contracts: await db('contracts').whereIn('id', contractIds).orderBy('id'),
      lines: await db('contract_lines').whereIn('id', lineIds).orderBy('id'),
      serials: await db('serials').whereIn('line_id', lineIds).orderBy('id'),
      orders: await db('change_orders').whereIn('contract_id', contractIds).orderBy('id'),
      cancelled: await db('cancelled_serials as cs')
        .join('order_lines as ol', 'ol.id', 'cs.order_line_id')
        .whereIn('ol.contract_line_id', lineIds)
        .orderBy('cs.id')
        .select('cs.*'),
      claims: await db('line_claims').whereIn('contract_line_id', lineIds).orderBy('contract_line_id'),
    };
  }

  it('applies the order to contract lines, serials, cancelled serials, claims and contracts; twice changes nothing', async () => {
    const [mixed, single] = await importAndLoad(
      aContractInput({
        lines: [
          aLineInput({ productCode: 'O365-E1', subscriptionId: 'SUB-C1', quantity: 3, unitPrice: 870 }),
          aLineInput({ productCode: 'ESET', subscriptionId: '', quantity: 4, unitPrice: 550, serials: ['C-1', 'C-2', 'C-3', 'C-4'] }),
          aLineInput({ productCode: 'TEAMS', subscriptionId: 'SUB-C2', quantity: 5, unitPrice: 430 }),
        ],
      }),
      aContractInput({ lines: [aLineInput({ subscriptionId: 'SUB-C3', quantity: 2 })] }),
    );
    const [subLine, serialLine, partialLine] = mixed!.lines;
    const orders = await create([
      planFor(mixed!, [{ subscriptionId: 'SUB-C1' }, { serialNo: 'C-1' }, { serialNo: 'C-3' }, { subscriptionId: 'SUB-C2', cancelQuantity: 2 }], '2026-12-31'),
      planFor(single!, [{}], '2026-12-15'),
    ]);
    await accept(orders.created);
    const confirmCtx = aWriteContext({ now: '2026-11-27 10:00:00', today: '2026-11-27', actor: 'confirmer' });
    const ids = orders.created.map((c) => c.orderId);
    const done = await transact(ctx.store, (trx) => confirmOrders(trx, ids, null, confirmCtx));
    expect(done).toEqual(ids);

    const state = await tableState([mixed!.contract.id, single!.contract.id]);
    expect(state.orders.map((o: { status: string; completed_on: string; updated_by: string }) => [o.status, o.completed_on, o.updated_by])).toEqual([
      ['completed', '2026-11-27', 'confirmer'],
      ['completed', '2026-11-27', 'confirmer'],
    ]);
    type LineRow = { id: number; quantity: number; status: string; end_date: string | null };
    const lineById = new Map(state.lines.map((l: LineRow) => [l.id, l]));
    expect(lineById.get(subLine!.id)).toMatchObject({ quantity: 0, status: 'cancelled', end_date: '2026-12-31', updated_by: 'confirmer' });
    expect(lineById.get(serialLine!.id)).toMatchObject({ quantity: 2, status: 'active', end_date: null });
    expect(lineById.get(partialLine!.id)).toMatchObject({ quantity: 3, status: 'active', end_date: null });
    expect(lineById.get(single!.lines[0]!.id)).toMatchObject({ quantity: 0, status: 'cancelled', end_date: '2026-12-15' });
    expect(state.serials.map((s: { serial_no: string; status: string }) => `${s.serial_no}:${s.status}`)).toEqual([
      'C-1:cancelled',
      'C-2:active',
      'C-3:cancelled',
      'C-4:active',
    ]);

    // Subscription products: the subscription id stands as the serial, with the cancelled quantity;
    // serial-managed lines: one row per serial.
    expect(
      state.cancelled
        .map((c: { serial_no: string; cancel_quantity: number; cancelled_on: string; end_date: string }) => [
          c.serial_no,
          c.cancel_quantity,
          c.cancelled_on,
          c.end_date,
        ])
        .sort(),
    ).toEqual(
      [
        ['SUB-C1', 3, '2026-11-27', '2026-12-31'],
        ['C-1', 1, '2026-11-27', '2026-12-31'],
        ['C-3', 1, '2026-11-27', '2026-12-31'],
        ['SUB-C2', 2, '2026-11-27', '2026-12-31'],
        ['SUB-C3', 2, '2026-11-27', '2026-12-15'],
      ].sort(),
    );
    expect(state.claims).toEqual([]);

    // The contract with active lines left stays active; the one with none left is cancelled.
    const [mixedRow, singleRow] = state.contracts;
    expect(mixedRow).toMatchObject({ status: 'active', end_date: null, cancelled_on: null });
    expect(singleRow).toMatchObject({ status: 'cancelled', end_date: '2026-12-15', cancelled_on: '2026-11-27', updated_by: 'confirmer' });

    const twice = await transact(ctx.store, (trx) => confirmOrders(trx, ids, null, aWriteContext({ now: '2026-11-28 10:00:00', today: '2026-11-28' })));
    expect(twice).toEqual([]);
    expect(await tableState([mixed!.contract.id, single!.contract.id])).toEqual(state);

    // A later order takes what is left; then no active line remains and the contract is cancelled.
    const reloaded = (await loadSnapshots(knexOf(ctx.store), [mixed!.contract.contractNo])).get(mixed!.contract.contractNo)!;
    expect(reloaded.lines.map((l) => [l.status, l.quantity, l.heldByOpenOrder])).toEqual([
      ['cancelled', 0, false],
      ['active', 2, false],
      ['active', 3, false],
    ]);
    const rest = await create([planFor(reloaded, [{}], '2027-01-31')]);
    expect(rest.lost).toEqual([]);
    const restLines = (await loadOrders(knexOf(ctx.store), [rest.created[0]!.orderId])).get(rest.created[0]!.orderId)!.lines;
    expect(restLines.map((l) => [l.contractLineId, l.quantityBefore, l.quantityAfter])).toEqual([
      [serialLine!.id, 2, 0],
      [partialLine!.id, 3, 0],
    ]);
    await accept(rest.created);
    await transact(ctx.store, (trx) => confirmOrders(trx, [rest.created[0]!.orderId], null, aWriteContext({ today: '2026-12-01' })));
    const final = await tableState([mixed!.contract.id]);
    expect(final.contracts[0]).toMatchObject({ status: 'cancelled', end_date: '2027-01-31', cancelled_on: '2026-12-01' });
    expect(final.serials.map((s: { status: string }) => s.status)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    expect(
      final.cancelled
        .filter((c: { cancelled_on: string }) => c.cancelled_on === '2026-12-01')
        .map((c: { serial_no: string; cancel_quantity: number }) => [c.serial_no, c.cancel_quantity])
        .sort(),
    ).toEqual(
      [
        ['C-2', 1],
        ['C-4', 1],
        ['SUB-C2', 3],
      ].sort(),
    );
  });

  it('handles batches larger than one statement chunk', async () => {
    // 410 orders: more than confirmOrders' 400 per statement.
    const inputs = Array.from({ length: 410 }, () => aContractInput({ lines: [aLineInput({ quantity: 2 })] }));
    const snapshots = await importAndLoad(...inputs);
    const { created, lost } = await create(snapshots.map((s) => planFor(s)));
    expect(lost).toEqual([]);
    const seqs = created.map((c) => sequenceOf(c.orderNo));
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    await accept(created);
    const done = await transact(ctx.store, (trx) =>
      confirmOrders(
        trx,
        created.map((c) => c.orderId),
        null,
        write,
      ),
    );
    expect(done).toHaveLength(410);
    const contractIds = snapshots.map((s) => s.contract.id);
    const statuses = (await knexOf(ctx.store)('contracts').whereIn('id', contractIds).groupBy('status').select('status').count({ n: '*' })) as {
      status: string;
      n: number;
    }[];
    expect(statuses.map((r) => [r.status, Number(r.n)])).toEqual([['cancelled', 410]]);
    const cancelledRows = await knexOf(ctx.store)('cancelled_serials as cs')
      .join('order_lines as ol', 'ol.id', 'cs.order_line_id')
      .whereIn('ol.order_id', done)
      .count({ n: '*' })
      .first();
    expect(Number(cancelledRows!.n)).toBe(410);
  });

  it('confirms only accepted orders', async () => {
    const [a] = await importAndLoad(aContractInput());
    const { created } = await create([planFor(a!)]);
    const done = await transact(ctx.store, (trx) => confirmOrders(trx, [created[0]!.orderId], null, write));
    expect(done).toEqual([]);
    const line = await knexOf(ctx.store)('contract_lines').where({ id: a!.lines[0]!.id }).first();
    expect(line).toMatchObject({ quantity: 3, status: 'active' });
    expect(await knexOf(ctx.store)('line_claims').where({ order_id: created[0]!.orderId })).toHaveLength(1);
  });

  it('takes an end date given at confirmation over the planned one', async () => {
    const [a] = await importAndLoad(aContractInput());
    const { created } = await create([planFor(a!, [{}], '2026-11-30')]);
    await accept(created);
    await transact(ctx.store, (trx) => confirmOrders(trx, [created[0]!.orderId], '2027-03-31', write));
    expect(await knexOf(ctx.store)('change_orders').where({ id: created[0]!.orderId }).first()).toMatchObject({ end_date: '2027-03-31', status: 'completed' });
    expect(await knexOf(ctx.store)('contracts').where({ id: a!.contract.id }).first()).toMatchObject({
      status: 'cancelled',
      end_date: '2027-03-31',
      cancelled_on: TODAY,
    });
    expect(await knexOf(ctx.store)('contract_lines').where({ id: a!.lines[0]!.id }).first()).toMatchObject({ end_date: '2027-03-31' });
  });
});
