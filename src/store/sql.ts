/**
 * The store's SQL helpers, shared by the repositories: id lists and chunks under the
 * drivers' parameter limits, multi-row inserts and updates, packed selects.
 */
import type { Knex } from 'knex';
import type { StoreCore } from './store.js';

/**
 * Bound parameters per statement we allow ourselves: under SQLite's 32,766 and
 * PostgreSQL's 65,535, and large enough that a batch of thousands of rows is a handful
 * of statements (round trips, not rows, are what a bulk run pays for).
 */
export const MAX_PARAMS = 30_000;

/**
 * A list of ids as ONE bound parameter, for `IN (…)`: SQLite reads it with json_each,
 * PostgreSQL as an array. Thousands of ids then cost one binding instead of thousands,
 * which is most of what such a statement costs the process (knex, the driver and the
 * parser each handle every placeholder). Only for numbers: text that users typed can
 * hold a NUL or a lone surrogate, which json_each does not give back as it was stored,
 * so text lists stay one placeholder per value.
 */
export function idList(db: Knex | Knex.Transaction, ids: readonly number[]): { sql: string; binding: Knex.RawBinding } {
  if (dialectOf(db) === 'postgres') return { sql: 'select unnest(?::bigint[])', binding: ids as unknown as Knex.RawBinding };
  return { sql: 'select value from json_each(?)', binding: JSON.stringify(ids) };
}

/**
 * The same as a subquery for the query builder: `.whereIn('id', idsOf(db, ids))`.
 * Knex writes a raw value there as `id in (<raw>)`; its typings only name builders.
 */
export function idsOf(db: Knex | Knex.Transaction, ids: readonly number[]): Knex.QueryBuilder {
  const { sql, binding } = idList(db, ids);
  return db.raw(sql, [binding]) as unknown as Knex.QueryBuilder;
}

/**
 * Several columns read back as one JSON array per row (`json_array` on SQLite,
 * `json_build_array` on PostgreSQL). The driver then builds one string per row instead
 * of an object with a property per column, which at tens of thousands of rows is most of
 * what a wide read costs. Read the rows with `unpackRow`.
 */
export function packedColumns(db: Knex | Knex.Transaction, columns: readonly string[]): string {
  return `${dialectOf(db) === 'postgres' ? 'json_build_array' : 'json_array'}(${columns.join(', ')})`;
}

/** A packed row as values: SQLite gives the JSON text, PostgreSQL the parsed array. */
export function unpackRow(packed: unknown): unknown[] {
  return (typeof packed === 'string' ? JSON.parse(packed) : packed) as unknown[];
}

/** Runs a query selecting `columns` packed: each row comes back as the array of its values, in that order. */
export async function selectPacked<T extends unknown[] = unknown[]>(
  db: Knex | Knex.Transaction,
  query: Knex.QueryBuilder,
  columns: readonly string[],
): Promise<T[]> {
  const rows: { r: unknown }[] = await query.select(db.raw(`${packedColumns(db, columns)} as r`));
  return rows.map(({ r }) => unpackRow(r) as T);
}

export function dialectOf(db: Knex | Knex.Transaction): StoreCore['dialect'] {
  const client = (db as unknown as { client: { config: { client: unknown } } }).client.config.client;
  return client === 'pg' ? 'postgres' : 'sqlite';
}

/** Splits keys for `IN (...)` lists that stay under the bound-parameter limit. */
export function chunk<T>(items: readonly T[], size = 5000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Multi-row inserts as `INSERT … VALUES (…), (…)` (SQLite 3.7.11+, PostgreSQL), as large
 * as the parameter limit allows. Knex's own SQLite form is a compound SELECT that SQLite
 * parses far more slowly and caps at 500 rows; at 20,000 rows the difference is most of
 * the time spent writing.
 */
export async function insertRows(db: Knex | Knex.Transaction, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  await insertRowsSharing(db, table, rows, {});
}

/**
 * The same, where some columns may hold one value for every row (a status, the run, who
 * and when): those are bound once per statement instead of once per row, as
 * `INSERT … SELECT v.column1, …, ?, ? FROM (VALUES (…), (…)) AS v`, and giving back the
 * named columns of the inserted rows (RETURNING: SQLite 3.35+, PostgreSQL). At tens of thousands
 * of rows, bound values are what an insert costs. Values are cast to their column's
 * type, as PostgreSQL reads untyped VALUES and parameters as text.
 */
export async function insertRowsSharing<R = Record<string, unknown>>(
  db: Knex | Knex.Transaction,
  table: string,
  rows: readonly Record<string, unknown>[],
  shared: Readonly<Record<string, unknown>>,
  returning: readonly string[] = [],
  /** A conflict clause (`on conflict (…) do nothing`), written before RETURNING: the rows it skips are not returned. */
  onConflict = '',
): Promise<R[]> {
  if (rows.length === 0) return [];
  const columns = Object.keys(rows[0]!);
  const sharedColumns = Object.keys(shared);
  const tuple = `(${columns.map(() => '?').join(',')})`;
  const into = `insert into ${quoteName(table)} (${[...columns, ...sharedColumns].map(quoteName).join(',')})`;
  const tail = `${onConflict === '' ? '' : ` ${onConflict}`}${returning.length > 0 ? ` returning ${returning.map(quoteName).join(',')}` : ''}`;
  // The select list of the shared form: each VALUES column and each shared parameter, typed.
  const typed = (expr: string, values: Iterable<unknown>): string => {
    for (const v of values) {
      if (v === null || v === undefined) continue;
      return typeof v === 'number' ? `cast(${expr} as integer)` : typeof v === 'boolean' ? `cast(${expr} as boolean)` : `cast(${expr} as text)`;
    }
    return expr;
  };
  const select =
    sharedColumns.length === 0
      ? ''
      : [
          ...columns.map((c, i) =>
            typed(
              `v.column${i + 1}`,
              rows.map((r) => r[c]),
            ),
          ),
          ...sharedColumns.map((c) => typed('?', [shared[c]])),
        ].join(', ');
  const sharedBindings = sharedColumns.map((c) => normaliseBinding(shared[c]));
  const out: R[] = [];
  for (const part of chunk(rows, Math.max(1, Math.floor((MAX_PARAMS - sharedColumns.length) / Math.max(1, columns.length))))) {
    const values = part.map(() => tuple).join(',');
    const bindings: unknown[] = [...sharedBindings];
    for (const row of part) for (const c of columns) bindings.push(normaliseBinding(row[c]));
    // SQLite reads the ON of an upsert after a bare FROM as a join's: a WHERE ends the FROM.
    const sql =
      sharedColumns.length === 0
        ? `${into} values ${values}${tail}`
        : `${into} select ${select} from (values ${values}) as v${onConflict === '' ? '' : ' where true'}${tail}`;
    const result: unknown = await db.raw(sql, bindings as Knex.RawBinding[]);
    if (returning.length > 0) out.push(...rawRows<R>(result));
  }
  return out;
}

/** knex's raw result: an array of rows on SQLite, `{ rows }` on PostgreSQL. */
export function rawRows<R>(result: unknown): R[] {
  return Array.isArray(result) ? (result as R[]) : ((result as { rows?: R[] }).rows ?? []);
}

function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** What knex would bind: undefined as NULL (rows here always carry every column). */
function normaliseBinding(value: unknown): unknown {
  return value === undefined ? null : value;
}

/**
 * Updates many rows by id in one statement per few thousand rows: `UPDATE … FROM (VALUES …)`
 * (SQLite 3.33+, PostgreSQL). VALUES columns are untyped text on PostgreSQL, so numbers and
 * booleans are cast back to their column's type.
 */
export async function updateRowsById(
  db: Knex | Knex.Transaction,
  table: string,
  rows: readonly ({ id: number } & Record<string, unknown>)[],
  casts: Readonly<Record<string, 'integer' | 'boolean'>> = {},
): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!).filter((c) => c !== 'id');
  const value = (c: string, i: number) => (casts[c] ? `cast(v.column${i + 2} as ${casts[c]})` : `v.column${i + 2}`);
  const assignments = columns.map((c, i) => `${quoteName(c)} = ${value(c, i)}`).join(', ');
  const tuple = `(${['?', ...columns.map(() => '?')].join(', ')})`;
  for (const part of chunk(rows, Math.max(1, Math.floor(MAX_PARAMS / (columns.length + 1))))) {
    const bindings: unknown[] = [];
    for (const row of part) bindings.push(row.id, ...columns.map((c) => normaliseBinding(row[c])));
    await db.raw(
      `update ${quoteName(table)} set ${assignments} from (values ${part.map(() => tuple).join(', ')}) as v where ${quoteName(table)}.id = cast(v.column1 as integer)`,
      bindings as Knex.RawBinding[],
    );
  }
}
