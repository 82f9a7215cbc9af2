/**
 * A night whose database connection is lost under it, or whose file fails in a way we cannot
 * name (issue 18, item 14): the night never ends with a stack trace. A lost connection is
 * retried (statements, transactions, then the file where it stopped); what retries cannot
 * save ends that file with a named error, left in the inbox for the next night, and the
 * night goes on and writes its summary.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CANCEL_OPTIONS, type PipelineDeps, type PipelineEvent } from '../../src/pipeline/context.js';
import { runInbox } from '../../src/nightly/runInbox.js';
import { openStore, type Store } from '../../src/store/connect.js';
import { loadSubscriptionSeeds } from '../../src/store/supplierSeeds.js';
import { createSimSupplier, type Supplier } from '../../src/supplier/index.js';
import { startCli } from '../support/cli.js';
import { generate, useTempDir } from '../support/setup.js';
import { integrityViolations, lineQuantities, readCsv } from '../crash/helpers.js';
import { startPgProxy } from '../support/pgProxy.js';
import { aPgSchema, PG_URL } from '../store/pgSchema.js';
import { knexOf } from '../../src/store/store.js';
import { importContracts } from '../support/inProcess.js';

const CONTRACTS = 3000;
const tmp = useTempDir('kaiyaku-lost-').dir;
const gen = await generate({ rows: CONTRACTS, out: path.join(tmp, 'gen') });
const cancelLines = fs.readFileSync(gen.cancel, 'utf8').trimEnd().split('\n');

/** An inbox of three settled files of a thousand rows each (every contract once). */
function inboxOfThree(dir: string): string {
  const inbox = path.join(dir, 'inbox');
  fs.mkdirSync(inbox, { recursive: true });
  const old = new Date(Date.now() - 3600_000);
  for (let f = 0; f < 3; f++) {
    const file = path.join(inbox, `f${f + 1}.csv`);
    fs.writeFileSync(file, `${[cancelLines[0], ...cancelLines.slice(1 + f * 1000, 1 + (f + 1) * 1000)].join('\n')}\n`);
    fs.utimesSync(file, old, old);
  }
  return inbox;
}

const nightArgs = (inbox: string, db: string, summary: string) => [
  'cancel',
  '--inbox',
  inbox,
  '--db',
  db,
  '--supplier',
  'sim',
  '--sim-latency-ms',
  '2',
  '--summary-json',
  summary,
  '--lang',
  'en',
  '--report-encoding',
  'utf8',
  '--log-format',
  'json',
];

interface NightJson {
  exitCode: number;
  files: { file: string; status: string; reason: string | null }[];
}

/** After one or two nights: every file archived, every contract cancelled once as asked, the store sound. */
async function expectAllDone(dir: string, inbox: string, db: string, original: Map<number, number>): Promise<void> {
  expect(fs.readdirSync(inbox).filter((n) => n.endsWith('.csv'))).toEqual([]);
  const results = ['f1', 'f2', 'f3'].flatMap((f) => readCsv(path.join(inbox, 'archive', `${f}.result.csv`)));
  expect(results).toHaveLength(CONTRACTS);
  expect(results.filter((r) => r['result'] !== 'completed' && r['result'] !== 'already_done').slice(0, 3)).toEqual([]);
  const store = await openStore(db);
  try {
    expect(await integrityViolations(knexOf(store), original)).toEqual([]);
    const orders = (await knexOf(store)('change_orders').select('contract_id', 'status')) as { contract_id: number; status: string }[];
    expect(orders).toHaveLength(CONTRACTS);
    expect(new Set(orders.map((o) => o.contract_id)).size).toBe(CONTRACTS);
    expect(orders.every((o) => o.status === 'completed')).toBe(true);
    expect(await knexOf(store)('locks').select('name')).toEqual([]);
  } finally {
    await store.close();
  }
  expect(fs.existsSync(path.join(dir, 'night.json'))).toBe(true);
}

describe.skipIf(!PG_URL)('a night on PostgreSQL whose connections are lost', () => {
  let schema: Awaited<ReturnType<typeof aPgSchema>>;
  let original = new Map<number, number>();
  beforeAll(async () => {
    schema = await aPgSchema(PG_URL!, 'lostnight');
  });
  afterAll(async () => {
    await schema?.drop();
  });

  /** A fresh copy of the contracts in a schema of the test's own. */
  async function freshStore(): Promise<void> {
    await schema.admin.raw(`drop schema if exists ${schema.name} cascade`);
    await schema.admin.raw(`create schema ${schema.name}`);
    // A set-up step, in this process (test/support/inProcess.ts): the commands under test run the real CLI.
    await importContracts(schema.url, gen.contracts);
    const store = await openStore(schema.url);
    original = await lineQuantities(knexOf(store));
    await store.close();
  }

  it('every backend of the night terminated again and again: the night ends with its summary, and the next night finishes the work', async () => {
    await freshStore();
    const dir = path.join(tmp, 'terminated');
    const inbox = inboxOfThree(dir);
    const app = `kaiyaku_night_${process.pid}`;
    const db = `${schema.url}&application_name=${app}`;
    const night = startCli(nightArgs(inbox, db, path.join(dir, 'night.json')), dir);
    let terminated = 0;
    // Every 250 ms for the first 20 rounds: every phase of the night loses connections, and it still ends in time.
    for (let round = 0; round < 20 && !night.exited(); round++) {
      await sleep(250);
      const r = (await schema.admin.raw('select count(pg_terminate_backend(pid)) as n from pg_stat_activity where application_name = ?', [app])) as {
        rows: { n: string }[];
      };
      terminated += Number(r.rows[0]!.n);
    }
    const first = await night.done;
    expect([0, 1], first.stderr).toContain(first.code);
    expect(first.stderr).not.toMatch(/unexpected|予期しない|\n\s+at /);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'night.json'), 'utf8')) as NightJson;
    expect(summary.exitCode).toBe(first.code);
    console.info(
      `terminated ${terminated} backends; first night exit ${first.code}: ${JSON.stringify(summary.files.map((f) => [f.file, f.status, f.reason]))}`,
    );
    expect(terminated).toBeGreaterThan(3);

    fs.rmSync(path.join(dir, 'night.json'));
    const next = await startCli(nightArgs(inbox, schema.url, path.join(dir, 'night.json')), dir).done;
    expect(next.code, next.stderr).toBe(0);
    await expectAllDone(dir, inbox, schema.url, original);
  }, 180_000);

  it('a restart mid-night (connections cut, new ones refused for 3 s) is waited out: the night finishes every file, exit 0', async () => {
    await freshStore();
    const dir = path.join(tmp, 'restart');
    const inbox = inboxOfThree(dir);
    const proxy = await startPgProxy(PG_URL!);
    try {
      const night = startCli(nightArgs(inbox, proxy.through(schema.url), path.join(dir, 'night.json')), dir);
      // Once the second file is under way.
      for (let i = 0; i < 600 && !fs.existsSync(path.join(inbox, 'archive', 'f1.csv')) && !night.exited(); i++) await sleep(50);
      await proxy.outage(3000);
      const r = await night.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/unexpected|予期しない|\n\s+at /);
    } finally {
      await proxy.close();
    }
    await expectAllDone(dir, inbox, schema.url, original);
  }, 180_000);
});

describe('a file that fails in a way the night cannot name (in process, SQLite)', () => {
  const stores: Store[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
  });

  /** A store of its own with the generated contracts, and each line's quantity. */
  async function freshStore(name: string): Promise<{ store: Store; original: Map<number, number> }> {
    const db = path.join(tmp, `${name}.db`);
    await importContracts(db, gen.contracts);
    const store = await openStore(db);
    stores.push(store);
    return { store, original: await lineQuantities(knexOf(store)) };
  }

  /**
   * The night's dependencies, with a supplier whose first openings fail with `failures`,
   * one each: each fails the file (or the resume) that links next.
   */
  function depsFailing(store: Store, failures: Error[], events: PipelineEvent[] = []): PipelineDeps {
    let supplier: Supplier | null = null;
    return {
      store,
      clock: () => new Date(),
      operator: 'lost-test',
      supplierName: 'sim',
      log: (e) => events.push(e),
      supplier: async () => {
        const failure = failures.shift();
        if (failure) throw failure;
        supplier ??= createSimSupplier({ latencyMs: 0, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 5 }, await loadSubscriptionSeeds(knexOf(store)), {
          timeoutMs: 5_000,
          maxAttempts: 3,
          baseDelayMs: 1,
          maxDelayMs: 5,
        });
        return supplier;
      },
    };
  }

  const nightOptions = (inbox: string, lang: 'en' | 'ja' = 'en') => ({
    inbox,
    archive: null,
    reports: null,
    settleMs: 0,
    lockStaleMs: 600_000,
    cancel: { ...DEFAULT_CANCEL_OPTIONS, lang, reportEncoding: 'utf8' as const },
  });
  const lost = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
  const named = (events: PipelineEvent[], name: string) =>
    events.filter((e): e is Extract<PipelineEvent, { kind: 'event' }> => e.kind === 'event' && e.name === name);

  it('ends that file with a named error, leaves it in the inbox, runs the others and returns its summary; the next nights finish it', async () => {
    const { store, original } = await freshStore('unnamed');
    const inbox = inboxOfThree(path.join(tmp, 'unnamed'));
    const events: PipelineEvent[] = [];
    // f1 fails on something we cannot name; f2 loses its connection on every attempt.
    const night = await runInbox(
      depsFailing(store, [new TypeError("Cannot read properties of undefined (reading 'x')"), lost(), lost(), lost()], events),
      nightOptions(inbox),
    );
    expect(night.exitCode).toBe(1);
    expect(night.files.map((f) => [f.file, f.status, f.exitCode])).toEqual([
      ['f1.csv', 'left_for_later', 1],
      ['f2.csv', 'left_for_later', 1],
      ['f3.csv', 'archived', 0],
    ]);
    expect(night.files[0]!.reason).toBe(
      "WORK_INTERRUPTED: stopped by a failure kaiyaku cannot name (Cannot read properties of undefined (reading 'x')): the file stays in the inbox, and the next night goes on where it stopped (what was done is not done twice)",
    );
    expect(night.files[1]!.reason).toMatch(
      /^STORE_CONNECTION_LOST: the connection to the database was lost and did not come back \(terminating connection due to administrator command\): the file stays in the inbox/,
    );
    expect(named(events, 'file.retried')).toHaveLength(2);
    expect(named(events, 'file.interrupted').map((e) => e.data?.['code'])).toEqual(['WORK_INTERRUPTED', 'STORE_CONNECTION_LOST']);
    expect(
      fs
        .readdirSync(inbox)
        .filter((n) => n.endsWith('.csv'))
        .sort(),
    ).toEqual(['f1.csv', 'f2.csv']);

    // The next night's resume of their open orders fails in turn (in Japanese this time): the
    // files run all the same, and the night says why it is not wholly done.
    const next = await runInbox(depsFailing(store, [new TypeError('boom')]), nightOptions(inbox, 'ja'));
    expect(next.resume.error).toBe('WORK_INTERRUPTED: 想定外のエラーで止まりました（boom）。未完了の注文は次回の夜間実行で再開します');
    expect(next.files.map((f) => [f.file, f.status, f.exitCode])).toEqual([
      ['f1.csv', 'archived', 0],
      ['f2.csv', 'archived', 0],
    ]);
    expect(next.exitCode).toBe(1);

    const last = await runInbox(depsFailing(store, []), nightOptions(inbox));
    expect(last.exitCode).toBe(0);
    expect(fs.readdirSync(inbox).filter((n) => n.endsWith('.csv'))).toEqual([]);
    expect(await integrityViolations(knexOf(store), original)).toEqual([]);
    const orders = (await knexOf(store)('change_orders').select('contract_id', 'status')) as { contract_id: number; status: string }[];
    expect(new Set(orders.map((o) => o.contract_id)).size).toBe(CONTRACTS);
    expect(orders.filter((o) => o.status !== 'completed')).toEqual([]);
  }, 180_000);

  it('a connection lost once is taken up again at once: the file is archived that night', async () => {
    const { store, original } = await freshStore('once');
    const inbox = inboxOfThree(path.join(tmp, 'once'));
    const events: PipelineEvent[] = [];
    const night = await runInbox(depsFailing(store, [lost()], events), nightOptions(inbox));
    expect(night.exitCode).toBe(0);
    expect(night.files.map((f) => [f.file, f.status])).toEqual([
      ['f1.csv', 'archived'],
      ['f2.csv', 'archived'],
      ['f3.csv', 'archived'],
    ]);
    expect(named(events, 'file.retried')).toHaveLength(1);
    expect(await integrityViolations(knexOf(store), original)).toEqual([]);
  }, 180_000);
});
