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
 * Values that reach SQLite through JSON (`json_each`, `->>`) exactly as binding them one by
 * one would store them: null, booleans (1 and 0), whole numbers in 32 bits (which the driver
 * binds as integers; larger ones and fractions it binds as reals) and text without a NUL or a
 * surrogate (a lone one is written as an escape that SQLite's JSON does not give back as the
 * driver stores it; text with pairs goes the slow way too, for simplicity).
 */
function jsonExact(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      return !NOT_JSON_EXACT.test(value);
    case 'number':
      return Number.isInteger(value) && value >= -2147483648 && value <= 2147483647;
    case 'boolean':
    case 'undefined':
      return true;
    default:
      return value === null;
  }
}

const NOT_JSON_EXACT = /[\0\ud800-\udfff]/;

/**
 * Rows of values as ONE bound JSON parameter per statement for SQLite (an array of arrays,
 * read with `json_each(?)` and `value->>i`), or null when the store is PostgreSQL or some value would
 * not come back exactly (see jsonExact): the caller then binds every value. A bound value
 * costs the process a few microseconds in knex and the driver; a statement of thousands of
 * rows, tens of thousands of them.
 */
export function jsonRowParts(db: Knex | Knex.Transaction, rows: readonly (readonly unknown[])[], size = JSON_ROWS_PER_STATEMENT): string[] | null {
  if (dialectOf(db) !== 'sqlite') return null;
  for (const row of rows) for (const value of row) if (!jsonExact(value)) return null;
  // undefined is bound as NULL; JSON.stringify would write it as null in an array anyway.
  return chunk(rows, size).map((part) => JSON.stringify(part));
}

/** Rows per statement in the JSON form: a few MB of text at most. */
const JSON_ROWS_PER_STATEMENT = 10_000;

/**
 * The JSON form's stand-in for `(values …)`: the rows of one JSON parameter as columns
 * column1… (as VALUES names them). The LIMIT keeps SQLite from flattening it into the
 * statement: it is read once, first, like VALUES, and each of its rows finds its target
 * by the target's index, where a flattened json_each would be scanned for every target row.
 */
export function jsonValues(width: number): string {
  return `(select ${Array.from({ length: width }, (_, i) => `value->>${i} as column${i + 1}`).join(', ')} from json_each(?) limit -1)`;
}

/**
 * A text list for `whereIn`, as ONE bound JSON parameter on SQLite when every value comes
 * back exactly (see jsonExact); else the values themselves, one placeholder each.
 */
export function textsOf(db: Knex | Knex.Transaction, values: readonly string[]): string[] {
  if (dialectOf(db) !== 'sqlite' || !values.every(jsonExact)) return [...values];
  // Knex writes a raw value there as `in (<raw>)`; its typings only name arrays and builders.
  return db.raw('select value from json_each(?)', [JSON.stringify(values)]) as unknown as string[];
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
  const jsonParts = jsonRowParts(
    db,
    rows.map((r) => columns.map((c) => r[c])),
  );
  if (jsonParts !== null) {
    // The same statement with the rows as one JSON parameter instead of VALUES.
    const list = sharedColumns.length === 0 ? columns.map((_, i) => `v.column${i + 1}`).join(', ') : select;
    for (const json of jsonParts) {
      const result: unknown = await db.raw(`${into} select ${list} from ${jsonValues(columns.length)} as v where true${tail}`, [
        ...(sharedBindings as Knex.RawBinding[]),
        json,
      ]);
      if (returning.length > 0) out.push(...rawRows<R>(result));
    }
    return out;
  }
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
  const jsonParts = jsonRowParts(
    db,
    rows.map((r) => [r.id, ...columns.map((c) => r[c])]),
  );
  for (const json of jsonParts ?? []) {
    await db.raw(
      `update ${quoteName(table)} set ${assignments} from ${jsonValues(columns.length + 1)} as v where ${quoteName(table)}.id = cast(v.column1 as integer)`,
      [json],
    );
  }
  if (jsonParts !== null) return;
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
