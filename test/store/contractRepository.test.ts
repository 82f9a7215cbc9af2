import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/connect.js';
import { transact } from '../../src/store/retry.js';
import { importContracts, loadSnapshots, previewImport, type ContractInput } from '../../src/store/contractRepository.js';
import { createCancelOrders } from '../../src/store/orderRepository.js';
import { aContractInput, aLineInput, aPlan, aPlannedLine, freshId } from '../builders.js';
import { aWriteContext, useStore } from './useStore.js';
import { knexOf } from '../../src/store/store.js';

const ctx = useStore();
const NOW = '2026-11-26 09:00:00';
const LATER = '2026-11-27 09:00:00';

/** Each contract's lines as the rules read them: ids, seats, price and active serials. */
async function linesOf(contractNo: string) {
  const snapshot = (await loadSnapshots(knexOf(ctx.store), [contractNo])).get(contractNo)!;
  return snapshot.lines.map((l) => ({
    code: l.productCode,
    sub: l.subscriptionId,
    q: l.quantity,
    price: l.unitPrice,
    status: l.status,
    serials: l.serials
      .filter((s) => s.status === 'active')
      .map((s) => s.serialNo)
      .sort(),
  }));
}

/**
 * What a confirmed cancellation leaves, written as the store keeps it (a completed order
 * with its line, the line's new quantity, its serials cancelled, the contract cancelled
 * when no line is left), without the order steps: the import reads only these rows.
 */
async function cancelInStore(
  store: Store,
  contractNo: string,
  lineNo: number,
  cancel: number,
  serials: readonly string[] = [],
  endDate = '2026-12-31',
): Promise<string> {
  const orderNo = `NOD202611-${String(freshId()).padStart(10, '0')}`;
  await transact(store, async (trx) => {
    const contract = await trx('contracts').where({ contract_no: contractNo }).first();
    const line = await trx('contract_lines').where({ contract_id: contract.id, line_no: lineNo }).first();
    const [order] = await trx('change_orders')
      .insert({
        order_no: orderNo,
        contract_id: contract.id,
        kind: 'cancel',
        status: 'completed',
        applied_on: '2026-11-26',
        end_date: endDate,
        completed_on: '2026-11-26',
        created_at: NOW,
        updated_at: NOW,
        updated_by: 'test',
      })
      .returning('id');
    const orderId = typeof order === 'object' ? order.id : order;
    const after = line.quantity - cancel;
    await trx('order_lines').insert({
      order_id: orderId,
      contract_line_id: line.id,
      quantity_before: line.quantity,
      cancel_quantity: cancel,
      quantity_after: after,
      unit_price: line.unit_price,
      linkage_status: 'linked',
    });
    await trx('contract_lines')
      .where({ id: line.id })
      .update({ quantity: after, status: after === 0 ? 'cancelled' : 'active', end_date: after === 0 ? endDate : null });
    if (serials.length > 0) await trx('serials').where({ line_id: line.id }).whereIn('serial_no', serials).update({ status: 'cancelled' });
    const open = await trx('contract_lines').where({ contract_id: contract.id, status: 'active' }).first();
    if (!open) await trx('contracts').where({ id: contract.id }).update({ status: 'cancelled', end_date: endDate, cancelled_on: '2026-11-26' });
  });
  return orderNo;
}

describe('importContracts and loadSnapshots', () => {
  it('creates contracts, lines and serials, and reads them back as snapshots', async () => {
    const input = aContractInput({
      contractNo: 'NCN202110-0000003402',
      startDate: '2021-10-01',
      customer: 'さくら工業株式会社',
      lines: [
        aLineInput({ productCode: 'O365-E1', subscriptionId: 'SUB-A', quantity: 3, unitPrice: 870 }),
        aLineInput({ supplier: 'ESET', productCode: 'ESET-PROTECT', subscriptionId: '', quantity: 2, unitPrice: 550, serials: ['SN-1', 'SN-2'] }),
        aLineInput({ productCode: 'PBI-TRIAL', subscriptionId: 'SUB-T', quantity: 1, unitPrice: 0, isTrial: true }),
      ],
    });
    const counts = await importContracts(ctx.store, [input], 'importer', NOW);
    expect(counts).toMatchObject({ contractsCreated: 1, contractsUpdated: 0, linesCreated: 3, linesUpdated: 0, serialsAdded: 2 });

    const snapshots = await loadSnapshots(knexOf(ctx.store), ['NCN202110-0000003402', 'NCN209901-0000000000']);
    expect([...snapshots.keys()]).toEqual(['NCN202110-0000003402']);
    const snapshot = snapshots.get('NCN202110-0000003402')!;
    expect(snapshot.contract).toMatchObject({ contractNo: 'NCN202110-0000003402', startDate: '2021-10-01', status: 'active' });
    expect(
      snapshot.lines.map((l) => ({
        code: l.productCode,
        sub: l.subscriptionId,
        q: l.quantity,
        price: l.unitPrice,
        trial: l.isTrial,
        status: l.status,
        held: l.heldByOpenOrder,
        serials: l.serials.map((s) => `${s.serialNo}:${s.status}`),
      })),
    ).toEqual([
      { code: 'O365-E1', sub: 'SUB-A', q: 3, price: 870, trial: false, status: 'active', held: false, serials: [] },
      { code: 'ESET-PROTECT', sub: '', q: 2, price: 550, trial: false, status: 'active', held: false, serials: ['SN-1:active', 'SN-2:active'] },
      { code: 'PBI-TRIAL', sub: 'SUB-T', q: 1, price: 0, trial: true, status: 'active', held: false, serials: [] },
    ]);
    for (const line of snapshot.lines) {
      expect(line.contractId).toBe(snapshot.contract.id);
      for (const s of line.serials) expect(s.lineId).toBe(line.id);
    }
    const row = await knexOf(ctx.store)('contracts').where({ contract_no: 'NCN202110-0000003402' }).first();
    expect(row).toMatchObject({ customer: 'さくら工業株式会社', cancelled_on: null, updated_by: 'importer', updated_at: NOW });
  });

  it("upserts: the same contract again updates it, matches lines by subscription id, and the file's serials become the line's", async () => {
    const first = aContractInput({
      lines: [aLineInput({ subscriptionId: 'SUB-U', quantity: 3 }), aLineInput({ subscriptionId: '', productCode: 'ESET', serials: ['SN-A'], quantity: 1 })],
    });
    await importContracts(ctx.store, [first], 'importer', NOW);
    const again = {
      ...first,
      subject: '更新後',
      lines: [
        aLineInput({ subscriptionId: 'SUB-U', quantity: 5, unitPrice: 900 }),
        aLineInput({ subscriptionId: '', productCode: 'ESET', serials: ['SN-A', 'SN-B'], quantity: 2 }),
      ],
    };
    const counts = await importContracts(ctx.store, [again], 'importer2', NOW);
    expect(counts).toMatchObject({ contractsCreated: 0, contractsUpdated: 1, linesCreated: 0, linesUpdated: 2, serialsAdded: 1, serialsRemoved: 0 });

    const snapshot = (await loadSnapshots(knexOf(ctx.store), [first.contractNo])).get(first.contractNo)!;
    expect((await knexOf(ctx.store)('contracts').where({ id: snapshot.contract.id }).first()).subject).toBe('更新後');
    expect(snapshot.lines.map((l) => [l.subscriptionId || l.productCode, l.quantity, l.serials.map((s) => s.serialNo)])).toEqual([
      ['SUB-U', 5, []],
      ['ESET', 2, ['SN-A', 'SN-B']],
    ]);
  });

  it('imports many contracts in one call and loads them in one batch', async () => {
    // 2,100: more than one chunk of contract numbers.
    const inputs = Array.from({ length: 2100 }, () => aContractInput());
    const counts = await importContracts(ctx.store, inputs, 'importer', NOW);
    expect(counts.contractsCreated).toBe(2100);
    const snapshots = await loadSnapshots(knexOf(ctx.store), [...inputs.map((c) => c.contractNo), inputs[0]!.contractNo]);
    expect(snapshots.size).toBe(2100);
    const again = await importContracts(ctx.store, inputs, 'importer', LATER);
    expect(again).toMatchObject({ contractsUnchanged: 2100, linesUnchanged: 2100 });
  });
});

describe('a line is the same line again (one identity for import and cancellation)', () => {
  it('a subscription id in another case, or filled in after being empty, updates the line instead of adding one', async () => {
    const input = aContractInput({
      lines: [
        aLineInput({ productCode: 'O365-E1', subscriptionId: 'AB12CD34-0000-4000-8000-000000000001', quantity: 5 }),
        aLineInput({ productCode: 'PRJ-P1', subscriptionId: '', quantity: 2 }),
      ],
    });
    await importContracts(ctx.store, [input], 'importer', NOW);
    const again = {
      ...input,
      lines: [
        aLineInput({ productCode: 'o365-e1', subscriptionId: 'ab12cd34-0000-4000-8000-000000000001', quantity: 5 }),
        aLineInput({ productCode: 'PRJ-P1', subscriptionId: 'EF56-0000-0002', quantity: 2 }),
      ],
    };
    const result = await importContracts(ctx.store, [again], 'importer', LATER);
    expect(result).toMatchObject({ linesCreated: 0, linesUpdated: 1, linesUnchanged: 1 });
    expect(result.contracts[0]!.lines[1]!.changes).toEqual([{ field: 'subscriptionId', before: '', after: 'EF56-0000-0002' }]);
    // The stored spelling stays: a GUID in another case is not a change.
    expect(await linesOf(input.contractNo)).toEqual([
      { code: 'O365-E1', sub: 'AB12CD34-0000-4000-8000-000000000001', q: 5, price: 870, status: 'active', serials: [] },
      { code: 'PRJ-P1', sub: 'EF56-0000-0002', q: 2, price: 870, status: 'active', serials: [] },
    ]);
  });

  it('two lines of one product without ids keep their own serials, in any row order', async () => {
    const input = aContractInput({
      lines: [
        aLineInput({ productCode: 'ESET', subscriptionId: '', quantity: 2, unitPrice: 550, serials: ['SN-1', 'SN-2'] }),
        aLineInput({ productCode: 'ESET', subscriptionId: '', quantity: 3, unitPrice: 600, serials: ['SN-3', 'SN-4', 'SN-5'] }),
      ],
    });
    await importContracts(ctx.store, [input], 'importer', NOW);
    expect(await linesOf(input.contractNo)).toEqual([
      { code: 'ESET', sub: '', q: 2, price: 550, status: 'active', serials: ['SN-1', 'SN-2'] },
      { code: 'ESET', sub: '', q: 3, price: 600, status: 'active', serials: ['SN-3', 'SN-4', 'SN-5'] },
    ]);
    // Shuffled, one serial of each replaced, a price changed: each row is still its line.
    const again = {
      ...input,
      lines: [
        aLineInput({ productCode: 'eset', subscriptionId: '', quantity: 3, unitPrice: 650, serials: ['SN-3', 'SN-4', 'SN-9'] }),
        aLineInput({ productCode: 'ESET', subscriptionId: '', quantity: 2, unitPrice: 550, serials: ['sn-1', 'SN-8'] }),
      ],
    };
    const result = await importContracts(ctx.store, [again], 'importer', LATER);
    expect(result).toMatchObject({ linesCreated: 0, linesUpdated: 2, serialsAdded: 2, serialsRemoved: 2, serialsMoved: 0 });
    expect(await linesOf(input.contractNo)).toEqual([
      { code: 'ESET', sub: '', q: 2, price: 550, status: 'active', serials: ['SN-1', 'SN-8'] },
      { code: 'ESET', sub: '', q: 3, price: 650, status: 'active', serials: ['SN-3', 'SN-4', 'SN-9'] },
    ]);
  });

  it('a file line without the id of the only stored line of its product is refused, not added a second time', async () => {
    const input = aContractInput({ lines: [aLineInput({ productCode: 'O365-E1', subscriptionId: 'SUB-KEEP', quantity: 5 })] });
    await importContracts(ctx.store, [input], 'importer', NOW);
    const result = await importContracts(
      ctx.store,
      [{ ...input, lines: [aLineInput({ productCode: 'O365-E1', subscriptionId: '', quantity: 5, row: 7 })] }],
      'importer',
      LATER,
    );
    expect(result.contracts[0]!.lines[0]).toMatchObject({
      row: 7,
      outcome: 'refused',
      lineNo: null,
      refusal: { kind: 'id-missing', lineNo: 1, subscriptionId: 'SUB-KEEP' },
    });
    expect(await linesOf(input.contractNo)).toHaveLength(1);
  });

  it('a contract number in lower case is stored upper-cased, and one stored so earlier is renamed', async () => {
    const no = `NCN202107-${String(freshId()).padStart(10, '0')}`;
    await importContracts(ctx.store, [aContractInput({ contractNo: no.toLowerCase() })], 'importer', NOW);
    expect(await knexOf(ctx.store)('contracts').where({ contract_no: no }).first()).toBeDefined();
    // A store written before numbers were upper-cased.
    const old = `NCN202107-${String(freshId()).padStart(10, '0')}`;
    await knexOf(ctx.store)('contracts').insert({
      contract_no: old.toLowerCase(),
      start_date: '2021-07-20',
      status: 'active',
      updated_at: NOW,
      updated_by: 'old',
    });
    const result = await importContracts(ctx.store, [aContractInput({ contractNo: old })], 'importer', LATER);
    expect(result.contracts[0]!.changes[0]).toEqual({ field: 'contractNo', before: old.toLowerCase(), after: old });
    expect(await knexOf(ctx.store)('contracts').whereRaw('upper(contract_no) = ?', [old]).pluck('contract_no')).toEqual([old]);
  });
});

describe('what cancellation decided survives re-import', () => {
  it("keeps a cancelled contract's end date and the seats and cancelled serials of its lines, and updates names and prices", async () => {
    const input = aContractInput({
      endDate: null,
      lines: [
        aLineInput({ subscriptionId: 'SUB-C1', quantity: 3, unitPrice: 870 }),
        aLineInput({ productCode: 'ESET', subscriptionId: '', quantity: 2, unitPrice: 550, serials: ['SN-C1', 'SN-C2'] }),
      ],
    });
    await importContracts(ctx.store, [input], 'importer', NOW);
    const first = await cancelInStore(ctx.store, input.contractNo, 1, 3, [], '2026-12-31');
    await cancelInStore(ctx.store, input.contractNo, 2, 2, ['SN-C1', 'SN-C2'], '2026-12-31');
    // The distributor's old master, with a new name and price.
    const stale = { ...input, subject: '新しい件名', lines: [{ ...input.lines[0]!, unitPrice: 900 }, input.lines[1]!] };
    const result = await importContracts(ctx.store, [stale], 'importer', LATER);
    expect(result.contracts[0]!.kept).toEqual([expect.objectContaining({ field: 'endDate', store: '2026-12-31', file: '' })]);
    expect(result.contracts[0]!.lines[0]!.kept).toEqual([{ field: 'quantity', store: '0', file: '3', orderNos: [first] }]);
    const contract = await knexOf(ctx.store)('contracts').where({ contract_no: input.contractNo }).first();
    expect(contract).toMatchObject({ status: 'cancelled', end_date: '2026-12-31', cancelled_on: '2026-11-26', subject: '新しい件名' });
    expect(await linesOf(input.contractNo)).toEqual([
      { code: 'O365-E1', sub: 'SUB-C1', q: 0, price: 900, status: 'cancelled', serials: [] },
      { code: 'ESET', sub: '', q: 0, price: 550, status: 'cancelled', serials: [] },
    ]);
    // A new line cannot be added to a cancelled contract.
    const added = await importContracts(ctx.store, [{ ...stale, lines: [...stale.lines, aLineInput({ subscriptionId: 'SUB-NEW' })] }], 'importer', LATER);
    expect(added.contracts[0]!.lines[2]).toMatchObject({ outcome: 'refused', refusal: { kind: 'contract-cancelled' } });
  });

  it("a line a cancellation reduced keeps its seats; its serials are the file's less the cancelled ones, and must match the seats left", async () => {
    const input = aContractInput({ lines: [aLineInput({ productCode: 'ESET', subscriptionId: '', quantity: 4, serials: ['S1', 'S2', 'S3', 'S4'] })] });
    await importContracts(ctx.store, [input], 'importer', NOW);
    const order = await cancelInStore(ctx.store, input.contractNo, 1, 1, ['S2']);
    // The old master (4 units, S2 among them): 3 seats, S1 S3 S4.
    expect(await importContracts(ctx.store, [input], 'importer', LATER)).toMatchObject({ linesUnchanged: 1, keptFromCancellation: 1 });
    expect((await linesOf(input.contractNo))[0]).toMatchObject({ q: 3, serials: ['S1', 'S3', 'S4'] });
    // An old master (4 units) with S2 replaced by S6: four active serials for the three seats
    // the store keeps. Refused for the line, which stays as it is.
    const tooMany = { ...input, lines: [aLineInput({ productCode: 'ESET', subscriptionId: '', quantity: 4, serials: ['S1', 'S3', 'S4', 'S6'] })] };
    const result = await importContracts(ctx.store, [tooMany], 'importer', LATER);
    expect(result.contracts[0]!.lines[0]).toMatchObject({ outcome: 'refused', refusal: { kind: 'serial-count', serials: 4, quantity: 3, orderNos: [order] } });
    expect((await linesOf(input.contractNo))[0]).toMatchObject({ q: 3, serials: ['S1', 'S3', 'S4'] });
    // A master that replaced S4 with S5 and knows of the cancellation.
    const replaced = { ...input, lines: [aLineInput({ productCode: 'ESET', subscriptionId: '', quantity: 3, serials: ['S1', 'S3', 'S5'] })] };
    expect(await importContracts(ctx.store, [replaced], 'importer', LATER)).toMatchObject({ linesUpdated: 1, serialsAdded: 1, serialsRemoved: 1 });
    expect((await linesOf(input.contractNo))[0]).toMatchObject({ q: 3, serials: ['S1', 'S3', 'S5'] });
    // In step with the store again, the master's next quantity is news: a fourth seat with its serial.
    const fourth = { ...input, lines: [aLineInput({ productCode: 'ESET', subscriptionId: '', quantity: 4, serials: ['S1', 'S3', 'S5', 'S6'] })] };
    expect(await importContracts(ctx.store, [fourth], 'importer', LATER)).toMatchObject({ linesUpdated: 1, linesRefused: 0, serialsAdded: 1 });
    expect((await linesOf(input.contractNo))[0]).toMatchObject({ q: 4, serials: ['S1', 'S3', 'S5', 'S6'] });
  });

  it('a line an open order holds is not changed: the change is refused for that line, the rest is imported', async () => {
    const input = aContractInput({ lines: [aLineInput({ subscriptionId: 'SUB-H', quantity: 3 }), aLineInput({ subscriptionId: 'SUB-FREE', quantity: 2 })] });
    await importContracts(ctx.store, [input], 'importer', NOW);
    const before = (await loadSnapshots(knexOf(ctx.store), [input.contractNo])).get(input.contractNo)!;
    const line = before.lines[0]!;
    await transact(ctx.store, (trx) =>
      createCancelOrders(trx, [aPlan({ contractId: before.contract.id, lines: [aPlannedLine({ lineId: line.id, quantityBefore: 3, cancelQuantity: 1 })] })], {
        ...aWriteContext(),
        runId: null,
      }),
    );
    const orderNo = (await knexOf(ctx.store)('change_orders').where({ contract_id: before.contract.id }).first()).order_no;

    // The same master again changes nothing, so nothing is refused.
    expect(await importContracts(ctx.store, [input], 'importer', LATER)).toMatchObject({ linesUnchanged: 2, linesRefused: 0 });
    const result = await importContracts(
      ctx.store,
      [{ ...input, lines: [aLineInput({ subscriptionId: 'SUB-H', quantity: 10, unitPrice: 999 }), aLineInput({ subscriptionId: 'SUB-FREE', quantity: 4 })] }],
      'importer',
      LATER,
    );
    expect(result.contracts[0]!.lines.map((l) => [l.outcome, l.refusal])).toEqual([
      ['refused', { kind: 'held', orderNo }],
      ['updated', null],
    ]);
    const after = (await loadSnapshots(knexOf(ctx.store), [input.contractNo])).get(input.contractNo)!;
    expect(after.lines[0]).toMatchObject({ id: line.id, quantity: 3, unitPrice: 870, heldByOpenOrder: true });
    expect(after.lines[1]).toMatchObject({ quantity: 4 });
  });
});

describe('serials: one set per line, never moved silently', () => {
  it('a serial the file moves to another line is moved and reported; one on a line the file does not list stays, and the line asking for it is refused', async () => {
    const input = aContractInput({
      lines: [
        aLineInput({ productCode: 'A', subscriptionId: '', quantity: 2, serials: ['M1', 'M2'] }),
        aLineInput({ productCode: 'B', subscriptionId: '', quantity: 1, serials: ['M3'] }),
      ],
    });
    await importContracts(ctx.store, [input], 'importer', NOW);
    const moved = {
      ...input,
      lines: [
        aLineInput({ productCode: 'A', subscriptionId: '', quantity: 1, serials: ['M1'] }),
        aLineInput({ productCode: 'B', subscriptionId: '', quantity: 2, serials: ['M3', 'M2'] }),
      ],
    };
    const result = await importContracts(ctx.store, [moved], 'importer', LATER);
    expect(result).toMatchObject({ serialsMoved: 1, serialsAdded: 0, serialsRemoved: 0 });
    expect(result.contracts[0]!.lines[1]!.serials.moved).toEqual([{ serial: 'M2', fromLineNo: 1 }]);
    expect((await linesOf(input.contractNo)).map((l) => l.serials)).toEqual([['M1'], ['M2', 'M3']]);

    // Line A left out of the file keeps M1: line B cannot take it.
    const taking = { ...input, lines: [aLineInput({ productCode: 'B', subscriptionId: '', quantity: 3, serials: ['M3', 'M2', 'M1'] })] };
    const refused = await importContracts(ctx.store, [taking], 'importer', LATER);
    expect(refused.contracts[0]!.lines[0]).toMatchObject({ outcome: 'refused', refusal: { kind: 'serial-elsewhere', serial: 'M1', lineNo: 1 } });
    expect(refused.contracts[0]!.notInFile).toEqual([{ lineNo: 1, productCode: 'A', subscriptionId: '' }]);
    expect((await linesOf(input.contractNo)).map((l) => l.serials)).toEqual([['M1'], ['M2', 'M3']]);
  });

  it('without a serials column, lines keep their serials; a new quantity on a serial-managed line is refused', async () => {
    const input = aContractInput({ lines: [aLineInput({ productCode: 'K', subscriptionId: '', quantity: 2, serials: ['K1', 'K2'] })] });
    await importContracts(ctx.store, [input], 'importer', NOW);
    const same = await importContracts(
      ctx.store,
      [{ ...input, lines: [aLineInput({ productCode: 'K', subscriptionId: '', quantity: 2 })] }],
      'importer',
      LATER,
      { serialsColumn: false },
    );
    expect(same).toMatchObject({ linesUnchanged: 1 });
    const fewer = await importContracts(
      ctx.store,
      [{ ...input, lines: [aLineInput({ productCode: 'K', subscriptionId: '', quantity: 1 })] }],
      'importer',
      LATER,
      { serialsColumn: false },
    );
    expect(fewer.contracts[0]!.lines[0]).toMatchObject({ outcome: 'refused', refusal: { kind: 'serials-not-given', serials: 2, quantity: 1 } });
    expect((await linesOf(input.contractNo))[0]).toMatchObject({ q: 2, serials: ['K1', 'K2'] });
  });

  it('a serial removed and listed again takes its row back', async () => {
    const input = aContractInput({ lines: [aLineInput({ productCode: 'R', subscriptionId: '', quantity: 2, serials: ['R1', 'R2'] })] });
    await importContracts(ctx.store, [input], 'importer', NOW);
    await importContracts(
      ctx.store,
      [{ ...input, lines: [aLineInput({ productCode: 'R', subscriptionId: '', quantity: 1, serials: ['R1'] })] }],
      'importer',
      LATER,
    );
    expect((await linesOf(input.contractNo))[0]).toMatchObject({ q: 1, serials: ['R1'] });
    await importContracts(ctx.store, [input], 'importer', LATER);
    expect((await linesOf(input.contractNo))[0]).toMatchObject({ q: 2, serials: ['R1', 'R2'] });
    const rows = await knexOf(ctx.store)('serials as s')
      .join('contract_lines as cl', 'cl.id', 's.line_id')
      .join('contracts as c', 'c.id', 'cl.contract_id')
      .where('c.contract_no', input.contractNo)
      .pluck('s.status');
    expect(rows.sort()).toEqual(['active', 'active']);
  });
});

describe('previewImport', () => {
  it('reports exactly what the import then does, and changes nothing', async () => {
    const input: ContractInput = aContractInput({ lines: [aLineInput({ productCode: 'P', subscriptionId: '', quantity: 2, serials: ['P1', 'P2'] })] });
    await importContracts(ctx.store, [input], 'importer', NOW);
    const next: ContractInput = {
      ...input,
      subject: 'changed',
      lines: [aLineInput({ productCode: 'P', subscriptionId: 'SUB-P', quantity: 1, serials: ['P3'] }), aLineInput({ subscriptionId: 'SUB-Q' })],
    };
    const fresh = aContractInput();
    const count = async () =>
      Number((await knexOf(ctx.store)('serials').count({ n: '*' }))[0]!.n) + Number((await knexOf(ctx.store)('contract_lines').count({ n: '*' }))[0]!.n);
    const before = await count();
    const preview = await previewImport(knexOf(ctx.store), [next, fresh]);
    expect(await count()).toBe(before);
    const real = await importContracts(ctx.store, [next, fresh], 'importer', LATER);
    expect(preview).toEqual(real);
    expect(await previewImport(null, [next])).toMatchObject({ contractsCreated: 1, linesCreated: 2, serialsAdded: 1 });
  });
});

describe('migration 010: the quantity the master and the store last agreed on', () => {
  it("is, for a store from before it, the quantity before a line's first completed cancellation, else the line's; the import then tells an older master from news", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kaiyaku-legacy-'));
    let store = await openStore(join(dir, 'legacy.db'));
    try {
      const input = aContractInput({
        lines: [aLineInput({ subscriptionId: 'SUB-TWICE', quantity: 10 }), aLineInput({ subscriptionId: 'SUB-UNTOUCHED', quantity: 5 })],
      });
      await importContracts(store, [input], 'importer', NOW);
      await cancelInStore(store, input.contractNo, 1, 2);
      const latest = await cancelInStore(store, input.contractNo, 1, 3);
      // The store as the version before 010 left it.
      await knexOf(store)('knex_migrations').where({ name: '010_line_master_quantity' }).delete();
      await knexOf(store).schema.alterTable('contract_lines', (t) => t.dropColumn('master_quantity'));
      await store.close();
      store = await openStore(join(dir, 'legacy.db'));
      expect(
        (await knexOf(store)('contract_lines').orderBy('line_no').select('quantity', 'master_quantity')).map(
          (l: { quantity: number; master_quantity: number }) => [Number(l.quantity), Number(l.master_quantity)],
        ),
      ).toEqual([
        [5, 10],
        [5, 5],
      ]);
      const withQuantity = (q: number) => ({
        ...input,
        lines: [aLineInput({ subscriptionId: 'SUB-TWICE', quantity: q }), aLineInput({ subscriptionId: 'SUB-UNTOUCHED', quantity: 5 })],
      });
      // The master of before both cancellations, and of between them: older news, kept.
      for (const q of [10, 8])
        expect(await importContracts(store, [withQuantity(q)], 'importer', LATER)).toMatchObject({
          linesUnchanged: 2,
          linesRefused: 0,
          keptFromCancellation: 1,
        });
      const seven = await importContracts(store, [withQuantity(7)], 'importer', LATER);
      expect(seven.contracts[0]!.lines[0]).toMatchObject({
        outcome: 'refused',
        refusal: { kind: 'quantity-unexplained', file: 7, before: 8, after: 5, orderNo: latest, lineCancelled: false },
      });
      expect(await importContracts(store, [withQuantity(5)], 'importer', LATER)).toMatchObject({ linesUnchanged: 2, keptFromCancellation: 0 });
      expect(await importContracts(store, [withQuantity(7)], 'importer', LATER)).toMatchObject({ linesUpdated: 1, linesRefused: 0 });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
