/**
 * What a cell means is never guessed:
 * - a value under a column without a header is refused (MALFORMED_ROW naming the column),
 *   with its contract's other rows, instead of being dropped (which turned "cancel 1" into
 *   "cancel all that remains"); blank columns with nothing in them are Excel's and harmless;
 * - the two columns kaiyaku adds to an error file are not "unknown columns";
 * - request ids are compared without regard to case, as every identifier in the file.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';
import { knexOf } from '../../src/store/store.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function folder(): {
  dir: string;
  run(args: readonly string[]): { code: number | null; stdout: string; stderr: string };
  results(name: string): Record<string, string>[];
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-cells-'));
  dirs.push(dir);
  const run = (args: readonly string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args, '--db', 'k.db'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', KAIYAKU_DB: undefined },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  expect(run(['contracts', 'import', path.resolve('fixtures/contracts.csv'), '-q']).code).toBe(0);
  const results = (name: string) =>
    parse(fs.readFileSync(path.join(dir, name.replace(/\.csv$/, '.result.csv'))), { bom: true, columns: true }) as Record<string, string>[];
  return { dir, run, results };
}

function seats(dir: string, subscription: string): number {
  const r = spawnSync(process.execPath, [BIN, 'serials', 'export', '--db', 'k.db', '--lang', 'en', '--encoding', 'utf8'], { cwd: dir, encoding: 'utf8' });
  const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
  return rows.filter((x) => x['subscription_id'] === subscription).reduce((n, x) => n + Number(x['cancel_quantity']), 0);
}

describe('cells whose meaning is unknown, and request ids in any case', () => {
  it('refuses a value under a blank header, with its contract, and cancels nothing of it; empty blank columns are fine', () => {
    const f = folder();
    // Row 1: the quantity's header cell was lost; row 2: the same contract, fine on its own; row 3: another contract.
    fs.writeFileSync(
      path.join(f.dir, 'blank.csv'),
      '契約番号,商品コード,,\r\nNCN202108-0000003200,M365-E3,1,\r\nNCN202108-0000003200,TEAMS-EE,,\r\nNCN202105-0000003108,M365-BB,,\r\n',
    );
    const r = f.run(['cancel', 'blank.csv', '--supplier', 'sim', '--lang', 'en']);
    expect(r.code, r.stderr).toBe(1);
    expect(f.results('blank.csv').map((x) => [x['result'], x['error_code']])).toEqual([
      ['refused', 'MALFORMED_ROW'],
      ['refused', 'CONTRACT_GROUP_REFUSED'],
      ['completed', ''],
    ]);
    expect(f.results('blank.csv')[0]!['error_message']).toContain('column 3 has a value ("1") but no header');
    expect(seats(f.dir, 'E3A1B2C3-0001-4000-8000-000000003200')).toBe(0);
  });

  it('takes the error file back without warning about its own two columns', () => {
    const f = folder();
    fs.writeFileSync(
      path.join(f.dir, 'nov.errors.csv'),
      '\uFEFF契約番号,商品コード,解約数,エラーコード,エラー内容\r\nNCN202108-0000003200,M365-E3,1,LINE_NOT_FOUND,直しました\r\n',
    );
    const r = f.run(['cancel', 'nov.errors.csv', '--supplier', 'sim']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/エラーコード|エラー内容|unknown column/);
    fs.writeFileSync(path.join(f.dir, 'extra.csv'), '契約番号,商品コード,解約数,メモ欄\r\nNCN202105-0000003108,M365-BB,1,x\r\n');
    expect(f.run(['cancel', 'extra.csv', '--supplier', 'sim']).stderr).toContain('警告: extra.csv: 不明な列を無視しました: メモ欄');
  });

  it('reads a request id retyped in another case as the same id', () => {
    const f = folder();
    const row = (id: string, quantity: number) => `契約番号,商品コード,解約数,依頼番号\r\nNCN202108-0000003200,M365-E3,${quantity},${id}\r\n`;
    fs.writeFileSync(path.join(f.dir, 'a.csv'), row('REQ-0001', 1));
    expect(f.run(['cancel', 'a.csv', '--supplier', 'sim']).code).toBe(0);
    fs.writeFileSync(path.join(f.dir, 'b.csv'), row('req-0001', 1));
    const again = f.run(['cancel', 'b.csv', '--supplier', 'sim', '--lang', 'en']);
    expect(again.code, again.stderr).toBe(0);
    expect(f.results('b.csv').map((x) => x['result'])).toEqual(['already_done']);
    fs.writeFileSync(path.join(f.dir, 'c.csv'), row('Req-0001', 2));
    f.run(['cancel', 'c.csv', '--supplier', 'sim', '--lang', 'en']);
    expect(f.results('c.csv').map((x) => x['error_code'])).toEqual(['REQUEST_ID_REUSED']);
    expect(seats(f.dir, 'E3A1B2C3-0001-4000-8000-000000003200')).toBe(1);
  });
});

describe('migration 012: request ids recorded before in another case', () => {
  it('upper-cases them (and their copy in the resolved form), so the next file finds them', async () => {
    const { openStore } = await import('../../src/store/connect.js');
    const { upperCaseRequestIds } = await import('../../src/store/requestIdCase.js');
    const f = folder();
    fs.writeFileSync(path.join(f.dir, 'a.csv'), '契約番号,商品コード,解約数,依頼番号\r\nNCN202108-0000003200,M365-E3,1,REQ-7\r\n');
    expect(f.run(['cancel', 'a.csv', '--supplier', 'sim']).code).toBe(0);
    const store = await openStore(path.join(f.dir, 'k.db'));
    try {
      // What an earlier version stored: the id as typed.
      await knexOf(store)('request_keys').update({ request_id: 'req-7' });
      const [done] = (await knexOf(store)('done_requests').select('id', 'resolved')) as { id: number; resolved: string }[];
      await knexOf(store)('done_requests')
        .where({ id: done!.id })
        .update({ resolved: done!.resolved.replace('"REQ-7"', '"req-7"') });
      await upperCaseRequestIds(knexOf(store));
      expect(await knexOf(store)('request_keys').pluck('request_id')).toEqual(['REQ-7']);
      expect(((await knexOf(store)('done_requests').first('resolved')) as { resolved: string }).resolved).toContain('"REQ-7"');
    } finally {
      await store.close();
    }
    fs.writeFileSync(path.join(f.dir, 'b.csv'), '契約番号,商品コード,解約数,依頼番号\r\nNCN202108-0000003200,M365-E3,1,Req-7\r\n');
    f.run(['cancel', 'b.csv', '--supplier', 'sim', '--lang', 'en']);
    expect(f.results('b.csv').map((x) => x['result'])).toEqual(['already_done']);
  });
});

describe('a dry run writes nothing to the store', () => {
  it('leaves every byte of the store as it was (no lock row written and deleted) and needs no write access', async () => {
    const { snapshot } = await import('../support/sandbox.js');
    const f = folder();
    fs.mkdirSync(path.join(f.dir, 'out'));
    fs.writeFileSync(path.join(f.dir, 'out', 'd.csv'), '契約番号,商品コード,解約数\r\nNCN202108-0000003200,M365-E3,1\r\n');
    const store = () => Object.fromEntries(Object.entries(snapshot(f.dir)).filter(([name]) => name.startsWith('k.db')));
    const before = store();
    const r = f.run(['cancel', 'out/d.csv', '--dry-run', '--lang', 'en']);
    expect(r.code, r.stderr).toBe(0);
    expect(f.results('out/d.csv').map((x) => x['result'])).toEqual(['valid']);
    expect(store()).toEqual(before);
  });
});

describe('a row whose order an operator withdrew', () => {
  it('is failed with ORDER_WITHDRAWN naming the order and saying how to cancel after all', () => {
    const f = folder();
    fs.writeFileSync(path.join(f.dir, 'w.csv'), '契約番号,商品コード,解約数,依頼番号\r\nNCN202108-0000003200,M365-E3,1,REQ-W\r\n');
    expect(f.run(['cancel', 'w.csv', '--until', 'requested']).code).toBe(0);
    const list = parse(f.run(['orders', 'list', '--lang', 'en', '--encoding', 'utf8']).stdout, { columns: true }) as Record<string, string>[];
    const orderNo = list[0]!['order_no']!;
    expect(f.run(['orders', 'withdraw', orderNo]).code).toBe(0);
    const again = f.run(['cancel', 'w.csv', '--supplier', 'sim']);
    expect(again.code).toBe(1);
    const [row] = f.results('w.csv');
    expect([row!['結果'], row!['エラーコード']]).toEqual(['失敗', 'ORDER_WITHDRAWN']);
    expect(row!['エラー内容']).toContain(orderNo);
    expect(row!['エラー内容']).toContain('新しい依頼番号');
  });
});
