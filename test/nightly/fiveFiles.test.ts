/**
 * The "done when": a night with five files — two good, one half wrong, one of
 * unreadable bytes, one without the 契約番号 column — ends with every file archived or set
 * aside with a reason, exit 2 (the worst file), and a JSON summary that accounts for every
 * row. The same night again finds nothing to do.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, type Ran } from '../support/cli.js';
import {
  cancelCsv,
  dataRows,
  drop,
  ls,
  nightArgs,
  ordersList,
  prepareBase,
  readCsv,
  readSummary,
  setUpNight,
  storeOrders,
  withStore,
  type Night,
  type NightJson,
} from './helpers.js';
import { knexOf } from '../../src/store/store.js';

const contractNo = (i: number) => `NCN202401-${String(i).padStart(10, '0')}`;
const NAMES = ['01-good.csv', '02-good.csv', '03-half-wrong.csv', '04-unreadable.csv', '05-no-contract-column.csv'];
const RESULT_KEYS = ['completed', 'valid', 'pending', 'already_done', 'refused', 'failed'];

let night: Night;
let first: Ran;
let summary: NightJson;
const inputs = new Map<string, Buffer>();

beforeAll(async () => {
  night = setUpNight('five', await prepareBase('five', 60));
  const contents: Record<string, string | Buffer> = {
    '01-good.csv': cancelCsv(night, 1, 20),
    '02-good.csv': cancelCsv(night, 21, 40),
    // Five good rows, five that a rule refuses (each on a contract of its own).
    '03-half-wrong.csv': cancelCsv(night, 41, 45, [
      'NCN999999-0000000001,O365-E1,1,,BAD-1',
      'NCN999999-0000000002,O365-E1,1,,BAD-2',
      `${contractNo(46)},O365-E1,99,,BAD-3`,
      `${contractNo(47)},O365-E1,1,not-a-date,BAD-4`,
      `${contractNo(48)},O365-E1,0,,BAD-5`,
    ]),
    // Neither UTF-8 nor CP932.
    '04-unreadable.csv': Buffer.from([0x80, 0xfd, 0xff, 0x2c, 0x80, 0x0a, 0xfd, 0xfe, 0xff, 0x0a]),
    '05-no-contract-column.csv': `product_code,cancel_quantity,request_id\nO365-E1,1,NOCOL-1\nO365-E1,2,NOCOL-2\n`,
  };
  // Written in reverse name order: the night must still take them in name order.
  for (const name of [...NAMES].reverse()) {
    const content = contents[name]!;
    drop(night, name, content);
    inputs.set(name, Buffer.from(content));
  }
  first = await runCli(nightArgs(night), night.dir);
  summary = readSummary(night);
});

describe('a night of five files', () => {
  it('exits 1, not 2: two files were refused whole, but the others were processed', () => {
    expect(first.code, first.stderr).toBe(1);
    expect(summary.exitCode).toBe(1);
    expect(summary.files.map((f) => [f.file, f.status, f.exitCode])).toEqual([
      ['01-good.csv', 'archived', 0],
      ['02-good.csv', 'archived', 0],
      ['03-half-wrong.csv', 'archived', 1],
      ['04-unreadable.csv', 'set_aside', 2],
      ['05-no-contract-column.csv', 'set_aside', 2],
    ]);
    for (const name of NAMES) expect(first.stdout).toContain(name);
  });

  it('empties the inbox: good and half-wrong files archived unchanged, with result and error files in the reports folder', () => {
    expect(ls(night.inbox)).toEqual([]);
    for (const name of NAMES.slice(0, 3)) {
      const archived = path.join(night.archive, name);
      expect(fs.readFileSync(archived)).toEqual(inputs.get(name));
      const f = summary.files.find((x) => x.file === name)!;
      expect(f.movedTo).toBe(archived);
      const base = name.replace(/\.csv$/, '');
      expect(f.resultPath).toBe(path.join(night.reports, `${base}.result.csv`));
      expect(f.errorsPath).toBe(path.join(night.reports, `${base}.errors.csv`));
      const result = readCsv(f.resultPath!);
      expect(result.map((r) => Number(r['row']))).toEqual(Array.from({ length: dataRows(archived) }, (_, i) => i + 1));
      expect(readCsv(f.errorsPath!)).toHaveLength((f.counts!['refused'] ?? 0) + (f.counts!['failed'] ?? 0));
    }
    const half = readCsv(path.join(night.reports, '03-half-wrong.result.csv'));
    expect(half.map((r) => r['result'])).toEqual([...Array(5).fill('completed'), ...Array(5).fill('refused')]);
    expect(half.slice(5).map((r) => r['error_code'])).toEqual([
      'CONTRACT_NOT_FOUND',
      'CONTRACT_NOT_FOUND',
      'QUANTITY_EXCEEDS_REMAINING',
      'DATE_INVALID',
      'QUANTITY_INVALID',
    ]);
    const errors = readCsv(path.join(night.reports, '03-half-wrong.errors.csv'));
    expect(errors.map((r) => r['依頼番号'])).toEqual(['BAD-1', 'BAD-2', 'BAD-3', 'BAD-4', 'BAD-5']);
  });

  it('sets the unreadable file and the one without 契約番号 aside, bytes intact, each with a .reason.txt', () => {
    const rejected = path.join(night.archive, 'rejected');
    expect(ls(rejected)).toEqual(['04-unreadable.csv', '04-unreadable.csv.reason.txt', '05-no-contract-column.csv', '05-no-contract-column.csv.reason.txt']);
    for (const [name, code] of [
      ['04-unreadable.csv', 'ENCODING_UNDETECTABLE'],
      ['05-no-contract-column.csv', 'COLUMN_MISSING'],
    ] as const) {
      expect(fs.readFileSync(path.join(rejected, name))).toEqual(inputs.get(name));
      expect(fs.readFileSync(path.join(rejected, `${name}.reason.txt`), 'utf8')).toContain(code);
      const f = summary.files.find((x) => x.file === name)!;
      expect(f.reason).toContain(code);
      expect(f.movedTo).toBe(path.join(rejected, name));
      expect(f.counts).toBeNull();
      expect(f.rows).toBe(0);
    }
    // No reports for files that were never run.
    expect(ls(night.reports).filter((n) => n.startsWith('04-') || n.startsWith('05-'))).toEqual([]);
  });

  it('accounts for every row: per file and over the night, each data row in exactly one count', () => {
    const processed = summary.files.filter((f) => f.status === 'archived');
    const totalDataRows = processed.reduce((n, f) => n + dataRows(f.movedTo!), 0);
    expect(totalDataRows).toBe(50);
    expect(summary.rows.total).toBe(totalDataRows);
    for (const f of processed) {
      expect(f.rows).toBe(dataRows(f.movedTo!));
      expect(RESULT_KEYS.reduce((n, k) => n + (f.counts![k] ?? 0), 0)).toBe(f.rows);
    }
    expect(RESULT_KEYS.reduce((n, k) => n + (summary.rows[k] ?? 0), 0)).toBe(summary.rows.total);
    for (const k of RESULT_KEYS) expect(summary.rows[k]).toBe(processed.reduce((n, f) => n + (f.counts![k] ?? 0), 0));
    expect(summary.rows).toMatchObject({ completed: 45, refused: 5, failed: 0, pending: 0, already_done: 0, valid: 0, total: 50 });
  });

  it('counts orders by status as `orders list` shows them, and the supplier calls', async () => {
    const orders = await ordersList(night);
    const byStatus: Record<string, number> = { requested: 0, accepted: 0, completed: 0, withdrawn: 0 };
    for (const o of orders) byStatus[o['status']!] = (byStatus[o['status']!] ?? 0) + 1;
    expect(summary.ordersByStatus).toEqual(byStatus);
    expect(byStatus['completed']).toBe(45);
    expect(new Set(orders.map((o) => o['contract_no'])).size).toBe(orders.length);
    expect(summary.supplier.calls).toBeGreaterThan(0);
    expect(summary.supplier.failures).toBe(0);
    // One finished run per processed file; none for the files set aside.
    const runs = await withStore(night, (s) => knexOf(s)('runs').select('file_name', 'status'));
    expect(runs.map((r: { file_name: string }) => path.basename(r.file_name)).sort()).toEqual(NAMES.slice(0, 3));
    expect(runs.every((r: { status: string }) => r.status === 'done')).toBe(true);
  });

  it('the same night again has nothing to do: exit 0, nothing re-processed or moved', async () => {
    const before = new Map(
      [...ls(night.reports), ...ls(night.archive)].map((n) => [
        n,
        fs.existsSync(path.join(night.reports, n)) ? fs.readFileSync(path.join(night.reports, n)) : null,
      ]),
    );
    const ordersBefore = await storeOrders(night);
    const again = await runCli(nightArgs(night), night.dir);
    expect(again.code, again.stderr).toBe(0);
    const s = readSummary(night);
    expect(s.exitCode).toBe(0);
    expect(s.files).toEqual([]);
    expect(s.rows.total).toBe(0);
    expect(s.resume.orders).toBe(0);
    expect(s.supplier.calls).toBe(0);
    expect(await storeOrders(night)).toEqual(ordersBefore);
    expect(ls(night.archive)).toEqual([...NAMES.slice(0, 3), 'rejected']);
    expect(ls(path.join(night.archive, 'rejected'))).toHaveLength(4);
    for (const [n, bytes] of before) if (bytes) expect(fs.readFileSync(path.join(night.reports, n))).toEqual(bytes);
    const runs = await withStore(night, (st) => knexOf(st)('runs').count({ n: '*' }));
    expect(Number((runs[0] as { n: number }).n)).toBe(3);
  });
});
