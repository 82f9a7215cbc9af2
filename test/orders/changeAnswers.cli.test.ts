/**
 * A supplier's answer is taken for no more than it says. Through the real CLI against a
 * hostile supplier served by this test, on SQLite and PostgreSQL:
 * - a 200 to a change is "done and settled" only with the subscription at the target. An
 *   unreadable body (garbage, an HTML page, `{}`, nothing, another subscription) once made
 *   the line linked and the order confirmed while the supplier still had the seats: now the
 *   line is pending (sent) and a later run asks the supplier;
 * - a 200 with the subscription unchanged: the change did not land, a later run sends it again;
 * - a 200 (or a poll after a 202) at another quantity: the supplier took a change, not as
 *   asked. The order line follows the supplier when it can (fewer seats than before), and
 *   waits with words saying a change was sent when it cannot (more seats than before). It was
 *   once "nothing was sent", which let 受付取消 through while the supplier held the change;
 * - a poll answered 404 after the supplier accepted the change waits (pending), never final;
 * - a line sent without an answer that meets another quantity on its next attempt is the
 *   same case, not "nothing was sent";
 * - lines an earlier version failed so are asked again (migration 013).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { useTempDir } from '../support/setup.js';
import { apply, honestGet, honestPatch, resource, startHostileSupplier, type Asked, type HostileSupplier, type Reply } from './hostileSupplier.js';
import { readCsv, writeCancelFile } from './operatorCli.js';
import { aStore, importContractsOn, kaiyakuOn, readStore, STORE_KINDS, writeStore, type StoreUnderTest } from '../support/stores.js';
import { lineRows, seatsInStore } from './lineReaders.js';
import { knexOf } from '../../src/store/store.js';

const tmp = useTempDir('kaiyaku-answers-');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const CONTRACTS = ['NCN202401-0000000051', 'NCN202401-0000000052', 'NCN202401-0000000053'];
const SUBS = ['SUB-A51', 'SUB-A52', 'SUB-A53'];

/** A store with `n` contracts of 10 seats, a hostile supplier holding them, and a file cancelling 2 seats of each (10 → 8). */
async function setUp(
  kind: StoreUnderTest['kind'],
  name: string,
  n: number,
): Promise<{ dir: string; store: StoreUnderTest; supplier: HostileSupplier; file: string; sup: string[] }> {
  const dir = tmp.make(`${kind}-${name}`);
  const store = await aStore(kind, dir, 'answers');
  cleanups.push(() => store.drop());
  await importContractsOn(
    store,
    dir,
    CONTRACTS.slice(0, n).map((contractNo, i) => ({ contractNo, productCode: 'EXO-P1', subscriptionId: SUBS[i]!, quantity: 10 })),
  );
  const supplier = await startHostileSupplier(Object.fromEntries(SUBS.slice(0, n).map((s) => [s, 10])));
  cleanups.push(() => supplier.close());
  const file = writeCancelFile(
    dir,
    'nov.csv',
    CONTRACTS.slice(0, n).map((contractNo, i) => ({ contractNo, quantity: 2, requestId: `R-${i}` })),
  );
  return { dir, store, supplier, file, sup: ['--supplier', supplier.url] };
}

const held = (supplier: HostileSupplier): number[] => [...supplier.subs.values()].map((s) => s.quantity);
const line = async (store: StoreUnderTest, subscriptionId: string) => (await lineRows(store)).find((l) => l.subscriptionId === subscriptionId)!;

/** cancel quantity and quantity after of each order line, by subscription. */
async function orderLineQuantities(store: StoreUnderTest): Promise<Map<string, [number, number]>> {
  return readStore(store, async (s) => {
    const rows = await knexOf(s)('order_lines as ol')
      .join('contract_lines as cl', 'cl.id', 'ol.contract_line_id')
      .select('cl.subscription_id', 'ol.cancel_quantity', 'ol.quantity_after');
    return new Map(
      rows.map((r: Record<string, unknown>) => [String(r['subscription_id']), [Number(r['cancel_quantity']), Number(r['quantity_after'])] as [number, number]]),
    );
  });
}

async function withdrawAcceptanceRefused(store: StoreUnderTest, dir: string, orderNo: string): Promise<void> {
  const r = await kaiyakuOn(store, dir, ['orders', 'withdraw-acceptance', orderNo, '--lang', 'en']);
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stderr).toMatch(/Already ordered at the supplier/);
}

/** A change answered 202: applied, and provisioning until asked. */
const accepted202 = ({ id, sub, target }: Asked): Reply => {
  apply(sub, target);
  sub.pending = true;
  return { status: 202, body: {}, headers: { location: `/v1/customers/x/subscriptions/${id}` } };
};

describe.each(STORE_KINDS)('a 200 to a change is done only with the subscription at the target (%s)', (kind) => {
  it.each<[string, (id: string) => Reply]>([
    ['garbage', () => ({ status: 200, text: '{"quantity": ' })],
    ['an HTML page', () => ({ status: 200, text: '<html><body>Maintenance</body></html>' })],
    ['{}', () => ({ status: 200, body: {} })],
    ['no body', () => ({ status: 200 })],
    ['another subscription', () => ({ status: 200, body: { id: 'OTHER', quantity: 8, status: 'active' } })],
  ])('%s: the line is pending, nothing is confirmed, 受付取消 is refused; later runs ask and settle it as the supplier holds it', async (_what, body) => {
    const { dir, store, supplier, file, sup } = await setUp(kind, `unread-${_what.replace(/\W/g, '')}`, 2);
    // The first subscription took the change, the second did not: the answer says neither.
    supplier.onPatch = (asked) => {
      if (asked.id === SUBS[0]) apply(asked.sub, asked.target);
      return body(asked.id);
    };
    const run = await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--quiet']);
    expect(run.code, run.stderr).toBe(1);
    // Sent once each, not retried, never taken for settled.
    expect(supplier.patches()).toBe(2);
    const rows = readCsv(`${dir}/nov.result.csv`);
    expect(rows.map((r) => [r['結果'], r['注文ステータス'], r['エラーコード']])).toEqual([
      ['保留', '受付済', 'SUPPLIER_UNAVAILABLE'],
      ['保留', '受付済', 'SUPPLIER_UNAVAILABLE'],
    ]);
    expect(rows[0]!['エラー内容']).toMatch(/仕入元は変更に対し、サブスクリプションではなく読み取れない応答（HTTP 200/);
    const lines = await lineRows(store);
    for (const l of lines) {
      expect(l).toMatchObject({ orderStatus: 'accepted', linkageStatus: 'pending', linkageCode: 'SUPPLIER_UNAVAILABLE' });
      expect(l.sentAt).not.toBeNull();
      expect(l.linkageMessage).toMatch(/whether it took the change is not known/);
    }
    // Something at the supplier's address answered: the orders are linked with it, and a run
    // through another supplier leaves them alone.
    const linkedWith = await readStore(store, async (s) =>
      (await knexOf(s)('change_orders').orderBy('id').select('linked_with')).map((r: { linked_with: string | null }) => r.linked_with),
    );
    expect(linkedWith.every((w) => w !== null && w.startsWith(supplier.url))).toBe(true);
    // Nothing confirmed: the store keeps 10 seats on both (the supplier holds 8 and 10).
    expect([...(await seatsInStore(store)).values()]).toEqual([10, 10]);
    expect(held(supplier)).toEqual([8, 10]);
    await withdrawAcceptanceRefused(store, dir, lines[1]!.orderNo);

    // The supplier answers properly again: the first is found at its target and completed;
    // the second is found where it was (the change did not land), and sent again by the next run.
    supplier.onPatch = honestPatch;
    const first = await kaiyakuOn(store, dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(first.code, first.stdout + first.stderr).toBe(1);
    expect((await line(store, SUBS[0]!)).orderStatus).toBe('completed');
    expect(await line(store, SUBS[1]!)).toMatchObject({ orderStatus: 'accepted', linkageStatus: 'unlinked', linkageCode: 'SUPPLIER_QUANTITY_MISMATCH' });
    const second = await kaiyakuOn(store, dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect((await lineRows(store)).map((l) => [l.orderStatus, l.linkageStatus, l.linkageCode])).toEqual([
      ['completed', 'linked', null],
      ['completed', 'linked', null],
    ]);
    expect([...(await seatsInStore(store)).values()]).toEqual([8, 8]);
    expect(held(supplier)).toEqual([8, 8]);
    expect(supplier.patches()).toBe(3);
  });

  it('the subscription unchanged: the change did not land; the row says so, and the next run sends it again', async () => {
    const { dir, store, supplier, file, sup } = await setUp(kind, 'ignored', 1);
    supplier.onPatch = ({ id, sub }) => ({ status: 200, body: resource(id, sub) });
    const run = await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--quiet']);
    expect(run.code, run.stderr).toBe(1);
    const [row] = readCsv(`${dir}/nov.result.csv`);
    expect([row!['結果'], row!['エラーコード']]).toEqual(['保留', 'SUPPLIER_QUANTITY_MISMATCH']);
    expect(row!['エラー内容']).toMatch(/仕入元は 8 ではなく変更前の 10 で確定しました。変更は反映されていません。次回の実行で改めて送信します/);
    const [l] = await lineRows(store);
    expect(l).toMatchObject({ orderStatus: 'accepted', linkageStatus: 'unlinked', linkageCode: 'SUPPLIER_QUANTITY_MISMATCH' });
    expect(l!.sentAt).not.toBeNull();
    expect((await seatsInStore(store)).get(SUBS[0]!)).toBe(10);

    supplier.onPatch = honestPatch;
    const again = await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--quiet']);
    expect(again.code, again.stderr).toBe(0);
    expect((await lineRows(store))[0]).toMatchObject({ orderStatus: 'completed', linkageStatus: 'linked', linkageCode: null });
    expect((await seatsInStore(store)).get(SUBS[0]!)).toBe(8);
    expect(held(supplier)).toEqual([8]);
  });

  it('settled at another quantity (7 for 8): the order line follows the supplier; the store, the serial export and the supplier agree', async () => {
    const { dir, store, supplier, file, sup } = await setUp(kind, 'wrongqty', 1);
    supplier.onPatch = ({ id, sub, target }) => {
      apply(sub, target - 1);
      return { status: 200, body: resource(id, sub) };
    };
    const run = await kaiyakuOn(store, dir, ['cancel', file, ...sup]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('SUB-A51: 8 への変更を送信し、仕入元は 7 で確定しました。注文明細は仕入元の数量に合わせます（解約数は 2 ではなく 3）');
    const [row] = readCsv(`${dir}/nov.result.csv`);
    expect([row!['結果'], row!['注文ステータス'], row!['エラーコード']]).toEqual(['完了', '変更済', 'SUPPLIER_QUANTITY_MISMATCH']);
    expect((await lineRows(store))[0]).toMatchObject({ orderStatus: 'completed', linkageStatus: 'linked', linkageCode: 'SUPPLIER_QUANTITY_MISMATCH' });
    expect((await orderLineQuantities(store)).get(SUBS[0]!)).toEqual([3, 7]);
    expect((await seatsInStore(store)).get(SUBS[0]!)).toBe(7);
    expect(held(supplier)).toEqual([7]);
    const { serials, audit } = await readStore(store, async (s) => ({
      serials: await knexOf(s)('cancelled_serials').select('serial_no', 'cancel_quantity'),
      audit: (await knexOf(s)('audit_log').where({ action: 'supplier-settled-other-quantity' }).select('detail')).map(
        (r: { detail: string }) => JSON.parse(r.detail) as Record<string, unknown>,
      ),
    }));
    expect(serials.map((r: Record<string, unknown>) => [r['serial_no'], Number(r['cancel_quantity'])])).toEqual([[SUBS[0], 3]]);
    expect(audit).toEqual([
      expect.objectContaining({ subscriptionId: SUBS[0], quantityBefore: 10, askedCancelQuantity: 2, askedQuantityAfter: 8, supplierQuantity: 7 }),
    ]);
  });
});

describe.each(STORE_KINDS)('a change sent that settles at another quantity is never "nothing was sent" (%s)', (kind) => {
  it('answered 202, then settled at 9, at 12, back at 10: followed; waiting with what the supplier holds; sent again. 受付取消 is refused throughout', async () => {
    const { dir, store, supplier, file, sup } = await setUp(kind, 'settle-other', 3);
    supplier.onPatch = accepted202;
    const run = await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--quiet']);
    expect(run.code, run.stderr).toBe(1);
    expect((await lineRows(store)).map((l) => l.linkageStatus)).toEqual(['pending', 'pending', 'pending']);
    // It settles: one seat taken of two; 12 seats (someone added some); back at 10 (the change was undone).
    const settledAt = [9, 12, 10];
    SUBS.forEach((id, i) => Object.assign(supplier.subs.get(id)!, { quantity: settledAt[i], pending: false }));
    supplier.onPatch = honestPatch;

    const resumed = await kaiyakuOn(store, dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    // Waiting on the supplier (12, and 10 to be sent again): exit 1, nothing advised to an operator.
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(1);
    expect(resumed.stdout).toMatch(/need an operator 0/);
    expect(`${resumed.stdout}${resumed.stderr}`).not.toMatch(/withdraw-acceptance|nothing was sent/);
    const [took, more, undone] = await lineRows(store);
    expect(took).toMatchObject({ orderStatus: 'completed', linkageStatus: 'linked', linkageCode: 'SUPPLIER_QUANTITY_MISMATCH' });
    expect((await orderLineQuantities(store)).get(SUBS[0]!)).toEqual([1, 9]);
    expect(more).toMatchObject({ orderStatus: 'accepted', linkageStatus: 'pending', linkageCode: 'SUPPLIER_QUANTITY_MISMATCH' });
    expect(more!.linkageMessage).toBe(
      'a change to 8 was sent, but the supplier now holds 12, more than the 10 before this order: something else changed the subscription too. Check the subscription at the supplier; a later run asks it again',
    );
    expect(more!.linkageMessageJa).toBe(
      '8 への変更を送信しましたが、仕入元の数量は 12 です。この注文の前の 10 より多く、別の変更も加わっています。仕入元でサブスクリプションを確認してください。次回の実行で改めて確認します',
    );
    expect(undone).toMatchObject({ orderStatus: 'accepted', linkageStatus: 'unlinked', linkageCode: 'SUPPLIER_QUANTITY_MISMATCH' });
    for (const l of [more!, undone!]) await withdrawAcceptanceRefused(store, dir, l.orderNo);

    // The same file again: it sends the undone change again (the supplier holds the quantity
    // before), and reports the row at 12 waiting, with what the supplier holds, in Japanese.
    const next = await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--quiet']);
    expect(next.code).toBe(1);
    const rows = readCsv(`${dir}/nov.result.csv`);
    expect(rows.map((r) => [r['結果'], r['エラーコード']])).toEqual([
      ['処理済', ''],
      ['保留', 'SUPPLIER_QUANTITY_MISMATCH'],
      ['完了', ''],
    ]);
    expect(rows[1]!['エラー内容']).toContain('仕入元の数量は 12 です');
    // It waits until the supplier stands where the order can follow.
    supplier.subs.get(SUBS[1]!)!.quantity = 8;
    const last = await kaiyakuOn(store, dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(last.code, last.stdout + last.stderr).toBe(0);
    expect((await lineRows(store)).map((l) => l.orderStatus)).toEqual(['completed', 'completed', 'completed']);
    expect([...(await seatsInStore(store)).values()]).toEqual(held(supplier));
    expect(held(supplier)).toEqual([9, 8, 8]);
  });

  it('a poll answered 404 after the change was accepted: pending, never final; resume advises no withdrawal and 受付取消 is refused', async () => {
    const { dir, store, supplier, file, sup } = await setUp(kind, 'poll-404', 1);
    supplier.onPatch = accepted202;
    expect((await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--quiet'])).code).toBe(1);
    supplier.onGet = () => ({ status: 404, body: { code: 'NOT_FOUND', description: 'subscription not found' } });
    const resumed = await kaiyakuOn(store, dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(1);
    expect(resumed.stdout).toMatch(/need an operator 0/);
    expect(`${resumed.stdout}${resumed.stderr}`).not.toMatch(/withdraw-acceptance/);
    const [l] = await lineRows(store);
    expect(l).toMatchObject({ orderStatus: 'accepted', linkageStatus: 'pending', linkageCode: 'SUPPLIER_UNAVAILABLE' });
    expect(l!.linkageMessage).toMatch(
      /^the change was sent, then the supplier answered NOT_FOUND \(subscription not found\) when asked about the subscription: it may have taken the change\. Ask the supplier/,
    );
    expect(l!.linkageMessageJa).toMatch(/^変更は送信済みですが、その後の確認に仕入元が NOT_FOUND（subscription not found）と応答しました。/);
    await withdrawAcceptanceRefused(store, dir, l!.orderNo);

    supplier.onGet = honestGet;
    supplier.subs.get(SUBS[0]!)!.pending = false;
    const settled = await kaiyakuOn(store, dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(settled.code, settled.stdout + settled.stderr).toBe(0);
    expect((await lineRows(store))[0]).toMatchObject({ orderStatus: 'completed', linkageStatus: 'linked' });
    expect((await seatsInStore(store)).get(SUBS[0]!)).toBe(8);
    expect(supplier.patches()).toBe(1);
  });

  it('a line sent without an answer that finds another quantity on its next attempt follows the supplier; the single attempt is worded without 「とも」', async () => {
    const { dir, store, supplier, file, sup } = await setUp(kind, 'sent-unanswered', 2);
    // The change lands, the connection drops before the answer; one call without an answer opens the circuit.
    supplier.onPatch = ({ sub, target }) => {
      apply(sub, target);
      return 'drop';
    };
    const run = await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--supplier-circuit-threshold', '1', '--concurrency', '1', '--quiet']);
    expect(run.code, run.stderr).toBe(1);
    const [sent, unsent] = await lineRows(store);
    expect(sent).toMatchObject({ linkageStatus: 'unlinked', linkageCode: 'SUPPLIER_UNAVAILABLE' });
    expect(sent!.sentAt).not.toBeNull();
    expect(sent!.linkageMessageJa).toMatch(/^仕入元から有効な応答がありませんでした（1 回: 接続できませんでした/);
    expect(unsent!.sentAt).toBeNull();
    await withdrawAcceptanceRefused(store, dir, sent!.orderNo);

    // Meanwhile the supplier settled the first at 9 (not the 8 sent): a change was sent, so the store follows.
    supplier.subs.get(SUBS[0]!)!.quantity = 9;
    supplier.onPatch = honestPatch;
    const resumed = await kaiyakuOn(store, dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(`${resumed.stdout}${resumed.stderr}`).not.toMatch(/nothing was sent/);
    expect((await lineRows(store)).map((l) => [l.orderStatus, l.linkageStatus, l.linkageCode])).toEqual([
      ['completed', 'linked', 'SUPPLIER_QUANTITY_MISMATCH'],
      ['completed', 'linked', null],
    ]);
    expect([...(await seatsInStore(store)).values()]).toEqual([9, 8]);
    expect(held(supplier)).toEqual([9, 8]);
  });

  it('lines an earlier version failed after sending (a quantity mismatch, a 404) are asked again: 受付取消 is refused, resume completes them (migration 013)', async () => {
    const { dir, store, supplier, file, sup } = await setUp(kind, 'legacy', 2);
    supplier.onPatch = accepted202;
    expect((await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--quiet'])).code).toBe(1);
    for (const s of supplier.subs.values()) s.pending = false;
    const [first, second] = await lineRows(store);
    // What the earlier version wrote, and a store from before migration 013.
    await writeStore(store, async (s) => {
      const ids = (await knexOf(s)('order_lines').orderBy('id').select('id')).map((r: { id: number }) => Number(r.id));
      await knexOf(s)('order_lines').where({ id: ids[0] }).update({
        linkage_status: 'failed',
        linkage_code: 'SUPPLIER_QUANTITY_MISMATCH',
        linkage_message: 'the supplier holds 9 seats, the store 10; nothing was sent',
      });
      await knexOf(s)('order_lines')
        .where({ id: ids[1] })
        .update({ linkage_status: 'failed', linkage_code: 'NOT_FOUND', linkage_message: 'subscription not found' });
      await knexOf(s)('knex_migrations').where({ name: '013_reopen_sent_refusals' }).delete();
    });
    // A command that writes migrates the store first.
    await withdrawAcceptanceRefused(store, dir, first!.orderNo);
    expect((await lineRows(store)).map((l) => [l.linkageStatus, l.linkageCode])).toEqual([
      ['pending', 'SUPPLIER_QUANTITY_MISMATCH'],
      ['pending', 'SUPPLIER_UNAVAILABLE'],
    ]);
    await withdrawAcceptanceRefused(store, dir, second!.orderNo);
    const resumed = await kaiyakuOn(store, dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect((await lineRows(store)).map((l) => [l.orderStatus, l.linkageStatus])).toEqual([
      ['completed', 'linked'],
      ['completed', 'linked'],
    ]);
    expect([...(await seatsInStore(store)).values()]).toEqual([8, 8]);
    expect(supplier.patches()).toBe(2);
  });
});

describe.each(STORE_KINDS)('review 3: the supplier ignoring a change, and a confirmed line settling elsewhere (%s)', (kind) => {
  it('a change answered 200 but not applied is sent again under a new idempotency key, never the same answer replayed for ever', async () => {
    const { dir, store, supplier, file, sup } = await setUp(kind, 'replayed', 1);
    // A supplier that remembers each key's answer, as Partner Center does, and ignores the first key's change.
    const answered = new Map<string, Reply>();
    const keysSeen: string[] = [];
    let first = true;
    supplier.onPatch = (asked) => {
      const key = asked.key;
      keysSeen.push(key);
      const remembered = answered.get(key);
      if (remembered) return remembered;
      const reply: Reply = first ? { status: 200, body: resource(asked.id, asked.sub) } : honestPatch(asked);
      first = false;
      answered.set(key, reply);
      return reply;
    };
    expect((await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--quiet'])).code).toBe(1);
    const again = await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--quiet']);
    expect(again.code, again.stderr).toBe(0);
    expect(keysSeen).toHaveLength(2);
    expect(new Set(keysSeen).size).toBe(2);
    expect((await lineRows(store))[0]).toMatchObject({ orderStatus: 'completed', linkageStatus: 'linked' });
    expect(held(supplier)).toEqual([8]);
  });

  it("confirmed unsettled, then settled at 9 for 8: the order line and finance's row follow the supplier with the contract line", async () => {
    const { dir, store, supplier, file, sup } = await setUp(kind, 'confirmed-elsewhere', 1);
    supplier.onPatch = accepted202;
    expect((await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--confirm-unsettled', '--quiet'])).code).toBe(0);
    expect((await lineRows(store))[0]).toMatchObject({ orderStatus: 'completed', linkageStatus: 'pending' });
    // The supplier settles at 9: it took one seat, not two.
    const sub = supplier.subs.get(SUBS[0]!)!;
    sub.quantity = 9;
    sub.pending = false;
    expect((await kaiyakuOn(store, dir, ['orders', 'resume', ...sup, '--quiet'])).code).toBe(0);
    expect((await seatsInStore(store)).get(SUBS[0]!)).toBe(9);
    expect((await orderLineQuantities(store)).get(SUBS[0]!)).toEqual([1, 9]);
    const serials = await readStore(store, (s) => knexOf(s)('cancelled_serials').select('cancel_quantity'));
    expect(serials.map((r: Record<string, unknown>) => Number(r['cancel_quantity']))).toEqual([1]);
  });
});
