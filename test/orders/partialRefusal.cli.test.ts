/**
 * An order the supplier took in part: one subscription deleted there, the other refused
 * (NCE-LATE-, 900117). Through the real CLI against a simulator served by this test:
 * the order is completed for what the supplier took, by `orders confirm` and by `orders
 * resume` / the nightly run, the refused lines released; an order it took nothing of is
 * named with what an operator must do, and resume exits 0 once nothing it can move is left.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SupplierServer } from '../../src/supplier/index.js';
import { useTempDir } from '../support/setup.js';
import {
  claimedLines,
  contractLines,
  importContracts,
  kaiyaku,
  orderLines,
  readCsv,
  serveSimulator,
  writeCancelFile,
  type ContractRow,
  type Ran,
} from './operatorCli.js';

const tmp = useTempDir('kaiyaku-partial-');
const servers: SupplierServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

const P = 'NCN202401-0000000011'; // GOOD + LATE: confirmed by an operator
const Q = 'NCN202401-0000000012'; // LATE only: nothing taken
const R = 'NCN202401-0000000013'; // GOOD + LATE: completed by resume
const S = 'NCN202401-0000000014'; // SLOW + LATE: resume waits for the supplier, then completes

const LINES: ContractRow[] = [
  { contractNo: P, productCode: 'O365-E1', subscriptionId: 'GOOD-0001', quantity: 3 },
  { contractNo: P, productCode: 'O365-E3', subscriptionId: 'NCE-LATE-0001', quantity: 2 },
  { contractNo: Q, productCode: 'O365-E3', subscriptionId: 'NCE-LATE-0002', quantity: 4 },
  { contractNo: R, productCode: 'O365-E1', subscriptionId: 'GOOD-0003', quantity: 5 },
  { contractNo: R, productCode: 'O365-E3', subscriptionId: 'NCE-LATE-0003', quantity: 1 },
  { contractNo: S, productCode: 'EXO-P1', subscriptionId: 'SLOW-0004', quantity: 2 },
  { contractNo: S, productCode: 'O365-E3', subscriptionId: 'NCE-LATE-0004', quantity: 3 },
];

async function setUp(name: string): Promise<{ dir: string; server: SupplierServer; orderOf: Map<string, string> }> {
  const dir = tmp.make(name);
  await importContracts(dir, LINES);
  const server = await serveSimulator(LINES);
  servers.push(server);
  return { dir, server, orderOf: new Map() };
}

/** contract number → order number, from `orders list`. */
async function ordersByContract(dir: string): Promise<Map<string, Record<string, string>>> {
  const r = await kaiyaku(dir, ['orders', 'list', '--lang', 'en', '--encoding', 'utf8', '--out', 'orders.csv']);
  expect(r.code, r.stderr).toBe(0);
  return new Map(readCsv(path.join(dir, 'orders.csv')).map((o) => [o['contract_no']!, o]));
}

function resumeLine(r: Ran): { open: number; waiting: number; operator: number; actions: string[] } {
  const m = /still open (\d+) \(waiting (\d+), need an operator (\d+)\)/.exec(r.stdout);
  expect(m, `${r.stdout}\n${r.stderr}`).not.toBeNull();
  return { open: Number(m![1]), waiting: Number(m![2]), operator: Number(m![3]), actions: r.stdout.split('\n').filter((l) => l.startsWith('action needed: ')) };
}

/** The store holds, for every subscription, what the supplier holds. */
async function expectStoreFollowsSupplier(dir: string, server: SupplierServer): Promise<void> {
  const atSupplier = server.simulator.stats().subscriptions;
  for (const [sub, line] of await contractLines(dir)) {
    expect(line.quantity, sub).toBe(atSupplier[sub]!.quantity);
    expect(line.status, sub).toBe(atSupplier[sub]!.status === 'deleted' ? 'cancelled' : 'active');
  }
}

describe('an order the supplier took in part', () => {
  it('orders confirm completes it for what was taken; resume completes the others when the refusal is final and names the order only an operator can move', async () => {
    const { dir, server } = await setUp('partial');
    const sup = ['--supplier', server.url];
    const file = writeCancelFile(
      dir,
      'nov.csv',
      [P, Q, R, S].map((contractNo, i) => ({ contractNo, requestId: `REQ-${i + 1}` })),
    );
    const cancel = await kaiyaku(dir, ['cancel', file, ...sup, '--lang', 'en', '--report-encoding', 'utf8', '--quiet']);
    expect(cancel.code, cancel.stderr).toBe(1);
    // The run itself reports the refusal and leaves the orders for an operator or resume.
    expect(readCsv(path.join(dir, 'nov.result.csv')).map((r) => [r['result'], r['error_code']])).toEqual(Array(4).fill(['failed', 'SUPPLIER_REJECTED']));
    const orders = await ordersByContract(dir);
    const no = (c: string) => orders.get(c)!['order_no']!;

    // P: every other button is refused, and says what to do instead.
    for (const button of ['withdraw-acceptance', 'withdraw', 'link']) {
      const r = await kaiyaku(dir, ['orders', button, no(P), ...(button === 'link' ? sup : [])]);
      expect(r.code, `${button}: ${r.stderr}`).toBe(1);
      expect(r.stderr, button).toContain(`kaiyaku orders confirm ${no(P)} --end-date`);
    }
    expect((await kaiyaku(dir, ['orders', 'withdraw-acceptance', no(P)])).stderr).toContain('発注済みの為、受付取消はできません');

    const confirmed = await kaiyaku(dir, ['orders', 'confirm', no(P), '--end-date', '2030-01-31', '--lang', 'en']);
    expect(confirmed.code, confirmed.stderr).toBe(0);
    let lines = await orderLines(dir);
    const pLines = lines.filter((l) => l.orderNo === no(P));
    expect(pLines.map((l) => [l.subscriptionId, l.orderStatus, l.linkageStatus, l.quantityBefore, l.cancelQuantity, l.quantityAfter])).toEqual([
      ['GOOD-0001', 'completed', 'linked', 3, 3, 0],
      // Released: nothing changed on it, the supplier's refusal kept for the record.
      ['NCE-LATE-0001', 'completed', 'failed', 2, 0, 2],
    ]);
    expect(pLines[1]!.linkageCode).toBe('900117');
    expect(pLines[1]!.linkageMessage).toMatch(/cancellation is not allowed/);
    let store = await contractLines(dir);
    expect(store.get('GOOD-0001')).toEqual({ quantity: 0, status: 'cancelled', contractStatus: 'active' });
    expect(store.get('NCE-LATE-0001')).toEqual({ quantity: 2, status: 'active', contractStatus: 'active' });
    expect(await claimedLines(dir)).not.toContain('NCE-LATE-0001');
    // 契約変更一覧: completed, one line of two linked, the amounts after as the contract now stands.
    const listed = (await ordersByContract(dir)).get(P)!;
    expect([listed['status'], listed['lines'], listed['lines_linked'], listed['subtotal_before'], listed['subtotal_after']]).toEqual([
      'completed',
      '2',
      '1',
      String(5 * 870),
      String(2 * 870),
    ]);

    // Resume: R is completed (900117 is final); S waits for SLOW- to settle; Q needs an operator.
    const first = await kaiyaku(dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    let seen = resumeLine(first);
    expect(first.code, first.stdout).toBe(1);
    expect(seen).toMatchObject({ waiting: 1, operator: 1 });
    expect(seen.actions).toHaveLength(1);
    expect(seen.actions[0]).toContain(`${no(Q)}: the supplier refused every line (900117`);
    expect(seen.actions[0]).toContain(`kaiyaku orders withdraw-acceptance ${no(Q)}, then kaiyaku orders withdraw ${no(Q)}`);
    lines = await orderLines(dir);
    expect(lines.filter((l) => l.orderNo === no(R)).map((l) => [l.subscriptionId, l.orderStatus, l.linkageStatus, l.quantityAfter])).toEqual([
      ['GOOD-0003', 'completed', 'linked', 0],
      ['NCE-LATE-0003', 'completed', 'failed', 1],
    ]);
    // SLOW- settles on the third GET: resume waits until then, with only Q named; exit 1 all
    // along, since Q needs an operator (exit 0 means nothing needs a person).
    for (let i = 0; i < 4 && seen.waiting > 0; i++) {
      const again = await kaiyaku(dir, ['orders', 'resume', ...sup, '--lang', 'en']);
      seen = resumeLine(again);
      expect(again.code).toBe(1);
      expect(seen.actions.map((a) => a.split(':')[1]!.trim())).toEqual([no(Q)]);
    }
    expect(seen).toMatchObject({ open: 1, waiting: 0, operator: 1 });
    store = await contractLines(dir);
    expect(store.get('SLOW-0004')).toMatchObject({ quantity: 0, status: 'cancelled' });
    expect(store.get('NCE-LATE-0004')).toMatchObject({ quantity: 3, status: 'active' });
    // Said again every night until an operator acts, with exit 1: a person is needed.
    const still = await kaiyaku(dir, ['orders', 'resume', ...sup, '--lang', 'ja']);
    expect(still.code).toBe(1);
    expect(still.stdout).toContain(`要対応: ${no(Q)}: 仕入元がすべての明細を受け付けませんでした`);

    // Q: confirm is refused (nothing taken); the way out is 受付取消, then キャンセル.
    const nothing = await kaiyaku(dir, ['orders', 'confirm', no(Q), '--end-date', '2030-01-31', '--lang', 'en']);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('refused every line');
    expect((await kaiyaku(dir, ['orders', 'withdraw-acceptance', no(Q)])).code).toBe(0);
    // Sent back by the operator: resume does not accept it again, and says to withdraw it.
    const sentBack = await kaiyaku(dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(sentBack.code).toBe(1);
    expect(resumeLine(sentBack).actions).toEqual([expect.stringContaining(`${no(Q)}: the supplier refused every line (900117`)]);
    expect(resumeLine(sentBack).actions[0]).toContain(`kaiyaku orders withdraw ${no(Q)}`);
    expect((await ordersByContract(dir)).get(Q)!['status']).toBe('requested');
    expect((await kaiyaku(dir, ['orders', 'withdraw', no(Q)])).code).toBe(0);
    const clean = await kaiyaku(dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(clean.code).toBe(0);
    expect(resumeLine(clean)).toEqual({ open: 0, waiting: 0, operator: 0, actions: [] });

    // The store agrees with the supplier, no line is held, and only what was taken was notified.
    await expectStoreFollowsSupplier(dir, server);
    expect(await claimedLines(dir)).toEqual([]);
    const exported = await kaiyaku(dir, ['serials', 'export', '--lang', 'en', '--encoding', 'utf8', '--out', 'serials.csv']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(
      readCsv(path.join(dir, 'serials.csv'))
        .map((s) => [s['subscription_id'], s['cancel_quantity']])
        .sort(),
    ).toEqual([
      ['GOOD-0001', '3'],
      ['GOOD-0003', '5'],
      ['SLOW-0004', '2'],
    ]);

    // A released line is a target again: a new row is judged and sent (and refused again), not LINE_HAS_OPEN_ORDER.
    const later = writeCancelFile(dir, 'dec.csv', [{ contractNo: P, subscriptionId: 'NCE-LATE-0001', requestId: 'REQ-DEC-1' }]);
    const retry = await kaiyaku(dir, ['cancel', later, ...sup, '--lang', 'en', '--report-encoding', 'utf8', '--quiet']);
    expect(retry.code).toBe(1);
    expect(readCsv(path.join(dir, 'dec.result.csv')).map((r) => [r['result'], r['error_code']])).toEqual([['failed', 'SUPPLIER_REJECTED']]);
  });

  it('the nightly run completes it too, and logs the order only an operator can move', async () => {
    const { dir, server } = await setUp('nightly');
    const sup = ['--supplier', server.url];
    const file = writeCancelFile(
      dir,
      'nov.csv',
      [R, Q].map((contractNo, i) => ({ contractNo, requestId: `REQ-${i + 1}` })),
    );
    expect((await kaiyaku(dir, ['cancel', file, ...sup, '--quiet'])).code).toBe(1);
    const orders = await ordersByContract(dir);
    fs.mkdirSync(path.join(dir, 'inbox'));
    const night = await kaiyaku(dir, ['cancel', '--inbox', 'inbox', '--summary-json', 'night.json', '--log-format', 'json', ...sup]);
    // Q needs an operator: the night says so with exit 1.
    expect(night.code, night.stderr).toBe(1);
    const events = night.stderr
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { name?: string; data?: Record<string, unknown> });
    expect(events.filter((e) => e.name === 'order.needs_operator').map((e) => e.data)).toEqual([
      { orderNo: orders.get(Q)!['order_no'], action: 'withdrawAcceptance' },
    ]);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'night.json'), 'utf8')) as {
      resume: { counts: { confirmed: number }; waiting: number; needsOperator: { orderNo: string }[] };
    };
    expect(summary.resume.counts.confirmed).toBe(1);
    expect(summary.resume.waiting).toBe(0);
    expect(summary.resume.needsOperator.map((n) => n.orderNo)).toEqual([orders.get(Q)!['order_no']]);
    const after = await ordersByContract(dir);
    expect([after.get(R)!['status'], after.get(Q)!['status']]).toEqual(['completed', 'accepted']);
    const store = await contractLines(dir);
    expect(store.get('GOOD-0003')).toMatchObject({ quantity: 0, status: 'cancelled' });
    expect(store.get('NCE-LATE-0003')).toMatchObject({ quantity: 1, status: 'active' });
    expect(await claimedLines(dir)).toEqual(['NCE-LATE-0002']);
  });
});
