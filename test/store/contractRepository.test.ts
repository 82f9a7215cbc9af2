import { describe, expect, it } from 'vitest';
import { transact } from '../../src/store/connect.js';
import { importContracts, loadSnapshots } from '../../src/store/contractRepository.js';
import { createCancelOrders } from '../../src/store/orderRepository.js';
import { aContractInput, aLineInput, aPlan, aPlannedLine } from '../builders.js';
import { aWriteContext, useStore } from './useStore.js';

const ctx = useStore();
const NOW = '2026-11-26 09:00:00';

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
    expect(counts).toEqual({ contractsCreated: 1, contractsUpdated: 0, linesCreated: 3, linesUpdated: 0, serialsCreated: 2 });

    const snapshots = await loadSnapshots(ctx.store.db, ['NCN202110-0000003402', 'NCN209901-0000000000']);
    expect([...snapshots.keys()]).toEqual(['NCN202110-0000003402']);
    const snapshot = snapshots.get('NCN202110-0000003402')!;
    expect(snapshot.contract).toMatchObject({ contractNo: 'NCN202110-0000003402', startDate: '2021-10-01', status: 'active' });
    expect(snapshot.lines.map((l) => ({ code: l.productCode, sub: l.subscriptionId, q: l.quantity, price: l.unitPrice, trial: l.isTrial, status: l.status, held: l.heldByOpenOrder, serials: l.serials.map((s) => `${s.serialNo}:${s.status}`) }))).toEqual([
      { code: 'O365-E1', sub: 'SUB-A', q: 3, price: 870, trial: false, status: 'active', held: false, serials: [] },
      { code: 'ESET-PROTECT', sub: '', q: 2, price: 550, trial: false, status: 'active', held: false, serials: ['SN-1:active', 'SN-2:active'] },
      { code: 'PBI-TRIAL', sub: 'SUB-T', q: 1, price: 0, trial: true, status: 'active', held: false, serials: [] },
    ]);
    for (const line of snapshot.lines) {
      expect(line.contractId).toBe(snapshot.contract.id);
      for (const s of line.serials) expect(s.lineId).toBe(line.id);
    }
    const row = await ctx.store.db('contracts').where({ contract_no: 'NCN202110-0000003402' }).first();
    expect(row).toMatchObject({ customer: 'さくら工業株式会社', cancelled_on: null, updated_by: 'importer', updated_at: NOW });
  });

  it('upserts: the same contract again updates it, matches lines by subscription id and adds only new serials', async () => {
    const first = aContractInput({ lines: [aLineInput({ subscriptionId: 'SUB-U', quantity: 3 }), aLineInput({ subscriptionId: '', productCode: 'ESET', serials: ['SN-A'], quantity: 1 })] });
    await importContracts(ctx.store, [first], 'importer', NOW);
    const again = { ...first, subject: '更新後', lines: [aLineInput({ subscriptionId: 'SUB-U', quantity: 5, unitPrice: 900 }), aLineInput({ subscriptionId: '', productCode: 'ESET', serials: ['SN-A', 'SN-B'], quantity: 2 })] };
    const counts = await importContracts(ctx.store, [again], 'importer2', NOW);
    expect(counts).toEqual({ contractsCreated: 0, contractsUpdated: 1, linesCreated: 0, linesUpdated: 2, serialsCreated: 1 });

    const snapshot = (await loadSnapshots(ctx.store.db, [first.contractNo])).get(first.contractNo)!;
    expect((await ctx.store.db('contracts').where({ id: snapshot.contract.id }).first()).subject).toBe('更新後');
    expect(snapshot.lines.map((l) => [l.subscriptionId || l.productCode, l.quantity, l.serials.map((s) => s.serialNo)])).toEqual([
      ['SUB-U', 5, []],
      ['ESET', 2, ['SN-A', 'SN-B']],
    ]);
  });

  it('keeps the quantity of a line an open order holds, and shows the line as held', async () => {
    const input = aContractInput({ lines: [aLineInput({ subscriptionId: 'SUB-H', quantity: 3 })] });
    await importContracts(ctx.store, [input], 'importer', NOW);
    const before = (await loadSnapshots(ctx.store.db, [input.contractNo])).get(input.contractNo)!;
    const line = before.lines[0]!;
    await transact(ctx.store, (trx) =>
      createCancelOrders(trx, [aPlan({ contractId: before.contract.id, lines: [aPlannedLine({ lineId: line.id, quantityBefore: 3, cancelQuantity: 1 })] })], { ...aWriteContext(), runId: null }),
    );

    await importContracts(ctx.store, [{ ...input, lines: [aLineInput({ subscriptionId: 'SUB-H', quantity: 10, unitPrice: 999 })] }], 'importer', NOW);
    const after = (await loadSnapshots(ctx.store.db, [input.contractNo])).get(input.contractNo)!;
    expect(after.lines[0]).toMatchObject({ id: line.id, quantity: 3, unitPrice: 999, heldByOpenOrder: true });
  });

  it('imports many contracts in one call and loads them in one batch', async () => {
    // 210: more than importContracts' 200 per chunk.
    const inputs = Array.from({ length: 210 }, () => aContractInput());
    const counts = await importContracts(ctx.store, inputs, 'importer', NOW);
    expect(counts.contractsCreated).toBe(210);
    const snapshots = await loadSnapshots(ctx.store.db, [...inputs.map((c) => c.contractNo), inputs[0]!.contractNo]);
    expect(snapshots.size).toBe(210);
  });
});
