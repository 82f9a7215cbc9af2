/**
 * A PostgreSQL connection lost under a command (a terminated backend, a server restart):
 * knex's pool opens a new one, a read outside a transaction is run again on it, and a
 * transaction is retried whole (transact). Only what may have been committed is left to
 * its caller: a write outside a transaction.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/connect.js';
import { transact } from '../../src/store/retry.js';
import { startPgProxy, type PgProxy } from '../support/pgProxy.js';
import { aPgSchema, PG_URL } from './pgSchema.js';
import { knexOf } from '../../src/store/store.js';

describe.skipIf(!PG_URL)('a lost PostgreSQL connection', () => {
  let schema: Awaited<ReturnType<typeof aPgSchema>>;
  let proxy: PgProxy;
  let store: Store;
  const app = `kaiyaku_lost_${process.pid}`;
  beforeAll(async () => {
    schema = await aPgSchema(PG_URL!, 'lost');
    proxy = await startPgProxy(PG_URL!);
    store = await openStore(`${proxy.through(schema.url)}&application_name=${app}`);
    await knexOf(store).schema.createTable('things', (t) => {
      t.increments('id');
      t.integer('n').notNullable();
    });
  });
  afterAll(async () => {
    await store?.close();
    await proxy?.close();
    await schema?.drop();
  });

  const terminate = () => schema.admin.raw('select count(pg_terminate_backend(pid)) as n from pg_stat_activity where application_name = ?', [app]);

  it('runs a read again on a new connection when its backend is terminated mid-statement', async () => {
    const read = knexOf(store).raw('select pg_sleep(0.6), 42 as answer');
    await sleep(200);
    await terminate();
    const result = (await read) as { rows: { answer: number }[] };
    expect(result.rows[0]!.answer).toBe(42);
    // The query builder's reads too, and every connection the pool held is replaced.
    await terminate();
    expect(await knexOf(store)('things').count({ n: '*' })).toEqual([{ n: '0' }]);
  });

  it('retries a transaction whole when its backend is terminated mid-way, and it is applied once', async () => {
    let attempts = 0;
    await transact(store, async (trx) => {
      attempts++;
      await trx('things').insert({ n: attempts });
      if (attempts === 1) {
        await terminate();
        await trx.raw('select pg_sleep(0.2)');
      }
    });
    expect(attempts).toBe(2);
    expect(await knexOf(store)('things').select('n')).toEqual([{ n: 2 }]);
  });

  it('waits out a restart (every connection cut, new ones refused for 2 s): reads and transactions carry on', async () => {
    for (const work of [() => knexOf(store)('things').count({ n: '*' }), () => transact(store, (trx) => trx('things').insert({ n: 3 }))]) {
      const outage = proxy.outage(2000);
      await sleep(50);
      const started = Date.now();
      await work();
      expect(Date.now() - started).toBeGreaterThan(1000);
      await outage;
    }
    expect((await knexOf(store)('things').orderBy('n').select('n')).map((r: { n: number }) => r.n)).toEqual([2, 3]);
  });
});
