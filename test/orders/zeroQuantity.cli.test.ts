/**
 * A line at quantity 0 has nothing left to cancel. Through the real CLI: it is refused
 * (LINE_NOT_ACTIVE), with no order line, no supplier call and no cancelled-serial row;
 * a whole-contract row (全選択) leaves it out and cancels the lines that have seats.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useTempDir } from '../support/setup.js';
import { contractLines, importContracts, kaiyaku, orderLines, patchesBySubscription, readCsv, serveSimulator, writeCancelFile } from './operatorCli.js';
import type { SupplierServer } from '../../src/supplier/index.js';

const tmp = useTempDir('kaiyaku-zero-');
const servers: SupplierServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

const A = 'NCN202401-0000000001';
const B = 'NCN202401-0000000002';
const C = 'NCN202401-0000000003';
const D = 'NCN202401-0000000004';

describe('cancel: lines with nothing left to cancel', () => {
  it('refuses a row naming a line at 0 and a whole-contract row whose lines are all at 0; 全選択 leaves lines at 0 out', async () => {
    const dir = tmp.make('zero');
    const lines = [
      { contractNo: A, productCode: 'EMPTY-A', subscriptionId: 'ZERO-A', quantity: 0 },
      { contractNo: A, productCode: 'SEATS-A', subscriptionId: 'GOOD-A', quantity: 2 },
      { contractNo: B, productCode: 'EMPTY-B', subscriptionId: 'ZERO-B', quantity: 0 },
      { contractNo: C, productCode: 'EMPTY-C', subscriptionId: 'ZERO-C', quantity: 0 },
      { contractNo: C, productCode: 'SEATS-C', subscriptionId: 'GOOD-C', quantity: 1 },
      { contractNo: D, productCode: 'EMPTY-D', subscriptionId: 'ZERO-D', quantity: 0 },
      { contractNo: D, productCode: 'SEATS-D', subscriptionId: 'GOOD-D', quantity: 4 },
    ];
    await importContracts(dir, lines);
    const server = await serveSimulator(lines);
    servers.push(server);
    const file = writeCancelFile(dir, 'zero.csv', [
      { contractNo: A }, // 全選択: GOOD-A only
      { contractNo: B }, // 全選択 of a contract with nothing left
      { contractNo: C, subscriptionId: 'ZERO-C' }, // the line at 0, named
      { contractNo: D, productCode: 'EMPTY-D', quantity: 1 }, // by product code, with a quantity
    ]);

    const run = await kaiyaku(dir, ['cancel', file, '--supplier', server.url, '--lang', 'en', '--report-encoding', 'utf8', '--quiet']);
    expect(run.code, run.stderr).toBe(1);
    const rows = readCsv(path.join(dir, 'zero.result.csv'));
    expect(rows.map((r) => [r.result, r.error_code])).toEqual([
      ['completed', ''],
      ['refused', 'LINE_NOT_ACTIVE'],
      ['refused', 'LINE_NOT_ACTIVE'],
      ['refused', 'LINE_NOT_ACTIVE'],
    ]);
    expect(rows[1]!.error_message).toContain('no active seats');

    // One order line, for the line that had seats; nothing 0 → 0.
    const ordered = await orderLines(dir);
    expect(ordered.map((l) => [l.subscriptionId, l.quantityBefore, l.quantityAfter])).toEqual([['GOOD-A', 2, 0]]);
    // The supplier was told about GOOD-A only.
    expect(Object.fromEntries(patchesBySubscription(server))).toEqual({ 'GOOD-A': 1 });

    // The serial export holds one row, GOOD-A × 2, no row of quantity 0.
    const exported = await kaiyaku(dir, ['serials', 'export', '--lang', 'en', '--encoding', 'utf8', '--out', 'serials.csv']);
    expect(exported.code, exported.stderr).toBe(0);
    const serials = readCsv(path.join(dir, 'serials.csv'));
    expect(serials.map((s) => [s.subscription_id, s.cancel_quantity])).toEqual([['GOOD-A', '2']]);

    // The contract A keeps its line at 0 as it was; the store holds what the supplier holds.
    const store = await contractLines(dir);
    expect(store.get('ZERO-A')).toMatchObject({ quantity: 0, status: 'active' });
    expect(store.get('GOOD-A')).toMatchObject({ quantity: 0, status: 'cancelled' });
    for (const [sub, l] of store) expect(server.simulator.stats().subscriptions[sub]?.quantity, sub).toBe(l.quantity);
    expect(fs.existsSync(path.join(dir, 'zero.errors.csv'))).toBe(true);
  });
});
