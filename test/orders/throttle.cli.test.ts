/**
 * Every wait on the supplier is bounded. A 429 asking for 100000 s used to hold the run with
 * no bound (the breaker does not count 429s), and a supplier answering only 429 kept every
 * line retrying. Now a Retry-After beyond 60 s, a minute without a served call, or the
 * command's time budget (--supplier-budget-seconds) ends the linkage promptly: lines not sent
 * stay unlinked (pending rows, exit 1) with the reason in both languages, and a later run
 * sends them once. Through the real CLI against hostile servers of this test and against
 * `kaiyaku supplier serve --rate-limit`, on SQLite and PostgreSQL.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getJson, serveSupplier, type SimCallBody } from '../support/supplierServe.js';
import { useTempDir, generate } from '../support/setup.js';
import { readCsv } from './operatorCli.js';
import { aStore, kaiyakuOn, STORE_KINDS, type StoreUnderTest } from '../support/stores.js';
import { lineRows } from './lineReaders.js';
import { importContracts } from '../support/inProcess.js';

const tmp = useTempDir('kaiyaku-throttle-');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A tiny hostile supplier: every request answered 429 with this Retry-After. */
async function throttlingServer(retryAfter: string): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    res.writeHead(429, { 'retry-after': retryAfter, 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'TOO_MANY_REQUESTS', description: 'slow down' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

async function setUp(kind: StoreUnderTest['kind'], name: string, rows: number): Promise<{ dir: string; store: StoreUnderTest; cancel: string }> {
  const dir = tmp.make(`${kind}-${name}`);
  const store = await aStore(kind, dir, 'thr');
  cleanups.push(() => store.drop());
  const gen = await generate({ rows: rows, out: path.join(dir, 'gen') });
  // A set-up step, in this process (test/support/inProcess.ts): the commands under test run the real CLI.
  await importContracts(store.spec, gen.contracts, 'test');
  return { dir, store, cancel: gen.cancel };
}

/** The rows of the run's result file (Japanese), and the lines as the store holds them. */
async function expectAllPendingUnsent(store: StoreUnderTest, resultFile: string, reasonJa: RegExp, reasonEn: RegExp): Promise<void> {
  const rows = readCsv(resultFile);
  for (const r of rows) {
    expect([r['結果'], r['エラーコード']]).toEqual(['保留', 'SUPPLIER_UNAVAILABLE']);
    expect(r['エラー内容']).toMatch(reasonJa);
  }
  for (const l of await lineRows(store)) {
    expect([l.orderStatus, l.linkageStatus, l.sentAt, l.linkClaim]).toEqual(['accepted', 'unlinked', null, null]);
    expect(l.linkageMessage).toMatch(reasonEn);
    expect(l.linkageMessageJa).toMatch(reasonJa);
  }
}

/** Changes the supplier served (not turned away with a 429), by subscription. */
async function servedPatches(url: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const c of await getJson<SimCallBody[]>(`${url}/_sim/calls`))
    if (c.method === 'PATCH' && c.status !== 429) out.set(c.subscriptionId!, (out.get(c.subscriptionId!) ?? 0) + 1);
  return out;
}

describe.each(STORE_KINDS)('every wait on the supplier is bounded (%s)', (kind) => {
  it('a 429 with Retry-After: 100000 ends the run at once: nothing sent, rows pending with the reason; a later run sends each line once', async () => {
    const rows = 40;
    const { dir, store, cancel } = await setUp(kind, 'retry-after', rows);
    const hostile = await throttlingServer('100000');
    const started = Date.now();
    const run = await kaiyakuOn(store, dir, ['cancel', cancel, '--supplier', hostile.url, '--concurrency', '8']);
    const took = Date.now() - started;
    expect(run.code, run.stderr).toBe(1);
    // Ended at once, not after 100000 s: the reason it stopped is said (and the test's own timeout bounds it).
    console.log(`[Retry-After 100000, ${kind}] ended after ${took} ms`);
    // Said once, in the command's language (Japanese by default).
    expect(run.stderr.match(/このコマンドでは仕入元の呼び出しを止めます/g)).toHaveLength(1);
    expect(run.stderr).toContain('仕入元が 100000 秒の待機を求めました');
    // The first wave of GETs, no more: at most one per slot.
    expect(hostile.requests()).toBeLessThanOrEqual(8);
    await expectAllPendingUnsent(
      store,
      path.join(path.dirname(cancel), 'cancel.result.csv'),
      /仕入元が 100000 秒の待機を求めました（HTTP 429 Retry-After）。1 つのコマンドで待つ上限の 60 秒を超えています/,
      /the supplier asked to wait 100000 s \(HTTP 429 Retry-After\), longer than the 60 s a command waits/,
    );

    const served = await serveSupplier(dir, ['--db', store.spec]);
    cleanups.push(() => served.stop());
    const resumed = await kaiyakuOn(store, dir, ['orders', 'resume', '--supplier', served.url, '--lang', 'en']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const patches = await servedPatches(served.url);
    expect(patches.size).toBe(rows);
    expect([...patches.values()].every((n) => n === 1)).toBe(true);
  });

  // The patience is the client's alone (no store is involved in it): once. It is 60 s in every
  // real run; the test knob KAIYAKU_TEST_THROTTLE_PATIENCE_MS (src/cli/shared.ts) shortens it
  // to 3 s here, so the same bound ends the run in seconds instead of a minute.
  it.runIf(kind === 'SQLite')(
    'a supplier answering nothing but 429 (Retry-After: 1) ends the run once the client has gone its whole patience without a served call',
    async () => {
      const rows = 20;
      const { dir, store, cancel } = await setUp(kind, 'storm', rows);
      const hostile = await throttlingServer('1');
      const started = Date.now();
      const run = await kaiyakuOn(store, dir, ['cancel', cancel, '--supplier', hostile.url, '--concurrency', '4', '--quiet'], {
        env: { KAIYAKU_TEST_THROTTLE_PATIENCE_MS: '3000' },
      });
      const took = Date.now() - started;
      console.log(`[429 storm, ${kind}] ended after ${took} ms and ${hostile.requests()} requests`);
      expect(run.code, run.stderr).toBe(1);
      // Which bound stopped it is told by the words it left (below), not by clock readings a
      // loaded machine can stretch.
      // One wave a second, not one per line per second.
      expect(hostile.requests()).toBeLessThanOrEqual(4 * 65);
      // Each line gives up when the client stops (its patience without a served call), or, with
      // the default patience, when it was itself turned away 60 times (about a minute at one a second).
      await expectAllPendingUnsent(
        store,
        path.join(path.dirname(cancel), 'cancel.result.csv'),
        /仕入元が \d+(\.\d)? 秒間どの呼び出しにも応じず、HTTP 429（流量制限）を返しています|仕入元が流量制限を続けました（HTTP 429 が 60 回）/,
        /the supplier has served no call for \d+(\.\d)? s, answering HTTP 429 \(throttled\)|supplier kept throttling \(HTTP 429 60 times\)/,
      );
      expect((await lineRows(store)).some((l) => /served no call/.test(l.linkageMessage ?? ''))).toBe(true);
    },
    150_000,
  );

  it('`supplier serve --rate-limit` with a budget of 2 s: the run ends on time with the rest pending; a later run (throttled, not stopped) sends each line once', async () => {
    const rows = 60;
    const { dir, store, cancel } = await setUp(kind, 'budget', rows);
    const served = await serveSupplier(dir, ['--db', store.spec, '--rate-limit', '10']);
    cleanups.push(() => served.stop());
    const started = Date.now();
    const run = await kaiyakuOn(store, dir, ['cancel', cancel, '--supplier', served.url, '--supplier-budget-seconds', '2', '--concurrency', '4', '--quiet']);
    const took = Date.now() - started;
    expect(run.code, run.stderr).toBe(1);
    const result = readCsv(path.join(path.dirname(cancel), 'cancel.result.csv'));
    const pending = result.filter((r) => r['結果'] === '保留');
    console.log(`[budget, ${kind}] ${took} ms; ${result.length - pending.length} rows completed, ${pending.length} pending`);
    expect(pending.length).toBeGreaterThan(0);
    for (const r of pending) expect(r['エラー内容']).toMatch(/このコマンドで仕入元に使える時間（--supplier-budget-seconds 2）を使い切りました/);
    // Nothing left marked as sent that did not leave; nothing left claimed.
    const lines = await lineRows(store);
    expect(lines.filter((l) => l.linkageStatus === 'unlinked' && l.sentAt !== null)).toEqual([]);
    expect(lines.filter((l) => l.linkClaim !== null)).toEqual([]);

    const resumed = await kaiyakuOn(store, dir, ['orders', 'resume', '--supplier', served.url, '--lang', 'en']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect((await lineRows(store)).every((l) => l.orderStatus === 'completed' && l.linkageStatus === 'linked')).toBe(true);
    const patches = await servedPatches(served.url);
    expect(patches.size).toBe(rows);
    expect([...patches.values()].every((n) => n === 1)).toBe(true);
  });

  it('the budget is checked like every number: 0 is refused before anything runs', async () => {
    const { dir, store, cancel } = await setUp(kind, 'budget-zero', 2);
    const r = await kaiyakuOn(store, dir, ['cancel', cancel, '--supplier', 'sim', '--supplier-budget-seconds', '0', '--lang', 'en']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--supplier-budget-seconds must be a whole number from 1 to 604800 \(got 0\)/);
    expect(await lineRows(store)).toEqual([]);
  });
});
