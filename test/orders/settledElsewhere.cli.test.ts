/**
 * `--confirm-unsettled`, then the supplier settles at another quantity. Through the real CLI
 * against a simulator served by this test, whose subscription the test changes between the
 * 202 and the GET that finds it settled (its in-process API): `orders resume` keeps asking
 * until the supplier has settled, and then the store follows the supplier, with the
 * difference kept on the order line and in an audit row. Never an unlinked line on a
 * completed order, never a store left at 3 seats while the supplier holds 2.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/connect.js';
import type { SupplierServer } from '../../src/supplier/index.js';
import { useTempDir } from '../support/setup.js';
import { contractLines, importContracts, kaiyaku, orderLines, serveSimulator, withStore, writeCancelFile, type ContractRow, type Ran } from './operatorCli.js';
import { knexOf } from '../../src/store/store.js';

const tmp = useTempDir('kaiyaku-elsewhere-');
const servers: SupplierServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

const U = 'NCN202401-0000000021'; // 5 seats, 2 cancelled: 3 confirmed, the supplier ends at 2
const V = 'NCN202401-0000000022'; // 4 seats, all cancelled: 0 confirmed, the supplier keeps 1
const LINES: ContractRow[] = [
  { contractNo: U, productCode: 'EXO-P1', subscriptionId: 'SLOW-0101', quantity: 5 },
  { contractNo: V, productCode: 'EXO-P1', subscriptionId: 'SLOW-0102', quantity: 4 },
];

function counts(r: Ran): { differs: number; unreachable: number; waiting: number } {
  const differs = /settled at another quantity (\d+)/.exec(r.stdout);
  const rest = /unreachable (\d+).*\(waiting (\d+),/.exec(r.stdout);
  expect(rest, `${r.stdout}\n${r.stderr}`).not.toBeNull();
  return { differs: differs ? Number(differs[1]) : 0, unreachable: Number(rest![1]), waiting: Number(rest![2]) };
}

async function setUp(name: string): Promise<{ dir: string; server: SupplierServer; sup: string[] }> {
  const dir = tmp.make(name);
  await importContracts(dir, LINES);
  const server = await serveSimulator(LINES);
  servers.push(server);
  const file = writeCancelFile(dir, 'nov.csv', [
    { contractNo: U, quantity: 2, requestId: 'REQ-U' },
    { contractNo: V, requestId: 'REQ-V' },
  ]);
  const sup = ['--supplier', server.url];
  const run = await kaiyaku(dir, ['cancel', file, ...sup, '--confirm-unsettled', '--quiet']);
  expect(run.code, run.stderr).toBe(0);
  // Confirmed unsettled: the store applied the targets, the lines wait for the supplier.
  const store = await contractLines(dir);
  expect([store.get('SLOW-0101'), store.get('SLOW-0102')]).toEqual([
    { quantity: 3, status: 'active', contractStatus: 'active' },
    { quantity: 0, status: 'cancelled', contractStatus: 'cancelled' },
  ]);
  expect((await orderLines(dir)).map((l) => [l.orderStatus, l.linkageStatus])).toEqual([
    ['completed', 'pending'],
    ['completed', 'pending'],
  ]);
  return { dir, server, sup };
}

/** What the supplier now holds, changed behind our back before it reports the change settled. */
function supplierEndsAt(server: SupplierServer, quantities: Record<string, number>): void {
  server.simulator.seed(Object.entries(quantities).map(([subscriptionId, quantity]) => ({ customer: '顧客株式会社', subscriptionId, quantity })));
}

async function audits(dir: string): Promise<Record<string, unknown>[]> {
  return withStore(dir, async (store) =>
    (await knexOf(store)('audit_log').where({ action: 'supplier-settled-other-quantity' }).orderBy('id').select('detail')).map(
      (r: { detail: string }) => JSON.parse(r.detail) as Record<string, unknown>,
    ),
  );
}

describe('the supplier settles a line confirmed unsettled at another quantity', () => {
  it('resume keeps asking while it is pending, then the store follows the supplier, once', async () => {
    const { dir, server, sup } = await setUp('follow');

    // Still provisioning: resume asks, the lines stay pending, and it says it is waiting (exit 1), not unreachable.
    const waiting = await kaiyaku(dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(waiting.code, waiting.stdout).toBe(1);
    expect(counts(waiting)).toEqual({ differs: 0, unreachable: 0, waiting: 2 });
    expect((await orderLines(dir)).map((l) => l.linkageStatus)).toEqual(['pending', 'pending']);

    supplierEndsAt(server, { 'SLOW-0101': 2, 'SLOW-0102': 1 });
    const settled = await kaiyaku(dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(settled.code, settled.stdout).toBe(0);
    expect(counts(settled)).toEqual({ differs: 2, unreachable: 0, waiting: 0 });

    // The order lines are linked, the difference on them; the orders stay completed, and
    // each order line says what the supplier really holds (its amounts and finance's row follow).
    const lines = await orderLines(dir);
    expect(lines.map((l) => [l.subscriptionId, l.orderStatus, l.linkageStatus, l.quantityAfter, l.linkageCode])).toEqual([
      ['SLOW-0101', 'completed', 'linked', 2, 'SUPPLIER_QUANTITY_MISMATCH'],
      ['SLOW-0102', 'completed', 'linked', 1, 'SUPPLIER_QUANTITY_MISMATCH'],
    ]);
    expect(lines[0]!.linkageMessage).toContain('the supplier settled at 2, not 3');
    // The store holds what the supplier holds: 2 seats; and 1 seat, so that line and its contract are active again.
    const store = await contractLines(dir);
    expect(store.get('SLOW-0101')).toEqual({ quantity: 2, status: 'active', contractStatus: 'active' });
    expect(store.get('SLOW-0102')).toEqual({ quantity: 1, status: 'active', contractStatus: 'active' });
    const atSupplier = server.simulator.stats().subscriptions;
    for (const [sub, l] of store) expect(l.quantity, sub).toBe(atSupplier[sub]!.quantity);
    expect(await audits(dir)).toEqual([
      expect.objectContaining({ subscriptionId: 'SLOW-0101', confirmedQuantity: 3, storeHad: 3, supplierQuantity: 2, applied: true }),
      expect.objectContaining({ subscriptionId: 'SLOW-0102', confirmedQuantity: 0, storeHad: 0, supplierQuantity: 1, applied: true }),
    ]);

    // Nothing left to follow: the next resume takes up nothing and changes nothing.
    const after = await kaiyaku(dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/^resume: 0 open orders/);
    expect(await audits(dir)).toHaveLength(2);
    // The line with seats again is a target again (SLOW- answers 202: confirmed unsettled once more).
    const dec = writeCancelFile(dir, 'dec.csv', [{ contractNo: V, requestId: 'REQ-V2' }]);
    const again = await kaiyaku(dir, ['cancel', dec, ...sup, '--confirm-unsettled', '--quiet']);
    expect(again.code, again.stderr).toBe(0);
    expect((await contractLines(dir)).get('SLOW-0102')).toEqual({ quantity: 0, status: 'cancelled', contractStatus: 'cancelled' });
  });

  it('a line an earlier version left unlinked on a completed order is asked about again and followed', async () => {
    const { dir, server, sup } = await setUp('legacy');
    supplierEndsAt(server, { 'SLOW-0101': 2, 'SLOW-0102': 0 });
    // What the old code wrote when the supplier settled elsewhere: unlinked, and resume forgot it.
    const store = await openStore(path.join(dir, 'store.db'));
    try {
      await knexOf(store)('order_lines').update({ linkage_status: 'unlinked' });
    } finally {
      await store.close();
    }
    const r = await kaiyaku(dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(r.code, r.stdout).toBe(0);
    expect(counts(r)).toEqual({ differs: 1, unreachable: 0, waiting: 0 });
    expect((await orderLines(dir)).map((l) => [l.subscriptionId, l.linkageStatus, l.linkageCode])).toEqual([
      ['SLOW-0101', 'linked', 'SUPPLIER_QUANTITY_MISMATCH'],
      ['SLOW-0102', 'linked', null],
    ]);
    expect((await contractLines(dir)).get('SLOW-0101')).toMatchObject({ quantity: 2 });
  });
});
