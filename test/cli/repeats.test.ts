/**
 * Issue 18, items 3, 4 and 11: what a row asked for is known in resolved form, each row
 * reports its own lines, and a repeat is never guessed. Through the real CLI on a fresh
 * store of the fixture contracts (SQLite, and PostgreSQL when KAIYAKU_TEST_PG_URL is set),
 * linking against `kaiyaku supplier serve`, whose /_sim/stats says what reached the supplier.
 * "Weeks later" is the store's runs and orders dated back, as time would have left them.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { jstDate } from '../../src/domain/dates.js';
import { openStore } from '../../src/store/connect.js';
import { getJson, serveSupplier, type Served, type SimStatsBody } from '../support/supplierServe.js';
import { aPgSchema, PG_URL } from '../store/pgSchema.js';
import { FIXTURES, runIn } from '../support/sandbox.js';
import { importContracts, orderList } from '../support/inProcess.js';
import { knexOf } from '../../src/store/store.js';

const HEADER = '契約番号,商品コード,サブスクリプションID,シリアル番号,解約数,契約終了日,依頼番号,備考';
const E3 = 'E3A1B2C3-0001-4000-8000-000000003200'; // NCN202108-0000003200 M365-E3, 10 seats
const BB = '7D4F1A22-0C3E-4B8F-9D11-0000003108'; // NCN202105-0000003108 M365-BB, 20 seats
const TEAMS = 'TE0A1B2C-0002-4000-8000-000000003200'; // NCN202108-0000003200 TEAMS-EE, 5 seats
/** A contract the supplier takes in part: GOOD- is deleted there, NCE-LATE- refused (900117). */
const SPLIT = 'NCN202401-0000000021';
const SPLIT_LINES = `${SPLIT},2024-01-05,2024-01-05,,件名,顧客株式会社,顧客株式会社,,,Microsoft,O365-E1,Office 365 E1,GOOD-0021,3,870,,,0,\n${SPLIT},2024-01-05,2024-01-05,,件名,顧客株式会社,顧客株式会社,,,Microsoft,O365-E3,Office 365 E3,NCE-LATE-0021,2,2170,,,0,\n`;

type Row = Record<string, string>;
const csv = (file: string): Row[] => parse(readFileSync(file), { bom: true, columns: true, skip_empty_lines: true, relax_column_count: true }) as Row[];

interface Backend {
  name: string;
  make(): Promise<{ db: string; drop: () => Promise<void> }>;
}
const sqlite: Backend = { name: 'SQLite', make: async () => ({ db: 'kaiyaku.db', drop: async () => undefined }) };
const postgres = (url: string): Backend => ({
  name: 'PostgreSQL',
  make: async () => {
    const schema = await aPgSchema(url, 'repeat');
    return { db: schema.url, drop: schema.drop };
  },
});
const BACKENDS: Backend[] = PG_URL ? [sqlite, postgres(PG_URL)] : [sqlite];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A folder with a store of the fixture contracts (and SPLIT), and a supplier served from it. */
async function setUp(backend: Backend) {
  const dir = mkdtempSync(join(tmpdir(), 'kaiyaku-repeat-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const { db, drop } = await backend.make();
  cleanups.push(drop);
  writeFileSync(join(dir, 'contracts.csv'), `${readFileSync(join(FIXTURES, 'contracts.csv'), 'utf8')}${SPLIT_LINES}`);
  const cli = (...args: string[]) => runIn(dir, [...args, '--db', db], {}, { timeoutMs: 120_000 });
  // Set-up and queries in this process (inProcess.ts); the commands under test run the real CLI.
  const spec = db.startsWith('postgres') ? db : join(dir, db);
  await importContracts(spec, join(dir, 'contracts.csv'));
  const supplier: Served = await serveSupplier(dir, ['--db', db]);
  cleanups.push(() => supplier.stop());
  const stats = () => getJson<SimStatsBody>(`${supplier.url}/_sim/stats`);
  const file = (name: string, ...rows: string[]) => writeFileSync(join(dir, name), `${HEADER}\n${rows.map((r) => `${r}\n`).join('')}`);
  /** `cancel` (or a dry run) of a file, linking against the served supplier, in English unless told. */
  const cancel = (name: string, ...extra: string[]) =>
    cli('cancel', name, '--supplier', supplier.url, ...(extra.includes('--lang') ? [] : ['--lang', 'en']), ...extra);
  const result = (name: string) => csv(join(dir, name.replace(/\.csv$/, '.result.csv')));
  const errors = (name: string) => csv(join(dir, name.replace(/\.csv$/, '.errors.csv')));
  const orders = async () => parse(await orderList(spec), { columns: true, skip_empty_lines: true }) as Row[];
  /** The store's quantity of a contract line, by subscription id. */
  const seats = async (subscriptionId: string) => {
    const opened = await openStore(spec, { access: 'read' });
    try {
      const row = (await knexOf(opened)('contract_lines').where({ subscription_id: subscriptionId }).first('quantity')) as { quantity: number };
      return Number(row.quantity);
    } finally {
      await opened.close();
    }
  };
  /** Weeks pass: every run and order is dated `days` earlier. */
  const age = async (days: number) => {
    const store = await openStore(db.startsWith('postgres') ? db : join(dir, db));
    const back = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
    try {
      for (const table of ['runs', 'change_orders']) {
        for (const r of (await knexOf(store)(table).select('id', 'applied_on')) as { id: number; applied_on: string }[])
          await knexOf(store)(table)
            .where({ id: r.id })
            .update({ applied_on: back(r.applied_on) });
      }
    } finally {
      await store.close();
    }
  };
  return { dir, url: supplier.url, cli, stats, file, cancel, result, errors, orders, seats, age };
}

describe.each(BACKENDS)('$name', (backend) => {
  it('11: the same row in another file weeks later is POSSIBLE_REPEAT (dry run too), naming the order and its date; --allow-repeat or a request id makes it a new request', async () => {
    const t = await setUp(backend);
    t.file('jan.csv', 'NCN202108-0000003200,M365-E3,,,1,,,');
    expect((await t.cancel('jan.csv')).code).toBe(0);
    const [january] = await t.orders();
    expect((await t.stats()).subscriptions[E3]!.quantity).toBe(9);
    await t.age(40);
    const januaryDate = (await t.orders())[0]!['applied_on']!;
    const callsBefore = (await t.stats()).total;

    // The same bytes under another name: the file is not the same request weeks later.
    copyFileSync(join(t.dir, 'jan.csv'), join(t.dir, 'mar.csv'));
    const dry = await t.cancel('mar.csv', '--dry-run');
    expect(dry.code, dry.stderr).toBe(1);
    expect(t.result('mar.csv').map((r) => [r['result'], r['error_code']])).toEqual([['refused', 'POSSIBLE_REPEAT']]);
    const real = await t.cancel('mar.csv');
    expect(real.code, real.stderr).toBe(1);
    const [row] = t.result('mar.csv');
    expect(row).toMatchObject({ result: 'refused', error_code: 'POSSIBLE_REPEAT', order_no: '' });
    expect(row!['error_message']).toContain(`order ${january!['order_no']} of ${januaryDate} (jan.csv row 1)`);
    expect(row!['error_message']).toContain('--allow-repeat');
    expect(t.errors('mar.csv').map((r) => r['error_code'])).toEqual(['POSSIBLE_REPEAT']);
    expect((await t.cancel('mar.csv', '--lang', 'ja')).code).toBe(1);
    const [ja] = csv(join(t.dir, 'mar.result.csv'));
    expect(ja!['エラーコード']).toBe('POSSIBLE_REPEAT');
    expect(ja!['エラー内容']).toContain(`${januaryDate} の注文 ${january!['order_no']}（jan.csv の 1 行目）`);
    expect(ja!['エラー内容']).not.toMatch(/\b(?!POSSIBLE_REPEAT|NOD|jan|csv|repeat|days|allow)[A-Za-z]{3,}/);
    expect(await t.orders()).toHaveLength(1);
    expect((await t.stats()).total).toBe(callsBefore);
    expect(await t.seats(E3)).toBe(9);

    // Asked for on purpose: --allow-repeat, or a request id.
    const allowed = await t.cancel('mar.csv', '--allow-repeat');
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(t.result('mar.csv').map((r) => r['result'])).toEqual(['completed']);
    t.file('apr.csv', 'NCN202108-0000003200,M365-E3,,,1,,REQ-APR,');
    expect((await t.cancel('apr.csv')).code).toBe(0);
    expect(t.result('apr.csv').map((r) => r['result'])).toEqual(['completed']);
    expect(await t.orders()).toHaveLength(3);
    expect(await t.seats(E3)).toBe(7);
    expect((await t.stats()).subscriptions[E3]!.quantity).toBe(7);
  }, 180_000);

  it('11: within --repeat-days the re-drops of a file stay already_done; another file that does not hold it is POSSIBLE_REPEAT; weeks later the file itself is, unless --repeat-days reaches back', async () => {
    const t = await setUp(backend);
    t.file('jan.csv', 'NCN202108-0000003200,M365-E3,,,1,,,', 'NCN202105-0000003108,M365-BB,,,2,,,first');
    expect((await t.cancel('jan.csv')).code).toBe(0);
    // Re-saved by a spreadsheet under another name: BOM, CRLF, a note edited, rows in another order.
    writeFileSync(join(t.dir, 'jan (2).csv'), `\uFEFF${HEADER}\r\nncn202105-0000003108,m365-bb,,,２,,,edited\r\nNCN202108-0000003200,M365-E3,,,1,,,\r\n`);
    expect((await t.cancel('jan (2).csv')).code).toBe(0);
    expect(t.result('jan (2).csv').map((r) => r['result'])).toEqual(['already_done', 'already_done']);
    // A file of its own that repeats one of jan.csv's rows and not the other: not a copy of jan.csv.
    t.file('feb.csv', 'NCN202108-0000003200,M365-E3,,,1,,,', 'NCN202108-0000003200,TEAMS-EE,,,1,,,');
    expect((await t.cancel('feb.csv')).code).toBe(1);
    expect(t.result('feb.csv').map((r) => [r['result'], r['error_code']])).toEqual([
      ['refused', 'POSSIBLE_REPEAT'],
      ['refused', 'CONTRACT_GROUP_REFUSED'],
    ]);
    expect(await t.orders()).toHaveLength(2);

    await t.age(40);
    // jan.csv itself, appended to weeks later: its old rows are no longer known to be the same request.
    writeFileSync(join(t.dir, 'jan.csv'), `${readFileSync(join(t.dir, 'jan.csv'), 'utf8')}NCN202107-0000003109,PRJ-P1,,,,,,\n`);
    expect((await t.cancel('jan.csv')).code).toBe(1);
    expect(t.result('jan.csv').map((r) => [r['result'], r['error_code']])).toEqual([
      ['refused', 'POSSIBLE_REPEAT'],
      ['refused', 'POSSIBLE_REPEAT'],
      ['completed', ''],
    ]);
    expect((await t.cancel('jan.csv', '--repeat-days', '60')).code).toBe(0);
    expect(t.result('jan.csv').map((r) => r['result'])).toEqual(['already_done', 'already_done', 'already_done']);
    expect(await t.orders()).toHaveLength(3);
    expect(await t.seats(E3)).toBe(9);
    expect(await t.seats(BB)).toBe(18);
    expect(await t.seats(TEAMS)).toBe(5);

    for (const bad of ['-1', '1.5', 'week']) {
      const r = await t.cancel('jan.csv', '--repeat-days', bad);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toContain('--repeat-days');
    }
  }, 180_000);

  it('11: a night applies the same rule to its inbox, and takes --repeat-days and --allow-repeat', async () => {
    const t = await setUp(backend);
    const drop = (name: string, ...rows: string[]) => {
      mkdirSync(join(t.dir, 'inbox'), { recursive: true });
      writeFileSync(join(t.dir, 'inbox', name), `${HEADER}\n${rows.map((r) => `${r}\n`).join('')}`);
      const old = new Date(Date.now() - 3600_000);
      utimesSync(join(t.dir, 'inbox', name), old, old);
    };
    const night = (...extra: string[]) => t.cli('cancel', '--inbox', 'inbox', '--settle-seconds', '0', '--supplier', t.url, '--lang', 'en', ...extra);
    const archived = (name: string) => csv(join(t.dir, 'inbox', 'archive', name)).map((r) => [r['result'], r['error_code']]);
    // Two rows: a file holding every row of a one-row file is no evidence of a copy (a coincidence as often).
    const rows = (note: string) => ['NCN202105-0000003108,M365-BB,,,1,,,' + note, 'NCN202108-0000003200,M365-E3,,,1,,,' + note];
    drop('jan.csv', ...rows(''));
    expect((await night()).code).toBe(0);
    await t.age(10);
    drop('feb.csv', ...rows('february'));
    expect((await night()).code).toBe(1);
    expect(archived('feb.result.csv')).toEqual([
      ['refused', 'POSSIBLE_REPEAT'],
      ['refused', 'POSSIBLE_REPEAT'],
    ]);
    drop('feb-copy.csv', ...rows('february'));
    expect((await night('--repeat-days', '14')).code).toBe(0);
    expect(archived('feb-copy.result.csv')).toEqual([
      ['already_done', ''],
      ['already_done', ''],
    ]);
    await t.age(10);
    drop('mar.csv', ...rows('march'));
    expect((await night('--allow-repeat')).code).toBe(0);
    expect(archived('mar.result.csv')).toEqual([
      ['completed', ''],
      ['completed', ''],
    ]);
    expect(await t.seats(BB)).toBe(18);
  }, 180_000);

  it('a row like one whose order an operator withdrew is a new request: the withdrawn order did nothing', async () => {
    const t = await setUp(backend);
    t.file('jan.csv', 'NCN202108-0000003200,M365-E3,,,1,,,');
    expect((await t.cancel('jan.csv', '--until', 'requested')).code).toBe(0);
    const [order] = await t.orders();
    expect((await t.cli('orders', 'withdraw', order!['order_no']!, '--lang', 'en')).code).toBe(0);
    t.file('jan-again.csv', 'NCN202108-0000003200,M365-E3,,,1,,,again');
    const again = await t.cancel('jan-again.csv');
    expect(again.code, again.stderr).toBe(0);
    expect(t.result('jan-again.csv').map((r) => r['result'])).toEqual(['completed']);
    expect(await t.seats(E3)).toBe(9);
  }, 180_000);

  it('3: a file dropped back with blank cells filled in (subscription id, the quantity and the date a blank stood for, the line of a serial) is already done, not cancelled again', async () => {
    const t = await setUp(backend);
    const today = jstDate(new Date());
    const [y, m, d] = today.split('-').map(Number);
    t.file(
      'nov.csv',
      'NCN202108-0000003200,M365-E3,,,,,,all ten seats', // blank quantity: all 10; blank date: today
      'NCN202105-0000003108,M365-BB,,,2,,,',
      'NCN202110-0000003402,,,SN-ESET-0002,,,,',
      'NCN202107-0000003109,,,,,,,whole contract',
      'NCN999999-0000000001,,,,,,,',
    );
    const first = await t.cancel('nov.csv');
    expect(first.code, first.stderr).toBe(1);
    expect(t.result('nov.csv').map((r) => r['result'])).toEqual(['completed', 'completed', 'completed', 'completed', 'refused']);
    const made = t.result('nov.csv').map((r) => r['order_no']);
    const callsBefore = (await t.stats()).total;

    // The operator fills in what was blank, fixes the refused row, and drops the file back.
    t.file(
      'nov.csv',
      `NCN202108-0000003200,M365-E3,${E3},,10,${y}/${m}/${d},,all ten seats`,
      `NCN202105-0000003108,M365-BB,${BB.toLowerCase()},,2,${today.replaceAll('-', '')},,`,
      `NCN202110-0000003402,ESET-PROTECT,,SN-ESET-0002,1,${today},,`,
      'NCN202107-0000003109,,,,,,,whole contract',
      'NCN202108-0000003200,TEAMS-EE,,,1,,,fixed',
    );
    const fixed = await t.cancel('nov.csv');
    expect(fixed.code, fixed.stderr).toBe(0);
    const rows = t.result('nov.csv');
    expect(rows.map((r) => r['result'])).toEqual(['already_done', 'already_done', 'already_done', 'already_done', 'completed']);
    expect(rows.slice(0, 4).map((r) => r['order_no'])).toEqual(made.slice(0, 4));
    expect(await t.seats(BB)).toBe(18);
    expect(await t.seats(TEAMS)).toBe(4);
    expect((await t.stats()).subscriptions[BB]!.quantity).toBe(18);
    // The one new row's call (a PATCH and its GET, at most) reached the supplier; nothing for the others.
    expect((await t.stats()).total - callsBefore).toBeLessThanOrEqual(2);

    // The same, renamed: a copy of the file with its blanks filled in is the same request too.
    copyFileSync(join(t.dir, 'nov.csv'), join(t.dir, 'nov-copy.csv'));
    expect((await t.cancel('nov-copy.csv')).code).toBe(0);
    expect(t.result('nov-copy.csv').map((r) => r['result'])).toEqual(Array(5).fill('already_done'));
    expect(await t.orders()).toHaveLength(5);
  }, 180_000);

  it('4: after an order is completed for what the supplier took, each row of a re-run or re-drop reports its own lines: the taken one is done, only the refused one is in the error file', async () => {
    const t = await setUp(backend);
    t.file('split.csv', `${SPLIT},O365-E1,,,1,,,`, `${SPLIT},O365-E3,,,1,,,`);
    expect((await t.cancel('split.csv')).code).toBe(1);
    expect(t.result('split.csv').map((r) => [r['result'], r['error_code']])).toEqual([
      ['pending', ''],
      ['failed', 'SUPPLIER_REJECTED'],
    ]);
    // Resume completes the order for what the supplier took and releases the refused line.
    const resume = await t.cli('orders', 'resume', '--supplier', t.url, '--lang', 'en');
    expect(resume.code, resume.stdout + resume.stderr).toBe(0);
    expect((await t.orders())[0]).toMatchObject({ status: 'completed', lines: '2', lines_linked: '1' });
    const callsBefore = (await t.stats()).total;

    for (const name of ['split.csv', 'split.errors.csv', 'split again.csv']) {
      if (name === 'split again.csv') writeFileSync(join(t.dir, name), `\uFEFF${HEADER}\r\n${SPLIT},o365-e1,,,1,,,re-saved\r\n${SPLIT},O365-E3,,,1,,,\r\n`);
      const again = await t.cancel(name);
      expect(again.code, `${name}: ${again.stderr}`).toBe(1);
      const results = t.result(name).map((r) => [r['product_code'], r['result'], r['error_code'], r['linkage_status']]);
      if (name === 'split.errors.csv') expect(results).toEqual([['O365-E3', 'failed', 'SUPPLIER_REJECTED', 'failed']]);
      else {
        expect(results).toEqual([
          [expect.stringMatching(/^o365-e1$/i), 'already_done', '', 'linked'],
          ['O365-E3', 'failed', 'SUPPLIER_REJECTED', 'failed'],
        ]);
      }
      expect(
        t.errors(name).map((r) => r['商品コード']),
        name,
      ).toEqual(['O365-E3']);
    }
    expect(await t.orders()).toHaveLength(1);
    expect((await t.stats()).total).toBe(callsBefore);
    expect((await t.stats()).subscriptions['GOOD-0021']!.quantity).toBe(2);
  }, 180_000);
});
