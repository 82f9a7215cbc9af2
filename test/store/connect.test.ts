import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openStore } from '../../src/store/connect.js';
import { isBusyError, transact, withBusyRetry } from '../../src/store/retry.js';
import { chunk, idsOf, insertRowsSharing, selectPacked } from '../../src/store/sql.js';
import { useStore } from './useStore.js';
import { knexOf } from '../../src/store/store.js';

const ctx = useStore();

function failing(times: number, error: unknown): { work: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    work: async () => {
      calls++;
      if (calls <= times) throw error;
      return 'done';
    },
    calls: () => calls,
  };
}

describe('withBusyRetry', () => {
  it('retries an error with code SQLITE_BUSY until the work succeeds', async () => {
    const busy = Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' });
    const w = failing(2, busy);
    await expect(withBusyRetry(w.work)).resolves.toBe('done');
    expect(w.calls()).toBe(3);
  });

  it('rethrows any other error at once', async () => {
    const other = Object.assign(new Error('SQLITE_CONSTRAINT: UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT' });
    const w = failing(1, other);
    await expect(withBusyRetry(w.work)).rejects.toBe(other);
    expect(w.calls()).toBe(1);
  });

  it('gives up after the given number of attempts with the last busy error', async () => {
    const busy = { code: 'SQLITE_BUSY' };
    const w = failing(10, busy);
    await expect(withBusyRetry(w.work, 3)).rejects.toBe(busy);
    expect(w.calls()).toBe(3);
  });

  it('knows the busy states of SQLite and PostgreSQL', () => {
    expect(isBusyError({ code: 'SQLITE_BUSY' })).toBe(true);
    expect(isBusyError({ code: 'SQLITE_LOCKED' })).toBe(true);
    expect(isBusyError({ code: '40001' })).toBe(true);
    expect(isBusyError({ code: '40P01' })).toBe(true);
    expect(isBusyError(new Error('SQLITE_BUSY: database is locked'))).toBe(true);
    expect(isBusyError(new Error('no such table: x'))).toBe(false);
    expect(isBusyError(null)).toBe(false);
    expect(isBusyError(undefined)).toBe(false);
  });

  it('knows a PostgreSQL that does not take connections now for a lost connection (retried, then named)', () => {
    expect(isBusyError(Object.assign(new Error('database "k" is not currently accepting connections'), { code: '55000' }))).toBe(true);
    expect(isBusyError(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(isBusyError(new Error('the database system is shutting down'))).toBe(true);
  });
});

describe('openStore', () => {
  it('migrates a fresh database, and migrating again applies nothing', async () => {
    const tables = (await knexOf(ctx.store)('sqlite_master').where({ type: 'table' }).select('name')).map((r: { name: string }) => r.name);
    expect(tables).toEqual(
      expect.arrayContaining([
        'contracts',
        'contract_lines',
        'serials',
        'change_orders',
        'order_lines',
        'line_claims',
        'cancelled_serials',
        'locks',
        'runs',
        'run_rows',
        'sequences',
      ]),
    );
    expect(await knexOf(ctx.store)('sequences').where({ name: 'order_no' }).first()).toEqual({ name: 'order_no', value: 0 });
    expect(await migrate(ctx.store)).toEqual([]);
    expect(ctx.store.dialect).toBe('sqlite');
  });

  it('refuses a database in a folder that does not exist', async () => {
    await expect(openStore(join(ctx.dir, 'missing', 'x.db'))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});

describe('transact', () => {
  it('rolls the whole transaction back when the work throws', async () => {
    await expect(
      transact(ctx.store, async (trx) => {
        await trx('locks').insert({ name: 'rollback', holder: 'h', acquired_at: 'a', heartbeat_at: 'b' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await knexOf(ctx.store)('locks').where({ name: 'rollback' })).toEqual([]);
  });
});

describe('chunk', () => {
  it('splits a list into parts of at most the given size', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 2)).toEqual([]);
  });
});

describe('bulk helpers', () => {
  async function aTable(): Promise<void> {
    await knexOf(ctx.store).schema.dropTableIfExists('bulk');
    await knexOf(ctx.store).schema.createTable('bulk', (t) => {
      t.increments('id');
      t.text('name').notNullable();
      t.integer('n');
      t.boolean('flag');
      t.text('who').notNullable();
      t.integer('run');
    });
  }

  it('inserts many rows with shared values bound once, over several statements, giving back what was asked', async () => {
    await aTable();
    const rows = Array.from({ length: 12_000 }, (_, i) => ({ name: `row-${i}`, n: i, flag: i % 2 === 0 }));
    // 3 values a row: 36,000 parameters, more than one statement may hold.
    const back = await transact(ctx.store, (trx) =>
      insertRowsSharing<{ id: number; name: string }>(trx, 'bulk', rows, { who: 'bench', run: 7 }, ['id', 'name']),
    );
    expect(back).toHaveLength(12_000);
    expect(new Set(back.map((r) => r.name)).size).toBe(12_000);
    expect(await knexOf(ctx.store)('bulk').where({ name: 'row-11999' }).first()).toMatchObject({ n: 11_999, flag: 0, who: 'bench', run: 7 });
    expect(await knexOf(ctx.store)('bulk').where({ who: 'bench', run: 7 }).count({ c: '*' })).toEqual([{ c: 12_000 }]);
  });

  it('names tens of thousands of ids with one bound list, and reads rows packed with every value as stored', async () => {
    await aTable();
    const odd = ['NUL \u0000 inside', 'カナ・漢字 𠮷', 'quote " and \\ backslash', ''];
    await insertRowsSharing(
      knexOf(ctx.store),
      'bulk',
      odd.map((name, i) => ({ name, n: i === 3 ? null : i })),
      { who: 'w', run: null },
    );
    const ids = (await knexOf(ctx.store)('bulk').select('id')).map((r: { id: number }) => r.id);
    const many = [...Array.from({ length: 40_000 }, (_, i) => 1_000_000 + i), ...ids];
    const rows = await selectPacked<[number, string, number | null, string | null]>(
      knexOf(ctx.store),
      knexOf(ctx.store)('bulk')
        .whereIn('id', idsOf(knexOf(ctx.store), many))
        .orderBy('id'),
      ['id', 'name', 'n', 'run'],
    );
    expect(rows.map(([, name, n, run]) => [name, n, run])).toEqual(odd.map((name, i) => [name, i === 3 ? null : i, null]));
  });
});
