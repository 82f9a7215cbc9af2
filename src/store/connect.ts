import path from 'node:path';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import type { Knex } from 'knex';
import { diskFull, diskFullError, KaiyakuError, usageError } from '../errors.js';
import { migrationSource } from './migrations.js';
import { withBusyRetry } from './retry.js';
import { knexOf, storeOf, type Handle, type Store, type StoreAccess } from './store.js';
import { say } from '../messages/index.js';

export type { Store, StoreAccess };

const requireLazily = createRequire(import.meta.url);

/**
 * knex, loaded when a store is first opened rather than when this module is: a CLI
 * command that ends before opening one (`--help`, a refused argument) never pays for it.
 */
function knexFactory(config: Knex.Config): Knex {
  return (requireLazily('knex') as typeof import('knex').knex)(config);
}

export interface OpenStoreOptions {
  /** 'write' (default): applies pending migrations (unless `migrate: false`). 'read': see {@link openStore}. */
  access?: StoreAccess;
  /** With access 'write' only: `false` opens without migrating (`kaiyaku migrate` reports what it applies itself). */
  migrate?: boolean;
  /**
   * With access 'write' only: whether a new store may be made here (default true). With
   * `false` the spec must name an existing kaiyaku store (a SQLite file, a PostgreSQL
   * database with knex's migration table), else STORE_UNAVAILABLE and nothing is created;
   * one whose schema is behind is still migrated. The CLI makes stores only in
   * `contracts import`, `migrate` and `demo`: a mistyped --db elsewhere must not become
   * an empty store in which every row is CONTRACT_NOT_FOUND.
   */
  create?: boolean;
  /**
   * A dry run's scratch SQLite store: its staged rows point at orders of the real store, so
   * foreign keys are not checked in it.
   */
  scratch?: boolean;
}

export const DEFAULT_DB = './kaiyaku.db';

/**
 * The store a command uses: `--db`, else KAIYAKU_DB, else ./kaiyaku.db. An empty value is
 * refused rather than taken for a database: SQLite reads '' as a private temporary
 * database that vanishes at exit, and an empty KAIYAKU_DB is what cron makes of an unset
 * variable, so a job would "succeed" against nothing.
 */
export function resolveDbSpec(explicit: string | undefined): string {
  if (explicit !== undefined) {
    if (explicit.trim() === '') {
      throw usageError(say('store.dbEmpty'));
    }
    return explicit;
  }
  const fromEnv = process.env['KAIYAKU_DB'];
  if (fromEnv !== undefined) {
    if (fromEnv.trim() === '') {
      throw usageError(say('store.dbVariableEmpty'));
    }
    return fromEnv;
  }
  return DEFAULT_DB;
}

function isPostgresSpec(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/** The SQLite file a spec names (`sqlite:` prefix allowed). */
function sqliteFile(spec: string): string {
  return spec.startsWith('sqlite:') ? spec.slice('sqlite:'.length) : spec;
}

/**
 * Opens the store. SQLite by default; a postgres:// URL selects PostgreSQL through the
 * same queries (the `pg` driver must be installed).
 *
 * - access 'write' (default): creates a missing SQLite file and applies pending
 *   migrations (unless `migrate: false`).
 * - access 'read': writes nothing, ever. SQLite opens the file read-only, changes no
 *   journal mode and never creates the file; neither dialect migrates or takes the
 *   migration lock, and the session refuses writes. The store must already be a kaiyaku
 *   store with every migration of this version applied: else STORE_UNAVAILABLE (no such
 *   file, not a kaiyaku store, made by a newer version) or SCHEMA_OUTDATED (run
 *   `kaiyaku migrate`).
 *
 * Every failure is a KaiyakuError; none leaves a connection open.
 */
export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<Store> {
  const access = options.access ?? 'write';
  const use = { migrateOnOpen: options.migrate !== false, create: access === 'read' ? false : options.create !== false, foreignKeys: options.scratch !== true };
  if (isPostgresSpec(spec)) return openPostgres(spec, access, use);
  return openSqlite(spec, access, use);
}

/** How a store is opened for writing: migrated on open, and whether it may be made. */
interface WriteUse {
  migrateOnOpen: boolean;
  create: boolean;
  /** SQLite: whether foreign keys are enforced (all but a dry run's scratch store). */
  foreignKeys: boolean;
}

async function openPostgres(spec: string, access: StoreAccess, use: WriteUse): Promise<Store> {
  let db: Knex;
  try {
    db = knexFactory({
      client: 'pg',
      connection: spec,
      pool: {
        min: 0,
        max: 10,
        // A read store cannot write even by mistake: the session's transactions are read-only.
        ...(access === 'read'
          ? {
              afterCreate: (conn: PgConnection, done: (err: Error | null, conn: unknown) => void) =>
                void conn.query('set session characteristics as transaction read only').then(
                  () => done(null, conn),
                  (err: Error) => done(err, conn),
                ),
            }
          : {}),
      },
      log: knexLog,
    });
  } catch (cause) {
    const why = (cause as Error).message.split('\n')[0];
    throw new KaiyakuError('STORE_UNAVAILABLE', say('store.postgresUnusable', { redact: redact(spec), why: String(why) }), { cause });
  }
  retryReadsOnLostConnection(db);
  const handle: Handle = { db, dialect: 'postgres', location: spec, access, close: () => db.destroy() };
  await prepare(handle, use);
  return storeOf(handle);
}

/**
 * A PostgreSQL connection can be lost under a running command (a server restart, a
 * terminated backend, a network reset). knex's pool then drops the dead connection and
 * opens a new one; what failed is the statement that was using it. Transactions are
 * retried whole by `transact`. A read outside a transaction has no effect to repeat, so
 * it is run again here, on a new connection, as `transact` would (withBusyRetry's bounds).
 * Writes outside a transaction are not: one may have been committed before the answer was
 * lost, and only its caller knows whether running it again is harmless.
 */
function retryReadsOnLostConnection(db: Knex): void {
  const client = db.client as { runner(builder: unknown): { run(): Promise<unknown> } };
  const runnerOf = client.runner.bind(client);
  client.runner = (builder) => {
    const runner = runnerOf(builder);
    // A runner keeps the connection it used: each attempt gets a runner of its own.
    if (isRead(builder)) runner.run = () => withBusyRetry(() => runnerOf(builder).run());
    return runner;
  };
}

/** A query builder's SELECT (first, pluck and count included) or a raw SELECT. */
function isRead(builder: unknown): boolean {
  const b = builder as { _method?: unknown; sql?: unknown };
  if (typeof b._method === 'string') return b._method === 'select' || b._method === 'first' || b._method === 'pluck';
  return typeof b.sql === 'string' && /^\s*select\b/i.test(b.sql);
}

async function openSqlite(spec: string, access: StoreAccess, use: WriteUse): Promise<Store> {
  const file = sqliteFile(spec);
  // Neither a read nor a write that may not create ever makes a file: SQLite's read-only open would not, but say why.
  if ((access === 'read' || !use.create) && !fs.existsSync(file)) throw noStoreAt(file);
  if (access === 'write' && !use.create) await requireSqliteStore(spec, file);
  if (access === 'read') {
    const handle = sqliteStore(spec, file, 'read', false);
    try {
      await prepare(handle, READ_ONLY);
      return storeOf(handle);
    } catch (error) {
      // A WAL database whose folder this process cannot write: SQLite needs the -shm file
      // beside it, and cannot create it. With no WAL content left (the last writer closed
      // cleanly and checkpointed), the file alone is the whole database, and SQLite reads it
      // as immutable (no -shm, no locks). Only a writer with more rights than ours could
      // change it meanwhile; its changes go to its -wal first, and only a checkpoint while
      // this store is open could give this reader a mixed view (a listing, never a write).
      if (!isSqliteOpenRefusal(driverError(error))) throw error;
      if (!walWithoutContent(file)) throw readFailure(driverError(error), file);
      const immutable = sqliteStore(spec, file, 'read', true);
      try {
        await prepare(immutable, READ_ONLY);
        return storeOf(immutable);
      } catch (again) {
        throw isSqliteOpenRefusal(driverError(again)) ? readFailure(driverError(again), file) : again;
      }
    }
  }
  if (file !== ':memory:' && file !== '') {
    const dir = path.dirname(path.resolve(file));
    if (!fs.existsSync(dir)) throw new KaiyakuError('STORE_UNAVAILABLE', say('store.openFolderMissing', { file, dir }));
  }
  const handle = sqliteStore(spec, file, 'write', false, use.foreignKeys);
  await prepare(handle, use);
  return storeOf(handle);
}

/** There is nothing at `where`: a mistyped --db or KAIYAKU_DB, most likely. */
function noStoreAt(where: string): KaiyakuError {
  return new KaiyakuError('STORE_UNAVAILABLE', say('store.noDatabase', { where }));
}

/** `where` answers, but holds no kaiyaku store (no knex_migrations table). */
function notKaiyakuStore(where: string): KaiyakuError {
  return new KaiyakuError('STORE_UNAVAILABLE', say('store.notKaiyaku', { where }));
}

/**
 * An existing SQLite file is a kaiyaku store, checked read-only before the write open:
 * that open sets WAL mode, which would already change another program's database or
 * an empty file.
 */
async function requireSqliteStore(spec: string, file: string): Promise<void> {
  const reader = sqliteStore(spec, file, 'read', false);
  let present: boolean;
  try {
    await reader.db.raw('select 1');
    present = (await schemaState(reader.db)).present;
  } catch (cause) {
    // SQLITE_NOTADB and the like: whatever the file is, it is not a store of ours.
    if (/SQLITE_NOTADB|SQLITE_CORRUPT/.test(sqliteReason(cause))) present = false;
    else throw openFailure(cause, spec, 'read');
  } finally {
    await reader.db.destroy().catch(() => undefined);
  }
  if (!present) throw notKaiyakuStore(file);
}

/**
 * A knex instance on one SQLite file. One connection: SQLite has one writer anyway, and a
 * single connection keeps a process from ever contending with itself; other processes are
 * met by busy_timeout.
 */
function sqliteStore(spec: string, file: string, access: StoreAccess, immutable: boolean, foreignKeys = true): Handle {
  // knex ORs its own OPEN_READWRITE | OPEN_CREATE into any `flags` given, and SQLite refuses
  // READONLY together with them (SQLITE_MISUSE); a URI's mode=ro overrides both.
  const uri = (query: string) => `${pathToFileURL(path.resolve(file)).href}?${query}`;
  const connection = access === 'read' ? { filename: uri(immutable ? 'immutable=1' : 'mode=ro'), flags: ['OPEN_URI'] } : { filename: file };
  const pragmas =
    access === 'read'
      ? ['PRAGMA busy_timeout = 30000', 'PRAGMA query_only = ON']
      : ['PRAGMA busy_timeout = 30000', 'PRAGMA journal_mode = WAL', 'PRAGMA synchronous = NORMAL', `PRAGMA foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`];
  const db = knexFactory({
    client: 'sqlite3',
    connection,
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) => {
        // The driver emits 'error' on the connection for a call made without a callback, and
        // an 'error' event nobody listens to ends the process. Every call here has its
        // callback (so a refused pragma fails the open, as a rejected promise); the listener
        // only makes sure a stray event can never crash a run.
        conn.on('error', () => undefined);
        const next = (i: number): void => {
          if (i === pragmas.length) return done(null, conn);
          conn.run(pragmas[i]!, (err) => (err ? done(err, conn) : next(i + 1)));
        };
        next(0);
      },
    },
    acquireConnectionTimeout: 600_000,
    log: knexLog,
  });
  return { db, dialect: 'sqlite', location: spec, access, close: () => db.destroy() };
}

const READ_ONLY: WriteUse = { migrateOnOpen: false, create: false, foreignKeys: true };

/** First query, then the schema: migrated for write access, checked for read. Closes the store on failure. */
async function prepare(store: Handle, use: WriteUse): Promise<void> {
  try {
    await store.db.raw('select 1');
    if (store.access === 'read') await requireCurrentSchema(store);
    else {
      if (!use.create && !(await schemaState(store.db)).present) throw notKaiyakuStore(redact(store.location));
      if (use.migrateOnOpen) await migrate(store);
    }
  } catch (cause) {
    await store.db.destroy().catch(() => undefined);
    if (cause instanceof KaiyakuError) throw cause;
    throw openFailure(cause, store.location, store.access);
  }
}

function openFailure(cause: unknown, spec: string, access: StoreAccess): KaiyakuError {
  const why = sqliteReason(cause);
  const code = (cause as { code?: unknown } | null)?.code;
  const where = say('store.cannotOpen', { redact: redact(spec) });
  const full = diskFullError(cause, where);
  if (full) return full;
  // SQLite says only "disk I/O error" when it cannot map its -shm file on a full file system.
  if ((code === 'SQLITE_IOERR' || /^SQLITE_IOERR\b/.test(why)) && fileSystemFull(spec)) return diskFull(where, 'SQLITE_IOERR', cause);
  // knex's migration lock rewraps the driver's error, keeping only its message.
  if (access === 'write' && (code === 'SQLITE_READONLY' || /^SQLITE_READONLY\b/.test(why))) {
    return new KaiyakuError('STORE_READ_ONLY', say('store.readOnly', { redact: redact(spec), why }), { cause });
  }
  return new KaiyakuError('STORE_UNAVAILABLE', say('store.cannotOpenBecause', { redact: redact(spec), why }), {
    cause,
  });
}

/** Whether the file system of a SQLite store has no block left for it. */
function fileSystemFull(spec: string): boolean {
  if (isPostgresSpec(spec)) return false;
  try {
    return fs.statfsSync(path.dirname(path.resolve(sqliteFile(spec)))).bavail === 0;
  } catch {
    return false;
  }
}

/** The driver's error under an open failure of ours. */
function driverError(error: unknown): unknown {
  return error instanceof KaiyakuError ? error.cause : error;
}

/** SQLite refused to open or read a file for reading: say which of the two reasons it is. */
function readFailure(cause: unknown, file: string): KaiyakuError {
  try {
    fs.closeSync(fs.openSync(file, 'r'));
  } catch (error) {
    const why = reasonOf(error);
    return new KaiyakuError('STORE_UNAVAILABLE', say('store.cannotRead', { file, why }), {
      cause,
    });
  }
  const why = sqliteReason(cause);
  return new KaiyakuError('STORE_UNAVAILABLE', say('store.walNeedsShm', { file, why, path: path.dirname(path.resolve(file)) }), { cause });
}

/** An error's message without the statement knex puts before SQLite's own words. */
function sqliteReason(error: unknown): string {
  const message = (error as Error | null)?.message ?? String(error);
  return message.replace(/^[\s\S]* - (SQLITE_[A-Z_]+: )/, '$1');
}

function isSqliteOpenRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN';
}

/** A SQLite file in WAL mode (header bytes 18–19 are 2) with no WAL content beside it. */
function walWithoutContent(file: string): boolean {
  try {
    const header = Buffer.alloc(20);
    const fd = fs.openSync(file, 'r');
    try {
      if (fs.readSync(fd, header, 0, 20, 0) < 20) return false;
    } finally {
      fs.closeSync(fd);
    }
    if (header.toString('latin1', 0, 16) !== 'SQLite format 3\u0000' || header[18] !== 2 || header[19] !== 2) return false;
    const wal = fs.statSync(`${file}-wal`, { throwIfNoEntry: false });
    return wal === undefined || wal.size === 0;
  } catch {
    return false;
  }
}

/**
 * A read store must be a kaiyaku store whose every migration this version knows is
 * applied, and none it does not know.
 */
async function requireCurrentSchema(store: Handle): Promise<void> {
  const { present, pending, unknown } = await schemaState(store.db);
  const where = redact(store.location);
  if (!present) throw notKaiyakuStore(where);
  if (unknown.length > 0) throw newerSchema(where, unknown);
  if (pending.length > 0) {
    throw new KaiyakuError('SCHEMA_OUTDATED', say('store.schemaOutdated', { where, pending: pending.join(', ') }));
  }
}

function newerSchema(where: string, unknown: readonly string[]): KaiyakuError {
  return new KaiyakuError('STORE_UNAVAILABLE', say('store.schemaNewer', { where, unknown: unknown.join(', ') }));
}

/** Which migrations of this version are applied, reading only (no table is created). */
export async function schemaState(db: Knex): Promise<{ present: boolean; pending: string[]; unknown: string[] }> {
  const known = (await migrationSource.getMigrations([])).map((m) => migrationSource.getMigrationName(m));
  if (!(await db.schema.hasTable('knex_migrations'))) return { present: false, pending: known, unknown: [] };
  const applied = new Set((await db('knex_migrations').select('name')).map((r: { name: string }) => r.name));
  return { present: true, pending: known.filter((n) => !applied.has(n)), unknown: [...applied].filter((n) => !known.includes(n)) };
}

/** The files a SQLite store is made of (the database, its -wal, -shm and -journal); none for PostgreSQL. */
export function storeFiles(spec: string): string[] {
  if (isPostgresSpec(spec)) return [];
  const file = sqliteFile(spec);
  if (file === ':memory:' || file === '') return [];
  return [file, `${file}-wal`, `${file}-shm`, `${file}-journal`];
}

/**
 * Before a command that may not create a store does any work: a SQLite file must be
 * there (a stat, nothing opened). A PostgreSQL server is asked when the store is opened.
 */
export function checkStoreExists(spec: string): void {
  if (isPostgresSpec(spec)) return;
  const file = sqliteFile(spec);
  if (!fs.existsSync(file)) throw noStoreAt(file);
}

/**
 * Before a command that writes does any work: can this store be written? For SQLite, an
 * existing file must open for writing, and its folder must let SQLite create its -wal,
 * -shm and journal files (checked by creating and removing a file of our own); a new
 * file needs a folder that exists and allows creating files. STORE_READ_ONLY names the
 * path and what is wrong. For PostgreSQL this checks nothing: the server decides, and
 * says so on the first write.
 */
export async function checkStoreWritable(spec: string): Promise<void> {
  if (isPostgresSpec(spec)) return;
  const file = sqliteFile(spec);
  if (file === ':memory:' || file === '') return;
  const dir = path.dirname(path.resolve(file));
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (stat?.isDirectory()) {
    throw new KaiyakuError('STORE_UNAVAILABLE', say('store.dbIsFolder', { file }));
  }
  if (stat) {
    for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
      if (f !== file && !fs.existsSync(f)) continue;
      try {
        fs.closeSync(fs.openSync(f, 'r+'));
      } catch (cause) {
        const why = reasonOf(cause);
        throw new KaiyakuError('STORE_READ_ONLY', say('store.cannotWriteFile', { f, why }), { cause });
      }
    }
  } else if (!fs.existsSync(dir)) {
    throw new KaiyakuError('STORE_UNAVAILABLE', say('store.createFolderMissing', { file, dir }));
  }
  const probe = path.join(dir, `.kaiyaku-write-check-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    fs.closeSync(fs.openSync(probe, 'wx'));
  } catch (cause) {
    const why = reasonOf(cause);
    throw new KaiyakuError(
      'STORE_READ_ONLY',
      stat ? say('store.walFolderNotWritable', { file, dir, why }) : say('store.createFolderNotWritable', { file, dir, why }),
      { cause },
    );
  }
  fs.rmSync(probe, { force: true });
}

function reasonOf(error: unknown): { en: string; ja: string } {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return say('store.permissionDenied');
  if (code === 'EROFS') return say('store.readOnlyFileSystem');
  if (code === 'EISDIR') return say('store.itIsAFolder');
  const message = error instanceof Error ? error.message : String(error);
  return { en: message, ja: message };
}

/**
 * Where knex's own messages go. By default knex console.logs them, to stdout, which carries
 * CSV. The ones that only repeat an error the caller gets anyway (migration lock, failed
 * migration, a connection that could not be opened or closed) are dropped; anything else
 * goes to stderr.
 */
const knexLog = {
  warn: (message: unknown) => toStderr(message),
  error: (message: unknown) => toStderr(message),
  deprecate: (message: unknown) => toStderr(message),
  debug: () => undefined,
};

const REPLACED =
  /^(Can't take lock to run migrations|If you are sure migrations are not running|migration failed with error|migration file ".*" failed|Connection Error:|Acquire connection error:)/;

function toStderr(message: unknown): void {
  const text = typeof message === 'string' ? message : inspect(message);
  if (REPLACED.test(text)) return;
  process.stderr.write(`knex: ${text}\n`);
}

/** A URL's password stays out of messages and logs. */
function redact(spec: string): string {
  return spec.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

interface SqliteConnection {
  on(event: 'error', listener: (err: Error) => void): void;
  run(sql: string, cb: (err: Error | null) => void): void;
}

interface PgConnection {
  query(sql: string): Promise<unknown>;
}

/**
 * Applies pending migrations. Two processes opening a fresh PostgreSQL store at once can
 * both try to create knex's tables, and the loser gets a unique violation (23505) from
 * the catalogue: that one is retried. A migration lock that stays taken (another process
 * migrating, or one stopped mid-way without a transaction) is reported, not waited on.
 */
export async function migrate(store: Handle | Store): Promise<string[]> {
  const db = 'db' in store ? store.db : knexOf(store);
  const { present, unknown } = await schemaState(db);
  if (present && unknown.length > 0) throw newerSchema(redact(store.location), unknown);
  try {
    const [, applied] = (await withBusyRetry(() => db.migrate.latest({ migrationSource }), { retryUniqueViolation: true })) as [number, string[]];
    return applied;
  } catch (error) {
    if ((error as Error | null)?.name === 'MigrationLocked' && /already locked/.test((error as Error).message)) {
      const where = redact(store.location);
      throw new KaiyakuError('STORE_UNAVAILABLE', say('store.migrationLocked', { where }), { cause: error });
    }
    throw error;
  }
}

/** Waits until the store answers a query (a read, retried on a new connection within withBusyRetry's bounds). */
export async function storeAnswers(store: Store): Promise<void> {
  await knexOf(store).raw('select 1');
}
