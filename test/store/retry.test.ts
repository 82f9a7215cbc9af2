import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/connect.js';
import { isBusyError, transact, withBusyRetry } from '../../src/store/retry.js';
import { PG_URL } from './pgSchema.js';
import { knexOf } from '../../src/store/store.js';

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

const uniqueViolation = () => Object.assign(new Error('duplicate key value violates unique constraint "locks_pkey"'), { code: '23505' });

describe('what is retried', () => {
  it('retries lost connections: admin or crash shutdown, a server starting up, a reset or refused socket, a terminated client', () => {
    for (const code of ['57P01', '57P02', '57P03', '08006', '08003', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE']) expect(isBusyError({ code }), code).toBe(true);
    expect(isBusyError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isBusyError(new Error('Connection terminated'))).toBe(true);
  });

  it('does not retry a unique violation unless asked to', () => {
    expect(isBusyError(uniqueViolation())).toBe(false);
    expect(isBusyError(uniqueViolation(), { retryUniqueViolation: true })).toBe(true);
    // Only that one: other constraint failures stay failures.
    expect(isBusyError({ code: '23503' }, { retryUniqueViolation: true })).toBe(false);
    expect(isBusyError({ code: 'SQLITE_CONSTRAINT' }, { retryUniqueViolation: true })).toBe(false);
  });

  it('withBusyRetry: a unique violation fails on the first attempt; with the opt-in it is tried again; attempts still count', async () => {
    const plain = failing(1, uniqueViolation());
    await expect(withBusyRetry(plain.work)).rejects.toMatchObject({ code: '23505' });
    expect(plain.calls()).toBe(1);

    const optedIn = failing(2, uniqueViolation());
    await expect(withBusyRetry(optedIn.work, { retryUniqueViolation: true })).resolves.toBe('done');
    expect(optedIn.calls()).toBe(3);

    const bounded = failing(10, uniqueViolation());
    await expect(withBusyRetry(bounded.work, { retryUniqueViolation: true, attempts: 2 })).rejects.toMatchObject({ code: '23505' });
    expect(bounded.calls()).toBe(2);

    const busy = failing(10, { code: '40001' });
    await expect(withBusyRetry(busy.work, 3)).rejects.toEqual({ code: '40001' });
    expect(busy.calls()).toBe(3);
  });
});

describe.skipIf(!PG_URL)('transact on PostgreSQL: unique violations', () => {
  /**
   * The race a retried unique violation is for: the work checks for its key, a rival
   * commits the same key, and the work's insert then violates the constraint. A retry
   * sees the rival's row and gives way; without the opt-in the violation is the answer.
   */
  async function race(options: { retryUniqueViolation?: boolean }) {
    const store = await openStore(PG_URL!, { migrate: false });
    const table = `kaiyaku_uv_${randomBytes(4).toString('hex')}`;
    let calls = 0;
    try {
      await knexOf(store).schema.createTable(table, (t) => {
        t.text('k').primary();
        t.text('who').notNullable();
      });
      const outcome = transact(
        store,
        async (trx) => {
          calls++;
          if (await trx(table).where({ k: 'key' }).first()) return 'gave way';
          if (calls === 1) await knexOf(store)(table).insert({ k: 'key', who: 'rival' });
          await trx(table).insert({ k: 'key', who: 'us' });
          return 'inserted';
        },
        options,
      ).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      const settled = await outcome;
      return { settled, calls, rows: await knexOf(store)(table).select('k', 'who') };
    } finally {
      await knexOf(store).schema.dropTableIfExists(table);
      await store.close();
    }
  }

  it('a genuine unique violation inside transact() fails at once: the work runs once', async () => {
    const { settled, calls, rows } = await race({});
    expect(settled).toMatchObject({ error: { code: '23505' } });
    expect(calls).toBe(1);
    expect(rows).toEqual([{ k: 'key', who: 'rival' }]);
  });

  it('with retryUniqueViolation the transaction is retried, and the retry sees the other row and gives way', async () => {
    const { settled, calls, rows } = await race({ retryUniqueViolation: true });
    expect(settled).toEqual({ value: 'gave way' });
    expect(calls).toBe(2);
    expect(rows).toEqual([{ k: 'key', who: 'rival' }]);
  });
});
