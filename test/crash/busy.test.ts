/**
 * SQLite busy states are retried, never surfaced, and a retried transaction does exactly
 * what one successful attempt would have done.
 *
 * - Injected: every transaction of a run is answered "busy" once, after its work (as a
 *   failed commit would be), and retried; the end state equals that of a clean run.
 * - Injected: while the judging transaction is retried, an overlapping run claims one of
 *   its lines; the retry must see that, not replay its first attempt.
 * - Real: another connection keeps taking the store's write lock while `kaiyaku cancel` runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import sqlite3 from 'sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CANCEL_OPTIONS, type CancelOptions, type PipelineDeps } from '../../src/pipeline/context.js';
import { runCancelFile } from '../../src/cancel/runCancel.js';
import { openStore, type Store } from '../../src/store/connect.js';
import { loadSubscriptionSeeds } from '../../src/store/supplierSeeds.js';
import { createSimSupplier, type Supplier, type SupplierSimulator } from '../../src/supplier/index.js';
import { copyStore, useTempDir } from '../support/setup.js';
import { startCli } from '../support/cli.js';
import { importedBase, integrityViolations, readCsv } from './helpers.js';
import { diffViews, viewStore } from './snapshot.js';
import { knexOf, storeOf } from '../../src/store/store.js';

const tmp = useTempDir('kaiyaku-busy-').dir;
const ROWS = 300;
let base = '';
let gen: { contracts: string; cancel: string };
let original = new Map<number, number>();

beforeAll(async () => {
  ({ gen, base, original } = await importedBase(tmp, ROWS, { late: 2 }));
}, 180_000);

const busy = () => Object.assign(new Error('SQLITE_BUSY: database is locked (injected by the test)'), { code: 'SQLITE_BUSY', injected: true });

/**
 * The store with its `transaction` wrapped: after the work of a transaction, `fail` decides
 * whether to answer busy (the transaction rolls back and transact retries it); `between`
 * runs after such a rollback, before the retry.
 */
function injectBusy(store: Store, fail: (trx: Knex.Transaction) => Promise<boolean>, between?: () => Promise<void>): Store & { injected: () => number } {
  let injected = 0;
  const db = new Proxy(knexOf(store), {
    get(target, prop, receiver) {
      if (prop !== 'transaction') return Reflect.get(target, prop, receiver) as unknown;
      return <T>(work: (trx: Knex.Transaction) => Promise<T>) =>
        target
          .transaction(async (trx) => {
            const result = await work(trx);
            if (await fail(trx)) {
              injected++;
              throw busy();
            }
            return result;
          })
          .catch(async (error: unknown) => {
            if ((error as { injected?: boolean }).injected && between) await between();
            throw error;
          });
    },
  });
  const wrapped = storeOf({ db, dialect: store.dialect, location: store.location, access: store.access, close: () => store.close() });
  return Object.assign(wrapped, { injected: () => injected });
}

interface InProcess {
  deps: PipelineDeps;
  simulator: () => SupplierSimulator | null;
  close(): Promise<void>;
}

function inProcess(store: Store, real: Store): InProcess {
  let supplier: (Supplier & { simulator: SupplierSimulator }) | null = null;
  return {
    deps: {
      store,
      clock: () => new Date(),
      operator: 'busy-test',
      supplierName: 'sim',
      log: () => undefined,
      supplier: async () => {
        supplier ??= createSimSupplier({ latencyMs: 0, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 3 }, await loadSubscriptionSeeds(knexOf(real)), {
          timeoutMs: 5_000,
          maxAttempts: 3,
          baseDelayMs: 1,
          maxDelayMs: 5,
        });
        return supplier;
      },
    },
    simulator: () => supplier?.simulator ?? null,
    close: async () => {
      await supplier?.close();
      await real.close();
    },
  };
}

const options = (reportsDir: string): CancelOptions => ({ ...DEFAULT_CANCEL_OPTIONS, lang: 'en', reportEncoding: 'utf8', reportsDir, concurrency: 8 });

describe('busy answers from the store', () => {
  it("every transaction answered busy once after its work: retried, and the end state is a clean run's", async () => {
    const results: { view: Awaited<ReturnType<typeof viewStore>>; rows: Record<string, string>[]; exitCode: number; keysPerSub: number[] }[] = [];
    let injectedCount = 0;
    for (const name of ['clean', 'faulty']) {
      const dir = path.join(tmp, name);
      fs.mkdirSync(dir);
      const dbFile = path.join(dir, 'store.db');
      copyStore(base, dbFile);
      const real = await openStore(dbFile);
      // Alternating: each attempt that follows a successful one fails, so every transaction fails once.
      let failNext = true;
      const store = name === 'clean' ? real : injectBusy(real, async () => ((failNext = !failNext), !failNext));
      const run = inProcess(store, real);
      try {
        const summary = await runCancelFile(run.deps, gen.cancel, options(dir));
        if ('injected' in store) injectedCount = (store as { injected: () => number }).injected();
        const keys = new Map<string, Set<string>>();
        for (const c of run.simulator()?.callLog() ?? [])
          if (c.method === 'PATCH' && c.subscriptionId) keys.set(c.subscriptionId, (keys.get(c.subscriptionId) ?? new Set()).add(String(c.idempotencyKey)));
        expect(await integrityViolations(knexOf(real), original)).toEqual([]);
        // The simulator words its refusals with a time of its own: not part of what is compared.
        const rows = readCsv(summary.resultPath).map((r) => ({
          ...r,
          error_message: (r['error_message'] ?? '').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>'),
        }));
        results.push({ view: await viewStore(knexOf(real)), rows, exitCode: summary.exitCode, keysPerSub: [...keys.values()].map((k) => k.size) });
      } finally {
        await run.close();
      }
    }
    const [clean, faulty] = results as [(typeof results)[0], (typeof results)[0]];
    expect(injectedCount, 'busy answers injected').toBeGreaterThan(3);
    expect(faulty.exitCode).toBe(clean.exitCode);
    // Audit rows are written inside the same transactions, so they too must match.
    expect(diffViews(clean.view, faulty.view)).toEqual([]);
    expect(faulty.rows).toEqual(clean.rows);
    expect(faulty.keysPerSub.every((n) => n === 1)).toBe(true);
    console.info(`busy once per transaction: ${injectedCount} busy answers injected, ${faulty.rows.length} rows as a clean run`);
  }, 180_000);

  it('a line claimed by an overlapping run while the judging transaction is retried is refused, not taken from the other run', async () => {
    const dir = path.join(tmp, 'rival');
    fs.mkdirSync(dir);
    const dbFile = path.join(dir, 'store.db');
    copyStore(base, dbFile);
    const file = path.join(dir, 'three.csv');
    const no = (i: number) => `NCN202401-${String(i).padStart(10, '0')}`;
    // Contracts 1 and 2 are NCE-LATE- ones; 3 is the one the overlapping run takes.
    fs.writeFileSync(file, `契約番号,商品コード,解約数,依頼番号\r\n${no(3)},O365-E1,1,R-3\r\n${no(4)},O365-E1,1,R-4\r\n${no(5)},O365-E1,1,R-5\r\n`);
    const real = await openStore(dbFile);
    let failed = false;
    const line = (await knexOf(real)('contract_lines as cl')
      .join('contracts as c', 'c.id', 'cl.contract_id')
      .where('c.contract_no', no(3))
      .first('cl.id', 'cl.contract_id', 'cl.quantity')) as { id: number; contract_id: number; quantity: number };
    const store = injectBusy(
      real,
      // The first transaction that has created orders fails once, after its work.
      async (trx) => !failed && (failed = Number(((await trx('change_orders').count({ n: '*' }))[0] as { n: number }).n) > 0),
      // Meanwhile an overlapping run commits its own order on contract 1's line.
      async () => {
        await knexOf(real).transaction(async (trx) => {
          const now = '2026-01-01 00:00:00';
          await trx('sequences').where({ name: 'order_no' }).increment('value', 1);
          const [orderId] = await trx('change_orders').insert({
            order_no: 'RIVAL-1',
            contract_id: line.contract_id,
            kind: 'cancel',
            status: 'requested',
            applied_on: '2026-01-01',
            end_date: null,
            note: 'the other run',
            run_id: null,
            created_at: now,
            updated_at: now,
            updated_by: 'rival',
          });
          await trx('order_lines').insert({
            order_id: orderId,
            contract_line_id: line.id,
            quantity_before: line.quantity,
            cancel_quantity: 1,
            quantity_after: line.quantity - 1,
            unit_price: 870,
            linkage_status: 'unlinked',
          });
          await trx('line_claims').insert({ contract_line_id: line.id, order_id: orderId });
        });
      },
    );
    const run = inProcess(store, real);
    try {
      const summary = await runCancelFile(run.deps, file, options(dir));
      expect(store.injected()).toBe(1);
      const rows = readCsv(summary.resultPath).map((r) => `${r['contract_no']} ${r['result']} ${r['error_code']} ${r['order_no']}`);
      const rival = (await knexOf(real)('change_orders').where({ order_no: 'RIVAL-1' }).first('id', 'status')) as { id: number; status: string };
      expect(rival.status, "the other run's order is left to it").toBe('requested');
      expect(rows[0]).toMatch(new RegExp(`^${no(3)} refused LINE_HAS_OPEN_ORDER $`));
      expect(rows[1]).toMatch(new RegExp(`^${no(4)} completed  \\S+`));
      expect(rows[2]).toMatch(new RegExp(`^${no(5)} completed  \\S+`));
      expect(rows.join('\n')).not.toContain('RIVAL-1');
      expect(Number((await knexOf(real)('contract_lines').where({ id: line.id }).first('quantity')).quantity)).toBe(line.quantity);
      const keys = (await knexOf(real)('request_keys').orderBy('request_id').select('request_id')) as { request_id: string }[];
      expect(keys.map((k) => k.request_id)).toEqual(['R-4', 'R-5']);
      expect(await integrityViolations(knexOf(real), original)).toEqual([]);
    } finally {
      await run.close();
    }
  }, 180_000);

  it('another connection taking the write lock again and again during a CLI run: waited for, never surfaced', async () => {
    const dir = path.join(tmp, 'held');
    fs.mkdirSync(dir);
    const dbFile = path.join(dir, 'store.db');
    copyStore(base, dbFile);
    const csv = path.join(dir, 'cancel.csv');
    fs.copyFileSync(gen.cancel, csv);
    const holder = new sqlite3.Database(dbFile);
    const exec = (sql: string) => new Promise<void>((resolve, reject) => holder.exec(sql, (e) => (e ? reject(e) : resolve())));
    await exec('PRAGMA busy_timeout = 30000');
    const run = startCli(
      ['cancel', csv, '--db', dbFile, '--supplier', 'sim', '--sim-latency-ms', '5', '--concurrency', '8', '--lang', 'en', '--report-encoding', 'utf8'],
      dir,
    );
    let holds = 0;
    let heldMs = 0;
    try {
      while (!run.exited()) {
        await exec('BEGIN IMMEDIATE');
        const hold = 50 + Math.floor(Math.random() * 400);
        await sleep(hold);
        await exec('COMMIT');
        holds++;
        heldMs += hold;
        await sleep(20 + Math.floor(Math.random() * 100));
      }
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
    const ran = await run.done;
    console.info(`write lock taken ${holds} times (${heldMs} ms in all) during a ${ran.ms} ms run; exit ${ran.code}`);
    expect(ran.stderr).not.toMatch(/unexpected failure|SQLITE_BUSY|database is locked/);
    expect(ran.code, ran.stderr).toBe(1); // the two NCE-LATE- rows fail at the supplier
    expect(holds).toBeGreaterThan(2);
    const rows = readCsv(path.join(dir, 'cancel.result.csv'));
    expect(rows.length).toBe(ROWS);
    expect(rows.filter((r) => r['result'] !== 'completed').map((r) => `${r['contract_no']} ${r['error_code']}`)).toEqual([
      'NCN202401-0000000001 SUPPLIER_REJECTED',
      'NCN202401-0000000002 SUPPLIER_REJECTED',
    ]);
    const s = await openStore(dbFile);
    try {
      expect(await integrityViolations(knexOf(s), original)).toEqual([]);
    } finally {
      await s.close();
    }
  }, 180_000);
});
