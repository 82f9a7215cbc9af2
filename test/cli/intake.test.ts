/**
 * Operator-proof intake, through the built CLI as a real child process on databases of
 * its own: what operators really send (CP932, Japanese headers, full-width digits and
 * dashes, loose dates, Excel's trailing rows, an extra column), a file of deliberately
 * wrong rows that meets every row error code intake can produce (dry run and real run,
 * English and Japanese), the error file round trip, repeated files and request ids, and
 * the file-level problems that must stop a file before anything changes.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, type Ran } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kaiyaku-intake-'));

function kaiyaku(...args: string[]): Promise<Ran> {
  return runCli(args, { cwd: dir });
}

async function ok(...args: string[]): Promise<Ran> {
  const r = await kaiyaku(...args);
  expect(r.code, `kaiyaku ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

function write(name: string, content: string | Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

type Row = Record<string, string>;
const csvObjects = (text: string): Row[] => parse(text, { bom: true, columns: true, skip_empty_lines: true }) as Row[];
const csvArrays = (text: string): string[][] => parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
const readCsv = (file: string): Row[] => csvObjects(readFileSync(file, 'utf8'));

const contractList = async (db: string): Promise<Row[]> => csvObjects((await ok('contracts', 'list', '--db', db, '--lang', 'en', '--encoding', 'utf8')).stdout);
const orderList = async (db: string): Promise<Row[]> => csvObjects((await ok('orders', 'list', '--db', db, '--lang', 'en', '--encoding', 'utf8')).stdout);
const serialList = async (db: string): Promise<Row[]> => csvObjects((await ok('serials', 'export', '--db', db, '--lang', 'en', '--encoding', 'utf8')).stdout);

/** Every row of every table, in a stable order: two dumps are equal when the store did not change. */
async function dump(db: string): Promise<Record<string, string[]>> {
  const knex = knexFactory({ client: 'sqlite3', connection: { filename: db }, useNullAsDefault: true });
  try {
    const tables = (await knex('sqlite_master').where({ type: 'table' }).select('name')) as { name: string }[];
    const out: Record<string, string[]> = {};
    for (const { name } of tables) {
      const rows = (await knex.select('*').from(name)) as Record<string, unknown>[];
      out[name] = rows.map((r) => JSON.stringify(r)).sort();
    }
    return out;
  } finally {
    await knex.destroy();
  }
}

const jst = (offsetDays = 0): string => new Date(Date.now() + 9 * 3600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);
const today = jst();
const yesterday = jst(-1);
const Y = Number(today.slice(0, 4)) + 1;

const IMPORT_HEADER =
  'contract_no,contract_date,start_date,end_date,subject,customer,end_user,bill_to,ship_to,supplier,product_code,product_name,subscription_id,quantity,unit_price,plan,billing_model,is_trial,serials';
function contractLine(
  no: string,
  start: string,
  product: string,
  sub: string,
  quantity: number,
  price: number,
  extra: { trial?: boolean; serials?: string[] } = {},
): string {
  return [
    no,
    start,
    start,
    '',
    '件名',
    `顧客${no.slice(-4)}`,
    '利用者',
    '請求先',
    '配送先',
    'Microsoft',
    product,
    `${product} 商品`,
    sub,
    quantity,
    price,
    '標準月額プラン',
    '標準月額モデル',
    extra.trial ? 1 : 0,
    (extra.serials ?? []).join(';'),
  ].join(',');
}

const JA_TEXT = /[\u3040-\u30ff\u4e00-\u9fff]/;

beforeAll(async () => {
  expect(existsSync(BIN), `${BIN} is missing: run npm run build first`).toBe(true);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------
describe('a CP932 file as operators make it in Excel', () => {
  const DB = join(dir, 'cp932.db');
  const A = 'NCN202107-0000003109';
  const B = 'NCN202108-0000003200';
  const reportsDir = join(dir, 'reports');
  let file = '';

  beforeAll(async () => {
    const contracts = [
      IMPORT_HEADER,
      contractLine(A, '2021-07-20', 'O365-E1', 'SUB-3109-E1', 3, 870),
      contractLine(A, '2021-07-20', 'PRJ-P1', 'SUB-3109-P1', 1, 870),
      contractLine(B, '2021-08-02', 'M365-E3', 'SUB-3200-E3', 10, 3910),
      contractLine(B, '2021-08-02', 'TEAMS-EE', 'SUB-3200-TE', 5, 430),
    ].join('\r\n');
    await ok('contracts', 'import', write('cp932-contracts.csv', contracts), '--db', DB);
    const fw = (s: string) => s.replace(/[0-9A-Z\-]/g, (c) => (c === '-' ? '－' : String.fromCharCode(c.charCodeAt(0) + 0xfee0)));
    const text = [
      '契約番号,商品コード,サブスクリプションID,シリアル番号,解約数,契約終了日,依頼番号,備考,担当者',
      // ＮＣＮ２０２１０７－００００００３１０９: full-width digits and hyphen, ten digits after it.
      `${fw(A)},${fw('O365-E1')},,,２,${Y}/1/5,ＲＥＱ－０００１,一部解約,山田`,
      ` ${fw(A)} ,　ＰＲＪ－Ｐ１　,,,,,ＲＥＱ－０００２,,山田`,
      '',
      // The long vowel mark typed for a dash between digits, and a full-width 20270105-style date.
      `ＮＣＮ２０２１０８ー００００００３２００,,,,,${fw(`${Y}0105`)},ＲＥＱ－０００３,全選択,佐藤`,
      ',,,,,,,,',
      ',,,,,,,,',
      '',
      '',
    ].join('\r\n');
    file = write('cp932.csv', iconv.encode(text, 'cp932'));
    // The file really is not UTF-8: the test is only worth something if auto-detection has work to do.
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file))).toThrow();
  });

  it('--encoding cp932 forced works (dry run): every row valid, the unknown column warned about', async () => {
    const r = await kaiyaku('cancel', file, '--db', DB, '--dry-run', '--encoding', 'cp932', '--lang', 'en');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('担当者');
    expect(r.stderr).toMatch(/warning/i);
    const result = readCsv(join(dir, 'cp932.result.csv'));
    expect(result.map((x) => [x.contract_no, x.product_code, x.cancel_quantity, x.result])).toEqual([
      [A, 'O365-E1', '2', 'valid'],
      [A, 'PRJ-P1', '', 'valid'],
      [B, '', '', 'valid'],
    ]);
  });

  it('--encoding utf8 forced on the CP932 file stops it (exit 2) and changes nothing', async () => {
    const before = await dump(DB);
    const r = await kaiyaku('cancel', file, '--db', DB, '--encoding', 'utf8', '--reports', join(dir, 'nowhere'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/UTF-8/i);
    expect(await dump(DB)).toEqual(before);
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });

  it('auto-detects CP932 and cancels correctly; --reports DIR puts the files there', async () => {
    mkdirSync(reportsDir, { recursive: true });
    rmSync(join(dir, 'cp932.result.csv'), { force: true });
    rmSync(join(dir, 'cp932.errors.csv'), { force: true });
    const r = await kaiyaku('cancel', file, '--db', DB, '--reports', reportsDir, '--lang', 'en');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain('担当者');
    expect(existsSync(join(dir, 'cp932.result.csv'))).toBe(false);
    expect(existsSync(join(dir, 'cp932.errors.csv'))).toBe(false);

    const result = readCsv(join(reportsDir, 'cp932.result.csv'));
    // Blank lines and Excel's ,,,, rows are no data rows; the row numbers still point at the file's lines.
    expect(result.map((x) => [x.row, x.contract_no, x.product_code, x.cancel_quantity, x.result, x.order_status, x.linkage_status])).toEqual([
      ['1', A, 'O365-E1', '2', 'completed', 'completed', 'linked'],
      ['2', A, 'PRJ-P1', '', 'completed', 'completed', 'linked'],
      ['4', B, '', '', 'completed', 'completed', 'linked'],
    ]);
    // Rows of one contract make one order.
    expect(result[0]!.order_no).toBe(result[1]!.order_no);
    expect(result[2]!.order_no).not.toBe(result[0]!.order_no);
    const errors = csvArrays(readFileSync(join(reportsDir, 'cp932.errors.csv'), 'utf8'));
    expect(errors).toEqual([
      ['契約番号', '商品コード', 'サブスクリプションID', 'シリアル番号', '解約数', '契約終了日', '依頼番号', '備考', '担当者', 'error_code', 'error_message'],
    ]);

    const contracts = new Map((await contractList(DB)).map((c) => [c.contract_no, c]));
    expect(contracts.get(A)).toMatchObject({ status: 'active', end_date: '', cancelled_on: '', billable: 'true' });
    expect(contracts.get(B)).toMatchObject({ status: 'cancelled', end_date: `${Y}-01-05`, cancelled_on: today, billable: 'false' });

    const serials = (await serialList(DB)).map((s) => [s.contract_no, s.product_code, s.cancel_quantity, s.end_date]).sort();
    expect(serials).toEqual([
      [A, 'O365-E1', '2', `${Y}-01-05`],
      [A, 'PRJ-P1', '1', `${Y}-01-05`],
      [B, 'M365-E3', '10', `${Y}-01-05`],
      [B, 'TEAMS-EE', '5', `${Y}-01-05`],
    ]);
    const orders = await orderList(DB);
    expect(orders).toHaveLength(2);
    const a = orders.find((o) => o.contract_no === A)!;
    // 3×870 + 1×870 = 3,480 円 before; 1×870 = 870 円 after.
    expect(a).toMatchObject({
      status: 'completed',
      subtotal_before: '3480',
      tax_before: '348',
      total_before: '3828',
      subtotal_after: '870',
      tax_after: '87',
      total_after: '957',
      lines: '2',
    });
  });

  describe('file-level problems stop the file (exit 2) and change nothing', () => {
    const cases: [string, () => string, RegExp][] = [
      ['a missing file', () => join(dir, 'no-such-file.csv'), /no-such-file/],
      ['a missing 契約番号 column', () => write('nocolumn.csv', '商品コード,解約数\r\nO365-E1,1\r\n'), /契約番号/],
      [
        'an undetectable encoding (bytes invalid in UTF-8 and in CP932)',
        () =>
          write(
            'garbage.csv',
            Buffer.concat([Buffer.from('契約番号,備考\r\nNCN202107-0000003109,', 'utf8'), Buffer.from([0x80, 0xff, 0xfe, 0xa0, 0x0d, 0x0a])]),
          ),
        /UTF-8|CP932/,
      ],
      ['an empty file', () => write('empty.csv', ''), /empty/i],
    ];
    for (const [what, make, message] of cases) {
      it(what, async () => {
        const input = make();
        const before = await dump(DB);
        const r = await kaiyaku('cancel', input, '--db', DB);
        expect(r.code, r.stdout + r.stderr).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(await dump(DB)).toEqual(before);
        const base = input.replace(/\.csv$/, '');
        expect(existsSync(`${base}.result.csv`)).toBe(false);
        expect(existsSync(`${base}.errors.csv`)).toBe(false);
      });
    }

    it('a missing column does not leave a half-started run behind: the fixed file then runs normally', async () => {
      const fixed = write('nocolumn.csv', `契約番号,商品コード,解約数\r\n${A},O365-E1,1\r\n`);
      const r = await kaiyaku('cancel', fixed, '--db', DB, '--lang', 'en');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(readCsv(join(dir, 'nocolumn.result.csv')).map((x) => x.result)).toEqual(['completed']);
    });
  });
});

// ---------------------------------------------------------------------------------------
describe('a file of deliberately wrong rows: every row error code intake can produce', () => {
  const DB = join(dir, 'errors.db');
  const S = (n: number) => `NCN202109-00000041${String(n).padStart(2, '0')}`;
  const CANCELLED = 'NCN202102-0000004002';
  const HALF = 'NCN202103-0000004003';
  const TRIAL = 'NCN202104-0000004004';
  const TRIAL2 = 'NCN202104-0000004014';
  const SERIAL = 'NCN202105-0000004005';
  const TWO = 'NCN202106-0000004006';
  const OPEN = 'NCN202108-0000004008';
  const CONF = 'NCN202110-0000004010';
  const DUP = 'NCN202111-0000004011';
  const GRP = 'NCN202112-0000004012';

  const HEADER = 'contract_no,product_code,subscription_id,serial_no,cancel_quantity,end_date,request_id,note';

  /** Each row as it goes into the file, the code it must get (null: it is valid) and, when refused, the corrected row. */
  interface Case {
    line: string;
    code: string | null;
    fix?: string;
  }
  const cases: Case[] = [
    { line: `${S(1)},Q,,,1,,E01,extra,field`, code: 'MALFORMED_ROW', fix: `${S(1)},Q,,,1,,E01,` },
    { line: `${S(2)},Q"X,,,1,,E02,`, code: 'MALFORMED_ROW', fix: `${S(2)},Q,,,1,,E02,` },
    // A quote that never closes: it costs this row only, the rows after it are read as usual.
    { line: `${S(3)},"Q,,,1,,E03,`, code: 'MALFORMED_ROW', fix: `${S(3)},Q,,,1,,E03,` },
    { line: `${S(30)},Q,,,2,,V01,valid`, code: null },
    { line: ',Q,,,1,,E04,', code: 'MALFORMED_ROW', fix: `${S(4)},Q,,,1,,E04,` },
    { line: 'NCN209901-0000009999,,,,,,E05,', code: 'CONTRACT_NOT_FOUND', fix: `${S(5)},,,,,,E05,` },
    { line: `${CANCELLED},,,,,,E06,`, code: 'CONTRACT_NOT_ACTIVE', fix: `${S(6)},,,,,,E06,` },
    { line: `${S(7)},NOPE,,,1,,E07,`, code: 'LINE_NOT_FOUND', fix: `${S(7)},Q,,,1,,E07,` },
    { line: `${TWO},,,,1,,E08,`, code: 'LINE_AMBIGUOUS', fix: `${TWO},T1,,,1,,E08,` },
    { line: `${HALF},HA,,,1,,E09,`, code: 'LINE_NOT_ACTIVE', fix: `${HALF},HB,,,1,,E09,` },
    { line: `${TRIAL},TRIAL,,,,,E10,`, code: 'TRIAL_LINE', fix: `${TRIAL},PAID,,,1,,E10,` },
    { line: `${TRIAL2},,,,,,E11,`, code: 'TRIAL_BLOCKS_FULL_CANCEL', fix: `${TRIAL2},PAID,,,,,E11,` },
    { line: `${S(12)},Q,,,0,,E12,`, code: 'QUANTITY_INVALID', fix: `${S(12)},Q,,,1,,E12,` },
    { line: `${S(13)},Q,,,2.5,,E13,`, code: 'QUANTITY_INVALID', fix: `${S(13)},Q,,,2,,E13,` },
    { line: `${S(14)},Q,,,9,,E14,`, code: 'QUANTITY_EXCEEDS_REMAINING', fix: `${S(14)},Q,,,5,,E14,` },
    { line: `${SERIAL},ESET,,,2,,E15,`, code: 'SERIAL_REQUIRED', fix: `${SERIAL},ESET,,SN-4005-1,,,E15,` },
    { line: `${SERIAL},,,SN-NOPE,,,E16,`, code: 'SERIAL_NOT_FOUND', fix: `${SERIAL},,,SN-4005-2,,,E16,` },
    { line: `${S(17)},Q,,,1,${Y}/02/30,E17,`, code: 'DATE_INVALID', fix: `${S(17)},Q,,,1,,E17,` },
    { line: `${S(18)},Q,,,1,2021/01/01,E18,`, code: 'END_DATE_BEFORE_START', fix: `${S(18)},Q,,,1,,E18,` },
    { line: `${S(19)},Q,,,1,${yesterday},E19,`, code: 'END_DATE_BEFORE_APPLIED', fix: `${S(19)},Q,,,1,,E19,` },
    { line: `${CONF},C1,,,,${Y}-03-01,E20,`, code: 'END_DATE_CONFLICT', fix: `${CONF},C1,,,,${Y}-03-01,E20,` },
    { line: `${CONF},C2,,,,${Y}-03-02,E21,`, code: 'END_DATE_CONFLICT', fix: `${CONF},C2,,,,${Y}-03-01,E21,` },
    { line: `${DUP},D1,,,1,,E22,`, code: 'CONTRACT_GROUP_REFUSED', fix: `${DUP},D1,,,1,,E22,` },
    { line: `${DUP},D1,,,1,,E23,`, code: 'DUPLICATE_ROW', fix: `${DUP},D2,,,1,,E23,` },
    { line: `${GRP},G1,,,1,,E24,`, code: 'CONTRACT_GROUP_REFUSED', fix: `${GRP},G1,,,1,,E24,` },
    { line: `${GRP},NOPE,,,1,,E25,`, code: 'LINE_NOT_FOUND', fix: `${GRP},G2,,,1,,E25,` },
    { line: `${S(26)},Q,,,1,,E26,first`, code: null },
    { line: `${S(27)},Q,,,1,,E26,second`, code: 'DUPLICATE_ROW', fix: `${S(27)},Q,,,1,,E27,second` },
    { line: `${OPEN},OP,,,1,,E28,`, code: 'LINE_HAS_OPEN_ORDER', fix: `${OPEN},OP2,,,1,,E28,` },
  ];
  const INTAKE_CODES = [
    'MALFORMED_ROW',
    'CONTRACT_NOT_FOUND',
    'CONTRACT_NOT_ACTIVE',
    'LINE_NOT_FOUND',
    'LINE_AMBIGUOUS',
    'LINE_NOT_ACTIVE',
    'TRIAL_LINE',
    'TRIAL_BLOCKS_FULL_CANCEL',
    'QUANTITY_INVALID',
    'QUANTITY_EXCEEDS_REMAINING',
    'SERIAL_REQUIRED',
    'SERIAL_NOT_FOUND',
    'DATE_INVALID',
    'END_DATE_BEFORE_START',
    'END_DATE_BEFORE_APPLIED',
    'END_DATE_CONFLICT',
    'DUPLICATE_ROW',
    'LINE_HAS_OPEN_ORDER',
    'CONTRACT_GROUP_REFUSED',
  ];
  const refused = cases.filter((c) => c.code !== null);
  let file = '';
  let fixedFile = '';

  beforeAll(async () => {
    const lines = [
      IMPORT_HEADER,
      contractLine(CANCELLED, '2021-02-01', 'X', 'SUB-4002-X', 1, 1000),
      contractLine(HALF, '2021-03-01', 'HA', 'SUB-4003-A', 2, 1000),
      contractLine(HALF, '2021-03-01', 'HB', 'SUB-4003-B', 3, 1000),
      contractLine(TRIAL, '2021-04-01', 'PAID', 'SUB-4004-P', 5, 1090),
      contractLine(TRIAL, '2021-04-01', 'TRIAL', 'SUB-4004-T', 1, 0, { trial: true }),
      contractLine(TRIAL2, '2021-04-01', 'PAID', 'SUB-4014-P', 2, 1090),
      contractLine(TRIAL2, '2021-04-01', 'TRIAL', 'SUB-4014-T', 1, 0, { trial: true }),
      contractLine(SERIAL, '2021-05-01', 'ESET', '', 4, 550, { serials: ['SN-4005-1', 'SN-4005-2', 'SN-4005-3', 'SN-4005-4'] }),
      contractLine(TWO, '2021-06-01', 'T1', 'SUB-4006-1', 3, 500),
      contractLine(TWO, '2021-06-01', 'T2', 'SUB-4006-2', 3, 500),
      contractLine(OPEN, '2021-08-01', 'OP', 'SUB-4008-1', 2, 500),
      contractLine(OPEN, '2021-08-01', 'OP2', 'SUB-4008-2', 1, 500),
      contractLine(CONF, '2021-10-01', 'C1', 'SUB-4010-1', 1, 500),
      contractLine(CONF, '2021-10-01', 'C2', 'SUB-4010-2', 1, 500),
      contractLine(DUP, '2021-11-01', 'D1', 'SUB-4011-1', 5, 500),
      contractLine(DUP, '2021-11-01', 'D2', 'SUB-4011-2', 1, 500),
      contractLine(GRP, '2021-12-01', 'G1', 'SUB-4012-1', 1, 500),
      contractLine(GRP, '2021-12-01', 'G2', 'SUB-4012-2', 1, 500),
      ...Array.from({ length: 30 }, (_, i) => contractLine(S(i + 1), '2021-09-01', 'Q', `SUB-41${String(i + 1).padStart(2, '0')}`, 5, 300)),
    ];
    await ok('contracts', 'import', write('errors-contracts.csv', lines.join('\r\n')), '--db', DB);
    // Earlier runs: one contract cancelled outright and one line of another, then a line held by a requested order.
    await ok('cancel', write('setup-done.csv', `${HEADER}\r\n${CANCELLED},,,,,,,\r\n${HALF},HA,,,,,,\r\n`), '--db', DB);
    await ok('cancel', write('setup-open.csv', `${HEADER}\r\n${OPEN},OP,,,1,,,\r\n`), '--db', DB, '--until', 'requested');
    file = write('wrong.csv', [HEADER, ...cases.map((c) => c.line), ',,,,,,,', ',,,,,,,', '', ''].join('\r\n'));
  });

  it('covers every row error code of cli.md that intake can produce', async () => {
    expect(new Set(refused.map((c) => c.code))).toEqual(new Set(INTAKE_CODES));
    expect(cases.length).toBeGreaterThanOrEqual(24);
  });

  function checkRows(result: Row[], okResult: string): void {
    expect(result).toHaveLength(cases.length);
    result.forEach((r, i) => {
      const c = cases[i]!;
      const where = `row ${i + 1}: ${c.line}`;
      expect(r.row, where).toBe(String(i + 1));
      if (c.code === null) {
        expect({ result: r.result, error_code: r.error_code }, where).toEqual({ result: okResult, error_code: '' });
      } else {
        expect({ result: r.result, error_code: r.error_code }, where).toEqual({ result: 'refused', error_code: c.code });
        expect(r.error_message, where).not.toBe('');
        expect(r.order_no, where).toBe('');
      }
    });
  }

  it('dry run (--lang en): each row gets its code, exit 1, and the store is unchanged row for row', async () => {
    const before = await dump(DB);
    const r = await kaiyaku('cancel', file, '--db', DB, '--dry-run', '--lang', 'en');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const result = readCsv(join(dir, 'wrong.result.csv'));
    checkRows(result, 'valid');
    for (const row of result.filter((x) => x.error_code !== '')) expect(row.error_message, row.error_code).not.toMatch(JA_TEXT);
    expect(await dump(DB)).toEqual(before);
  });

  it('dry run (--lang ja): Japanese headers, labels and messages; the store is still unchanged', async () => {
    const before = await dump(DB);
    const r = await kaiyaku('cancel', file, '--db', DB, '--dry-run', '--lang', 'ja');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const result = csvArrays(readFileSync(join(dir, 'wrong.result.csv'), 'utf8'));
    expect(result[0]).toEqual([
      '行',
      '契約番号',
      '商品コード',
      'サブスクリプションID',
      '解約数',
      '結果',
      '注文番号',
      '注文ステータス',
      '解約連携ステータス',
      'エラーコード',
      'エラー内容',
    ]);
    const rows = result.slice(1);
    expect(rows).toHaveLength(cases.length);
    rows.forEach((row, i) => {
      const c = cases[i]!;
      expect(row[9], c.line).toBe(c.code ?? '');
      if (c.code !== null) {
        expect(row[5], c.line).not.toBe('refused');
        expect(row[5], c.line).toMatch(JA_TEXT);
        expect(row[10], c.line).toMatch(JA_TEXT);
      }
    });
    const byCode = new Map(rows.map((row) => [row[9], row[10] ?? '']));
    expect(byCode.get('TRIAL_BLOCKS_FULL_CANCEL')).toContain('トライアル');
    expect(byCode.get('LINE_HAS_OPEN_ORDER')).toContain('解約注文');
    expect(byCode.get('END_DATE_BEFORE_START')).toContain('契約開始日');
    const errors = csvArrays(readFileSync(join(dir, 'wrong.errors.csv'), 'utf8'));
    expect(errors[0]).toEqual([...HEADER.split(','), 'エラーコード', 'エラー内容']);
    expect(await dump(DB)).toEqual(before);
  });

  it('real run (--lang en): the same codes row by row, the valid rows completed, exit 1', async () => {
    const ordersBefore = (await dump(DB))['change_orders']!.length;
    const r = await kaiyaku('cancel', file, '--db', DB, '--lang', 'en');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const result = readCsv(join(dir, 'wrong.result.csv'));
    checkRows(result, 'completed');
    // Only the two valid rows made orders, and only on their own contracts.
    const orders = await orderList(DB);
    expect(orders.length).toBe(ordersBefore + 2);
    expect(
      orders
        .slice(-2)
        .map((o) => [o.contract_no, o.status, o.subtotal_before, o.subtotal_after])
        .sort(),
    ).toEqual([
      [S(26), 'completed', '1500', '1200'],
      [S(30), 'completed', '1500', '900'],
    ]);
  });

  it('the error file holds exactly the refused rows as they came, plus error_code and error_message', async () => {
    const errors = csvArrays(readFileSync(join(dir, 'wrong.errors.csv'), 'utf8'));
    expect(errors[0]).toEqual([...HEADER.split(','), 'error_code', 'error_message']);
    const rows = errors.slice(1);
    expect(rows).toHaveLength(refused.length);
    const n = HEADER.split(',').length;
    // Cells up to the header's width, the code and message under their own headers, then any extra cells.
    const trimEnd = (cells: string[]) => {
      const out = [...cells];
      while (out.length > 0 && out.at(-1) === '') out.pop();
      return out;
    };
    rows.forEach((row, i) => {
      const c = refused[i]!;
      const cells = trimEnd([...row.slice(0, n), ...row.slice(n + 2)]);
      const [code, message] = [row[n], row[n + 1]];
      expect(code, c.line).toBe(c.code);
      expect(message, c.line).not.toBe('');
      if (c.code === 'MALFORMED_ROW' && c.line.includes('"')) {
        // A row whose quoting is broken comes back as its text split on commas.
        expect(cells.join(',').replaceAll('"', ''), c.line).toBe(trimEnd(c.line.split(',')).join(',').replaceAll('"', ''));
      } else {
        expect(cells, c.line).toEqual(trimEnd(c.line.split(',')));
      }
    });
  });

  it('the error file, corrected (the two extra columns dropped, the values fixed), re-uploads cleanly', async () => {
    const errors = csvArrays(readFileSync(join(dir, 'wrong.errors.csv'), 'utf8'));
    const header = errors[0]!.slice(0, -2);
    // The operator corrects each row in place; the request id (依頼番号) says which row it is.
    const fixes = new Map(refused.map((c) => [c.line.split(',')[6], c.fix!]));
    const fixed = errors.slice(1).map((row) => {
      const fix = fixes.get(row[6]);
      expect(fix, row.join(',')).toBeDefined();
      return fix!;
    });
    expect(fixed).toEqual(refused.map((c) => c.fix));
    fixedFile = write('fixed.csv', [header.join(','), ...fixed, ''].join('\r\n'));
    const ordersBefore = (await dump(DB))['change_orders']!.length;
    const r = await kaiyaku('cancel', fixedFile, '--db', DB, '--lang', 'en');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const result = readCsv(join(dir, 'fixed.result.csv'));
    expect(result).toHaveLength(refused.length);
    for (const row of result)
      expect({ row: row.row, result: row.result, error: row.error_code, message: row.error_message }).toEqual({
        row: row.row,
        result: 'completed',
        error: '',
        message: '',
      });
    expect(csvArrays(readFileSync(join(dir, 'fixed.errors.csv'), 'utf8'))).toHaveLength(1);
    // One order per contract: 19 contracts among the 25 fixed rows.
    const contractsTouched = new Set(refused.map((c) => c.fix!.split(',')[0]));
    expect((await dump(DB))['change_orders']!.length).toBe(ordersBefore + contractsTouched.size);
    const contracts = new Map((await contractList(DB)).map((c) => [c.contract_no, c]));
    expect(contracts.get(S(5))?.status).toBe('cancelled');
    expect(contracts.get(TRIAL2)?.status).toBe('active');
    expect(contracts.get(CONF)).toMatchObject({ status: 'cancelled', end_date: `${Y}-03-01` });
    expect(contracts.get(GRP)?.status).toBe('cancelled');
  });

  it('the same file twice: no new order, every row already_done, exit 0', async () => {
    const before = await dump(DB);
    const r = await kaiyaku('cancel', fixedFile, '--db', DB, '--lang', 'en');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const result = readCsv(join(dir, 'fixed.result.csv'));
    expect(result).toHaveLength(refused.length);
    expect(new Set(result.map((x) => x.result))).toEqual(new Set(['already_done']));
    expect(result.every((x) => x.order_no !== '')).toBe(true);
    const after = await dump(DB);
    for (const table of ['change_orders', 'order_lines', 'contracts', 'contract_lines', 'cancelled_serials', 'request_keys'])
      expect(after[table], table).toEqual(before[table]);
  });

  it('a dry run of a file already run reports already_done and changes nothing', async () => {
    const before = await dump(DB);
    const r = await kaiyaku('cancel', fixedFile, '--db', DB, '--lang', 'en', '--dry-run');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const result = readCsv(join(dir, 'fixed.result.csv'));
    expect(result).toHaveLength(refused.length);
    expect(new Set(result.map((x) => x.result))).toEqual(new Set(['already_done']));
    expect(await dump(DB)).toEqual(before);
  });

  it('a request_id seen before on a different row is a conflict of its own, not already_done', async () => {
    const before = await dump(DB);
    // E05 was done by fixed.csv (on another contract); here it names a contract nothing touched yet.
    const other = write('other.csv', `${HEADER}\r\n${S(29)},,,,,,E05,again\r\n`);
    const r = await kaiyaku('cancel', other, '--db', DB, '--lang', 'en');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const result = readCsv(join(dir, 'other.result.csv'));
    expect(result.map((x) => [x.contract_no, x.result, x.error_code])).toEqual([[S(29), 'refused', 'REQUEST_ID_REUSED']]);
    expect(result[0]!.error_message).toContain('"E05" was used for another row (order NOD');
    const after = await dump(DB);
    for (const table of ['change_orders', 'order_lines', 'contracts', 'contract_lines', 'cancelled_serials', 'request_keys'])
      expect(after[table], table).toEqual(before[table]);
  });
});
