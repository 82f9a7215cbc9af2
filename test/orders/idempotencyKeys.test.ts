import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { describe, expect, it } from 'vitest';
import { resumeOpenOrders } from '../../src/orders/orderSteps.js';
import { runCancelFile } from '../../src/cancel/runCancel.js';
import { transact } from '../../src/store/retry.js';
import { prepareLinesToSend } from '../../src/store/orderRepository.js';
import { loadSubscriptionSeeds } from '../../src/store/supplierSeeds.js';
import {
  createHttpSupplier,
  createSupplierClient,
  startSupplierServer,
  TransportError,
  type RetryPolicy,
  type SimKnobs,
  type SupplierServer,
  type Transport,
} from '../../src/supplier/index.js';
import { createHttpTransport } from '../../src/supplier/transport.js';
import { aPgSchema, PG_URL } from '../store/pgSchema.js';
import { generate, useTempDir } from '../support/setup.js';
import { cancelOptions, contractNo, importGenerated, lineStates, makeDeps, storeLines, type TestDeps } from './harness.js';
import { knexOf } from '../../src/store/store.js';

const tmp = useTempDir('kaiyaku-keys-');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FAST: Partial<RetryPolicy> = { timeoutMs: 2_000, maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 };
const HEALTHY: SimKnobs = { latencyMs: 1, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 9 };

/** A store that can be backed up and restored whole, as an operator would (file copy; dump and reload). */
interface Backend {
  spec: string;
  backup(deps: TestDeps): Promise<void>;
  /** Closes `deps`, puts the backup in place of the store, and opens it again. */
  restore(deps: TestDeps): Promise<TestDeps>;
  drop(): Promise<void>;
}

function sqliteBackend(dir: string): Backend {
  const spec = path.join(dir, 'store.db');
  const saved = path.join(dir, 'backup.db');
  return {
    spec,
    async backup(deps) {
      await knexOf(deps.store).raw('vacuum into ?', [saved]);
    },
    async restore(deps) {
      await deps.close();
      for (const suffix of ['-wal', '-shm']) fs.rmSync(spec + suffix, { force: true });
      fs.copyFileSync(saved, spec);
      return makeDeps(spec);
    },
    drop: async () => undefined,
  };
}

/**
 * PostgreSQL in a schema of its own: the backup is a copy of every table and sequence
 * position (as pg_dump keeps them); the restore empties the tables, reloads them parents
 * first and puts the sequences back, so ids are handed out again from where the backup was.
 */
async function pgBackend(label: string): Promise<Backend> {
  const schema = await aPgSchema(PG_URL!, label);
  let tables: string[] = [];
  let sequences: { name: string; last_value: string | null }[] = [];
  return {
    spec: schema.url,
    async backup(deps) {
      const db = knexOf(deps.store);
      tables = (
        await db.raw(
          `select table_name as t from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name not like 'knex%' and table_name not like 'bk_%'`,
        )
      ).rows.map((r: { t: string }) => r.t);
      for (const t of tables) await db.raw(`create table "bk_${t}" as select * from "${t}"`);
      sequences = (await db.raw(`select sequencename as name, last_value from pg_sequences where schemaname = current_schema()`)).rows;
    },
    async restore(deps) {
      await knexOf(deps.store).transaction(async (trx) => {
        await trx.raw(`truncate ${tables.map((t) => `"${t}"`).join(', ')} cascade`);
        for (const t of await parentsFirst(trx, tables)) await trx.raw(`insert into "${t}" select * from "bk_${t}"`);
        for (const s of sequences) await trx.raw('select setval(?, ?, ?)', [s.name, s.last_value ?? 1, s.last_value !== null]);
      });
      await deps.close();
      return makeDeps(schema.url);
    },
    drop: () => schema.drop(),
  };
}

async function parentsFirst(db: Knex.Transaction, tables: readonly string[]): Promise<string[]> {
  const edges = (
    await db.raw(
      `select conrelid::regclass::text as child, confrelid::regclass::text as parent from pg_constraint where contype = 'f' and connamespace = current_schema()::regnamespace`,
    )
  ).rows as { child: string; parent: string }[];
  const out: string[] = [];
  const visit = (t: string, seen: Set<string>): void => {
    if (out.includes(t) || seen.has(t)) return;
    seen.add(t);
    for (const e of edges) if (e.child === t && e.parent !== t) visit(e.parent, seen);
    out.push(t);
  };
  for (const t of tables) visit(t, new Set());
  return out;
}

/** A cancellation file: each of contracts 1..rows by `quantity`, with request ids `<tag>-i`. */
function cancelFile(dir: string, name: string, rows: number, quantity: number, tag: string): string {
  const file = path.join(dir, name);
  const lines = ['契約番号,商品コード,解約数,依頼番号', ...Array.from({ length: rows }, (_, i) => `${contractNo(i + 1)},O365-E1,${quantity},${tag}-${i + 1}`)];
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** An HTTP supplier that writes down every Idempotency-Key it sends, by subscription. */
function keyRecording(url: string, keys: Map<string, string[]>, options: { down?: () => boolean } = {}) {
  const http = createHttpTransport(url);
  const transport: Transport = async (req, signal) => {
    const key = req.headers['idempotency-key'];
    if (key !== undefined) {
      const sub = decodeURIComponent(req.path.split('/').pop() ?? '');
      keys.set(sub, [...(keys.get(sub) ?? []), key]);
    }
    // Down for changes only: the GET before each change is answered, so the changes leave.
    if (options.down?.() && req.method === 'PATCH') throw new TransportError('dropped', 'connection dropped (ECONNREFUSED)');
    return http.transport(req, signal);
  };
  return createSupplierClient(transport, FAST, { onClose: () => http.close() });
}

async function restoredStoreScenario(backend: Backend, dir: string): Promise<void> {
  const rows = 12;
  const gen = await generate({ rows, out: dir, prefix: 'BKP' });
  let deps = await makeDeps(backend.spec);
  let server: SupplierServer | null = null;
  try {
    await importGenerated(deps, gen);
    server = await startSupplierServer({ port: 0, knobs: HEALTHY, seeds: await loadSubscriptionSeeds(knexOf(deps.store)) });
    const url = server.url;
    await backend.backup(deps);

    // Before the restore: each contract 5 → 4, linked at the supplier.
    deps.setSupplier(() => createHttpSupplier(url, FAST));
    const lost = await runCancelFile(deps, cancelFile(dir, 'before.csv', rows, 1, 'A'), cancelOptions());
    expect(lost.counts.completed).toBe(rows);
    const lostLines = await lineStates(deps.store);

    // The store is restored from the backup: those orders never happened here, and the
    // ids of the new ones start again where the backup left off.
    deps = await backend.restore(deps);
    expect(await lineStates(deps.store)).toEqual([]);
    // The supplier still holds 4 seats: asked first, it would refuse every new change as
    // SUPPLIER_QUANTITY_MISMATCH (the store's 5 is not what it holds). Here the seats are
    // put back at the supplier, which still remembers every key it was sent.
    server.simulator.seed(await loadSubscriptionSeeds(knexOf(deps.store)));

    // New changes, 5 → 3, first against a supplier that is down (their keys are written
    // down as they leave), then resumed against the same supplier as before the restore.
    const keysSent = new Map<string, string[]>();
    let down = true;
    deps.setSupplier(() => keyRecording(url, keysSent, { down: () => down }));
    const stuck = await runCancelFile(deps, cancelFile(dir, 'after.csv', rows, 2, 'B'), cancelOptions({ concurrency: 4 }));
    expect(stuck.counts.pending).toBe(rows);
    const newLines = await lineStates(deps.store);
    // Same ids as the lost lines: `order-line-<id>` would have named two different changes.
    expect(newLines.map((l) => l.orderLineId)).toEqual(lostLines.map((l) => l.orderLineId));
    for (const l of [...lostLines, ...newLines]) expect(l.idempotencyKey).toMatch(UUID);
    const lostKeys = new Set(lostLines.map((l) => l.idempotencyKey));
    for (const l of newLines) expect(lostKeys.has(l.idempotencyKey)).toBe(false);

    down = false;
    const resumed = await resumeOpenOrders(deps, { until: 'completed', concurrency: 4, confirmUnsettled: false });
    expect(resumed.counts).toMatchObject({ settled: rows, confirmed: rows, rejected: 0, unavailable: 0 });

    // Every key each line sent, before and after the resume, is the key it was created with.
    for (const l of newLines) {
      const sent = keysSent.get(l.subscriptionId) ?? [];
      expect(sent.length).toBeGreaterThanOrEqual(1);
      expect(new Set(sent)).toEqual(new Set([l.idempotencyKey]));
    }
    // Some lines were retried with it (sent while down, then again on resume).
    expect([...keysSent.values()].some((k) => k.length > 1)).toBe(true);

    const stats = server.simulator.stats();
    expect(stats.byStatus['422'] ?? 0).toBe(0);
    for (const c of server.simulator.callLog()) expect(c.status).toBe(200);
    const store = await storeLines(deps.store);
    for (const [sub, l] of store) {
      expect(l.quantity).toBe(3);
      expect(stats.subscriptions[sub]?.quantity).toBe(3);
    }
    expect((await lineStates(deps.store)).map((l) => l.idempotencyKey)).toEqual(newLines.map((l) => l.idempotencyKey));
  } finally {
    await server?.close();
    await deps.close();
  }
}

/**
 * A store from before keys were stored: migration 003 is taken back (column dropped, row in
 * knex_migrations deleted) after some lines were "sent", and the store opened again.
 */
async function migrationScenario(spec: string, dir: string): Promise<void> {
  const rows = 6;
  const gen = await generate({ rows, out: dir, prefix: 'MIG' });
  let deps = await makeDeps(spec);
  let server: SupplierServer | null = null;
  try {
    await importGenerated(deps, gen);
    await runCancelFile(deps, gen.cancel, cancelOptions({ until: 'accepted' }));
    const lines = await lineStates(deps.store);
    expect(lines).toHaveLength(rows);
    const [sentUnanswered, linked, ...neverSent] = lines;
    await knexOf(deps.store)('order_lines')
      .where({ id: sentUnanswered!.orderLineId })
      .update({ sent_at: '2026-11-01 10:00:00', linkage_code: 'SUPPLIER_UNAVAILABLE' });
    await knexOf(deps.store)('order_lines').where({ id: linked!.orderLineId }).update({ sent_at: '2026-11-01 10:00:00', linkage_status: 'linked' });
    await knexOf(deps.store).schema.alterTable('order_lines', (t) => t.dropUnique(['idempotency_key'], 'order_lines_idempotency_key_unique'));
    await knexOf(deps.store).raw('alter table order_lines drop column idempotency_key');
    await knexOf(deps.store)('knex_migrations').where({ name: '003_order_line_idempotency_keys' }).delete();
    await deps.close();

    deps = await makeDeps(spec); // migrates
    const migrated = await lineStates(deps.store);
    // A line that may have been sent keeps the key it was sent with; one never sent has none yet.
    expect(migrated.find((l) => l.orderLineId === sentUnanswered!.orderLineId)?.idempotencyKey).toBe(`order-line-${sentUnanswered!.orderLineId}`);
    expect(migrated.find((l) => l.orderLineId === linked!.orderLineId)?.idempotencyKey).toBe(`order-line-${linked!.orderLineId}`);
    for (const l of neverSent) expect(migrated.find((m) => m.orderLineId === l.orderLineId)?.idempotencyKey).toBeNull();

    // A run whose circuit is open asks for the keys only: they are filled, nothing is marked sent.
    const ids = [sentUnanswered!.orderLineId, ...neverSent.map((l) => l.orderLineId)];
    const peek = await transact(deps.store, (trx) => prepareLinesToSend(trx, ids, '2026-11-02 09:00:00', { mark: false }));
    expect(peek.marked).toEqual([]);
    expect(
      (await lineStates(deps.store))
        .filter((l) => l.sentAt !== null)
        .map((l) => l.orderLineId)
        .sort((a, b) => a - b),
    ).toEqual([sentUnanswered!.orderLineId, linked!.orderLineId].sort((a, b) => a - b));
    // A run gets as far as writing keys and sent_at, and is killed before any call leaves.
    const prepared = await transact(deps.store, (trx) => prepareLinesToSend(trx, ids, '2026-11-02 10:00:00'));
    expect(prepared.keys).toEqual(peek.keys);
    expect(prepared.marked.sort((a, b) => a - b)).toEqual(neverSent.map((l) => l.orderLineId).sort((a, b) => a - b));
    expect(prepared.keys.get(sentUnanswered!.orderLineId)).toBe(`order-line-${sentUnanswered!.orderLineId}`);
    for (const l of neverSent) expect(prepared.keys.get(l.orderLineId)).toMatch(UUID);
    // Asked again (another run, the same line): the same keys, nothing marked twice.
    const again = await transact(deps.store, (trx) => prepareLinesToSend(trx, ids, '2026-11-03 10:00:00'));
    expect(again.marked).toEqual([]);
    expect(again.keys).toEqual(prepared.keys);

    // The resume sends each line with the key it was prepared with.
    server = await startSupplierServer({ port: 0, knobs: HEALTHY, seeds: await loadSubscriptionSeeds(knexOf(deps.store)) });
    const url = server.url;
    deps.setSupplier(() => createHttpSupplier(url, FAST));
    // The run stopped at 受付 on purpose (--until accepted): the operator moves its orders on.
    await resumeOpenOrders(deps, { until: 'completed', concurrency: 4, confirmUnsettled: false, includeParked: true });
    const sentKeys = new Map(
      server.simulator
        .callLog()
        .filter((c) => c.method === 'PATCH')
        .map((c) => [c.subscriptionId, c.idempotencyKey]),
    );
    expect(sentKeys.size).toBe(ids.length);
    for (const l of [sentUnanswered!, ...neverSent]) expect(sentKeys.get(l.subscriptionId)).toBe(prepared.keys.get(l.orderLineId));

    // The store keeps keys unique.
    const [one, two] = neverSent;
    await expect(
      knexOf(deps.store)('order_lines')
        .where({ id: two!.orderLineId })
        .update({ idempotency_key: prepared.keys.get(one!.orderLineId) }),
    ).rejects.toThrow(/unique|UNIQUE/);
  } finally {
    await server?.close();
    await deps.close();
  }
}

describe('idempotency keys are the lines own, beyond one store', () => {
  it('SQLite: after a restore from a backup, new lines reuse ids but not keys; no IDEMPOTENCY_KEY_REUSED; a retried line keeps its key', async () => {
    const dir = tmp.make('restore-sqlite');
    await restoredStoreScenario(sqliteBackend(dir), dir);
  });

  it('SQLite: migration 003 keeps the key of lines that may have been sent; other lines get theirs before they first leave', async () => {
    const dir = tmp.make('migrate-sqlite');
    await migrationScenario(path.join(dir, 'store.db'), dir);
  });
});

describe.skipIf(!PG_URL)('idempotency keys on PostgreSQL', () => {
  it('after a restore from a backup: no IDEMPOTENCY_KEY_REUSED; a retried line keeps its key', async () => {
    const backend = await pgBackend('keys_restore');
    try {
      await restoredStoreScenario(backend, tmp.make('restore-pg'));
    } finally {
      await backend.drop();
    }
  });

  it('migration 003 and keys filled before the first send', async () => {
    const schema = await aPgSchema(PG_URL!, 'keys_migrate');
    try {
      await migrationScenario(schema.url, tmp.make('migrate-pg'));
    } finally {
      await schema.drop();
    }
  });
});
