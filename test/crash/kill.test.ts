/**
 * cli.md "Guarantees": killed at any instant (`kill -9`) and run again with the same
 * command, the end state equals that of an uninterrupted run.
 *
 * Two copies of one imported store, each with its own `kaiyaku supplier serve` child (the
 * supplier's state outlives the cancel process, as a real supplier's would). The
 * reference copy runs the cancellation once; the crash copy runs the same command, is
 * SIGKILLed at random moments spread over the reference's duration, restarted each time,
 * then left to finish. Store, result file and supplier must then agree.
 *
 * KAIYAKU_CRASH_SEED=<n> replays one choice of kill times; KAIYAKU_CRASH_KILLS sets how many.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/connect.js';
import { copyStore, useTempDir } from '../support/setup.js';
import { getJson, type Served, serveSupplier, type SimCallBody, type SimStatsBody } from '../support/supplierServe.js';
import { type Ran, runCli, startCli } from '../support/cli.js';
import { importedBase, integrityViolations, readCsv, rng, seedFromEnv } from './helpers.js';
import { diffViews, viewStore, type StoreView } from './snapshot.js';
import { knexOf } from '../../src/store/store.js';

const ROWS = 2500;
const LATE = 5;
const KILLS = Number(process.env['KAIYAKU_CRASH_KILLS'] ?? 6);
const SEED = seedFromEnv('KAIYAKU_CRASH_SEED');

const tmp = useTempDir('kaiyaku-kill-').dir;
const servers: Served[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

interface Side {
  dir: string;
  db: string;
  csv: string;
  server: Served;
}

async function prepare(name: string, base: string, gen: { cancel: string }): Promise<Side> {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  const db = path.join(dir, 'store.db');
  copyStore(base, db);
  const csv = path.join(dir, 'cancel.csv');
  fs.copyFileSync(gen.cancel, csv);
  const server = await serveSupplier(dir, ['--db', db, '--latency-ms', '2']);
  servers.push(server);
  return { dir, db, csv, server };
}

const command = (side: Side): string[] => [
  'cancel',
  'cancel.csv',
  '--db',
  side.db,
  '--supplier',
  side.server.url,
  '--concurrency',
  '16',
  '--lang',
  'en',
  '--report-encoding',
  'utf8',
];

/** Where a killed run stopped, in words, from what it left in the store. */
async function whereItStopped(db: string): Promise<{ phase: string; finished: boolean }> {
  const store = await openStore(db);
  try {
    const run = (await knexOf(store)('runs').orderBy('id', 'desc').first('id', 'status', 'row_count')) as
      { id: number; status: string; row_count: number | null } | undefined;
    if (!run) return { phase: 'before its run was recorded', finished: false };
    if (run.status === 'done') return { phase: 'after the run was finished (reports written)', finished: true };
    if (run.row_count === null) return { phase: 'staging rows', finished: false };
    const staged = Number(((await knexOf(store)('run_rows').where({ run_id: run.id, outcome: 'staged' }).count({ n: '*' }))[0] as { n: number }).n);
    if (staged > 0) return { phase: `judging (${ROWS - staged} of ${ROWS} rows judged)`, finished: false };
    const byStatus = new Map(
      ((await knexOf(store)('change_orders').groupBy('status').select('status').count({ n: '*' })) as { status: string; n: number }[]).map((r) => [
        r.status,
        Number(r.n),
      ]),
    );
    const lines = new Map(
      (
        (await knexOf(store)('order_lines').groupBy('linkage_status').select('linkage_status').count({ n: '*' })) as { linkage_status: string; n: number }[]
      ).map((r) => [r.linkage_status, Number(r.n)]),
    );
    const sent = Number(((await knexOf(store)('order_lines').whereNotNull('sent_at').count({ n: '*' }))[0] as { n: number }).n);
    const word = (m: Map<string, number>) => [...m].map(([k, n]) => `${k} ${n}`).join(', ');
    return { phase: `advancing (orders: ${word(byStatus)}; lines: ${word(lines)}, sent ${sent})`, finished: false };
  } finally {
    await store.close();
  }
}

async function supplierView(side: Side): Promise<{ stats: SimStatsBody; calls: SimCallBody[] }> {
  return { stats: await getJson<SimStatsBody>(`${side.server.url}/_sim/stats`), calls: await getJson<SimCallBody[]>(`${side.server.url}/_sim/calls`) };
}

interface Outcome {
  view: StoreView;
  integrity: string[];
  result: { row: string; contract_no: string; result: string; error_code: string; order_no: string }[];
  /** subscription → quantity_after of its order line (the target the supplier should have been asked for). */
  targets: Map<string, number>;
  /** subscription → the store's line quantity. */
  quantities: Map<string, number>;
  /** contract_no → order_no in the store. */
  orderNos: Map<string, string>;
}

async function outcome(side: Side, original: Map<number, number>): Promise<Outcome> {
  const store = await openStore(side.db);
  try {
    const view = await viewStore(knexOf(store));
    const integrity = await integrityViolations(knexOf(store), original);
    const targets = new Map<string, number>();
    for (const r of (await knexOf(store)('order_lines as ol')
      .join('contract_lines as cl', 'cl.id', 'ol.contract_line_id')
      .select('cl.subscription_id', 'ol.quantity_after')) as { subscription_id: string; quantity_after: number }[]) {
      targets.set(r.subscription_id, Number(r.quantity_after));
    }
    const quantities = new Map<string, number>();
    for (const r of (await knexOf(store)('contract_lines').select('subscription_id', 'quantity')) as { subscription_id: string; quantity: number }[])
      quantities.set(r.subscription_id, Number(r.quantity));
    const orderNos = new Map<string, string>();
    for (const r of (await knexOf(store)('change_orders as o').join('contracts as c', 'c.id', 'o.contract_id').select('c.contract_no', 'o.order_no')) as {
      contract_no: string;
      order_no: string;
    }[])
      orderNos.set(r.contract_no, r.order_no);
    const result = readCsv(path.join(side.dir, 'cancel.result.csv')).map((r) => ({
      row: r['row'] ?? '',
      contract_no: r['contract_no'] ?? '',
      result: r['result'] ?? '',
      error_code: r['error_code'] ?? '',
      order_no: r['order_no'] ?? '',
    }));
    return { view, integrity, result, targets, quantities, orderNos };
  } finally {
    await store.close();
  }
}

/** A plain connection for watching a store while a run writes to it (no migration, reads only). */
function watcher(db: string): Knex {
  return knexFactory({
    client: 'sqlite3',
    connection: { filename: db },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: { run(sql: string, cb: (e: Error | null) => void): void }, done: (e: Error | null, c: unknown) => void) =>
        conn.run('PRAGMA busy_timeout = 5000', (e) => done(e, conn)),
    },
  });
}

type Target = { name: string; reached: (db: Knex) => Promise<boolean> };
const count = async (q: Knex.QueryBuilder): Promise<number> => Number(((await q.count({ n: '*' }))[0] as { n: number }).n);
/** Moments inside a run, in the order a run passes them. */
const TARGETS: Target[] = [
  { name: 'while staging (run recorded, rows not all staged)', reached: async (db) => (await count(db('runs').whereNull('row_count'))) > 0 },
  {
    name: 'between judge pages (some rows ordered, some still staged)',
    reached: async (db) => (await count(db('run_rows').where({ outcome: 'ordered' }))) > 0 && (await count(db('run_rows').where({ outcome: 'staged' }))) > 0,
  },
  { name: 'after accepting, before linking', reached: async (db) => (await count(db('change_orders').where({ status: 'accepted' }))) > 0 },
  { name: 'mid-link (some lines settled, some not)', reached: async (db) => (await count(db('order_lines').where({ linkage_status: 'linked' }))) > 200 },
  { name: 'mid-confirm or reporting (some orders completed)', reached: async (db) => (await count(db('change_orders').where({ status: 'completed' }))) > 0 },
];

describe('kill -9 at any instant, then the same command again', () => {
  let base = '';
  let gen: { contracts: string; cancel: string };
  let original = new Map<number, number>();
  let reference: Ran;
  let want: Outcome;

  beforeAll(async () => {
    ({ gen, base, original } = await importedBase(tmp, ROWS, { late: LATE }));
    // The reference: one uninterrupted run.
    const ref = await prepare('reference', base, gen);
    reference = await runCli(command(ref), ref.dir);
    expect(reference.code, reference.stderr).toBe(1); // the NCE-LATE- rows fail at the supplier
    expect(reference.stderr).not.toMatch(/unexpected failure/);
    want = await outcome(ref, original);
    expect(want.integrity, 'reference store integrity').toEqual([]);
    const counts = want.result.reduce<Record<string, number>>((acc, r) => ((acc[r.result] = (acc[r.result] ?? 0) + 1), acc), {});
    expect(counts).toEqual({ completed: ROWS - LATE, failed: LATE });
    await checkSupplier(ref, want, 'reference', 1);
  }, 180_000);

  it(`at random moments: ends as an uninterrupted run does (${ROWS} rows, ${KILLS} kills, seed ${SEED})`, async () => {
    const crash = await prepare('crash-random', base, gen);
    // Kill times spread over the reference's duration: one per stratum, earliest first, so
    // that the restarted runs are caught at ever later stages.
    const random = rng(SEED);
    const span = Math.max(reference.ms, 500);
    const delays = Array.from({ length: KILLS }, (_, i) => Math.round(100 + ((span - 100) * (i + random())) / KILLS));
    const kills: string[] = [];
    let ended: Ran | null = null;
    let finishedBeforeKill = false;
    for (const delay of delays) {
      const run = startCli(command(crash), crash.dir);
      const early = await Promise.race([run.done, sleep(delay).then(() => null)]);
      if (early) {
        kills.push(`${delay} ms: the run had already ended (exit ${early.code})`);
        ended = early;
        break;
      }
      run.child.kill('SIGKILL');
      const ran = await run.done;
      if (ran.signal !== 'SIGKILL') {
        kills.push(`${delay} ms: the run ended just before the kill (exit ${ran.code})`);
        ended = ran;
        break;
      }
      const where = await whereItStopped(crash.db);
      kills.push(`${delay} ms: killed ${where.phase}`);
      if (where.finished) {
        // Killed while closing, after its reports were written and the run marked done: the
        // work is complete, and running it again would be "the same file twice" (already_done).
        finishedBeforeKill = true;
        break;
      }
    }
    const final = ended ?? (finishedBeforeKill ? null : await runCli(command(crash), crash.dir));
    console.info(
      `kill test, random (seed ${SEED}): reference ${reference.ms} ms\n  ${kills.join('\n  ')}\n  last run ${final ? `${final.ms} ms, exit ${final.code}` : 'none needed'}`,
    );
    await compare(crash, final, `seed ${SEED}; kills:\n  ${kills.join('\n  ')}`, kills.length);
  }, 150_000);

  it('at each stage of a run in turn: ends as an uninterrupted run does', async () => {
    const crash = await prepare('crash-staged', base, gen);
    const kills: string[] = [];
    let final: Ran | null = null;
    let next = 0;
    while (next < TARGETS.length) {
      const run = startCli(command(crash), crash.dir);
      const db = watcher(crash.db);
      let hit: Target | null = null;
      try {
        // Watch for the next moment; one the run went past without stopping there is skipped.
        while (!run.exited() && hit === null && next < TARGETS.length) {
          const reached = await Promise.all(TARGETS.slice(next).map((t) => t.reached(db).catch(() => false)));
          if (reached[0]) hit = TARGETS[next]!;
          else if (reached.some(Boolean)) kills.push(`${TARGETS[next++]!.name}: passed without stopping there`);
          else await sleep(5);
        }
      } finally {
        await db.destroy();
      }
      if (hit === null) {
        final = await run.done;
        kills.push(`the run ended (exit ${final.code}) before the next moment to kill it`);
        break;
      }
      next++;
      run.child.kill('SIGKILL');
      const ran = await run.done;
      if (ran.signal !== 'SIGKILL') {
        final = ran;
        kills.push(`${hit.name}: the run ended just before the kill (exit ${ran.code})`);
        break;
      }
      const where = await whereItStopped(crash.db);
      kills.push(`${hit.name}: killed ${where.phase}`);
      if (where.finished) break;
    }
    final ??= await runCli(command(crash), crash.dir);
    console.info(`kill test, staged:\n  ${kills.join('\n  ')}\n  last run ${final.ms} ms, exit ${final.code}`);
    await compare(crash, final, `kills:\n  ${kills.join('\n  ')}`, kills.length);
  }, 150_000);

  async function compare(crash: Side, final: Ran | null, context: string, kills: number): Promise<void> {
    if (final) {
      expect(final.code, `${final.stderr}\n${context}`).toBe(reference.code);
      expect(final.stderr).not.toMatch(/unexpected failure/);
    }
    const got = await outcome(crash, original);
    // The store: sound, and equal to the reference's.
    expect(got.integrity, `crash store integrity (${context})`).toEqual([]);
    expect(diffViews(want.view, got.view), context).toEqual([]);
    // Exactly one order per contract of the file; completed orders hold no claim; one run.
    expect(got.view.orders.size).toBe(ROWS);
    expect(
      [...got.view.orders.values()].filter((o) => o.length !== 1),
      context,
    ).toEqual([]);
    expect([...got.view.claims.values()].filter((s) => s === 'completed')).toEqual([]);
    expect(got.view.runs, 'one run, taken over after each kill').toEqual([`done rows=${ROWS} until=completed`]);
    // The result file: every row, in order, with the reference's results.
    expect(got.result.map((r) => r.row)).toEqual(Array.from({ length: ROWS }, (_, i) => String(i + 1)));
    expect(
      got.result.map(({ order_no: _, ...r }) => r),
      context,
    ).toEqual(want.result.map(({ order_no: _, ...r }) => r));
    expect(got.result.filter((r) => r.order_no !== got.orderNos.get(r.contract_no))).toEqual([]);
    // No stray temp files of a report killed half-written.
    expect(fs.readdirSync(crash.dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    await checkSupplier(crash, got, context, 1 + kills);
  }
});

/** The supplier holds what the store holds, and was asked for one change per subscription. */
async function checkSupplier(side: Side, o: Outcome, label: string, maxPatches: number): Promise<void> {
  const { stats, calls } = await supplierView(side);
  const mismatched = Object.entries(stats.subscriptions).filter(
    ([sub, s]) => s.quantity !== o.quantities.get(sub) || (s.quantity === 0) !== (s.status === 'deleted') || s.pending,
  );
  expect(mismatched.slice(0, 5), `${label}: supplier quantities equal the store's`).toEqual([]);
  const wrongTarget = Object.entries(stats.subscriptions).filter(([sub, s]) => s.lastTarget !== (o.targets.get(sub) ?? null));
  expect(wrongTarget.slice(0, 5), `${label}: last target asked = the order line's quantity after`).toEqual([]);
  expect(stats.byStatus['422'] ?? 0, `${label}: no idempotency key reused for another change`).toBe(0);
  const keys = new Map<string, Set<string>>();
  const patches = new Map<string, number>();
  for (const c of calls) {
    if (c.method !== 'PATCH' || c.subscriptionId === null) continue;
    keys.set(c.subscriptionId, (keys.get(c.subscriptionId) ?? new Set()).add(String(c.idempotencyKey)));
    if (c.status !== 409) patches.set(c.subscriptionId, (patches.get(c.subscriptionId) ?? 0) + 1);
  }
  expect([...keys].filter(([, k]) => k.size !== 1).slice(0, 5), `${label}: one change (key) per subscription`).toEqual([]);
  expect(keys.size).toBe(ROWS);
  expect([...patches].filter(([, n]) => n > maxPatches).slice(0, 5), `${label}: PATCHes per subscription ≤ ${maxPatches}`).toEqual([]);
}
