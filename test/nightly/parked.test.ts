/**
 * "A stop chosen is kept" (cli.md), through the real CLI against `kaiyaku supplier serve`,
 * on SQLite and PostgreSQL: orders a run left at `--until requested|accepted|linked` stay
 * there through nights and plain resumes, which say what they left; an order whose run
 * asked for completion and was cut short is still taken up; an operator's button,
 * `orders resume --order NO` or `--include-parked` moves a parked order on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { serveSupplier, type Served } from '../support/supplierServe.js';
import { aStore, STORE_KINDS, type StoreUnderTest } from '../support/stores.js';
import { readCsv, type NightJson } from './helpers.js';
import { importContracts } from '../support/inProcess.js';

const made: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

const CONTRACT_HEADER =
  'contract_no,contract_date,start_date,end_date,subject,customer,end_user,bill_to,ship_to,supplier,product_code,product_name,subscription_id,quantity,unit_price,plan,billing_model,is_trial,serials';
/** One contract per case, one line each: the subscription id says what the case is. */
const CASES = {
  requested: { contract: 'NCN202401-0000000001', sub: 'PARK-REQ-1', quantity: 3 },
  accepted: { contract: 'NCN202401-0000000002', sub: 'PARK-ACC-2', quantity: 4 },
  linked: { contract: 'NCN202401-0000000003', sub: 'PARK-LNK-3', quantity: 5 },
  cutShort: { contract: 'NCN202401-0000000004', sub: 'CUT-4', quantity: 2 },
  sentBack: { contract: 'NCN202401-0000000005', sub: 'BACK-5', quantity: 2 },
} as const;
type Case = keyof typeof CASES;

interface Folder {
  dir: string;
  store: StoreUnderTest;
  kaiyaku(args: readonly string[]): ReturnType<typeof runCli>;
}

async function setUp(kind: StoreUnderTest['kind']): Promise<Folder> {
  const dir = fs.mkdtempSync(path.join(process.env['TMPDIR'] ?? '/tmp', `kaiyaku-parked-${kind}-`));
  made.push(dir);
  const store = await aStore(kind, dir, 'parked');
  cleanups.push(() => store.drop());
  const kaiyaku = (args: readonly string[]) => runCli([...args, '--db', store.spec, '--lang', 'en'], dir);
  const lines = Object.values(CASES).map(
    (c) =>
      `${c.contract},2024-01-05,2024-01-05,,件名,顧客株式会社,顧客株式会社,顧客株式会社,顧客株式会社,Microsoft,O365-E1,Office 365 E1,${c.sub},${c.quantity},870,標準月額プラン,標準月額モデル,0,`,
  );
  fs.writeFileSync(path.join(dir, 'contracts.csv'), `${CONTRACT_HEADER}\n${lines.join('\n')}\n`);
  // A set-up step, in this process (test/support/inProcess.ts): the commands under test run the real CLI.
  await importContracts(store.spec, path.join(dir, 'contracts.csv'));
  for (const name of Object.keys(CASES) as Case[]) fs.writeFileSync(path.join(dir, `${name}.csv`), `契約番号,解約数\n${CASES[name].contract},\n`);
  return { dir, store, kaiyaku };
}

/** contract number → [order number, status], read from `orders list`. */
async function orders(f: Folder): Promise<Map<string, [string, string]>> {
  const r = await f.kaiyaku(['orders', 'list', '--encoding', 'utf8', '--out', 'orders.csv']);
  expect(r.code, r.stderr).toBe(0);
  return new Map(readCsv(path.join(f.dir, 'orders.csv')).map((o) => [o['contract_no']!, [o['order_no']!, o['status']!]]));
}

async function statusOf(f: Folder): Promise<Record<Case, string>> {
  const byContract = await orders(f);
  return Object.fromEntries((Object.keys(CASES) as Case[]).map((c) => [c, byContract.get(CASES[c].contract)?.[1] ?? 'none'])) as Record<Case, string>;
}

async function orderNo(f: Folder, c: Case): Promise<string> {
  return (await orders(f)).get(CASES[c].contract)![0];
}

async function night(f: Folder, supplier: Served): Promise<{ code: number | null; stdout: string; summary: NightJson }> {
  fs.mkdirSync(path.join(f.dir, 'inbox'), { recursive: true });
  const r = await f.kaiyaku(['cancel', '--inbox', 'inbox', '--settle-seconds', '0', '--summary-json', 'night.json', '--supplier', supplier.url]);
  expect([0, 1], r.stderr).toContain(r.code);
  return { code: r.code, stdout: r.stdout, summary: JSON.parse(fs.readFileSync(path.join(f.dir, 'night.json'), 'utf8')) as NightJson };
}

describe.each(STORE_KINDS)('orders parked on purpose (%s)', (kind) => {
  it('stay through nights and plain resumes, which name them; a cut-short run is still finished; an operator moves them on', async () => {
    const f = await setUp(kind);
    const supplier = await serveSupplier(f.dir, ['--db', f.store.spec]);
    cleanups.push(() => supplier.stop());
    const sup = ['--supplier', supplier.url];
    for (const stage of ['requested', 'accepted', 'linked'] as const) {
      const r = await f.kaiyaku(['cancel', `${stage}.csv`, '--until', stage, ...sup, '--quiet']);
      expect(r.code, r.stderr).toBe(0);
    }
    // Asked for completion, cut short: the supplier could not be reached (nothing listens on port 9).
    const cut = await f.kaiyaku([
      'cancel',
      'cutShort.csv',
      '--supplier',
      'http://127.0.0.1:9',
      '--supplier-circuit-threshold',
      '1',
      '--supplier-timeout-ms',
      '500',
      '--quiet',
    ]);
    expect(cut.code, cut.stderr).toBe(1);
    // 受付取消 by an operator parks the order at 申請: a night must not accept it again.
    expect((await f.kaiyaku(['cancel', 'sentBack.csv', '--until', 'accepted', ...sup, '--quiet'])).code).toBe(0);
    expect((await f.kaiyaku(['orders', 'withdraw-acceptance', await orderNo(f, 'sentBack')])).code).toBe(0);
    expect(await statusOf(f)).toEqual({ requested: 'requested', accepted: 'accepted', linked: 'accepted', cutShort: 'accepted', sentBack: 'requested' });
    const parkedNos = await Promise.all((['requested', 'accepted', 'linked', 'sentBack'] as const).map((c) => orderNo(f, c)));

    // The night finishes only the cut-short order, and names the four it left.
    const first = await night(f, supplier);
    expect(first.code, first.stdout).toBe(0);
    expect(await statusOf(f)).toEqual({ requested: 'requested', accepted: 'accepted', linked: 'accepted', cutShort: 'completed', sentBack: 'requested' });
    expect(Object.fromEntries(await supplier.patches())).toEqual({ 'PARK-LNK-3': 1, 'CUT-4': 1 });
    expect(first.summary.resume.parked.count).toBe(4);
    expect(first.summary.resume.parked.orders.map((p) => [p.orderNo, p.stage]).sort()).toEqual(
      [
        [parkedNos[0], 'requested'],
        [parkedNos[1], 'accepted'],
        [parkedNos[2], 'linked'],
        [parkedNos[3], 'requested'],
      ].sort(),
    );
    expect(first.stdout).toMatch(/parked: 4 orders left where their run asked them to stop/);
    for (const no of parkedNos) expect(first.stdout).toContain(no!);

    // A plain resume leaves them too, and says so; exit 0: nothing waits, nothing needs a person.
    const plain = await f.kaiyaku(['orders', 'resume', ...sup]);
    expect(plain.code, plain.stdout).toBe(0);
    expect(plain.stdout).toMatch(/parked: 4 orders/);
    expect(await statusOf(f)).toMatchObject({ requested: 'requested', accepted: 'accepted', linked: 'accepted', sentBack: 'requested' });

    // The same file again with the same stop reports its rows done for that stage.
    const again = await f.kaiyaku(['cancel', 'accepted.csv', '--until', 'accepted', ...sup, '--report-encoding', 'utf8', '--quiet']);
    expect(again.code, again.stderr).toBe(0);
    expect(readCsv(path.join(f.dir, 'accepted.result.csv')).map((r) => r['result'])).toEqual(['already_done']);

    // 受付 by hand releases the stop: the next night links and confirms it.
    expect((await f.kaiyaku(['orders', 'accept', parkedNos[0]!])).code).toBe(0);
    const second = await night(f, supplier);
    expect(second.code).toBe(0);
    expect(second.summary.resume.parked.count).toBe(3);
    expect(await statusOf(f)).toMatchObject({ requested: 'completed', accepted: 'accepted', linked: 'accepted', sentBack: 'requested' });

    // An operator names one order; then every parked one but the order sent back, which is withdrawn.
    const one = await f.kaiyaku(['orders', 'resume', '--order', parkedNos[1]!, ...sup]);
    expect(one.code, one.stdout).toBe(0);
    expect(await statusOf(f)).toMatchObject({ accepted: 'completed', linked: 'accepted' });
    expect((await f.kaiyaku(['orders', 'withdraw', parkedNos[3]!])).code).toBe(0);
    const all = await f.kaiyaku(['orders', 'resume', '--include-parked', ...sup]);
    expect(all.code, all.stdout).toBe(0);
    expect(await statusOf(f)).toEqual({ requested: 'completed', accepted: 'completed', linked: 'completed', cutShort: 'completed', sentBack: 'withdrawn' });

    // Each seat went once; the order sent back and withdrawn changed nothing at the supplier.
    expect(Object.fromEntries(await supplier.patches())).toEqual({ 'PARK-REQ-1': 1, 'PARK-ACC-2': 1, 'PARK-LNK-3': 1, 'CUT-4': 1 });
    expect(Object.fromEntries(await supplier.quantities())).toEqual({ 'PARK-REQ-1': 0, 'PARK-ACC-2': 0, 'PARK-LNK-3': 0, 'CUT-4': 0, 'BACK-5': 2 });
  }, 180_000);

  it('a later run of the same rows asking for completion moves them on; a night dropping the same file does not', async () => {
    const f = await setUp(kind);
    const supplier = await serveSupplier(f.dir, ['--db', f.store.spec]);
    cleanups.push(() => supplier.stop());
    const sup = ['--supplier', supplier.url];
    expect((await f.kaiyaku(['cancel', 'accepted.csv', '--until', 'accepted', ...sup, '--quiet'])).code).toBe(0);
    const no = await orderNo(f, 'accepted');

    // The same bytes in the inbox: the night leaves the order where its run chose, and says how to move it.
    fs.mkdirSync(path.join(f.dir, 'inbox'));
    fs.copyFileSync(path.join(f.dir, 'accepted.csv'), path.join(f.dir, 'inbox', 'accepted.csv'));
    const dropped = await night(f, supplier);
    expect(dropped.code).toBe(1);
    const row = readCsv(dropped.summary.files[0]!.resultPath!)[0]!;
    expect([row['result'], row['order_no']]).toEqual(['pending', no]);
    expect(row['error_message']).toContain(`kaiyaku orders resume --order ${no}`);
    expect((await statusOf(f)).accepted).toBe('accepted');
    expect(await supplier.patches()).toEqual(new Map());

    // The operator runs it again asking for completion: done now, and done for good.
    const later = await f.kaiyaku(['cancel', 'accepted.csv', ...sup, '--report-encoding', 'utf8', '--quiet']);
    expect(later.code, later.stderr).toBe(0);
    expect(readCsv(path.join(f.dir, 'accepted.result.csv')).map((r) => r['result'])).toEqual(['completed']);
    expect((await statusOf(f)).accepted).toBe('completed');
    expect(Object.fromEntries(await supplier.patches())).toEqual({ 'PARK-ACC-2': 1 });
  }, 180_000);
});
