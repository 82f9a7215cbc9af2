/**
 * The store keeps codes and parameters, not sentences (migration 014): a refused row keeps
 * its code and the book's key and parameters of its detail, rendered in the reader's
 * language; rows an earlier version wrote with sentences (no key) read as they were.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeRowError, type RowErrorCode } from '../../src/domain/codes.js';
import { fromStored } from '../../src/messages/index.js';
import { openStore, type Store } from '../../src/store/connect.js';
import { runCli } from '../support/cli.js';
import { knexOf } from '../../src/store/store.js';
import { importContracts } from '../support/inProcess.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const FILE = [
  '契約番号,商品コード,解約数',
  'NCN999999-0000000001,,1', // CONTRACT_NOT_FOUND, the number quoted
  'NCN202108-0000003200,M365-E3,1,extra', // MALFORMED_ROW: a field more than the header
  'NCN202105-0000003108,M365-BB,abc', // QUANTITY_INVALID, the value quoted
  'NCN202108-0000003200,TEAMS-EE,99', // QUANTITY_EXCEEDS_REMAINING, with the numbers
].join('\n');

interface StoredRow {
  row_no: number;
  error_code: string | null;
  error_detail?: string | null;
  error_message_en: string | null;
  error_message_ja: string | null;
}

describe('a refused row keeps its code and the key and parameters of its words (014)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-words-by-key-'));
  dirs.push(dir);
  const db = path.join(dir, 'k.db');
  const reports = async (lang: 'en' | 'ja') => {
    const r = await runCli(['cancel', 'nov.csv', '--db', db, '--reports', 'out', '--until', 'accepted', '--lang', lang, '--quiet'], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    return ['nov.result.csv', 'nov.errors.csv'].map((f) => fs.readFileSync(path.join(dir, 'out', f), 'utf8'));
  };
  /** The run's rows as the store holds them, and the run set back to running: the next `cancel` of the file takes it over and reports it again from the store. */
  const rowsAndReopen = async (change?: (store: Store) => Promise<void>): Promise<StoredRow[]> => {
    const store = await openStore(db);
    try {
      const rows = (await knexOf(store)('run_rows').orderBy('row_no').select('*')) as StoredRow[];
      await change?.(store);
      await knexOf(store)('runs').update({ status: 'running' });
      return rows;
    } finally {
      await store.close();
    }
  };

  it('writes no sentence to the store, renders the same files in both languages, and reads sentence rows of an earlier version as they were', async () => {
    fs.mkdirSync(path.join(dir, 'out'));
    fs.writeFileSync(path.join(dir, 'nov.csv'), FILE);
    // A set-up step, in this process (test/support/inProcess.ts): the commands under test run the real CLI.
    await importContracts(db, path.resolve('fixtures/contracts.csv'));

    const en = await reports('en');
    const rows = await rowsAndReopen();
    const ja = await reports('ja');
    expect(rows.map((r) => r.error_code)).toEqual(['CONTRACT_NOT_FOUND', 'MALFORMED_ROW', 'QUANTITY_INVALID', 'QUANTITY_EXCEEDS_REMAINING']);
    // No sentence of ours in the store: the code, and the detail's key and parameters.
    for (const r of rows) {
      expect([r.error_message_en, r.error_message_ja], `row ${r.row_no}`).toEqual([null, null]);
      expect(JSON.parse(r.error_detail!), `row ${r.row_no}`).toMatchObject({ key: expect.any(String) as string, params: expect.any(Object) as object });
      expect(r.error_detail).not.toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
    }
    const said = (r: StoredRow, lang: 'en' | 'ja') => describeRowError({ code: r.error_code as RowErrorCode, detail: fromStored(r.error_detail)! }, lang);
    expect(rows.map((r) => said(r, 'en'))).toEqual([
      'No contract with this number: "NCN999999-0000000001"',
      'The row cannot be read: 4 fields where the header has 3',
      expect.stringContaining(': "abc"') as string,
      expect.stringContaining(': 99 > 5 remaining') as string,
    ]);
    expect(said(rows[3]!, 'ja')).toMatch(/: 解約数 99 > 残数 5$/);
    expect(said(rows[0]!, 'ja')).toBe('この契約番号の契約はありません: "NCN999999-0000000001"');
    expect(en[1]).toContain('4 fields where the header has 3');
    expect(ja[1]).toContain('この契約番号の契約はありません');

    // The store as an earlier version left it: sentences, no key, and no 014.
    await rowsAndReopen(async (store) => {
      for (const r of rows) {
        await knexOf(store)('run_rows')
          .where({ row_no: r.row_no })
          .update({ error_message_en: said(r, 'en'), error_message_ja: said(r, 'ja') });
      }
      await knexOf(store).schema.alterTable('run_rows', (t) => t.dropColumn('error_detail'));
      await knexOf(store).schema.alterTable('order_lines', (t) => t.dropColumn('linkage_detail'));
      await knexOf(store)('knex_migrations').where({ name: '014_words_by_key' }).delete();
    });
    expect(await reports('en')).toEqual(en);
    const legacy = await rowsAndReopen();
    expect(legacy.map((r) => [r.error_detail, r.error_message_en === null])).toEqual(rows.map(() => [null, false]));
    expect(await reports('ja')).toEqual(ja);

    // A key this version does not know (a newer version wrote it) reads with the sentence the row kept.
    await rowsAndReopen(async (store) => {
      await knexOf(store)('run_rows').update({ error_detail: JSON.stringify({ key: 'cancel.fromANewerVersion', params: {} }) });
    });
    expect(await reports('ja')).toEqual(ja);
  });
});
