/**
 * Migration 009 on a store that ran cancellations before it: every row that made an order
 * gets its resolved form (done_requests) from what the store kept, the same as a run
 * records today (but for the one thing the store cannot tell afterwards, documented in
 * doneRequestBackfill.ts), and a file of those days dropped back with its blanks filled in
 * is already done. SQLite, and PostgreSQL when KAIYAKU_TEST_PG_URL is set.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { jstDate } from '../../src/domain/dates.js';
import { openStore } from '../../src/store/connect.js';
import { unpackResolvedForm } from '../../src/store/doneRequestForm.js';
import { FIXTURES, runIn } from '../support/sandbox.js';
import { aPgSchema, PG_URL } from './pgSchema.js';
import { knexOf } from '../../src/store/store.js';

const HEADER = '契約番号,商品コード,サブスクリプションID,シリアル番号,解約数,契約終了日,依頼番号,備考';
const ROWS = [
  'NCN202108-0000003200,M365-E3,,,,,,all that remains and the date defaulted',
  'NCN202105-0000003108,M365-BB,,,2,2099-12-31,,',
  'NCN202110-0000003402,,,SN-ESET-0002,,,,',
  'NCN202107-0000003109,,,,,,,whole contract',
  'NCN202108-0000003200,TEAMS-EE,,,1,,REQ-1,',
];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Backend {
  name: string;
  spec(dir: string): Promise<string>;
}
const sqlite: Backend = { name: 'SQLite', spec: async (dir) => join(dir, 'kaiyaku.db') };
const postgres = (url: string): Backend => ({
  name: 'PostgreSQL',
  spec: async () => {
    const schema = await aPgSchema(url, 'backfill');
    cleanups.push(schema.drop);
    return schema.url;
  },
});
const backends = PG_URL ? [sqlite, postgres(PG_URL)] : [sqlite];

type Record = { [column: string]: unknown };
const comparable = (r: Record) => ({
  order_id: Number(r['order_id']),
  run_id: Number(r['run_id']),
  row_no: Number(r['row_no']),
  contract_id: Number(r['contract_id']),
  ...unpackResolvedForm(String(r['resolved'])),
});

describe.each(backends)('migration 009 ($name)', (backend) => {
  it('records the resolved form of every row done before it, and a file of those days with its blanks filled in is already done', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kaiyaku-backfill-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const db = await backend.spec(dir);
    const cli = (...args: string[]) => runIn(dir, [...args, '--db', db, '--lang', 'en'], {}, { timeoutMs: 120_000 });
    writeFileSync(join(dir, 'contracts.csv'), readFileSync(join(FIXTURES, 'contracts.csv')));
    expect((await cli('contracts', 'import', 'contracts.csv')).code).toBe(0);
    writeFileSync(join(dir, 'nov.csv'), `${HEADER}\n${ROWS.join('\n')}\n`);
    expect((await cli('cancel', 'nov.csv', '--supplier', 'sim')).code).toBe(0);

    const read = async () => {
      const store = await openStore(db);
      try {
        return ((await knexOf(store)('done_requests').orderBy(['run_id', 'row_no']).select('*')) as Record[]).map(comparable);
      } finally {
        await store.close();
      }
    };
    const recorded = await read();
    expect(recorded.map((r) => r.row_no)).toEqual([1, 2, 3, 4, 5]);

    // The store as it was before migration 009.
    const store = await openStore(db);
    try {
      await knexOf(store).schema.dropTable('done_requests');
      await knexOf(store).schema.alterTable('runs', (t) => t.dropColumn('errors_file'));
      await knexOf(store).schema.createTable('row_fingerprints', (t) => {
        t.text('fingerprint').primary();
        t.integer('order_id').notNullable().references('id').inTable('change_orders');
        t.integer('run_id').notNullable().references('id').inTable('runs');
      });
      await knexOf(store)('knex_migrations').where({ name: '009_done_requests' }).delete();
    } finally {
      await store.close();
    }

    const backfilled = await read();
    // The one difference: M365-BB was its contract's only line, which the store no longer says.
    expect(backfilled).toEqual(recorded.map((r) => (r.row_no === 2 ? { ...r, wholeContract: false } : r)));
    expect(recorded[1]!.wholeContract).toBe(true);

    const today = jstDate(new Date());
    writeFileSync(
      join(dir, 'nov.csv'),
      `${HEADER}\n${[
        `NCN202108-0000003200,M365-E3,E3A1B2C3-0001-4000-8000-000000003200,,10,${today},,all that remains and the date defaulted`,
        'NCN202105-0000003108,M365-BB,7D4F1A22-0C3E-4B8F-9D11-0000003108,,2,2099/12/31,,',
        'NCN202110-0000003402,ESET-PROTECT,,SN-ESET-0002,1,,,',
        'NCN202107-0000003109,,,,,,,whole contract',
        'NCN202108-0000003200,TEAMS-EE,,,1,,REQ-1,',
      ].join('\n')}\n`,
    );
    const again = await cli('cancel', 'nov.csv', '--supplier', 'sim');
    expect(again.code, again.stderr).toBe(0);
    const result = parse(readFileSync(join(dir, 'nov.result.csv')), { bom: true, columns: true }) as { result: string }[];
    expect(result.map((r) => r.result)).toEqual(Array(5).fill('already_done'));
  }, 180_000);
});
