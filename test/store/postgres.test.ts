import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/connect.js';
import { transact } from '../../src/store/retry.js';
import { idsOf, insertRowsSharing, selectPacked } from '../../src/store/sql.js';
import { aPgSchema } from './pgSchema.js';
import { knexOf } from '../../src/store/store.js';

/**
 * The same CLI on PostgreSQL, when a server is given (KAIYAKU_TEST_PG_URL). Each case
 * works in a schema of its own, dropped afterwards, so the suite can run again (and beside
 * other files) against the same database.
 */
const url = process.env['KAIYAKU_TEST_PG_URL'];
const BIN = path.resolve('dist/cli/main.js');

describe.skipIf(!url)('PostgreSQL store', () => {
  it('runs the fixture cancellation end to end, and the same file again is already done', async () => {
    const schema = await aPgSchema(url!, 'cli');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-pg-'));
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--db', schema.url], { encoding: 'utf8' });
    expect(run('contracts', 'import', 'fixtures/contracts.csv', '-q').status).toBe(0);
    const input = path.join(dir, 'in.csv');
    fs.copyFileSync('fixtures/cancel-sample.csv', input);
    expect(run('cancel', input, '--lang', 'en', '-q').status).toBe(1);
    const results = () =>
      fs
        .readFileSync(path.join(dir, 'in.result.csv'), 'utf8')
        .trim()
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(',')[5]);
    expect(results()).toEqual(['completed', 'completed', 'completed', 'completed', 'refused']);
    expect(run('cancel', input, '--lang', 'en', '-q').status).toBe(1);
    expect(results()).toEqual(['already_done', 'already_done', 'already_done', 'already_done', 'refused']);
    await schema.drop();
  });

  it('binds shared values once with their types, names ids by one array, and reads rows packed', async () => {
    const schema = await aPgSchema(url!, 'bulk');
    const store = await openStore(schema.url, { create: true });
    try {
      await knexOf(store).schema.dropTableIfExists('bulk_pg');
      await knexOf(store).schema.createTable('bulk_pg', (t) => {
        t.increments('id');
        t.text('name').notNullable();
        t.integer('n');
        t.boolean('flag');
        t.string('who', 16).notNullable();
        t.integer('run');
      });
      const rows = Array.from({ length: 12_000 }, (_, i) => ({ name: i === 0 ? 'カナ 𠮷 "q"' : `row-${i}`, n: i, flag: i % 2 === 0 }));
      const back = await transact(store, (trx) => insertRowsSharing<{ id: number }>(trx, 'bulk_pg', rows, { who: 'bench', run: 7 }, ['id']));
      expect(back).toHaveLength(12_000);
      const ids = back.map((r) => Number(r.id)).slice(0, 3);
      const packed = await selectPacked<[number, string, number, boolean, string, number]>(
        knexOf(store),
        knexOf(store)('bulk_pg')
          .whereIn('id', idsOf(knexOf(store), ids))
          .orderBy('id'),
        ['id', 'name', 'n', 'flag', 'who', 'run'],
      );
      expect(packed.map(([, name, n, flag, who, run]) => [name, n, flag, who, run])).toEqual([
        ['カナ 𠮷 "q"', 0, true, 'bench', 7],
        ['row-1', 1, false, 'bench', 7],
        ['row-2', 2, true, 'bench', 7],
      ]);
      expect(
        await knexOf(store)('bulk_pg')
          .whereIn('id', idsOf(knexOf(store), []))
          .select('id'),
      ).toEqual([]);
      await knexOf(store).schema.dropTable('bulk_pg');
    } finally {
      await store.close();
      await schema.drop();
    }
  });
});
