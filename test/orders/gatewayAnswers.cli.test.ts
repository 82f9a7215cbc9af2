/**
 * What is not the supplier's word on a subscription is never taken for it. Through the real
 * CLI against a hostile supplier served by this test:
 * - a 401 or 403 (an expired gateway token, a missing permission) once failed every line
 *   for good (HTTP_401, SUPPLIER_REJECTED), and each order then needed an operator to
 *   withdraw it. Now the command stops calling the supplier, says so once, and the lines
 *   stay unsent for a later run (on SQLite and PostgreSQL);
 * - a 400 or 404 whose body is not the supplier's JSON (a proxy's HTML page, a base URL that
 *   answers 404 to everything) is an answer that cannot be read: retried, then left for a
 *   later run. A 404 in the supplier's JSON, or with no body, stays its NOT_FOUND refusal;
 * - a 429 with Retry-After 0, negative or unreadable was retried back to back (1,220 calls in
 *   0.6 s for 20 lines). Now the client's back-off is the floor under it, the run says so
 *   once, and a storm still ends by the command's bounds (SQLite: the client alone is tested).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { useTempDir } from '../support/setup.js';
import { honestPatch, startHostileSupplier, type HostileSupplier, type Reply } from './hostileSupplier.js';
import { readCsv, writeCancelFile } from './operatorCli.js';
import { aStore, importContractsOn, kaiyakuOn, STORE_KINDS, type StoreUnderTest } from '../support/stores.js';
import { lineRows, seatsInStore } from './lineReaders.js';

const tmp = useTempDir('kaiyaku-gateway-');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const contractNo = (i: number): string => `NCN202401-00000007${String(i).padStart(2, '0')}`;
const subOf = (i: number): string => `SUB-G${i}`;

/** A store with `n` contracts of 10 seats, a hostile supplier holding them, and a file cancelling 2 seats of each. */
async function setUp(
  kind: StoreUnderTest['kind'],
  name: string,
  n: number,
): Promise<{ dir: string; store: StoreUnderTest; supplier: HostileSupplier; file: string; sup: string[] }> {
  const dir = tmp.make(`${kind}-${name}`);
  const store = await aStore(kind, dir, 'gateway');
  cleanups.push(() => store.drop());
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  await importContractsOn(
    store,
    dir,
    ids.map((i) => ({ contractNo: contractNo(i), productCode: 'EXO-P1', subscriptionId: subOf(i), quantity: 10 })),
  );
  const supplier = await startHostileSupplier(Object.fromEntries(ids.map((i) => [subOf(i), 10])));
  cleanups.push(() => supplier.close());
  const file = writeCancelFile(
    dir,
    'nov.csv',
    ids.map((i) => ({ contractNo: contractNo(i), quantity: 2, requestId: `G-${i}` })),
  );
  return { dir, store, supplier, file, sup: ['--supplier', supplier.url] };
}

/** Every line left as if never sent: unlinked, not marked sent, its row pending with the reason. */
async function expectLeftUnsent(store: StoreUnderTest, dir: string, reasonJa: RegExp): Promise<void> {
  for (const r of readCsv(`${dir}/nov.result.csv`)) {
    expect([r['結果'], r['エラーコード']]).toEqual(['保留', 'SUPPLIER_UNAVAILABLE']);
    expect(r['エラー内容']).toMatch(reasonJa);
  }
  for (const l of await lineRows(store)) expect([l.orderStatus, l.linkageStatus, l.sentAt, l.linkClaim]).toEqual(['accepted', 'unlinked', null, null]);
}

describe.each(STORE_KINDS)('a gateway that refuses us is not the supplier refusing the change (%s)', (kind) => {
  it.each<['GET' | 'PATCH', number]>([
    ['PATCH', 401],
    ['GET', 403],
  ])('%s answered %i: the command stops calling the supplier, says so once, fails nothing; a later run completes every line once', async (method, status) => {
    const rows = 6;
    const { dir, store, supplier, file, sup } = await setUp(kind, `refused-${status}`, rows);
    const refuse = (): Reply => ({ status, body: { error: status === 401 ? 'unauthorized' : 'forbidden' } });
    if (method === 'PATCH') supplier.onPatch = refuse;
    else supplier.onGet = refuse;
    const run = await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--concurrency', '2']);
    expect(run.code, run.stderr).toBe(1);
    const said = `仕入元のゲートウェイがアクセスを拒否しました（HTTP ${status}）。仕入元の URL と認証情報を確認してください。このコマンドでは仕入元の呼び出しを止めます`;
    expect(run.stderr.split(said).length - 1).toBe(1);
    // At most the calls already in flight got the refusal.
    expect(supplier.calls.filter((c) => c.status === status).length).toBeLessThanOrEqual(2);
    await expectLeftUnsent(store, dir, new RegExp(`仕入元のゲートウェイがアクセスを拒否しました（HTTP ${status}）`));
    expect(run.stdout).toMatch(/仕入元が拒否 0/);

    // The gateway lets us through again: the next run sends each line once.
    supplier.onGet = ({ id, sub }) => ({ status: 200, body: { id, quantity: sub.quantity, status: sub.status } });
    supplier.onPatch = honestPatch;
    const resumed = await kaiyakuOn(store, dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect((await lineRows(store)).every((l) => l.orderStatus === 'completed' && l.linkageStatus === 'linked')).toBe(true);
    expect(supplier.calls.filter((c) => c.method === 'PATCH' && c.status === 200)).toHaveLength(rows);
    expect([...(await seatsInStore(store)).values()]).toEqual(Array(rows).fill(8));
  });

  it('a 400 HTML page from a proxy is unreadable: retried, then pending for a later run, never a refusal', async () => {
    const { dir, store, supplier, file, sup } = await setUp(kind, 'html-400', 2);
    supplier.onPatch = () => ({ status: 400, text: '<html>Bad Request (proxy)</html>' });
    const run = await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--quiet']);
    expect(run.code, run.stderr).toBe(1);
    expect(supplier.patches()).toBe(12);
    const rows = readCsv(`${dir}/nov.result.csv`);
    expect(rows.map((r) => [r['結果'], r['エラーコード']])).toEqual([
      ['保留', 'SUPPLIER_UNAVAILABLE'],
      ['保留', 'SUPPLIER_UNAVAILABLE'],
    ]);
    expect(rows[0]!['エラー内容']).toContain(
      '仕入元から 6 回とも有効な応答がありませんでした（最後: 読み取れない応答（HTTP 400: <html>Bad Request (proxy)</html>））',
    );
    // Sent (it may have reached the supplier), not answered: never failed.
    for (const l of await lineRows(store)) {
      expect([l.orderStatus, l.linkageStatus, l.linkageCode]).toEqual(['accepted', 'unlinked', 'SUPPLIER_UNAVAILABLE']);
      expect(l.sentAt).not.toBeNull();
    }
    supplier.onPatch = honestPatch;
    expect((await kaiyakuOn(store, dir, ['orders', 'resume', ...sup])).code).toBe(0);
    expect([...(await seatsInStore(store)).values()]).toEqual([8, 8]);
  });
});

describe.each(STORE_KINDS)("a 404 is NOT_FOUND only in the supplier's words (%s)", (kind) => {
  it('an HTML 404 for every GET (a misconfigured base URL) fails nothing; a JSON 404 and an empty one are NOT_FOUND', async () => {
    const { dir, store, supplier, file, sup } = await setUp(kind, 'html-404', 3);
    supplier.onGet = ({ id }) =>
      id === subOf(1)
        ? { status: 404, text: '<html><body>404 Not Found (nginx)</body></html>' }
        : id === subOf(2)
          ? { status: 404, body: { code: 'NOT_FOUND', description: 'no such subscription' } }
          : { status: 404 };
    const run = await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--quiet']);
    expect(run.code, run.stderr).toBe(1);
    expect(supplier.patches()).toBe(0);
    const rows = readCsv(`${dir}/nov.result.csv`);
    expect(rows.map((r) => [r['結果'], r['エラーコード']])).toEqual([
      ['保留', 'SUPPLIER_UNAVAILABLE'],
      ['失敗', 'SUPPLIER_REJECTED'],
      ['失敗', 'SUPPLIER_REJECTED'],
    ]);
    expect(rows[0]!['エラー内容']).toContain('読み取れない応答（HTTP 404: <html><body>404 Not Found (nginx)</body></html>）');
    expect(rows[1]!['エラー内容']).toContain('NOT_FOUND no such subscription');
    expect((await lineRows(store)).map((l) => [l.linkageStatus, l.linkageCode, l.sentAt])).toEqual([
      ['unlinked', 'SUPPLIER_UNAVAILABLE', null],
      ['failed', 'NOT_FOUND', null],
      ['failed', 'NOT_FOUND', null],
    ]);
  });
});

describe('a 429 whose Retry-After asks for no wait is never retried back to back (SQLite)', () => {
  it.each(['0', '-5', 'soon'])('Retry-After: %s: the back-off spaces the calls, the run says so once, and the budget still ends it', async (value) => {
    const rows = 10;
    const { dir, store, supplier, file, sup } = await setUp('SQLite', `retry-after-${value}`, rows);
    supplier.onPatch = () => ({ status: 429, body: { code: 'TOO_MANY_REQUESTS' }, headers: { 'retry-after': value } });
    const started = Date.now();
    const run = await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--concurrency', '4', '--supplier-budget-seconds', '3']);
    const took = Date.now() - started;
    expect(run.code, run.stderr).toBe(1);
    const throttled = supplier.calls.filter((c) => c.status === 429);
    console.log(`[Retry-After: ${value}] ${throttled.length} calls turned away in ${took} ms`);
    // Back to back, 4 slots made thousands of calls in 3 s; the back-off allows a few dozen.
    expect(throttled.length).toBeLessThan(80);
    // Never two calls of one line back to back: at least half the first back-off (100 ms) apart.
    for (let i = 1; i <= rows; i++) {
      const at = throttled.filter((c) => c.id === subOf(i)).map((c) => c.at);
      for (let k = 1; k < at.length; k++) expect(at[k]! - at[k - 1]!).toBeGreaterThanOrEqual(45);
    }
    expect(run.stderr.split(`Retry-After: "${value}" を付けて応答しました。代わりに、クライアント側で間隔を空けて呼び出します`).length - 1).toBe(1);
    await expectLeftUnsent(store, dir, /このコマンドで仕入元に使える時間（--supplier-budget-seconds 3）を使い切りました/);
  });

  it('a 429 with Retry-After: 0 once per line, then served: every line completes', async () => {
    const { dir, store, supplier, file, sup } = await setUp('SQLite', 'retry-after-once', 4);
    const turnedAway = new Set<string>();
    supplier.onPatch = (asked) => {
      if (turnedAway.has(asked.id)) return honestPatch(asked);
      turnedAway.add(asked.id);
      return { status: 429, body: { code: 'TOO_MANY_REQUESTS' }, headers: { 'retry-after': '0' } };
    };
    const run = await kaiyakuOn(store, dir, ['cancel', file, ...sup, '--lang', 'en']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /the supplier answered HTTP 429 with Retry-After: "0", which asks for no usable wait; the client spaces its calls by its own back-off instead/,
    );
    expect([...(await seatsInStore(store)).values()]).toEqual([8, 8, 8, 8]);
  });
});
