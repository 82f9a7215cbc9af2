import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunk, isBusyError, migrate, openStore, StoreError, transact, withBusyRetry } from '../../src/store/connect.js';
import { useStore } from './useStore.js';

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
});

describe('openStore', () => {
  it('migrates a fresh database, and migrating again applies nothing', async () => {
    const tables = (await ctx.store.db('sqlite_master').where({ type: 'table' }).select('name')).map((r: { name: string }) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['contracts', 'contract_lines', 'serials', 'change_orders', 'order_lines', 'line_claims', 'cancelled_serials', 'locks', 'runs', 'run_rows', 'sequences']));
    expect(await ctx.store.db('sequences').where({ name: 'order_no' }).first()).toEqual({ name: 'order_no', value: 0 });
    expect(await migrate(ctx.store)).toEqual([]);
    expect(ctx.store.dialect).toBe('sqlite');
  });

  it('refuses a database in a folder that does not exist', async () => {
    await expect(openStore(join(ctx.dir, 'missing', 'x.db'))).rejects.toBeInstanceOf(StoreError);
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
    expect(await ctx.store.db('locks').where({ name: 'rollback' })).toEqual([]);
  });
});

describe('chunk', () => {
  it('splits a list into parts of at most the given size', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 2)).toEqual([]);
  });
});
