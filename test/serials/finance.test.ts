import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { beforeAll, describe, expect, it } from 'vitest';
import { jstDate } from '../../src/domain/dates.js';
import { openStore } from '../../src/store/index.js';
import { knexOf } from '../../src/store/store.js';

const BIN = path.resolve('dist/cli/main.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-finance-'));
const db = path.join(dir, 'f.db');

function kaiyaku(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--db', db], { encoding: 'buffer', env: { ...process.env, CI: 'true' } });
  return { code: r.status, out: r.stdout, err: r.stderr.toString('utf8') };
}

function parseCsv(text: string): string[][] {
  // The cells written here hold no quotes or commas except where a test says so.
  return text
    .replace(/^\ufeff/, '')
    .trimEnd()
    .split('\r\n')
    .map((l) => l.split(','));
}

const HEADER =
  'contract_no,contract_date,start_date,end_date,subject,customer,end_user,bill_to,ship_to,supplier,product_code,product_name,subscription_id,quantity,unit_price,plan,billing_model,is_trial,serials';
const contract = (no: string, customer: string, subject: string, product: string, sub: string, qty: number, serials = '') =>
  `${no},2025-01-06,2025-01-06,,${subject},${customer},${customer},${customer},${customer},Microsoft,P-${sub},${product},${sub},${qty},1000,標準月額プラン,標準月額モデル,0,${serials}`;

beforeAll(() => {
  fs.writeFileSync(
    path.join(dir, 'contracts.csv'),
    [
      HEADER,
      contract('NCN202501-0000000001', '"=HYPERLINK(""http://x"")"', '+cmd', '@SUM(A1)', 'FIN-1', 3),
      contract('NCN202501-0000000002', '－危険株式会社', '＝1+1', 'Office 365 E1', 'FIN-2', 2),
      contract('NCN202501-0000000003', '見本株式会社', '通常', 'ESET PROTECT', '', 2, 'SN-A;SN-B'),
    ].join('\r\n'),
  );
  expect(kaiyaku('contracts', 'import', path.join(dir, 'contracts.csv')).code).toBe(0);
  fs.writeFileSync(path.join(dir, 'c1.csv'), '契約番号\r\nNCN202501-0000000001\r\nNCN202501-0000000003\r\n');
  expect(kaiyaku('cancel', path.join(dir, 'c1.csv'), '--supplier', 'sim', '--quiet').code).toBe(0);
});

describe('serials export', () => {
  it('lists one row per cancelled serial: the subscription id for subscriptions, each serial for serial-managed lines', () => {
    const r = kaiyaku('serials', 'export', '--lang', 'en', '--encoding', 'utf8');
    expect(r.code).toBe(0);
    const rows = parseCsv(r.out.toString('utf8'));
    expect(rows[0]).toEqual([
      'cancelled_on',
      'contract_no',
      'order_no',
      'customer',
      'end_user',
      'supplier',
      'product_code',
      'product_name',
      'subscription_id',
      'serial_no',
      'cancel_quantity',
      'end_date',
    ]);
    const serials = rows.slice(1).map((row) => [row[1], row[9], row[10]]);
    expect(serials).toEqual(
      expect.arrayContaining([
        ['NCN202501-0000000001', 'FIN-1', '3'],
        ['NCN202501-0000000003', 'SN-A', '1'],
        ['NCN202501-0000000003', 'SN-B', '1'],
      ]),
    );
    expect(rows.slice(1).every((row) => row[0] === jstDate(new Date()))).toBe(true);
  });

  it('decodes back in every encoding, with Japanese headers by default', () => {
    const bom = kaiyaku('serials', 'export').out;
    expect([...bom.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bom.toString('utf8')).toContain(
      '解約日,契約番号,注文番号,販売先,利用者,提供元,商品コード,商品名,サブスクリプションID,シリアル番号,解約数,契約終了日',
    );
    const plain = kaiyaku('serials', 'export', '--encoding', 'utf8').out;
    expect(plain[0]).not.toBe(0xef);
    const sjis = kaiyaku('serials', 'export', '--encoding', 'cp932').out;
    const decoded = iconv.decode(sjis, 'cp932');
    expect(decoded.startsWith('解約日,契約番号')).toBe(true);
    expect(decoded).toBe(plain.toString('utf8'));
  });

  it('filters by cancellation date (JST)', () => {
    const today = jstDate(new Date());
    const count = (...args: string[]) => parseCsv(kaiyaku('serials', 'export', '--encoding', 'utf8', ...args).out.toString('utf8')).length - 1;
    expect(count('--from', today, '--to', today)).toBe(3);
    expect(count('--to', '2000-01-01')).toBe(0);
    expect(count('--from', '2999-01-01')).toBe(0);
    expect(kaiyaku('serials', 'export', '--from', 'yesterday').code).toBe(2);
  });

  it('marks a download notified once, and the next --unnotified holds only new rows', () => {
    const out = path.join(dir, 'n1.csv');
    expect(kaiyaku('serials', 'export', '--unnotified', '--mark-notified', '--operator', 'finance1', '--out', out).code).toBe(0);
    expect(parseCsv(fs.readFileSync(out, 'utf8')).length - 1).toBe(3);
    const again = parseCsv(kaiyaku('serials', 'export', '--unnotified', '--mark-notified', '--encoding', 'utf8').out.toString('utf8'));
    expect(again.length - 1).toBe(0);
    fs.writeFileSync(path.join(dir, 'c2.csv'), '契約番号\r\nNCN202501-0000000002\r\n');
    expect(kaiyaku('cancel', path.join(dir, 'c2.csv'), '--supplier', 'sim', '--quiet').code).toBe(0);
    const fresh = parseCsv(kaiyaku('serials', 'export', '--unnotified', '--encoding', 'utf8', '--lang', 'en').out.toString('utf8'));
    expect(fresh.slice(1).map((row) => row[1])).toEqual(['NCN202501-0000000002']);
    // Without --unnotified, everything stays downloadable.
    expect(parseCsv(kaiyaku('serials', 'export', '--encoding', 'utf8').out.toString('utf8')).length - 1).toBe(4);
  });
});

describe('Excel safety', () => {
  const everyCsv = () => [
    kaiyaku('serials', 'export', '--encoding', 'utf8').out.toString('utf8'),
    kaiyaku('contracts', 'list', '--encoding', 'utf8').out.toString('utf8'),
    kaiyaku('orders', 'list', '--encoding', 'utf8').out.toString('utf8'),
  ];

  it('no cell of any list starts a formula, and the text stays readable', () => {
    for (const text of everyCsv()) {
      for (const row of parseCsv(text)) {
        for (const cell of row) {
          const bare = cell.startsWith('"') ? cell.slice(1) : cell;
          expect(bare).not.toMatch(/^[=+\-@\t\r＝＋－＠]/);
        }
      }
    }
    const contracts = everyCsv()[1]!;
    expect(contracts).toContain(`'=HYPERLINK(`);
    expect(contracts).toContain(`'－危険株式会社`);
    expect(contracts).toContain(`'@SUM(A1)`);
  });

  it('numbers stay numbers', () => {
    const orders = parseCsv(kaiyaku('orders', 'list', '--encoding', 'utf8', '--lang', 'en').out.toString('utf8'));
    const first = orders.find((row) => row[2] === 'NCN202501-0000000001')!;
    expect(first.slice(9, 15)).toEqual(['3000', '300', '3300', '0', '0', '0']);
  });

  it('refuses to write a character CP932 cannot hold, naming it, instead of writing ?', () => {
    fs.writeFileSync(path.join(dir, 'emoji.csv'), [HEADER, contract('NCN202501-0000000009', '𠮷野家', '件名', 'X', 'FIN-9', 1)].join('\r\n'));
    expect(kaiyaku('contracts', 'import', path.join(dir, 'emoji.csv')).code).toBe(0);
    const out = path.join(dir, 'list.csv');
    const r = kaiyaku('contracts', 'list', '--encoding', 'cp932', '--out', out);
    expect(r.code).toBe(2);
    expect(r.err).toContain('U+20BB7');
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('lists', () => {
  it('contracts list filters by status and shows billable', () => {
    const rows = parseCsv(kaiyaku('contracts', 'list', '--status', 'cancelled', '--lang', 'en', '--encoding', 'utf8').out.toString('utf8'));
    expect(rows.slice(1).every((row) => row[1] === 'cancelled' && row[9] === 'false')).toBe(true);
    expect(rows.length - 1).toBeGreaterThanOrEqual(2);
    const active = parseCsv(kaiyaku('contracts', 'list', '--status', 'active', '--lang', 'ja', '--encoding', 'utf8').out.toString('utf8'));
    expect(active[0]![1]).toBe('契約ステータス');
    expect(active.slice(1).every((row) => row[1] === '有効中' && row[9] === 'true')).toBe(true);
  });

  it('orders list filters by status with Japanese labels', () => {
    const rows = parseCsv(kaiyaku('orders', 'list', '--status', 'completed', '--encoding', 'utf8').out.toString('utf8'));
    expect(rows.length - 1).toBe(3);
    expect(rows.slice(1).every((row) => row[3] === '解約' && row[4] === '変更済')).toBe(true);
    expect(parseCsv(kaiyaku('orders', 'list', '--status', 'requested', '--encoding', 'utf8').out.toString('utf8')).length).toBe(1);
  });

  it('lists rows by day, then order number, whatever order the orders were confirmed in (the same file from every run)', async () => {
    const before = parseCsv(kaiyaku('serials', 'export', '--lang', 'en', '--encoding', 'utf8').out.toString('utf8')).slice(1);
    const orders = before.map((r) => r[2]!);
    expect(new Set(orders).size).toBeGreaterThan(1);
    // The first order's rows written last, as when its confirmation came after the others'.
    const store = await openStore(db);
    try {
      const firstOrder = (await knexOf(store)('change_orders').where({ order_no: orders[0] }).first('id')) as { id: number };
      const lines = knexOf(store)('order_lines').where({ order_id: firstOrder.id }).select('id');
      await knexOf(store)('cancelled_serials')
        .whereIn('order_line_id', lines)
        .update({ id: knexOf(store).raw('id + 100000') });
    } finally {
      await store.close();
    }
    const after = parseCsv(kaiyaku('serials', 'export', '--lang', 'en', '--encoding', 'utf8').out.toString('utf8')).slice(1);
    expect(after).toEqual(before);
    expect(orders).toEqual([...orders].sort());
  });
});
