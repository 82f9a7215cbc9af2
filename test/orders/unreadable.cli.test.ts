/**
 * An answer that cannot be read is never final. A supplier (or a gateway in front of it)
 * that answers a status GET with an HTML page once used to turn an accepted change into a
 * refusal that was never asked about again; resume then advised withdrawing the acceptance,
 * and done as told, the store showed 10 seats while the supplier had 8. Now: the client
 * retries it like a failure; if it stays unreadable the line stays pending with the reason
 * (in both languages) and a later run asks again; the acceptance cannot be withdrawn while
 * the supplier may have taken a line; and a line an earlier version failed on such an answer
 * is asked about again. Through the real CLI, on SQLite and PostgreSQL.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { SupplierSimulator } from '../../src/supplier/index.js';
import { useTempDir } from '../support/setup.js';
import { readCsv, writeCancelFile } from './operatorCli.js';
import { aStore, importContractsOn, kaiyakuOn, STORE_KINDS, writeStore, type StoreUnderTest } from '../support/stores.js';
import { lineRows, seatsInStore } from './lineReaders.js';
import { knexOf } from '../../src/store/store.js';

const tmp = useTempDir('kaiyaku-unreadable-');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const CONTRACT = 'NCN202401-0000000041';
const SUB = 'SLOW-0041'; // answers 202 and settles on the third GET after the change

/**
 * The simulator over HTTP, behind a "gateway" that answers GETs with an HTML page while
 * `garble` says so (`once`: the next GET only). Garbled GETs do not reach the simulator.
 */
async function garblingSupplier(seeds: { subscriptionId: string; quantity: number }[]) {
  const simulator = new SupplierSimulator(
    { latencyMs: 0, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 1 },
    seeds.map((s) => ({ customer: '顧客株式会社', ...s })),
  );
  const state = { garble: 'never' as 'never' | 'once' | 'always', garbled: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && !req.url?.startsWith('/_sim') && state.garble !== 'never') {
        if (state.garble === 'once') state.garble = 'never';
        state.garbled++;
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body><h1>Gateway maintenance</h1></body></html>');
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      void simulator
        .handle({
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: req.headers as Record<string, string>,
          ...(text === '' ? {} : { body: JSON.parse(text) as unknown }),
        })
        .then((answer) => {
          res.writeHead(answer.status, { ...answer.headers, 'content-type': 'application/json' });
          res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, simulator, state };
}

async function setUp(kind: StoreUnderTest['kind'], name: string) {
  const dir = tmp.make(`${kind}-${name}`);
  const store = await aStore(kind, dir, 'unread');
  cleanups.push(() => store.drop());
  await importContractsOn(store, dir, [{ contractNo: CONTRACT, productCode: 'EXO-P1', subscriptionId: SUB, quantity: 10 }]);
  const supplier = await garblingSupplier([{ subscriptionId: SUB, quantity: 10 }]);
  // 10 → 8: sent, answered 202 (pending), not confirmed yet.
  const file = writeCancelFile(dir, 'nov.csv', [{ contractNo: CONTRACT, quantity: 2, requestId: 'R-41' }]);
  const run = await kaiyakuOn(store, dir, ['cancel', file, '--supplier', supplier.url, '--quiet']);
  expect(run.code, run.stderr).toBe(1);
  const [line] = await lineRows(store);
  expect(line).toMatchObject({ orderStatus: 'accepted', linkageStatus: 'pending' });
  expect(supplier.simulator.stats().subscriptions[SUB]?.quantity).toBe(8);
  return { dir, store, supplier, orderNo: line!.orderNo, sup: ['--supplier', supplier.url, '--supplier-timeout-ms', '2000'] };
}

/** Resumes until the order is completed (the SLOW- subscription settles on the third GET), at most `times` times. */
async function resumeUntilCompleted(store: StoreUnderTest, dir: string, sup: string[], times: number): Promise<void> {
  for (let i = 0; i < times && (await lineRows(store))[0]?.orderStatus !== 'completed'; i++)
    await kaiyakuOn(store, dir, ['orders', 'resume', ...sup, '--lang', 'en']);
}

describe.each(STORE_KINDS)('an answer that cannot be read is never final (%s)', (kind) => {
  it('one HTML page instead of the subscription: retried at once, the line never fails', async () => {
    const { dir, store, supplier, sup } = await setUp(kind, 'once');
    supplier.state.garble = 'once';
    const r = await kaiyakuOn(store, dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    expect(supplier.state.garbled).toBe(1);
    expect(r.stdout).toMatch(/refused by supplier 0/);
    expect((await lineRows(store))[0]).toMatchObject({ linkageStatus: 'pending', linkageCode: null });
  });

  it('an unreadable answer that stays: the line stays pending with the reason, resume never advises withdrawing, 受付取消 is refused; once readable, store and supplier agree', async () => {
    const { dir, store, supplier, orderNo, sup } = await setUp(kind, 'stays');
    supplier.state.garble = 'always';
    const r = await kaiyakuOn(store, dir, ['orders', 'resume', ...sup, '--lang', 'en']);
    // Waiting on the supplier: exit 1, nothing for an operator.
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/need an operator 0/);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/withdraw-acceptance/);
    const [line] = await lineRows(store);
    expect(line).toMatchObject({ orderStatus: 'accepted', linkageStatus: 'pending', linkageCode: 'SUPPLIER_UNAVAILABLE' });
    expect(line!.linkageMessage).toMatch(/an answer that could not be read \(HTTP 200: <html>/);
    expect(line!.linkageMessageJa).toMatch(/読み取れない応答（HTTP 200: <html>/);

    // The same file again reports the row pending, in Japanese, with the reason.
    const again = await kaiyakuOn(store, dir, ['cancel', 'nov.csv', ...sup, '--quiet']);
    expect(again.code).toBe(1);
    const [row] = readCsv(`${dir}/nov.result.csv`);
    expect([row!['結果'], row!['エラーコード']]).toEqual(['保留', 'SUPPLIER_UNAVAILABLE']);
    expect(row!['エラー内容']).toMatch(/読み取れない応答/);
    expect(row!['エラー内容']).not.toMatch(/could not be read/);

    // The supplier may have taken it (it has: 8 seats): the acceptance cannot be withdrawn.
    const withdraw = await kaiyakuOn(store, dir, ['orders', 'withdraw-acceptance', orderNo, '--lang', 'en']);
    expect(withdraw.code).toBe(1);
    expect(withdraw.stderr).toMatch(/Already ordered at the supplier/);
    expect((await lineRows(store))[0]?.orderStatus).toBe('accepted');

    supplier.state.garble = 'never';
    await resumeUntilCompleted(store, dir, sup, 3);
    expect((await lineRows(store))[0]).toMatchObject({ orderStatus: 'completed', linkageStatus: 'linked', linkageCode: null });
    expect((await seatsInStore(store)).get(SUB)).toBe(8);
    expect(supplier.simulator.stats().subscriptions[SUB]?.quantity).toBe(8);
  });

  it('a line an earlier version failed on an unreadable answer is asked about again, and its acceptance cannot be withdrawn meanwhile', async () => {
    const { dir, store, supplier, orderNo, sup } = await setUp(kind, 'legacy');
    // What the earlier version wrote after one HTML page: failed, BAD_RESPONSE.
    await writeStore(store, (s) =>
      knexOf(s)('order_lines').update({ linkage_status: 'failed', linkage_code: 'BAD_RESPONSE', linkage_message: 'unexpected subscription body: "<html>"' }),
    );
    const withdraw = await kaiyakuOn(store, dir, ['orders', 'withdraw-acceptance', orderNo, '--lang', 'en']);
    expect(withdraw.code).toBe(1);
    expect(withdraw.stderr).toMatch(/Already ordered at the supplier/);

    await resumeUntilCompleted(store, dir, sup, 3);
    expect((await lineRows(store))[0]).toMatchObject({ orderStatus: 'completed', linkageStatus: 'linked', linkageCode: null });
    expect((await seatsInStore(store)).get(SUB)).toBe(8);
    expect(supplier.simulator.stats().subscriptions[SUB]?.quantity).toBe(8);
    // Asked, never sent again.
    expect(supplier.simulator.callLog().filter((c) => c.method === 'PATCH')).toHaveLength(1);
  });
});
