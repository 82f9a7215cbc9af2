/**
 * No absolute target computed from a quantity the supplier does not have is ever sent.
 * Before the first change of an order line, linkage asks the supplier what it holds:
 * - what the line had before the order: the change is sent;
 * - the target already (an earlier run's change landed, then it was killed): the line is
 *   linked without sending anything again;
 * - anything else (the store says 8, the supplier holds 13): nothing is sent, and the row
 *   fails with SUPPLIER_QUANTITY_MISMATCH naming both quantities; a final refusal, so resume
 *   names the way out (受付取消, then キャンセル) instead of trying for ever;
 * - a subscription the supplier does not know (404): its NOT_FOUND refusal.
 * Through the real CLI against a simulator served by this test, on SQLite and PostgreSQL.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { SupplierServer } from '../../src/supplier/index.js';
import { useTempDir } from '../support/setup.js';
import { readCsv, serveSimulator, writeCancelFile } from './operatorCli.js';
import { aStore, importContractsOn, kaiyakuOn, STORE_KINDS, writeStore, type StoreUnderTest } from '../support/stores.js';
import { lineRows, seatsInStore } from './lineReaders.js';
import { knexOf } from '../../src/store/store.js';

const tmp = useTempDir('kaiyaku-supplier-quantity-');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const MISMATCH = 'NCN202401-0000000031'; // the store says 8, the supplier holds 13
const UNKNOWN = 'NCN202401-0000000032'; // the supplier does not know the subscription
const AGREED = 'NCN202401-0000000033'; // both say 5
const LANDED = 'NCN202401-0000000034'; // 10 → 9, the change landed before the run was killed

async function setUp(kind: StoreUnderTest['kind'], name: string): Promise<{ dir: string; store: StoreUnderTest; server: SupplierServer; sup: string[] }> {
  const dir = tmp.make(`${kind}-${name}`);
  const store = await aStore(kind, dir, 'qty');
  cleanups.push(() => store.drop());
  await importContractsOn(store, dir, [
    { contractNo: MISMATCH, productCode: 'EXO-P1', subscriptionId: 'SUB-Q31', quantity: 8 },
    { contractNo: UNKNOWN, productCode: 'EXO-P1', subscriptionId: 'SUB-Q32', quantity: 4 },
    { contractNo: AGREED, productCode: 'EXO-P1', subscriptionId: 'SUB-Q33', quantity: 5 },
    { contractNo: LANDED, productCode: 'EXO-P1', subscriptionId: 'SUB-Q34', quantity: 10 },
  ]);
  const server = await serveSimulator([
    { subscriptionId: 'SUB-Q31', quantity: 13 },
    { subscriptionId: 'SUB-Q33', quantity: 5 },
    { subscriptionId: 'SUB-Q34', quantity: 10 },
  ]);
  cleanups.push(() => server.close());
  return { dir, store, server, sup: ['--supplier', server.url] };
}

function patches(server: SupplierServer, subscriptionId: string): number {
  return server.simulator.callLog().filter((c) => c.method === 'PATCH' && c.subscriptionId === subscriptionId).length;
}

describe.each(STORE_KINDS)('the supplier is asked what it holds before a change (%s)', (kind) => {
  it('the store says 8, the supplier 13: nothing is sent, the row fails naming both; 404 is NOT_FOUND; where they agree the change goes', async () => {
    const { dir, store, server, sup } = await setUp(kind, 'mismatch');
    const file = writeCancelFile(dir, 'nov.csv', [
      { contractNo: MISMATCH, quantity: 1, requestId: 'R-31' },
      { contractNo: UNKNOWN, quantity: 1, requestId: 'R-32' },
      { contractNo: AGREED, quantity: 2, requestId: 'R-33' },
    ]);
    const run = await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--quiet']);
    expect(run.code, run.stderr).toBe(1);

    // The supplier still holds 13 seats: no target of 7 went out (it would have dropped 6).
    expect(patches(server, 'SUB-Q31')).toBe(0);
    expect(server.simulator.stats().subscriptions['SUB-Q31']).toMatchObject({ quantity: 13, lastTarget: null });
    expect(patches(server, 'SUB-Q32')).toBe(0);
    // Where both agree: a GET, then the change.
    expect(
      server.simulator
        .callLog()
        .filter((c) => c.subscriptionId === 'SUB-Q33')
        .map((c) => c.method),
    ).toEqual(['GET', 'PATCH']);
    expect(server.simulator.stats().subscriptions['SUB-Q33']?.quantity).toBe(3);

    // The result file (Japanese by default) says why, with both quantities; the error file holds the row to fix.
    const rows = readCsv(`${dir}/nov.result.csv`);
    expect(rows.map((r) => [r['契約番号'], r['結果'], r['エラーコード']])).toEqual([
      [MISMATCH, '失敗', 'SUPPLIER_QUANTITY_MISMATCH'],
      [UNKNOWN, '失敗', 'SUPPLIER_REJECTED'],
      [AGREED, '完了', ''],
    ]);
    expect(rows[0]!['エラー内容']).toBe(
      '仕入元の数量がシステムの数量と異なります: 仕入元の数量は 13、システムの数量は 8 です。仕入元には何も送信していません。仕入元でサブスクリプションを確認し、契約マスタを修正（kaiyaku contracts import）してから、もう一度解約を依頼してください',
    );
    expect(rows[1]!['エラー内容']).toMatch(/NOT_FOUND subscription SUB-Q32 not found/);
    expect(readCsv(`${dir}/nov.errors.csv`).map((r) => [r['契約番号'], r['エラーコード']])).toEqual([
      [MISMATCH, 'SUPPLIER_QUANTITY_MISMATCH'],
      [UNKNOWN, 'SUPPLIER_REJECTED'],
    ]);

    // The store keeps 8 seats and the line's reason in both languages; nothing was marked sent.
    const lines = await lineRows(store);
    const mismatch = lines.find((l) => l.subscriptionId === 'SUB-Q31')!;
    expect(mismatch).toMatchObject({
      orderStatus: 'accepted',
      linkageStatus: 'failed',
      linkageCode: 'SUPPLIER_QUANTITY_MISMATCH',
      sentAt: null,
      linkClaim: null,
    });
    expect(mismatch.linkageMessage).toMatch(/^the supplier holds 13 seats, the store 8; nothing was sent/);
    expect(lines.find((l) => l.subscriptionId === 'SUB-Q32')).toMatchObject({ linkageStatus: 'failed', linkageCode: 'NOT_FOUND', sentAt: null });
    expect((await seatsInStore(store)).get('SUB-Q31')).toBe(8);

    // A final refusal: resume does not ask again, it names the way out; done as told, the
    // store and the supplier are as they were, and the line is free for a corrected request.
    const resumed = await kaiyakuOn(store, dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(resumed.stdout).toContain(`kaiyaku orders withdraw-acceptance ${mismatch.orderNo}`);
    expect(resumed.stdout).toContain('the supplier holds 13 seats, the store 8; nothing was sent');
    // The same advice in Japanese, in Japanese words.
    const resumedJa = await kaiyakuOn(store, dir, ['orders', 'resume', ...sup]);
    expect(resumedJa.stdout).toContain(`要対応: ${mismatch.orderNo}`);
    expect(resumedJa.stdout).toContain('仕入元の数量は 13、システムの数量は 8 です');
    expect(resumedJa.stdout).not.toMatch(/the supplier holds/);
    expect(patches(server, 'SUB-Q31')).toBe(0);
    for (const step of ['withdraw-acceptance', 'withdraw']) {
      const r = await kaiyakuOn(store, dir, ['orders', step, mismatch.orderNo, '--lang', 'en']);
      expect(r.code, `${step}: ${r.stderr}`).toBe(0);
    }
    expect((await lineRows(store)).find((l) => l.subscriptionId === 'SUB-Q31')?.orderStatus).toBe('withdrawn');
    expect(server.simulator.stats().subscriptions['SUB-Q31']?.quantity).toBe(13);
  });

  it('a change that landed before the run was killed is not sent again: the supplier already holds the target', async () => {
    const { dir, store, server, sup } = await setUp(kind, 'landed');
    const file = writeCancelFile(dir, 'dec.csv', [{ contractNo: LANDED, quantity: 1, requestId: 'R-34' }]);
    const accepted = await kaiyakuOn(store, dir, ['cancel', file, '--until', 'accepted', '--quiet']);
    expect(accepted.code, accepted.stderr).toBe(0);
    // What a run killed just after its PATCH landed leaves: the line marked sent, the supplier at 9.
    const [line] = await lineRows(store);
    await writeStore(store, (s) => knexOf(s)('order_lines').update({ sent_at: '2026-11-26 01:30:00' }));
    const landed = await server.simulator.handle({
      method: 'PATCH',
      path: '/v1/customers/x/subscriptions/SUB-Q34',
      headers: { 'idempotency-key': line!.idempotencyKey! },
      body: { quantity: 9 },
    });
    expect(landed.status).toBe(200);

    // Its run parked it at 受付: the operator moves it on.
    const resumed = await kaiyakuOn(store, dir, ['orders', 'resume', '--include-parked', ...sup, '--lang', 'en']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(patches(server, 'SUB-Q34')).toBe(1);
    expect((await lineRows(store))[0]).toMatchObject({ orderStatus: 'completed', linkageStatus: 'linked', linkageCode: null });
    expect((await seatsInStore(store)).get('SUB-Q34')).toBe(9);
    expect(server.simulator.stats().subscriptions['SUB-Q34']?.quantity).toBe(9);
  });
});
