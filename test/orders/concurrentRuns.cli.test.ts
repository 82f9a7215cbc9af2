/**
 * Runs that link at once send each line exactly once. Two `orders resume` started together
 * used to send every line twice (800 PATCH calls for 400 lines; the idempotency keys saved
 * the end state), and a night's resume linked a manual run's orders beside it. Each run now
 * claims the lines it sends; a line another run holds is left to it. Counted by the
 * simulator served by `kaiyaku supplier serve` (GET /_sim/calls), on SQLite and PostgreSQL.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { getJson, serveSupplier, type SimCallBody, type SimStatsBody } from '../support/supplierServe.js';
import { useTempDir, generate } from '../support/setup.js';
import { aStore, kaiyakuOn, readStore, startKaiyakuOn, STORE_KINDS, type StoreUnderTest } from '../support/stores.js';
import { lineRows, seatsInStore } from './lineReaders.js';
import { knexOf } from '../../src/store/store.js';
import { importContracts } from '../support/inProcess.js';

const tmp = useTempDir('kaiyaku-concurrent-');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Generated contracts (5 seats each) imported, the supplier served from the store, and the cancellation file. */
async function setUp(
  kind: StoreUnderTest['kind'],
  name: string,
  rows: number,
  latencyMs: number,
): Promise<{ dir: string; store: StoreUnderTest; url: string; cancel: string }> {
  const dir = tmp.make(`${kind}-${name}`);
  const store = await aStore(kind, dir, 'conc');
  cleanups.push(() => store.drop());
  const gen = await generate({ rows: rows, out: path.join(dir, 'gen') });
  // A set-up step, in this process (test/support/inProcess.ts): the commands under test run the real CLI.
  await importContracts(store.spec, gen.contracts, 'test');
  const served = await serveSupplier(dir, ['--db', store.spec, '--latency-ms', String(latencyMs)]);
  cleanups.push(() => served.stop());
  return { dir, store, url: served.url, cancel: gen.cancel };
}

/** Every change sent and every GET, by subscription, as the supplier counted them. */
async function callsBySubscription(url: string): Promise<{ patches: Map<string, number>; gets: number; patchTotal: number }> {
  const calls = await getJson<SimCallBody[]>(`${url}/_sim/calls`);
  const patches = new Map<string, number>();
  for (const c of calls) if (c.method === 'PATCH') patches.set(c.subscriptionId!, (patches.get(c.subscriptionId!) ?? 0) + 1);
  return { patches, gets: calls.filter((c) => c.method === 'GET').length, patchTotal: calls.filter((c) => c.method === 'PATCH').length };
}

/** The end every test wants: each order completed and linked, and the store holding what the supplier holds. */
async function expectDoneAndAgreed(store: StoreUnderTest, url: string, rows: number): Promise<void> {
  const lines = await lineRows(store);
  expect(lines).toHaveLength(rows);
  expect(lines.filter((l) => l.orderStatus !== 'completed' || l.linkageStatus !== 'linked' || l.linkClaim !== null)).toEqual([]);
  const atSupplier = (await getJson<SimStatsBody>(`${url}/_sim/stats`)).subscriptions;
  for (const [sub, seats] of await seatsInStore(store)) expect(seats, sub).toBe(atSupplier[sub]?.quantity);
}

describe.each(STORE_KINDS)('runs that link at once send each line exactly once (%s)', (kind) => {
  it('two `orders resume` started together: 400 lines, 400 changes, one GET before each', async () => {
    const rows = 400;
    const { dir, store, url, cancel } = await setUp(kind, 'two-resumes', rows, 10);
    // Orders whose run asked for completion but could not reach the supplier (refused
    // connections, the circuit opening at once): open and unlinked.
    const first = await kaiyakuOn(store, dir, ['cancel', cancel, '--supplier', 'http://127.0.0.1:9', '--supplier-circuit-threshold', '1', '--quiet']);
    expect(first.code, first.stderr).toBe(1);
    expect((await lineRows(store)).every((l) => l.orderStatus === 'accepted' && l.linkageStatus === 'unlinked')).toBe(true);

    const resume = ['orders', 'resume', '--supplier', url, '--concurrency', '8', '--lang', 'en'];
    const both = await Promise.all([startKaiyakuOn(store, dir, resume).done, startKaiyakuOn(store, dir, resume).done]);
    for (const r of both) {
      expect([0, 1], r.stderr).toContain(r.code);
      expect(r.stderr).not.toMatch(/unexpected|SQLITE_BUSY|deadlock/i);
    }
    const { patches, gets, patchTotal } = await callsBySubscription(url);
    console.log(
      `[two resumes, ${kind}] ${patchTotal} PATCH and ${gets} GET for ${rows} lines; ${both.map((r) => /being linked by another run (\d+)/.exec(r.stdout)?.[1] ?? '0').join(' and ')} lines left to the other run`,
    );
    expect(patchTotal).toBe(rows);
    expect(patches.size).toBe(rows);
    expect(gets).toBe(rows);

    // Whatever the loser left waiting (orders it saw the other run linking) a later resume finishes.
    const last = await kaiyakuOn(store, dir, [...resume]);
    expect(last.code, last.stdout + last.stderr).toBe(0);
    expect((await callsBySubscription(url)).patchTotal).toBe(rows);
    await expectDoneAndAgreed(store, url, rows);
  });

  it('a night beside a manual `cancel` that is linking: each line is sent by one of them, once', async () => {
    const rows = 300;
    const { dir, store, url, cancel } = await setUp(kind, 'night-beside', rows, 15);
    const inbox = path.join(dir, 'inbox');
    fs.mkdirSync(inbox);
    const manual = startKaiyakuOn(store, dir, ['cancel', cancel, '--supplier', url, '--concurrency', '4', '--quiet']);
    // The night starts once the manual run is linking (some lines linked, most not yet).
    for (let i = 0; i < 600; i++) {
      const linked = await readStore(store, async (s) =>
        Number((await knexOf(s)('order_lines').where('linkage_status', 'linked').count({ n: '*' }).first())?.n ?? 0),
      );
      if (linked > 0 || manual.exited()) break;
      await sleep(50);
    }
    expect(manual.exited(), 'the manual run finished before the night started: make it slower').toBe(false);
    const night = await startKaiyakuOn(store, dir, ['cancel', '--inbox', inbox, '--supplier', url, '--concurrency', '4', '--lang', 'en']).done;
    const manualDone = await manual.done;
    for (const r of [night, manualDone]) {
      expect([0, 1], r.stderr).toContain(r.code);
      expect(r.stderr).not.toMatch(/unexpected|SQLITE_BUSY|deadlock/i);
    }
    const { patches, patchTotal } = await callsBySubscription(url);
    console.log(`[night beside cancel, ${kind}] ${patchTotal} PATCH for ${rows} lines`);
    expect(patchTotal).toBe(rows);
    expect([...patches.values()].every((n) => n === 1)).toBe(true);

    const last = await kaiyakuOn(store, dir, ['orders', 'resume', '--supplier', url, '--lang', 'en']);
    expect(last.code, last.stdout + last.stderr).toBe(0);
    expect((await callsBySubscription(url)).patchTotal).toBe(rows);
    await expectDoneAndAgreed(store, url, rows);
  });
});
