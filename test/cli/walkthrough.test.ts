/**
 * The operator manual's walk-through (既存契約の解約), step by step, through the built CLI
 * as a real child process on a database of its own: create the order, accept, withdraw
 * the acceptance, accept again, link (after which withdrawal is refused), confirm (which
 * needs an end date), then cancel the rest of the contract from a second file and check
 * the contract list, the change-order list and the cancelled-serial export.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, type Ran } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kaiyaku-walk-'));
const DB = join(dir, 'walk.db');

function kaiyaku(...args: string[]): Promise<Ran> {
  return runCli(args, { cwd: dir });
}

/** Runs a command that must succeed, showing its stderr when it does not. */
async function ok(...args: string[]): Promise<Ran> {
  const r = await kaiyaku(...args);
  expect(r.code, `kaiyaku ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

function write(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

type Row = Record<string, string>;
function csv(text: string): Row[] {
  return parse(text, { bom: true, columns: true, skip_empty_lines: true }) as Row[];
}

async function orders(): Promise<Row[]> {
  return csv((await ok('orders', 'list', '--db', DB, '--lang', 'en', '--encoding', 'utf8')).stdout);
}
async function order(orderNo: string): Promise<Row> {
  const found = (await orders()).find((o) => o.order_no === orderNo);
  expect(found, `order ${orderNo} in orders list`).toBeDefined();
  return found!;
}
async function contracts(): Promise<Row[]> {
  return csv((await ok('contracts', 'list', '--db', DB, '--lang', 'en', '--encoding', 'utf8')).stdout);
}

/** The JST business day: the portal's 申込日 and 解約日 are Japanese dates. */
const today = new Date(Date.now() + 9 * 3600_000).toISOString().slice(0, 10);
const nextYear = Number(today.slice(0, 4)) + 1;
const FIRST_END = `${nextYear}-01-15`;
const SECOND_END = `${nextYear}-01-31`;

const CONTRACT = 'NCN202107-0000003109';
const E1_SUB = 'SC0F21D7-C48D-493D-A6B1-0000003109';
const P1_SUB = '5B7E2C10-91AA-4C3B-8E02-0000003109';

const CONTRACTS_CSV = [
  'contract_no,contract_date,start_date,end_date,subject,customer,end_user,bill_to,ship_to,supplier,product_code,product_name,subscription_id,quantity,unit_price,plan,billing_model,is_trial,serials',
  `${CONTRACT},2021-07-20,2021-07-20,,テスト,factory2016T,factory2016T,factory2016T,factory2016T,Microsoft,O365-E1,Office 365 E1,${E1_SUB},3,870,標準月額プラン,標準月額モデル,0,`,
  `${CONTRACT},2021-07-20,2021-07-20,,テスト,factory2016T,factory2016T,factory2016T,factory2016T,Microsoft,PRJ-P1,Project Plan 1,${P1_SUB},1,870,標準月額プラン,標準月額モデル,0,`,
  // A bystander that nothing here touches.
  'NCN202105-0000003108,2021-05-10,2021-07-20,,M365 基本,株式会社ピーエーエ,株式会社ピーエーエ,株式会社ピーエーエ,株式会社ピーエーエ,Microsoft,M365-BB,Microsoft 365 Business Basic,7D4F1A22-0C3E-4B8F-9D11-0000003108,20,650,標準月額プラン,標準月額モデル,0,',
  '',
].join('\r\n');

beforeAll(async () => {
  expect(existsSync(BIN), `${BIN} is missing: run npm run build first`).toBe(true);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the manual walk-through: cancelling NCN202107-0000003109 by hand, then the rest in bulk', () => {
  let orderNo = '';

  it('imports the contracts (契約一括登録)', async () => {
    const r = await ok('contracts', 'import', write('contracts.csv', CONTRACTS_CSV), '--db', DB);
    expect(r.stdout).toContain('契約 新規 2');
    const list = await contracts();
    const c = list.find((x) => x.contract_no === CONTRACT)!;
    expect(c).toMatchObject({
      status: 'active',
      products: 'Office 365 E1;Project Plan 1',
      start_date: '2021-07-20',
      end_date: '',
      cancelled_on: '',
      billable: 'true',
    });
  });

  it('creates the cancellation order for Office 365 E1 ×3 and stops at 申請 (--until requested)', async () => {
    const file = write('first.csv', `契約番号,商品コード,解約数,備考\r\n${CONTRACT},O365-E1,3,Office 365 E1 を全数解約\r\n`);
    const r = await kaiyaku('cancel', file, '--db', DB, '--until', 'requested', '--lang', 'en');
    expect(r.code, r.stderr).toBe(0);
    const result = csv(readFileSync(join(dir, 'first.result.csv'), 'utf8'));
    expect(result).toHaveLength(1);
    expect(result[0]).toMatchObject({
      row: '1',
      contract_no: CONTRACT,
      product_code: 'O365-E1',
      cancel_quantity: '3',
      result: 'completed',
      order_status: 'requested',
      linkage_status: 'unlinked',
      error_code: '',
    });
    orderNo = result[0]!.order_no!;
    expect(orderNo).toMatch(/^NOD\d{6}-\d{10}$/);
    expect(csv(readFileSync(join(dir, 'first.errors.csv'), 'utf8'))).toHaveLength(0);

    // The 契約変更 screen: 3 × 870 = 2,610 円, tax 261 円, total 2,871 円 → 0 / 0 / 0.
    expect(await order(orderNo)).toMatchObject({
      contract_no: CONTRACT,
      kind: 'cancel',
      status: 'requested',
      applied_on: today,
      subtotal_before: '2610',
      tax_before: '261',
      total_before: '2871',
      subtotal_after: '0',
      tax_after: '0',
      total_after: '0',
      lines: '1',
      lines_linked: '0',
    });
  });

  it('受付 → 受付取消 → 受付 move the order between requested and accepted', async () => {
    expect((await ok('orders', 'accept', orderNo, '--db', DB)).stdout).toContain(orderNo);
    expect((await order(orderNo)).status).toBe('accepted');
    await ok('orders', 'withdraw-acceptance', orderNo, '--db', DB);
    expect((await order(orderNo)).status).toBe('requested');
    await ok('orders', 'accept', orderNo, '--db', DB);
    expect((await order(orderNo)).status).toBe('accepted');
  });

  it("解約連携 links the line; afterwards 受付取消 is refused with the portal's words", async () => {
    const linked = await ok('orders', 'link', orderNo, '--db', DB);
    expect(linked.stdout).toContain('解約連携が完了しました');
    expect(await order(orderNo)).toMatchObject({ status: 'accepted', lines: '1', lines_linked: '1' });

    const refused = await kaiyaku('orders', 'withdraw-acceptance', orderNo, '--db', DB);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('発注済みの為、受付取消はできません');
    expect((await order(orderNo)).status).toBe('accepted');
  });

  it('解約確定 needs 契約終了日; with one the order completes and the contract stays active', async () => {
    const refused = await kaiyaku('orders', 'confirm', orderNo, '--db', DB);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('契約終了日');
    expect((await order(orderNo)).status).toBe('accepted');

    await ok('orders', 'confirm', orderNo, '--db', DB, '--end-date', FIRST_END);
    expect(await order(orderNo)).toMatchObject({
      status: 'completed',
      subtotal_before: '2610',
      tax_before: '261',
      total_before: '2871',
      subtotal_after: '0',
      tax_after: '0',
      total_after: '0',
      lines_linked: '1',
    });
    // Project Plan 1 still bills: the contract is still active and not greyed out.
    const c = (await contracts()).find((x) => x.contract_no === CONTRACT)!;
    expect(c).toMatchObject({ status: 'active', end_date: '', cancelled_on: '', billable: 'true' });
    expect(
      csv((await ok('contracts', 'list', '--db', DB, '--lang', 'en', '--encoding', 'utf8', '--status', 'active')).stdout).map((x) => x.contract_no),
    ).toContain(CONTRACT);
  });

  it('a second file with just the contract number (全選択) cancels the rest: the contract becomes 解約済', async () => {
    const file = write('second.csv', `契約番号\r\n${CONTRACT}\r\n`);
    const r = await kaiyaku('cancel', file, '--db', DB, '--end-date', SECOND_END, '--lang', 'en');
    expect(r.code, r.stderr).toBe(0);
    const result = csv(readFileSync(join(dir, 'second.result.csv'), 'utf8'));
    expect(result).toHaveLength(1);
    expect(result[0]).toMatchObject({ contract_no: CONTRACT, result: 'completed', order_status: 'completed', linkage_status: 'linked' });
    const secondOrder = result[0]!.order_no!;
    expect(secondOrder).not.toBe(orderNo);
    expect(await order(secondOrder)).toMatchObject({
      status: 'completed',
      subtotal_before: '870',
      tax_before: '87',
      total_before: '957',
      subtotal_after: '0',
      tax_after: '0',
      total_after: '0',
      lines: '1',
    });

    const c = (await contracts()).find((x) => x.contract_no === CONTRACT)!;
    expect(c).toMatchObject({ status: 'cancelled', end_date: SECOND_END, cancelled_on: today, billable: 'false' });
    const bystander = (await contracts()).find((x) => x.contract_no === 'NCN202105-0000003108')!;
    expect(bystander).toMatchObject({ status: 'active', billable: 'true' });
    // The Japanese list says 解約済.
    const ja = parse((await ok('contracts', 'list', '--db', DB, '--encoding', 'utf8', '--status', 'cancelled')).stdout, { bom: true }) as string[][];
    expect(ja[0]).toContain('契約ステータス');
    expect(ja.slice(1).map((r2) => r2[1])).toEqual(['解約済']);
  });

  it('the first order still shows 2,610 / 261 / 2,871 before and 0 / 0 / 0 after in the change-order list', async () => {
    expect(await order(orderNo)).toMatchObject({
      subtotal_before: '2610',
      tax_before: '261',
      total_before: '2871',
      subtotal_after: '0',
      tax_after: '0',
      total_after: '0',
    });
    expect(await orders()).toHaveLength(2);
  });

  it('the cancelled-serial export lists both subscriptions, with quantities 3 and 1', async () => {
    const rows = csv((await ok('serials', 'export', '--db', DB, '--lang', 'en', '--encoding', 'utf8')).stdout);
    const bySub = new Map(rows.map((r) => [r.subscription_id, r]));
    expect(rows).toHaveLength(2);
    expect(bySub.get(E1_SUB)).toMatchObject({
      contract_no: CONTRACT,
      order_no: orderNo,
      product_code: 'O365-E1',
      serial_no: E1_SUB,
      cancel_quantity: '3',
      end_date: FIRST_END,
      cancelled_on: today,
      supplier: 'Microsoft',
    });
    expect(bySub.get(P1_SUB)).toMatchObject({
      contract_no: CONTRACT,
      product_code: 'PRJ-P1',
      serial_no: P1_SUB,
      cancel_quantity: '1',
      end_date: SECOND_END,
      cancelled_on: today,
    });
  });
});
