/**
 * The contract master through the real CLI, as files really come from a distributor's
 * system: re-imports that must never double, drop or invent seats. Each case starts from
 * a fresh folder with fixtures/contracts.csv imported, and checks what the portal's own
 * screens would show afterwards (the contract list, the order amounts, the serial export).
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/connect.js';
import { BIN } from '../support/cli.js';
import { contractList, orderList, serialList } from '../support/inProcess.js';
import { FIXTURES, runIn, snapshot } from '../support/sandbox.js';
import { withFixtureStore } from '../support/setup.js';
import { knexOf } from '../../src/store/store.js';

const CANCEL_HEADER = '契約番号,商品コード,サブスクリプションID,シリアル番号,解約数,契約終了日';
const END = `${new Date().getUTCFullYear() + 1}-12-31`;
/** The fixture master, one string per line (the header first). */
const master = readFileSync(join(FIXTURES, 'contracts.csv'), 'utf8').trimEnd().split('\n');
let dir: string;

beforeAll(async () => {
  expect(existsSync(BIN), `${BIN} is missing: run npm run build first`).toBe(true);
});
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kaiyaku-import-'));
  // contracts.csv imported, as `kaiyaku contracts import contracts.csv` leaves the folder (a copy of the store made once).
  withFixtureStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

type Row = Record<string, string>;
const kaiyaku = (...args: string[]) => runIn(dir, [...args, '--lang', 'en']);
const csv = (text: string | Buffer): Row[] => parse(text, { bom: true, columns: true, skip_empty_lines: true }) as Row[];
// What the portal's screens show, read back in this process (queries, not the subject: inProcess.ts).
const orders = async (): Promise<Row[]> => csv(await orderList(join(dir, 'kaiyaku.db')));
const contracts = async (): Promise<Row[]> => csv(await contractList(join(dir, 'kaiyaku.db')));
const exported = async (): Promise<Row[]> => csv(await serialList(join(dir, 'kaiyaku.db')));

/** The fixture master's rows as cells, to change a few and write back. */
const HEAD = () => master[0]!;
const COL = Object.fromEntries(master[0]!.split(',').map((name, i) => [name, i])) as Record<string, number>;
const rowsOf = (contractNo: string): string[][] =>
  master
    .slice(1)
    .map((l) => l.split(','))
    .filter((c) => c[0] === contractNo);
const cells = (row: string[], changes: Record<string, string | number>): string[] => {
  const out = [...row];
  for (const [name, value] of Object.entries(changes)) out[COL[name]!] = String(value);
  return out;
};
const writeMaster = (name: string, rows: readonly string[][]): string => {
  writeFileSync(join(dir, name), `${[HEAD(), ...rows.map((r) => r.join(','))].join('\n')}\n`);
  return name;
};
const writeCancel = (name: string, rows: readonly string[]): string => {
  writeFileSync(join(dir, name), `${[CANCEL_HEADER, ...rows].join('\n')}\n`);
  return name;
};

/** Each line of a contract as stored: product, id, seats, price, status and active serials. */
async function storedLines(
  contractNo: string,
): Promise<{ code: string; sub: string; q: number; price: number; trial: boolean; status: string; serials: string[] }[]> {
  const store = await openStore(join(dir, 'kaiyaku.db'), { access: 'read' });
  try {
    const lines = await knexOf(store)('contract_lines as cl')
      .join('contracts as c', 'c.id', 'cl.contract_id')
      .where('c.contract_no', contractNo)
      .orderBy('cl.line_no')
      .select('cl.*');
    const serials = await knexOf(store)('serials')
      .whereIn(
        'line_id',
        lines.map((l) => l.id),
      )
      .andWhere('status', 'active')
      .orderBy('serial_no');
    return lines.map((l) => ({
      code: l.product_code,
      sub: l.subscription_id,
      q: Number(l.quantity),
      price: Number(l.unit_price),
      trial: Boolean(l.is_trial),
      status: l.status,
      serials: serials.filter((s) => s.line_id === l.id).map((s) => s.serial_no),
    }));
  } finally {
    await store.close();
  }
}

describe('1. re-import never doubles a line', () => {
  it('the same line with its subscription id in lower case, or filled in after being empty, is updated, not added', async () => {
    const no = 'NCN202107-0000009109';
    const [e1, p1] = rowsOf('NCN202107-0000003109').map((c) =>
      cells(c, { contract_no: no, subscription_id: c[COL['subscription_id']!]!.replace('3109', '9109') }),
    );
    // The first master: 5 seats of O365-E1, PRJ-P1 not yet given its subscription id.
    writeMaster('first.csv', [cells(e1!, { quantity: 5 }), cells(p1!, { subscription_id: '' })]);
    expect((await kaiyaku('contracts', 'import', 'first.csv')).code).toBe(0);
    expect(await storedLines(no)).toHaveLength(2);
    // The next one: the GUID in lower case, and PRJ-P1's id filled in.
    const sub = e1![COL['subscription_id']!]!;
    writeMaster('next.csv', [cells(e1!, { quantity: 5, subscription_id: sub.toLowerCase() }), p1!]);
    const r = await kaiyaku('contracts', 'import', 'next.csv');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('lines created 0, updated 1, unchanged 1, refused 0');
    expect(r.stdout).toContain(
      'row 2, line 2 (PRJ-P1 / 5B7E2C10-91AA-4C3B-8E02-0000009109): updated — subscription_id "" → "5B7E2C10-91AA-4C3B-8E02-0000009109"',
    );
    expect((await storedLines(no)).map((l) => [l.code, l.sub, l.q])).toEqual([
      ['O365-E1', sub, 5],
      ['PRJ-P1', '5B7E2C10-91AA-4C3B-8E02-0000009109', 1],
    ]);
    // A row naming the product finds one line, and the order bills 5 seats, not 10.
    writeCancel('c.csv', [`${no},O365-E1,,,,${END}`]);
    const cancel = await kaiyaku('cancel', 'c.csv', '--until', 'requested');
    expect(cancel.code, cancel.stdout).toBe(0);
    expect((await orders())[0]).toMatchObject({ contract_no: no, subtotal_before: '4350', subtotal_after: '0' });
    // A master that leaves out the id the store knows is refused for that line, not added again.
    writeMaster('dropped.csv', [cells(e1!, { quantity: 5, subscription_id: '' }), p1!]);
    const dropped = await kaiyaku('contracts', 'import', 'dropped.csv');
    expect(dropped.code).toBe(1);
    expect(dropped.stdout).toContain(`row 1, new line (O365-E1): refused — the file gives no subscription_id, and line 1 of this product has "${sub}"`);
    expect(await storedLines(no)).toHaveLength(2);
  });
});

describe('2. is_trial is read strictly', () => {
  it('有, on, T, ✓, ＹＥＳ and はい mean a trial: the contract is not cancelled as a whole', async () => {
    const [paid, trial] = rowsOf('NCN202109-0000003301');
    const values = ['有', 'on', 'T', '✓', 'ＹＥＳ', 'はい'];
    const rows = values.flatMap((value, i) => {
      const no = `NCN202109-00000099${String(i).padStart(2, '0')}`;
      return [
        cells(paid!, { contract_no: no, subscription_id: `PAID-${i}` }),
        cells(trial!, { contract_no: no, subscription_id: `TRIAL-${i}`, is_trial: value }),
      ];
    });
    writeMaster('trials.csv', rows);
    const r = await kaiyaku('contracts', 'import', 'trials.csv');
    expect(r.code, r.stderr).toBe(0);
    writeCancel(
      'whole.csv',
      values.map((_, i) => `NCN202109-00000099${String(i).padStart(2, '0')},,,,,${END}`),
    );
    expect((await kaiyaku('cancel', 'whole.csv', '--dry-run')).code).toBe(1);
    const result = csv(readFileSync(join(dir, 'whole.result.csv')));
    expect(result.map((row) => row['error_code'])).toEqual(values.map(() => 'TRIAL_BLOCKS_FULL_CANCEL'));
    for (const [i] of values.entries())
      expect((await storedLines(`NCN202109-00000099${String(i).padStart(2, '0')}`)).map((l) => l.trial)).toEqual([false, true]);
  });

  it('無, いいえ, 0, off and an empty cell mean no trial', async () => {
    const [paid] = rowsOf('NCN202105-0000003108');
    writeMaster(
      'none.csv',
      ['無', 'いいえ', '0', 'off', ''].map((value, i) => cells(paid!, { contract_no: `NCN202105-00000098${i}0`, is_trial: value })),
    );
    expect((await kaiyaku('contracts', 'import', 'none.csv')).code).toBe(0);
    expect((await storedLines('NCN202105-0000009800'))[0]!.trial).toBe(false);
    expect((await storedLines('NCN202105-0000009840'))[0]!.trial).toBe(false);
  });

  it('トライアル, x, × or 2 refuse the file, naming the row, the column and the value; nothing is imported', async () => {
    const [paid, trial] = rowsOf('NCN202109-0000003301');
    const before = snapshot(dir);
    writeMaster('bad.csv', [
      cells(paid!, { subject: '試用2' }),
      cells(trial!, { subject: '試用2', is_trial: 'トライアル' }),
      cells(trial!, { contract_no: 'NCN202109-0000009990', is_trial: 'x' }),
      cells(trial!, { contract_no: 'NCN202109-0000009991', is_trial: '×' }),
      cells(trial!, { contract_no: 'NCN202109-0000009992', is_trial: '2' }),
    ]);
    const en = await kaiyaku('contracts', 'import', 'bad.csv');
    expect(en.code).toBe(2);
    expect(en.stdout).toBe('');
    expect(en.stderr).toContain('nothing was imported');
    expect(en.stderr).toContain('row 2: is_trial "トライアル" is not a yes/no value');
    expect(en.stderr).toContain('row 3: is_trial "x" is not a yes/no value');
    expect(en.stderr).toContain('row 4: is_trial "×" is not a yes/no value');
    expect(en.stderr).toContain('row 5: is_trial "2" is not a yes/no value');
    const ja = await runIn(dir, ['contracts', 'import', 'bad.csv']);
    expect(ja.code).toBe(2);
    expect(ja.stderr).toContain('2 行目: トライアル「トライアル」は有無を表す値ではありません');
    expect(ja.stderr).not.toContain('is_trial');
    const { ['bad.csv']: _written, ...after } = snapshot(dir);
    expect(after).toEqual(before);
  });
});

describe('3. what cancellation decided survives re-import', () => {
  it('a cancelled contract keeps its end date, cancellation date and status; a reduced line keeps its seats; names and prices are updated', async () => {
    writeCancel('c.csv', [`NCN202107-0000003109,,,,,${END}`, `NCN202105-0000003108,M365-BB,,,5,${END}`]);
    expect((await kaiyaku('cancel', 'c.csv', '--supplier', 'sim')).code).toBe(0);
    const cancelled = (await contracts()).find((c) => c['contract_no'] === 'NCN202107-0000003109')!;
    expect(cancelled).toMatchObject({ status: 'cancelled', end_date: END });
    // The distributor's master as it was (no end date, 20 seats), with a new subject and price.
    const rows = master
      .slice(1)
      .map((l) => l.split(','))
      .map((c) => (c[0] === 'NCN202107-0000003109' ? cells(c, { subject: '新件名' }) : c[0] === 'NCN202105-0000003108' ? cells(c, { unit_price: 700 }) : c));
    const r = await kaiyaku('contracts', 'import', writeMaster('again.csv', rows));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('value(s) decided by cancellations kept as stored');
    const after = (await contracts()).find((c) => c['contract_no'] === 'NCN202107-0000003109')!;
    expect(after).toMatchObject({ status: 'cancelled', end_date: END, cancelled_on: cancelled['cancelled_on'], subject: '新件名', billable: 'false' });
    // The rest of M365-BB: 15 seats at the new price.
    writeCancel('rest.csv', [`NCN202105-0000003108,M365-BB,,,,${END}`]);
    expect((await kaiyaku('cancel', 'rest.csv', '--until', 'requested')).code).toBe(0);
    expect((await orders()).find((o) => o['status'] === 'requested')).toMatchObject({ subtotal_before: String(15 * 700) });
  });

  it('a line an open order holds is not changed: that line is refused with its order number (exit 1), the others are imported', async () => {
    writeCancel('open.csv', [`NCN202108-0000003200,TEAMS-EE,,,1,${END}`]);
    expect((await kaiyaku('cancel', 'open.csv', '--until', 'requested')).code).toBe(0);
    const [held] = await orders();
    const rows = rowsOf('NCN202108-0000003200').map((c) => cells(c, { quantity: c[COL['product_code']!] === 'TEAMS-EE' ? 4 : 9 }));
    const r = await kaiyaku('contracts', 'import', writeMaster('changed.csv', rows));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('lines created 0, updated 1, unchanged 0, refused 1');
    expect(r.stdout).toContain(
      `row 2, line 2 (TEAMS-EE / TE0A1B2C-0002-4000-8000-000000003200): refused — the open order ${held!['order_no']} holds this line`,
    );
    expect((await storedLines('NCN202108-0000003200')).map((l) => [l.code, l.q])).toEqual([
      ['M365-E3', 9],
      ['TEAMS-EE', 5],
    ]);
    // --quiet still says which line was refused, on stderr.
    const quiet = await kaiyaku('contracts', 'import', 'changed.csv', '--quiet');
    expect(quiet.code).toBe(1);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toContain(`refused — the open order ${held!['order_no']} holds this line`);
    // The order confirmed, the same file goes in: the line's seats are the cancellation's.
    expect((await kaiyaku('orders', 'accept', held!['order_no']!)).code).toBe(0);
    expect((await kaiyaku('orders', 'link', held!['order_no']!, '--supplier', 'sim')).code).toBe(0);
    expect((await kaiyaku('orders', 'confirm', held!['order_no']!, '--end-date', END)).code).toBe(0);
    expect((await kaiyaku('contracts', 'import', 'changed.csv')).code).toBe(0);
    expect((await storedLines('NCN202108-0000003200')).map((l) => [l.code, l.q])).toEqual([
      ['M365-E3', 9],
      ['TEAMS-EE', 4],
    ]);
  });
});

describe('4. serials match the seats after every import', () => {
  it('a 4-unit line re-imported as 2 units with new serials has exactly those 2 serials, and the export lists 2', async () => {
    const [eset] = rowsOf('NCN202110-0000003402');
    const r = await kaiyaku('contracts', 'import', writeMaster('two.csv', [cells(eset!, { quantity: 2, serials: 'SN-NEW-1;SN-NEW-2' })]));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('serials added 2, removed 4, moved 0');
    expect(await storedLines('NCN202110-0000003402')).toMatchObject([{ q: 2, serials: ['SN-NEW-1', 'SN-NEW-2'] }]);
    writeCancel('c.csv', [`NCN202110-0000003402,,,,,${END}`]);
    expect((await kaiyaku('cancel', 'c.csv', '--supplier', 'sim')).code).toBe(0);
    expect((await exported()).map((s) => s['serial_no']).sort()).toEqual(['SN-NEW-1', 'SN-NEW-2']);
  });

  it('two rows of one product on one contract keep their own serials, and a serial row cancels on its own line', async () => {
    const [eset] = rowsOf('NCN202110-0000003402');
    const no = 'NCN202110-0000009402';
    writeMaster('pair.csv', [
      cells(eset!, { contract_no: no, quantity: 2, unit_price: 550, serials: 'SN-A;SN-B' }),
      cells(eset!, { contract_no: no, quantity: 1, unit_price: 700, serials: 'SN-C' }),
    ]);
    expect((await kaiyaku('contracts', 'import', 'pair.csv')).code).toBe(0);
    expect((await storedLines(no)).map((l) => [l.q, l.price, l.serials])).toEqual([
      [2, 550, ['SN-A', 'SN-B']],
      [1, 700, ['SN-C']],
    ]);
    // The same rows in the other order change nothing.
    writeMaster('swapped.csv', [
      cells(eset!, { contract_no: no, quantity: 1, unit_price: 700, serials: 'SN-C' }),
      cells(eset!, { contract_no: no, quantity: 2, unit_price: 550, serials: 'SN-B;SN-A' }),
    ]);
    const again = await kaiyaku('contracts', 'import', 'swapped.csv');
    expect(again.stdout).toContain('contracts created 0, updated 0, unchanged 1; lines created 0, updated 0, unchanged 2');
    writeCancel('c.csv', [`${no},,,SN-A,,${END}`]);
    expect((await kaiyaku('cancel', 'c.csv', '--until', 'requested')).code).toBe(0);
    expect((await orders())[0]).toMatchObject({ subtotal_before: '1100', subtotal_after: '550' });
  });

  it('a serial given twice refuses the file, naming the row, the column and the serial', async () => {
    const [eset] = rowsOf('NCN202110-0000003402');
    writeMaster('twice.csv', [cells(eset!, { quantity: 2, serials: 'SN-1;SN-1' })]);
    const r = await kaiyaku('contracts', 'import', 'twice.csv');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('row 1: serials: "SN-1" is listed twice');
    const ja = await runIn(dir, ['contracts', 'import', 'twice.csv']);
    expect(ja.stderr).toContain('1 行目: シリアル: 「SN-1」が 2 回あります');
    expect(await storedLines('NCN202110-0000003402')).toMatchObject([{ q: 4, serials: ['SN-ESET-0001', 'SN-ESET-0002', 'SN-ESET-0003', 'SN-ESET-0004'] }]);
  });
});

describe('5. identifiers are normalised the same way on every path', () => {
  it('a contract number written in lower case is stored as NCN… and can be cancelled', async () => {
    const [row] = rowsOf('NCN202105-0000003108');
    writeMaster('lower.csv', [cells(row!, { contract_no: 'ncn202201-0000000001', subscription_id: 'LOWER-1' })]);
    expect((await kaiyaku('contracts', 'import', 'lower.csv')).code).toBe(0);
    expect((await contracts()).map((c) => c['contract_no'])).toContain('NCN202201-0000000001');
    expect((await contracts()).map((c) => c['contract_no'])).not.toContain('ncn202201-0000000001');
    writeCancel('c.csv', [`ncn202201-0000000001,,,,1,${END}`]);
    const r = await kaiyaku('cancel', 'c.csv', '--until', 'requested');
    expect(r.code, r.stdout).toBe(0);
    expect((await orders())[0]).toMatchObject({ contract_no: 'NCN202201-0000000001' });
  });
});

describe('6. rows of one contract must agree', () => {
  it('different start dates, customers or subjects refuse the file, naming rows, columns and values', async () => {
    const [e3, teams] = rowsOf('NCN202108-0000003200');
    writeMaster('disagree.csv', [e3!, cells(teams!, { start_date: '2021/8/1', customer: '東都商事', subject: '全社' })]);
    const r = await kaiyaku('contracts', 'import', 'disagree.csv');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('row 2: start_date "2021-08-01" differs from row 1 of NCN202108-0000003200 ("2021-08-02")');
    expect(r.stderr).toContain('row 2: customer "東都商事" differs from row 1 of NCN202108-0000003200 ("東都商事株式会社")');
    expect(r.stderr).toContain('row 2: subject "全社" differs from row 1');
    const ja = await runIn(dir, ['contracts', 'import', 'disagree.csv']);
    expect(ja.stderr).toContain('2 行目: 契約開始日「2021-08-01」が同じ契約 NCN202108-0000003200 の 1 行目（「2021-08-02」）と異なります');
    // The same date written another way is the same date.
    writeMaster('agree.csv', [e3!, cells(teams!, { start_date: '2021/8/2' })]);
    expect((await kaiyaku('contracts', 'import', 'agree.csv')).code).toBe(0);
  });
});

describe('7. a later master after a cancellation: its quantity is never dropped silently', () => {
  const E3 = 'NCN202108-0000003200';
  const e3Rows = (quantity: number) => rowsOf(E3).map((c) => (c[COL['product_code']!] === 'M365-E3' ? cells(c, { quantity }) : c));
  const e3Seats = async () => (await storedLines(E3)).find((l) => l.code === 'M365-E3')!.q;
  beforeEach(async () => {
    // M365-E3 has 10 seats; 2 are cancelled and confirmed: 8 left.
    writeCancel('two.csv', [`${E3},M365-E3,,,2,${END}`]);
    expect((await kaiyaku('cancel', 'two.csv', '--supplier', 'sim')).code).toBe(0);
  });

  it('the quantity before the cancellation (an older master) is kept as stored; the one after it is unchanged', async () => {
    const older = await kaiyaku('contracts', 'import', writeMaster('older.csv', e3Rows(10)));
    expect(older.code, older.stdout).toBe(0);
    expect(older.stdout).toContain('lines created 0, updated 0, unchanged 2, refused 0');
    expect(older.stdout).toContain('1 value(s) decided by cancellations kept as stored');
    expect(await e3Seats()).toBe(8);
    const caughtUp = await kaiyaku('contracts', 'import', writeMaster('caught-up.csv', e3Rows(8)));
    expect(caughtUp.code).toBe(0);
    expect(caughtUp.stdout).toContain('lines created 0, updated 0, unchanged 2, refused 0');
    expect(caughtUp.stdout).not.toContain('kept as stored');
    // The master is in step again: its next change is news, and is taken.
    const more = await kaiyaku('contracts', 'import', writeMaster('more.csv', e3Rows(12)));
    expect(more.code, more.stdout).toBe(0);
    expect(more.stdout).toContain('quantity 8 → 12');
    expect(await e3Seats()).toBe(12);
  });

  it('any other quantity refuses the line (exit 1) naming the three quantities and what to do; --accept-quantities takes it, and the master is news again', async () => {
    const order = (await orders()).find((o) => o['contract_no'] === E3)!['order_no']!;
    const r = await kaiyaku('contracts', 'import', writeMaster('thirteen.csv', e3Rows(13)));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('lines created 0, updated 0, unchanged 1, refused 1');
    expect(r.stdout).toContain(
      `row 1, line 1 (M365-E3 / E3A1B2C3-0001-4000-8000-000000003200): refused — the file gives quantity 13, but the line had 10 before the cancellation ${order} and has 8 since: the file gives neither, so the line is left as it is. Check the seats at the supplier: if it has 8, correct the file; if it has 13, import the file again with --accept-quantities`,
    );
    expect(await e3Seats()).toBe(8);
    // The same in Japanese, under the default language.
    const ja = await runIn(dir, ['contracts', 'import', 'thirteen.csv']);
    expect(ja.code).toBe(1);
    expect(ja.stdout).toContain(`取り込み不可 — ファイルの数量は 13 ですが、明細は解約 ${order} の前は 10、現在は 8 です。`);
    expect(ja.stdout).toContain('13 であれば --accept-quantities を付けてもう一度取り込んでください');
    // The operator checked the supplier: it has 13.
    const accepted = await kaiyaku('contracts', 'import', 'thirteen.csv', '--accept-quantities');
    expect(accepted.code, accepted.stdout).toBe(0);
    expect(accepted.stdout).toContain('quantity 8 → 13');
    expect(await e3Seats()).toBe(13);
    expect((await kaiyaku('contracts', 'import', 'thirteen.csv')).code).toBe(0);
    const next = await kaiyaku('contracts', 'import', writeMaster('fifteen.csv', e3Rows(15)));
    expect(next.code, next.stdout).toBe(0);
    expect(await e3Seats()).toBe(15);
    // The next cancellation starts from the seats the store now has.
    writeCancel('one.csv', [`${E3},M365-E3,,,1,${END}`]);
    expect((await kaiyaku('cancel', 'one.csv', '--until', 'requested')).code).toBe(0);
    expect((await orders()).find((o) => o['status'] === 'requested')).toMatchObject({ subtotal_before: String(15 * 3910), subtotal_after: String(14 * 3910) });
  });

  it('a cancelled line is not brought back by a quantity the store cannot explain, even with --accept-quantities', async () => {
    writeCancel('rest.csv', [`${E3},M365-E3,,,,${END}`]);
    expect((await kaiyaku('cancel', 'rest.csv', '--supplier', 'sim')).code).toBe(0);
    expect((await kaiyaku('contracts', 'import', writeMaster('older.csv', e3Rows(10)))).code).toBe(0);
    for (const extra of [[], ['--accept-quantities']]) {
      const r = await kaiyaku('contracts', 'import', writeMaster('eleven.csv', e3Rows(11)), ...extra);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('has 0 since: the file gives neither, so the line is left as it is. The import does not bring a cancelled line back');
    }
    expect((await storedLines(E3)).find((l) => l.code === 'M365-E3')).toMatchObject({ q: 0, status: 'cancelled' });
  });
});

describe('--dry-run', () => {
  it('prints exactly the summary the import then prints, with its exit code, and leaves every file as it was', async () => {
    writeCancel('open.csv', [`NCN202108-0000003200,TEAMS-EE,,,1,${END}`]);
    expect((await kaiyaku('cancel', 'open.csv', '--until', 'requested')).code).toBe(0);
    const rows = master
      .slice(1)
      .map((l) => l.split(','))
      .map((c) =>
        c[COL['product_code']!] === 'TEAMS-EE'
          ? cells(c, { quantity: 4 })
          : c[COL['product_code']!] === 'ESET-PROTECT'
            ? cells(c, { quantity: 3, serials: 'SN-ESET-0001;SN-ESET-0002;SN-ESET-0009' })
            : c,
      );
    writeMaster('next.csv', [...rows, cells(rows[0]!, { contract_no: 'NCN202212-0000000001' })]);
    const before = snapshot(dir);
    const dry = await kaiyaku('contracts', 'import', 'next.csv', '--dry-run');
    expect(snapshot(dir)).toEqual(before);
    expect(dry.code).toBe(1);
    const real = await kaiyaku('contracts', 'import', 'next.csv');
    expect(real.code).toBe(1);
    expect(dry.stdout).toBe(real.stdout.replace('next.csv: 11 rows', 'next.csv: 11 rows (dry run: nothing changed)'));
    expect(real.stdout).toContain(
      'contracts created 1, updated 1, unchanged 6; lines created 1, updated 1, unchanged 8, refused 1; serials added 1, removed 2, moved 0',
    );
    expect(real.stdout).toContain(
      'row 8, line 1 (ESET-PROTECT): updated — quantity 4 → 3; serials added 1 (SN-ESET-0009); serials removed 2 (SN-ESET-0003, SN-ESET-0004)',
    );
  });

  it('without a store, previews every contract as new and creates no database', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'kaiyaku-import-fresh-'));
    try {
      copyFileSync(join(FIXTURES, 'contracts.csv'), join(fresh, 'contracts.csv'));
      const r = await runIn(fresh, ['contracts', 'import', 'contracts.csv', '--dry-run', '--lang', 'en']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('(dry run: nothing changed) — contracts created 7, updated 0, unchanged 0; lines created 10');
      expect(existsSync(join(fresh, 'kaiyaku.db'))).toBe(false);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('a file that cannot be imported creates no database either', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'kaiyaku-import-fresh-'));
    try {
      writeFileSync(join(fresh, 'bad.csv'), `${HEAD()}\nNCN202107-0000000001,,2021-07-20,,,,,,,,P,P,,1,100,,,maybe,\n`);
      expect((await runIn(fresh, ['contracts', 'import', 'bad.csv'])).code).toBe(2);
      expect(existsSync(join(fresh, 'kaiyaku.db'))).toBe(false);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
