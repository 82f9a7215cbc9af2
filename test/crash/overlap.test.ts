/**
 * cli.md "Guarantees": runs that overlap never hold two open orders for one line and never
 * cancel more than a line's quantity; the same file twice makes no new orders.
 *
 * Real processes on one SQLite store (so SQLITE_BUSY between them is real), linking against
 * one supplier simulator served from this test process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/connect.js';
import { loadSubscriptionSeeds } from '../../src/store/supplierSeeds.js';
import { startSupplierServer, type SupplierServer } from '../../src/supplier/index.js';
import { copyStore, useTempDir } from '../support/setup.js';
import { type Ran, startCli } from '../support/cli.js';
import { type CsvRow, importedBase, integrityViolations, readCsv } from './helpers.js';
import { knexOf } from '../../src/store/store.js';

const CONTRACTS = 1500;
const tmp = useTempDir('kaiyaku-overlap-').dir;
let base = '';
let original = new Map<number, number>();
const servers: SupplierServer[] = [];

beforeAll(async () => {
  ({ base, original } = await importedBase(tmp, CONTRACTS));
}, 180_000);
afterAll(async () => {
  for (const s of servers) await s.close();
});

const contractNo = (i: number) => `NCN202401-${String(i).padStart(10, '0')}`;

/** A fresh copy of the imported store and a supplier simulator seeded from it. */
async function scenario(name: string): Promise<{ dir: string; db: string; url: string }> {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  const db = path.join(dir, 'store.db');
  copyStore(base, db);
  const store = await openStore(db);
  const seeds = await loadSubscriptionSeeds(knexOf(store));
  await store.close();
  const server = await startSupplierServer({ port: 0, knobs: { latencyMs: 2, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 7 }, seeds });
  servers.push(server);
  return { dir, db, url: server.url };
}

function writeCancel(file: string, rows: { i: number; quantity: string; request: string }[]): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, ['契約番号,商品コード,解約数,依頼番号', ...rows.map((r) => `${contractNo(r.i)},O365-E1,${r.quantity},${r.request}`), ''].join('\r\n'));
  return file;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);
const cancelArgs = (file: string, db: string, url: string) => [
  'cancel',
  file,
  '--db',
  db,
  '--supplier',
  url,
  '--concurrency',
  '16',
  '--lang',
  'en',
  '--report-encoding',
  'utf8',
];

async function withStore<T>(db: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const s = await openStore(db);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

function expectCleanExit(r: Ran, label: string, codes: number[]): void {
  expect(codes, `${label} exited ${r.code}: ${r.stderr}`).toContain(r.code);
  expect(r.stderr, label).not.toMatch(/unexpected failure|SQLITE_BUSY|database is locked/);
}

/** The rows of a result file by contract number. */
function byContract(rows: CsvRow[]): Map<string, CsvRow> {
  return new Map(rows.map((r) => [r['contract_no'] ?? '', r]));
}

/** What stops a row whose line another run has taken, depending on how far that run got. */
const LOST_CODES = ['LINE_HAS_OPEN_ORDER', 'QUANTITY_EXCEEDS_REMAINING', 'CONTRACT_NOT_ACTIVE', 'LINE_NOT_ACTIVE'];

describe('two cancel runs at once on different files', () => {
  for (const variant of [
    // The overlap is the first page of contracts both runs judge: they race for the same lines.
    { name: 'started at the same instant, racing for the same page', delayMs: 0, a: range(1, 1000), b: [...range(1, 500), ...range(1001, 1500)] },
    // The overlap is A's second page and B's first: B judges while A holds or completes them.
    { name: 'the second started while the first advances', delayMs: 1_200, a: range(1, 1000), b: range(501, 1500) },
  ]) {
    it(`never cancel a line twice (${variant.name})`, async () => {
      const s = await scenario(`overlap-${variant.delayMs}`);
      const inA = new Set(variant.a);
      const inB = new Set(variant.b);
      const overlapping = (i: number) => inA.has(i) && inB.has(i);
      // In the overlap each file asks for 3 of 5 (even) or everything (odd), so whichever run
      // comes second cannot also do the row.
      const qty = (i: number) => (overlapping(i) ? (i % 2 === 0 ? '3' : '') : i % 3 === 0 ? '' : String(1 + (i % 4)));
      const a = writeCancel(
        path.join(s.dir, 'a', 'a.csv'),
        variant.a.map((i) => ({ i, quantity: qty(i), request: `A-${i}` })),
      );
      const b = writeCancel(
        path.join(s.dir, 'b', 'b.csv'),
        variant.b.map((i) => ({ i, quantity: qty(i), request: `B-${i}` })),
      );
      const runA = startCli(cancelArgs(a, s.db, s.url), s.dir);
      if (variant.delayMs > 0) await sleep(variant.delayMs);
      const runB = startCli(cancelArgs(b, s.db, s.url), s.dir);
      const [ra, rb] = await Promise.all([runA.done, runB.done]);
      expectCleanExit(ra, 'run A', [0, 1]);
      expectCleanExit(rb, 'run B', [0, 1]);

      const resA = byContract(readCsv(a.replace(/\.csv$/, '.result.csv')));
      const resB = byContract(readCsv(b.replace(/\.csv$/, '.result.csv')));
      expect(resA.size).toBe(1000);
      expect(resB.size).toBe(1000);
      const orders = await withStore(s.db, async (store) => {
        expect(await integrityViolations(knexOf(store), original)).toEqual([]);
        const rows = (await knexOf(store)('change_orders as o')
          .join('contracts as c', 'c.id', 'o.contract_id')
          .select('c.contract_no', 'o.order_no', 'o.status')) as { contract_no: string; order_no: string; status: string }[];
        const out = new Map<string, { order_no: string; status: string }[]>();
        for (const r of rows) out.set(r.contract_no, [...(out.get(r.contract_no) ?? []), r]);
        return out;
      });

      const wins = { A: 0, B: 0 };
      const codes: Record<string, number> = {};
      const problems: string[] = [];
      for (const i of range(1, 1500)) {
        const no = contractNo(i);
        const own = orders.get(no) ?? [];
        const ra1 = resA.get(no);
        const rb1 = resB.get(no);
        if (own.length !== 1 || own[0]!.status !== 'completed') problems.push(`${no}: orders ${JSON.stringify(own)}`);
        if (!overlapping(i)) {
          const row = (inA.has(i) ? ra1 : rb1)!;
          if (row['result'] !== 'completed' || row['order_no'] !== own[0]?.order_no) problems.push(`${no}: not overlapping, ${JSON.stringify(row)}`);
          continue;
        }
        const done = [ra1, rb1].filter((r) => r?.['result'] === 'completed');
        const lost = [ra1, rb1].filter((r) => r?.['result'] === 'refused' && LOST_CODES.includes(r['error_code'] ?? ''));
        if (done.length !== 1 || lost.length !== 1 || done[0]!['order_no'] !== own[0]?.order_no) {
          problems.push(`${no}: A ${JSON.stringify(ra1)}, B ${JSON.stringify(rb1)}, orders ${JSON.stringify(own)}`);
          continue;
        }
        wins[done[0] === ra1 ? 'A' : 'B']++;
        const code = `${lost[0]!['error_code']}${/another run took the line first/.test(lost[0]!['error_message'] ?? '') ? ' (lost in the order transaction)' : ''}`;
        codes[code] = (codes[code] ?? 0) + 1;
      }
      expect(problems.slice(0, 10)).toEqual([]);
      console.info(
        `overlap (${variant.name}): A ${ra.ms} ms exit ${ra.code}, B ${rb.ms} ms exit ${rb.code}; overlapping rows won by A ${wins.A}, by B ${wins.B}; the other refused: ${JSON.stringify(codes)}`,
      );

      // The supplier holds what the store holds and got one change per subscription.
      const server = servers[servers.length - 1]!;
      const stats = server.simulator.stats();
      const quantities = await withStore(
        s.db,
        async (store) =>
          new Map(
            ((await knexOf(store)('contract_lines').select('subscription_id', 'quantity')) as { subscription_id: string; quantity: number }[]).map((r) => [
              r.subscription_id,
              Number(r.quantity),
            ]),
          ),
      );
      expect(
        Object.entries(stats.subscriptions)
          .filter(([sub, v]) => v.quantity !== quantities.get(sub))
          .slice(0, 5),
      ).toEqual([]);
      const keys = new Map<string, Set<string>>();
      for (const c of server.simulator.callLog())
        if (c.method === 'PATCH' && c.subscriptionId) keys.set(c.subscriptionId, (keys.get(c.subscriptionId) ?? new Set()).add(String(c.idempotencyKey)));
      expect([...keys].filter(([, k]) => k.size !== 1)).toEqual([]);
      expect(stats.byStatus['422'] ?? 0).toBe(0);
    }, 180_000);
  }
});

describe('two cancel runs at once whose files share request ids', () => {
  it('do each request id once and never crash', async () => {
    const s = await scenario('shared-request-ids');
    // The senders' own keys (依頼番号) collide across the two files, on different contracts:
    // a key seen before is not done twice, even when the other run is seeing it right now.
    const a = writeCancel(
      path.join(s.dir, 'a', 'a.csv'),
      range(1, 700).map((i) => ({ i, quantity: '1', request: `K-${i}` })),
    );
    const b = writeCancel(
      path.join(s.dir, 'b', 'b.csv'),
      range(701, 1400).map((i) => ({ i, quantity: '1', request: `K-${i - 700}` })),
    );
    const runA = startCli(cancelArgs(a, s.db, s.url), s.dir);
    const runB = startCli(cancelArgs(b, s.db, s.url), s.dir);
    const [ra, rb] = await Promise.all([runA.done, runB.done]);
    expectCleanExit(ra, 'run A', [0, 1]);
    expectCleanExit(rb, 'run B', [0, 1]);
    const resA = readCsv(a.replace(/\.csv$/, '.result.csv'));
    const resB = readCsv(b.replace(/\.csv$/, '.result.csv'));
    expect(resA.length).toBe(700);
    expect(resB.length).toBe(700);
    await withStore(s.db, async (store) => {
      expect(await integrityViolations(knexOf(store), original)).toEqual([]);
      const orders = new Map(
        (
          (await knexOf(store)('change_orders as o').join('contracts as c', 'c.id', 'o.contract_id').select('c.contract_no', 'o.order_no')) as {
            contract_no: string;
            order_no: string;
          }[]
        ).map((r) => [r.contract_no, r.order_no]),
      );
      const twice = range(1, 700).filter((k) => orders.has(contractNo(k)) && orders.has(contractNo(k + 700)));
      expect(twice.slice(0, 5), 'request ids done twice').toEqual([]);
      expect(Number(((await knexOf(store)('request_keys').count({ n: '*' }))[0] as { n: number }).n)).toBe(700);
    });
    const tally = (rows: CsvRow[]) => rows.reduce<Record<string, number>>((acc, r) => ((acc[r['result'] ?? ''] = (acc[r['result'] ?? ''] ?? 0) + 1), acc), {});
    console.info(`shared request ids: A exit ${ra.code} ${JSON.stringify(tally(resA))}, B exit ${rb.code} ${JSON.stringify(tally(resB))}`);
  }, 180_000);
});

describe('the same file submitted twice at once', () => {
  /** The loser must exit 2 naming the run that holds the file, or find everything already done. */
  function checkPair(first: { ran: Ran; pid: number; result: string }, second: { ran: Ran; pid: number; result: string }, rows: number): string {
    const [winner, loser] = first.ran.code === 2 ? [second, first] : [first, second];
    expectCleanExit(winner.ran, 'the run that processed the file', [0]);
    expectCleanExit(loser.ran, 'the other run', [0, 2]);
    if (loser.ran.code === 2) {
      expect(loser.ran.stderr).toMatch(/being processed by another run/);
      expect(loser.ran.stderr, 'names the other run (host:pid:user)').toContain(`:${winner.pid}:`);
      expect(loser.ran.stderr).toMatch(/nothing was done/);
      if (loser.result !== winner.result) expect(fs.existsSync(loser.result), 'the refused run wrote no report').toBe(false);
      return `the other exited 2 in ${loser.ran.ms} ms: ${loser.ran.stderr.trim()}`;
    }
    const results = readCsv(loser.result).map((r) => r['result']);
    expect(results).toEqual(Array.from({ length: rows }, () => 'already_done'));
    return 'the other ran after it and reported already_done';
  }

  it('is processed once: one set of orders, the other run refused or already done', async () => {
    const s = await scenario('same-file');
    // Two paths, identical bytes (recognised by content), then one path given twice.
    const rowsA = range(1, 700).map((i) => ({ i, quantity: i % 3 === 0 ? '' : String(1 + (i % 4)), request: `S-${i}` }));
    const copy1 = writeCancel(path.join(s.dir, 'x', 'nov.csv'), rowsA);
    const copy2 = path.join(s.dir, 'y', 'nov.csv');
    fs.mkdirSync(path.dirname(copy2));
    fs.copyFileSync(copy1, copy2);
    const same = writeCancel(
      path.join(s.dir, 'z', 'dec.csv'),
      range(701, 1400).map((i) => ({ i, quantity: '', request: '' })),
    );
    const notes: string[] = [];
    for (const [f1, f2] of [
      [copy1, copy2],
      [same, same],
    ] as const) {
      const r1 = startCli(cancelArgs(f1, s.db, s.url), s.dir);
      const r2 = startCli(cancelArgs(f2, s.db, s.url), s.dir);
      const [d1, d2] = await Promise.all([r1.done, r2.done]);
      notes.push(
        checkPair(
          { ran: d1, pid: r1.pid, result: f1.replace(/\.csv$/, '.result.csv') },
          { ran: d2, pid: r2.pid, result: f2.replace(/\.csv$/, '.result.csv') },
          700,
        ),
      );
    }
    console.info(`same file twice at once:\n  ${notes.join('\n  ')}`);
    await withStore(s.db, async (store) => {
      expect(await integrityViolations(knexOf(store), original)).toEqual([]);
      const perContract = (await knexOf(store)('change_orders as o')
        .join('contracts as c', 'c.id', 'o.contract_id')
        .groupBy('c.contract_no')
        .select('c.contract_no')
        .count({ n: '*' })) as { contract_no: string; n: number }[];
      expect(perContract.length).toBe(1400);
      expect(perContract.filter((r) => Number(r.n) !== 1)).toEqual([]);
      expect(Number(((await knexOf(store)('change_orders').whereNot({ status: 'completed' }).count({ n: '*' }))[0] as { n: number }).n)).toBe(0);
      const runs = (await knexOf(store)('runs').select('status', 'row_count')) as { status: string; row_count: number }[];
      expect(runs.filter((r) => r.status !== 'done')).toEqual([]);
      expect(await knexOf(store)('locks').select('name')).toEqual([]);
    });
  }, 180_000);
});
