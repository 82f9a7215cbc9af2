import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KaiyakuError } from '../../src/errors.js';
import { openStore, type Store } from '../../src/store/connect.js';
import { aPgSchema, PG_URL } from './pgSchema.js';
import { readOnlyUser } from './readOnlyUser.js';
import { knexOf } from '../../src/store/store.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-read-'));
// Readable by the read-only test user (mkdtemp makes 0700).
fs.chmodSync(tmp, 0o755);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let seq = 0;
/** A folder (0755) holding a migrated store with one marker row; the store is closed. */
async function aStoreFile(marker = 'marker'): Promise<{ dir: string; file: string }> {
  const dir = path.join(tmp, `s${++seq}`);
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, 'kaiyaku.db');
  const store = await openStore(file);
  try {
    await knexOf(store)('locks').insert({ name: marker, holder: 'h', acquired_at: 'a', heartbeat_at: 'b' });
  } finally {
    await store.close();
  }
  fs.chmodSync(file, 0o644);
  return { dir, file };
}

/** Runs SQL on a file with the bare driver (no pragmas of ours). */
async function rawSql(file: string, ...sql: string[]): Promise<unknown[]> {
  const db = knexFactory({ client: 'sqlite3', connection: { filename: file }, useNullAsDefault: true });
  try {
    const out: unknown[] = [];
    for (const s of sql) out.push(await db.raw(s));
    return out;
  } finally {
    await db.destroy();
  }
}

async function markers(store: Store): Promise<string[]> {
  return (await knexOf(store)('locks').orderBy('name').select('name')).map((r: { name: string }) => r.name);
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir).sort())
    out[f] = createHash('sha256')
      .update(fs.readFileSync(path.join(dir, f)))
      .digest('hex');
  return out;
}

async function refusal(open: Promise<Store>): Promise<KaiyakuError> {
  const error = await open.then(
    async (store) => {
      await store.close();
      throw new Error('the store opened');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KaiyakuError);
  return error as KaiyakuError;
}

describe('openStore with access read (SQLite)', () => {
  it('reads a current store and writes nothing: no migration or migration lock, no journal-mode change, no new file; writes are refused', async () => {
    const { dir, file } = await aStoreFile();
    // A rollback-journal database, and a migration lock left taken: neither may matter to a reader.
    await rawSql(file, 'PRAGMA journal_mode = DELETE', 'update knex_migrations_lock set is_locked = 1');
    const before = snapshot(dir);
    const store = await openStore(file, { access: 'read' });
    try {
      expect(store.access).toBe('read');
      expect(await markers(store)).toEqual(['marker']);
      expect(await knexOf(store).raw('PRAGMA journal_mode')).toEqual([{ journal_mode: 'delete' }]);
      await expect(knexOf(store)('locks').insert({ name: 'x', holder: 'h', acquired_at: 'a', heartbeat_at: 'b' })).rejects.toThrow(
        /readonly|read-only|query_only/i,
      );
    } finally {
      await store.close();
    }
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a file that does not exist, naming it and `contracts import`, and creates nothing', async () => {
    const dir = path.join(tmp, 'empty');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'nothing.db');
    const error = await refusal(openStore(file, { access: 'read' }));
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.words.en).toContain(`there is no database at ${file}`);
    expect(error.words.en).toContain('kaiyaku contracts import');
    expect(error.words.ja).toContain(file);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses a SQLite file that is not a kaiyaku store, and leaves it as it was', async () => {
    const dir = path.join(tmp, 'foreign');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'other.db');
    await rawSql(file, 'create table notes (body text)');
    const before = snapshot(dir);
    const error = await refusal(openStore(file, { access: 'read' }));
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.words.en).toMatch(/not a kaiyaku database/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a store whose schema is behind with SCHEMA_OUTDATED, telling the user to run kaiyaku migrate, and migrates nothing', async () => {
    const { file } = await aStoreFile();
    await rawSql(file, "delete from knex_migrations where name = '002_run_rows_cells_once'");
    const error = await refusal(openStore(file, { access: 'read' }));
    expect(error.code).toBe('SCHEMA_OUTDATED');
    expect(error.kind).toBe('unavailable');
    expect(error.words.en).toContain(`kaiyaku migrate --db ${file}`);
    expect(error.words.en).toContain('002_run_rows_cells_once');
    expect(error.words.ja).toContain(`kaiyaku migrate --db ${file}`);
    expect(await rawSql(file, "select count(*) as n from knex_migrations where name = '002_run_rows_cells_once'")).toEqual([[{ n: 0 }]]);
  });

  it('refuses a store migrated by a newer kaiyaku, for reading and for writing', async () => {
    const { file } = await aStoreFile();
    await rawSql(file, "insert into knex_migrations (name, batch, migration_time) values ('999_from_the_future', 9, 0)");
    for (const access of ['read', 'write'] as const) {
      const error = await refusal(openStore(file, { access }));
      expect(error.code).toBe('STORE_UNAVAILABLE');
      expect(error.words.en).toMatch(/newer version of kaiyaku.*999_from_the_future/);
    }
  });
});

const user = readOnlyUser();

/**
 * What a user who may read but not write the database (or its folder) sees. Set up as
 * ourselves; opened as that user (see readOnlyUser.ts).
 */
describe.skipIf(!user.available)(`read-only for this user${user.available ? '' : ` (skipped: ${user.reason})`}`, () => {
  beforeAll(async () => {
    // Load every module the opens below need while we may still read any folder.
    const { file } = await aStoreFile();
    await (await openStore(file, { access: 'read' })).close();
  });

  it('reads a WAL database that was closed cleanly from a folder it cannot write (no -shm to share)', async () => {
    const { dir, file } = await aStoreFile();
    expect(await rawSql(file, 'PRAGMA journal_mode')).toEqual([[{ journal_mode: 'wal' }]]);
    expect(fs.readdirSync(dir)).toEqual(['kaiyaku.db']);
    const names = await user.run(async () => {
      const store = await openStore(file, { access: 'read' });
      try {
        return await markers(store);
      } finally {
        await store.close();
      }
    });
    expect(names).toEqual(['marker']);
    expect(fs.readdirSync(dir)).toEqual(['kaiyaku.db']);
  });

  it('reads a WAL database that a writer has open, seeing what it committed', async () => {
    const { dir, file } = await aStoreFile();
    const writer = await openStore(file);
    try {
      await knexOf(writer)('locks').insert({ name: 'while open', holder: 'h', acquired_at: 'a', heartbeat_at: 'b' });
      for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
      expect(fs.readdirSync(dir).sort()).toEqual(['kaiyaku.db', 'kaiyaku.db-shm', 'kaiyaku.db-wal']);
      const read = () =>
        user.run(async () => {
          const store = await openStore(file, { access: 'read' });
          try {
            return await markers(store);
          } finally {
            await store.close();
          }
        });
      expect(await read()).toEqual(['marker', 'while open']);
      await knexOf(writer)('locks').insert({ name: 'later', holder: 'h', acquired_at: 'a', heartbeat_at: 'b' });
      expect(await read()).toEqual(['later', 'marker', 'while open']);
    } finally {
      await writer.close();
    }
  });

  it('refuses, with a KaiyakuError naming -shm, a WAL database whose log holds data but whose folder cannot take the -shm', async () => {
    const { file } = await aStoreFile();
    const copy = path.join(tmp, `s${++seq}`);
    fs.mkdirSync(copy);
    fs.chmodSync(copy, 0o755);
    const writer = await openStore(file);
    try {
      await knexOf(writer)('locks').insert({ name: 'only in the log', holder: 'h', acquired_at: 'a', heartbeat_at: 'b' });
      // What a copy taken while a writer was busy looks like: the database and its log, no -shm.
      fs.copyFileSync(file, path.join(copy, 'kaiyaku.db'));
      fs.copyFileSync(`${file}-wal`, path.join(copy, 'kaiyaku.db-wal'));
    } finally {
      await writer.close();
    }
    for (const f of fs.readdirSync(copy)) fs.chmodSync(path.join(copy, f), 0o644);
    expect(fs.statSync(path.join(copy, 'kaiyaku.db-wal')).size).toBeGreaterThan(0);
    const error = await user.run(() => refusal(openStore(path.join(copy, 'kaiyaku.db'), { access: 'read' })));
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.words.en).toMatch(/cannot read the database .*-shm/);
    expect(fs.readdirSync(copy).sort()).toEqual(['kaiyaku.db', 'kaiyaku.db-wal']);
  });

  it('refuses a database file it may not read with a KaiyakuError', async () => {
    const { file } = await aStoreFile();
    fs.chmodSync(file, 0o600);
    const error = await user.run(() => refusal(openStore(file, { access: 'read' })));
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.words.en).toContain(file);
  });

  it('opening a read-only database for writing is STORE_READ_ONLY, not a crash of the process (WAL and rollback journal)', async () => {
    const wal = await aStoreFile();
    const journal = await aStoreFile();
    await rawSql(journal.file, 'PRAGMA journal_mode = DELETE');
    for (const { file } of [wal, journal]) {
      const before = snapshot(path.dirname(file));
      const error = await user.run(() => refusal(openStore(file)));
      expect(error.code).toBe('STORE_READ_ONLY');
      expect(error.words.en).toBe(
        `cannot write the database ${file}: the file or its folder is read-only for this user (SQLITE_READONLY: attempt to write a readonly database)`,
      );
      expect(snapshot(path.dirname(file))).toEqual(before);
    }
  });
});

describe.skipIf(!PG_URL)('openStore with access read (PostgreSQL)', () => {
  it('refuses a schema without knex_migrations and creates nothing; refuses a schema behind; reads a current one in a read-only session', async () => {
    const schema = await aPgSchema(PG_URL!, 'read');
    try {
      const bare = await refusal(openStore(schema.url, { access: 'read' }));
      expect(bare.code).toBe('STORE_UNAVAILABLE');
      expect(bare.words.en).toMatch(/not a kaiyaku database/);
      expect((await schema.admin('pg_tables').where({ schemaname: schema.name }).count({ n: '*' }))[0]).toEqual({ n: '0' });

      const writer = await openStore(schema.url);
      await knexOf(writer)('locks').insert({ name: 'marker', holder: 'h', acquired_at: 'a', heartbeat_at: 'b' });
      await knexOf(writer)('knex_migrations').where({ name: '002_run_rows_cells_once' }).delete();
      await writer.close();
      const behind = await refusal(openStore(schema.url, { access: 'read' }));
      expect(behind.code).toBe('SCHEMA_OUTDATED');
      expect(behind.words.en).toContain('kaiyaku migrate --db');
      expect(await schema.admin(`${schema.name}.knex_migrations`).where({ name: '002_run_rows_cells_once' })).toEqual([]);

      await schema.admin(`${schema.name}.knex_migrations`).insert({ name: '002_run_rows_cells_once', batch: 1, migration_time: new Date() });
      const store = await openStore(schema.url, { access: 'read' });
      try {
        expect(await markers(store)).toEqual(['marker']);
        await expect(knexOf(store)('locks').insert({ name: 'x', holder: 'h', acquired_at: 'a', heartbeat_at: 'b' })).rejects.toMatchObject({ code: '25006' });
      } finally {
        await store.close();
      }
    } finally {
      await schema.drop();
    }
  });
});
