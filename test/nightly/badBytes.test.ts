/**
 * A NUL byte in one cell (issue 18, item 14). PostgreSQL cannot store one in text, and once
 * stopped every night with an unexpected error. A NUL is a row's named error, alike on
 * SQLite and PostgreSQL: a cancellation row is refused as MALFORMED_ROW naming the column,
 * and the night goes on with the other rows and files; a contract master is refused whole
 * (exit 2), naming the row and the column, as for any other bad value.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/connect.js';
import { FIXTURES } from '../support/sandbox.js';
import { runCli } from '../support/cli.js';
import { aPgSchema, PG_URL } from '../store/pgSchema.js';
import { parseCsv } from './helpers.js';
import { knexOf } from '../../src/store/store.js';
import { importContracts } from '../support/inProcess.js';

const END = `${new Date().getUTCFullYear() + 1}-12-31`;
const made: string[] = [];
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops) await drop();
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A folder with the fixture master imported into the store named by `db(dir)`. */
async function folderWithStore(label: string, dialect: 'sqlite' | 'postgres'): Promise<{ dir: string; db: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kaiyaku-nul-${label}-`));
  made.push(dir);
  let db = path.join(dir, 'kaiyaku.db');
  if (dialect === 'postgres') {
    const schema = await aPgSchema(PG_URL!, `nul_${label.replace(/-/g, '_')}`);
    drops.push(() => schema.drop());
    db = schema.url;
  }
  // A set-up step, in this process (test/support/inProcess.ts): the commands under test run the real CLI.
  await importContracts(db, path.join(FIXTURES, 'contracts.csv'));
  return { dir, db };
}

async function seats(db: string): Promise<Record<string, number>> {
  const store = await openStore(db);
  try {
    const rows = (await knexOf(store)('contract_lines').select('product_code', 'quantity')) as { product_code: string; quantity: number }[];
    return Object.fromEntries(rows.map((r) => [r.product_code, Number(r.quantity)]));
  } finally {
    await store.close();
  }
}

const dialects = [{ name: 'SQLite', dialect: 'sqlite' as const }, ...(PG_URL ? [{ name: 'PostgreSQL', dialect: 'postgres' as const }] : [])];

describe.each(dialects)('a NUL byte in a cell ($name)', ({ dialect }) => {
  it("refuses that row of a night's file as MALFORMED_ROW naming the column; the file's other rows and the next file run, and the summary is written", async () => {
    const { dir, db } = await folderWithStore(`night-${dialect}`, dialect);
    const inbox = path.join(dir, 'inbox');
    fs.mkdirSync(inbox);
    const header = '契約番号,商品コード,解約数,契約終了日,備考';
    fs.writeFileSync(
      path.join(inbox, 'a.csv'),
      [
        header,
        `NCN202108-0000003200,M365-E3,1,${END},メモ\u0000`,
        `NCN2021\u000005-0000003108,M365-BB,1,${END},`,
        `NCN202105-0000003108,M365-BB,2,${END},ok`,
        '',
      ].join('\r\n'),
    );
    fs.writeFileSync(path.join(inbox, 'b.csv'), [header, `NCN202107-0000003109,O365-E1,1,${END},`, ''].join('\r\n'));
    const old = new Date(Date.now() - 3600_000);
    for (const f of ['a.csv', 'b.csv']) fs.utimesSync(path.join(inbox, f), old, old);

    const summaryFile = path.join(dir, 'night.json');
    const r = await runCli(
      [
        'cancel',
        '--inbox',
        inbox,
        '--db',
        db,
        '--supplier',
        'sim',
        '--summary-json',
        summaryFile,
        '--lang',
        'en',
        '--report-encoding',
        'utf8',
        '--settle-seconds',
        '0',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/unexpected|予期しない|at .*\.js:\d+/);
    const night = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as { files: { file: string; status: string; counts: Record<string, number> | null }[] };
    expect(night.files.map((f) => [f.file, f.status, f.counts?.['completed'], f.counts?.['refused']])).toEqual([
      ['a.csv', 'archived', 1, 2],
      ['b.csv', 'archived', 1, 0],
    ]);
    const errors = parseCsv(fs.readFileSync(path.join(inbox, 'archive', 'a.errors.csv'), 'utf8'));
    expect(errors.map((e) => [e['error_code'], e['error_message']])).toEqual([
      ['MALFORMED_ROW', 'The row cannot be read: column 5 (備考) holds a NUL character (a 0x00 byte), which no value may contain: remove it'],
      ['MALFORMED_ROW', 'The row cannot be read: column 1 (契約番号) holds a NUL character (a 0x00 byte), which no value may contain: remove it'],
    ]);
    // The refused rows go back as they came, NUL included, to be fixed and dropped again.
    expect(errors[0]!['備考']).toBe('メモ\u0000');
    expect(await seats(db)).toMatchObject({ 'M365-E3': 10, 'M365-BB': 18, 'O365-E1': 2 });
  });

  it('a single cancel run refuses the row in Japanese too, and changes nothing of it', async () => {
    const { dir, db } = await folderWithStore(`cancel-${dialect}`, dialect);
    fs.writeFileSync(path.join(dir, 'c.csv'), `契約番号,商品コード,解約数,契約終了日\r\nNCN202108-0000003200,M365-E3,1\u0000,${END}\r\n`);
    const r = await runCli(['cancel', 'c.csv', '--db', db, '--supplier', 'sim', '--report-encoding', 'utf8'], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    const result = parseCsv(fs.readFileSync(path.join(dir, 'c.result.csv'), 'utf8'));
    expect(result[0]).toMatchObject({ エラーコード: 'MALFORMED_ROW' });
    expect(Object.values(result[0]!).join(',')).toContain('3 列目（解約数）に NUL 文字（0x00 のバイト）があります');
    expect((await seats(db))['M365-E3']).toBe(10);
  });

  it('refuses a contract master whole (exit 2), naming the row and the column; nothing is imported', async () => {
    const { dir, db } = await folderWithStore(`import-${dialect}`, dialect);
    const lines = fs.readFileSync(path.join(FIXTURES, 'contracts.csv'), 'utf8').trimEnd().split('\n');
    const changed = lines.map((l, i) => (i === 2 ? l.replace(',テスト,', ',テスト\u0000,') : i === 4 ? l.replace(',10,3910,', ',12,3910,') : l));
    fs.writeFileSync(path.join(dir, 'next.csv'), `${changed.join('\n')}\n`);
    const r = await runCli(['contracts', 'import', 'next.csv', '--db', db, '--lang', 'en'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('row 2: cannot be read: column 5 (subject) holds a NUL character (a 0x00 byte), which no value may contain: remove it');
    const ja = await runCli(['contracts', 'import', 'next.csv', '--db', db], { cwd: dir });
    expect(ja.code).toBe(2);
    expect(ja.stderr).toContain('2 行目: 読み取れません: 5 列目（subject）に NUL 文字（0x00 のバイト）があります');
    expect((await seats(db))['M365-E3']).toBe(10);
  });
});
