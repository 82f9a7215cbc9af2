/**
 * Never twice, never stuck: a model-based test of what operators and schedulers do.
 *
 * fast-check generates sequences of commands — cancellation files (with and without
 * request ids) run, re-dropped, appended to, renamed, and dropped back with their blank
 * cells filled in; the same rows in a file of their own weeks later (with and without
 * --allow-repeat); nightly runs of an inbox; single order steps; resumes; runs killed
 * with SIGKILL and run again; the contract master re-imported — and plays them through the real CLI against a real `supplier serve` that
 * fails calls and settles some late. After every step it checks the store against a model
 * far simpler than the system, seats per line:
 * - no line ever lost more seats than all the distinct requests for it asked (never twice);
 * - a line no open order holds, whose every change was linked, has the quantity the
 *   supplier has (store = supplier);
 * - every data row of a file that ran has exactly one row in its result file;
 * - exit codes are 0, 1 or 2, and nothing we could name failed unexpectedly;
 * - an order a run parked on purpose (`--until requested|accepted|linked`) is not moved by a
 *   night or a plain resume until an operator or a later run of its rows takes it up;
 * - once a command has ended, no order line is still claimed for linkage, and no line was
 *   failed on an answer the supplier did not really give (an unreadable one).
 * Besides the operators' steps, two resumes are started at once, and a resume meets a
 * hostile supplier (a 429 asking for 100000 s, an HTML page instead of a subscription).
 * At the end, every order can be taken to an end state: resumes settle what the supplier
 * settles, and a resume that leaves orders open says they need an operator (exit 1) or
 * that they are parked.
 *
 * Bounded for CI (KAIYAKU_MODEL_RUNS, default 6); the seed and the shrunk command list are
 * printed on failure: turn each into a plain regression test.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jstDate } from '../../src/domain/dates.js';
import { openStore } from '../../src/store/connect.js';
import { startCli } from '../support/cli.js';
import { runIn } from '../support/sandbox.js';
import { getJson, serveSupplier, type SimStatsBody } from '../support/supplierServe.js';
import { knexOf } from '../../src/store/store.js';

/** The master: lines the supplier takes, settles late (SLOW-), refuses (NCE-LATE-), or does not know of (no id). */
const LINES = [
  { contract: 'NCN202601-0000000001', product: 'P-A', sub: 'OK-0001-A', quantity: 10 },
  { contract: 'NCN202601-0000000001', product: 'P-B', sub: 'OK-0001-B', quantity: 3 },
  { contract: 'NCN202601-0000000002', product: 'P-S', sub: 'SLOW-0002-S', quantity: 5 },
  { contract: 'NCN202601-0000000003', product: 'P-L', sub: 'NCE-LATE-0003-L', quantity: 4 },
  { contract: 'NCN202601-0000000004', product: 'P-G', sub: 'OK-0004-G', quantity: 6 },
  { contract: 'NCN202601-0000000004', product: 'P-N', sub: 'NCE-LATE-0004-N', quantity: 2 },
  { contract: 'NCN202601-0000000005', product: 'P-X', sub: '', quantity: 2 },
  { contract: 'NCN202601-0000000006', product: 'P-O', sub: 'OK-0006-O', quantity: 1 },
] as const;

const MASTER_HEADER =
  'contract_no,contract_date,start_date,end_date,subject,customer,end_user,bill_to,ship_to,supplier,product_code,product_name,subscription_id,quantity,unit_price,plan,billing_model,is_trial,serials';
const MASTER = `${MASTER_HEADER}\n${LINES.map((l) => `${l.contract},2025-01-01,2025-01-01,,件名,顧客,利用者,,,Microsoft,${l.product},${l.product} name,${l.sub},${l.quantity},1000,,,0,`).join('\n')}\n`;
const CANCEL_HEADER = 'contract_no,product_code,cancel_quantity,request_id,note';

interface RowSpec {
  line: number;
  /** null: all that remains on the line. */
  quantity: number | null;
  withId: boolean;
}

interface Model {
  dir: string;
  supplierUrl: string;
  files: { name: string; rows: RowSpec[] }[];
  /** Distinct requests per line: key → seats asked (a request id, else the row's content). */
  asks: Map<number, Map<string, number>>;
  idCounter: number;
  rowIds: Map<RowSpec, string>;
  /** Orders parked by a run's --until that nothing has taken up since, by order number. */
  parked: Set<string>;
}

interface Real {
  steps: string[];
}

const kaiyaku = (m: Model, args: string[]) => runIn(m.dir, [...args, '--lang', 'en'], {}, { timeoutMs: 60_000 });
const linking = (m: Model) => ['--supplier', m.supplierUrl, '--concurrency', '4'];

function rowText(m: Model, r: RowSpec): string {
  const l = LINES[r.line]!;
  let id = '';
  if (r.withId) {
    id = m.rowIds.get(r) ?? `REQ-${String(++m.idCounter).padStart(4, '0')}`;
    m.rowIds.set(r, id);
  }
  return `${l.contract},${l.product},${r.quantity ?? ''},${id},note`;
}

function recordAsks(m: Model, rows: readonly RowSpec[]): void {
  for (const r of rows) {
    const key = r.withId ? `id:${m.rowIds.get(r)}` : `row:${r.line}:${r.quantity ?? 'all'}`;
    const asks = m.asks.get(r.line) ?? new Map<string, number>();
    asks.set(key, r.quantity ?? LINES[r.line]!.quantity);
    m.asks.set(r.line, asks);
  }
}

function writeFile(m: Model, name: string, rows: readonly RowSpec[]): void {
  writeFileSync(join(m.dir, name), `${CANCEL_HEADER}\n${rows.map((r) => rowText(m, r)).join('\n')}\n`);
}

function expectExit(step: string, r: { code: number | null; stderr: string }, real: Real): void {
  real.steps.push(`${step} → exit ${r.code}`);
  expect([0, 1, 2], `${step}\n${r.stderr}`).toContain(r.code);
  expect(r.stderr, step).not.toMatch(/unexpected failure|SQLITE_BUSY|database is locked/);
}

/** Every data row of the file has exactly one row in its result file. */
function expectEveryRowReported(m: Model, name: string, rows: number, reportsDir = m.dir): void {
  const result = join(reportsDir, name.replace(/\.csv$/, '.result.csv'));
  expect(existsSync(result), `${result} exists`).toBe(true);
  const reported = (parse(readFileSync(result), { bom: true, columns: true }) as { row: string }[]).map((r) => Number(r.row));
  expect(reported, `${name}: one result row per data row`).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
}

/** An order as the store has it: its status and its lines' linkage, in line order. */
async function orderStates(m: Model, orderNos: readonly string[]): Promise<Map<string, string>> {
  const store = await openStore(join(m.dir, 'kaiyaku.db'), { access: 'read' });
  try {
    const rows = (await knexOf(store)('change_orders as o')
      .join('order_lines as ol', 'ol.order_id', 'o.id')
      .whereIn('o.order_no', [...orderNos])
      .orderBy('ol.id')
      .select('o.order_no', 'o.status', 'ol.linkage_status')) as { order_no: string; status: string; linkage_status: string }[];
    const out = new Map<string, string>();
    for (const r of rows) out.set(r.order_no, `${out.get(r.order_no) ?? r.status}:${r.linkage_status}`);
    return out;
  } finally {
    await store.close();
  }
}

/** Runs a night or a plain resume and checks that no order parked on purpose moved. */
async function leavesParkedAlone(m: Model, run: () => Promise<void>): Promise<void> {
  const parked = [...m.parked];
  const before = await orderStates(m, parked);
  await run();
  expect(await orderStates(m, parked), 'orders parked on purpose stay where they are').toEqual(before);
}

/** A manual run may take up any order its rows name: parked ones are no longer the model's to watch. */
function manualRun(m: Model): void {
  m.parked.clear();
}

async function orderNumbers(m: Model): Promise<Set<string>> {
  return new Set(
    (parse((await kaiyaku(m, ['orders', 'list', '--encoding', 'utf8'])).stdout, { columns: true }) as { order_no: string }[]).map((o) => o.order_no),
  );
}

async function supplierQuantities(url: string): Promise<Map<string, number>> {
  const stats = await getJson<SimStatsBody>(`${url}/_sim/stats`);
  return new Map(Object.entries(stats.subscriptions).map(([id, s]) => [id, s.status === 'deleted' ? 0 : s.quantity]));
}

/** The invariants, checked after every command. */
async function checkInvariants(m: Model, label: string): Promise<void> {
  const store = await openStore(join(m.dir, 'kaiyaku.db'), { access: 'read' });
  try {
    const lines = (await knexOf(store)('contract_lines as cl')
      .join('contracts as c', 'c.id', 'cl.contract_id')
      .select('cl.id', 'c.contract_no', 'cl.product_code', 'cl.subscription_id', 'cl.quantity')) as {
      id: number;
      contract_no: string;
      product_code: string;
      subscription_id: string;
      quantity: number;
    }[];
    const claims = new Set(
      ((await knexOf(store)('line_claims').select('contract_line_id')) as { contract_line_id: number }[]).map((c) => Number(c.contract_line_id)),
    );
    const orderLines = (await knexOf(store)('order_lines as ol')
      .join('change_orders as o', 'o.id', 'ol.order_id')
      .select('ol.contract_line_id', 'ol.linkage_status', 'ol.linkage_code', 'ol.link_claim', 'o.status')) as {
      contract_line_id: number;
      linkage_status: string;
      linkage_code: string | null;
      link_claim: string | null;
      status: string;
    }[];
    if (!label.endsWith('(killed)'))
      expect(
        orderLines.filter((o) => o.link_claim !== null),
        `${label}: claims left once the command ended`,
      ).toEqual([]);
    expect(
      orderLines.filter((o) => o.linkage_status === 'failed' && (o.linkage_code === 'BAD_RESPONSE' || o.linkage_code === null)),
      `${label}: a line failed on an unreadable answer`,
    ).toEqual([]);
    const supplier = await supplierQuantities(m.supplierUrl);
    for (const [i, spec] of LINES.entries()) {
      const line = lines.find((l) => l.contract_no === spec.contract && l.product_code === spec.product);
      expect(line, `${label}: line ${spec.product} exists`).toBeDefined();
      const lost = spec.quantity - Number(line!.quantity);
      const asked = Math.min(
        spec.quantity,
        [...(m.asks.get(i)?.values() ?? [])].reduce((a, b) => a + b, 0),
      );
      expect(lost, `${label}: ${spec.product} lost ${lost} seats, never below 0`).toBeGreaterThanOrEqual(0);
      expect(lost, `${label}: ${spec.product} lost ${lost} seats, more than the ${asked} asked`).toBeLessThanOrEqual(asked);
      if (spec.sub === '') continue;
      const changes = orderLines.filter((o) => Number(o.contract_line_id) === Number(line!.id) && o.status !== 'withdrawn');
      const settled = !claims.has(Number(line!.id)) && changes.every((o) => o.linkage_status === 'linked');
      if (settled) expect(supplier.get(spec.sub), `${label}: ${spec.sub} at the supplier equals the store`).toBe(Number(line!.quantity));
    }
  } finally {
    await store.close();
  }
}

const rowSpec: fc.Arbitrary<RowSpec> = fc.record({
  line: fc.nat({ max: LINES.length - 1 }),
  quantity: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
  withId: fc.boolean(),
});

class NewFile implements fc.AsyncCommand<Model, Real> {
  constructor(readonly rows: RowSpec[]) {}
  check = () => true;
  async run(m: Model, real: Real): Promise<void> {
    const name = `f${m.files.length + 1}.csv`;
    writeFile(m, name, this.rows);
    m.files.push({ name, rows: [...this.rows] });
    recordAsks(m, this.rows);
    manualRun(m);
    expectExit(`cancel ${name}`, await kaiyaku(m, ['cancel', name, ...linking(m)]), real);
    expectEveryRowReported(m, name, this.rows.length);
    await checkInvariants(m, this.toString());
  }
  toString = () => `NewFile(${JSON.stringify(this.rows)})`;
}

class Redrop implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.files.length > 0;
  async run(m: Model, real: Real): Promise<void> {
    const f = m.files[this.pick % m.files.length]!;
    manualRun(m);
    expectExit(`cancel ${f.name} (again)`, await kaiyaku(m, ['cancel', f.name, ...linking(m)]), real);
    expectEveryRowReported(m, f.name, f.rows.length);
    await checkInvariants(m, this.toString());
  }
  toString = () => `Redrop(${this.pick})`;
}

class Append implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly row: RowSpec,
  ) {}
  check = (m: Readonly<Model>) => m.files.length > 0;
  async run(m: Model, real: Real): Promise<void> {
    const f = m.files[this.pick % m.files.length]!;
    f.rows.push(this.row);
    recordAsks(m, [this.row]);
    writeFile(m, f.name, f.rows);
    manualRun(m);
    expectExit(`cancel ${f.name} (appended)`, await kaiyaku(m, ['cancel', f.name, ...linking(m)]), real);
    expectEveryRowReported(m, f.name, f.rows.length);
    await checkInvariants(m, this.toString());
  }
  toString = () => `Append(${this.pick}, ${JSON.stringify(this.row)})`;
}

class Resave implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.files.length > 0;
  async run(m: Model, real: Real): Promise<void> {
    const f = m.files[this.pick % m.files.length]!;
    const name = `renamed-${m.files.length + 1}.csv`;
    // As a spreadsheet program saves it again: a BOM, CRLF line ends, the notes edited.
    const lines = readFileSync(join(m.dir, f.name), 'utf8')
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/);
    writeFileSync(join(m.dir, name), `\uFEFF${lines.map((l) => (l.endsWith(',note') ? `${l} (re-saved)` : l)).join('\r\n')}`);
    m.files.push({ name, rows: [...f.rows] });
    manualRun(m);
    expectExit(`cancel ${name} (renamed ${f.name})`, await kaiyaku(m, ['cancel', name, ...linking(m)]), real);
    expectEveryRowReported(m, name, f.rows.length);
    await checkInvariants(m, this.toString());
  }
  toString = () => `Resave(${this.pick})`;
}

class ParkedFile implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly rows: RowSpec[],
    readonly stage: 'requested' | 'accepted' | 'linked',
  ) {}
  check = () => true;
  async run(m: Model, real: Real): Promise<void> {
    const name = `p${m.files.length + 1}.csv`;
    writeFile(m, name, this.rows);
    m.files.push({ name, rows: [...this.rows] });
    recordAsks(m, this.rows);
    // Rows of this file may go on with orders of earlier runs: those are taken up, not parked.
    manualRun(m);
    const known = await orderNumbers(m);
    expectExit(`cancel ${name} --until ${this.stage}`, await kaiyaku(m, ['cancel', name, '--until', this.stage, ...linking(m)]), real);
    expectEveryRowReported(m, name, this.rows.length);
    const result = parse(readFileSync(join(m.dir, name.replace(/\.csv$/, '.result.csv'))), { bom: true, columns: true }) as {
      result: string;
      order_no: string;
    }[];
    // The orders this run made and took to its stop are parked there.
    for (const r of result) if (r.result === 'completed' && r.order_no !== '' && !known.has(r.order_no)) m.parked.add(r.order_no);
    // What a scheduler runs next: a plain resume, which must leave them where they are.
    await leavesParkedAlone(m, async () => expectExit('orders resume (after a parked file)', await kaiyaku(m, ['orders', 'resume', ...linking(m)]), real));
    await checkInvariants(m, this.toString());
  }
  toString = () => `ParkedFile(${JSON.stringify(this.rows)}, ${this.stage})`;
}

/**
 * The file run again, then dropped back under its name with its blanks filled in (each
 * line's subscription id, today's date as the end date): filling in what a blank stood for
 * asks for nothing new, so the second run makes no order the first did not, and a row
 * without a request id that the first found done is done in the second too.
 */
class RedropFilled implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.files.length > 0;
  async run(m: Model, real: Real): Promise<void> {
    const f = m.files[this.pick % m.files.length]!;
    writeFile(m, f.name, f.rows);
    expectExit(`cancel ${f.name} (again, before filling it in)`, await kaiyaku(m, ['cancel', f.name, ...linking(m)]), real);
    const before = await orderCount(m);
    const done = resultsOf(m, f.name).map((r) => r === 'already_done' || r === 'completed');
    const today = jstDate(new Date());
    const rows = f.rows.map((r) => {
      const [contract, product, quantity, id, note] = rowText(m, r).split(',');
      return [contract, product, LINES[r.line]!.sub, quantity, today, id, note].join(',');
    });
    writeFileSync(join(m.dir, f.name), `contract_no,product_code,subscription_id,cancel_quantity,end_date,request_id,note\n${rows.join('\n')}\n`);
    expectExit(`cancel ${f.name} (blanks filled in)`, await kaiyaku(m, ['cancel', f.name, ...linking(m)]), real);
    expectEveryRowReported(m, f.name, f.rows.length);
    expect(await orderCount(m), `${f.name} with its blanks filled in made an order`).toBe(before);
    const after = resultsOf(m, f.name);
    f.rows.forEach((r, i) => {
      if (!r.withId && done[i]) expect(after[i], `${f.name} row ${i + 1}, done before its blanks were filled in`).toBe('already_done');
    });
    await checkInvariants(m, this.toString());
  }
  toString = () => `RedropFilled(${this.pick})`;
}

function resultsOf(m: Model, name: string): string[] {
  return (parse(readFileSync(join(m.dir, name.replace(/\.csv$/, '.result.csv'))), { bom: true, columns: true }) as { result: string }[]).map((r) => r.result);
}

async function orderCount(m: Model): Promise<number> {
  const store = await openStore(join(m.dir, 'kaiyaku.db'), { access: 'read' });
  try {
    return Number(((await knexOf(store)('change_orders').count({ n: '*' }))[0] as { n: number }).n);
  } finally {
    await store.close();
  }
}

/**
 * Weeks pass (every run and order dated 30 days back), then a file of its own repeats an
 * earlier file's rows. Without --allow-repeat no row without a request id is swallowed as
 * done, and none cancels again what was done; with it, each is a new request.
 */
class WeeksLater implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly allowRepeat: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.files.length > 0;
  async run(m: Model, real: Real): Promise<void> {
    await ageStore(m, 30);
    const f = m.files[this.pick % m.files.length]!;
    const name = `later-${m.files.length + 1}.csv`;
    writeFileSync(join(m.dir, name), `${CANCEL_HEADER}\n${f.rows.map((r) => rowText(m, r).replace(/,note$/, ',later')).join('\n')}\n`);
    m.files.push({ name, rows: [...f.rows] });
    if (this.allowRepeat) {
      const fresh = f.rows.filter((r) => !r.withId).map((r) => ({ ...r }));
      for (const [i, r] of fresh.entries()) {
        const asks = m.asks.get(r.line) ?? new Map<string, number>();
        asks.set(`later:${name}:${i}`, r.quantity ?? LINES[r.line]!.quantity);
        m.asks.set(r.line, asks);
      }
    }
    expectExit(
      `cancel ${name} (weeks later${this.allowRepeat ? ', --allow-repeat' : ''})`,
      await kaiyaku(m, ['cancel', name, ...linking(m), ...(this.allowRepeat ? ['--allow-repeat'] : [])]),
      real,
    );
    expectEveryRowReported(m, name, f.rows.length);
    const results = resultsOf(m, name);
    f.rows.forEach((r, i) => {
      if (!r.withId) expect(results[i], `${name} row ${i + 1}: a request weeks later is never swallowed as done`).not.toBe('already_done');
    });
    await checkInvariants(m, this.toString());
  }
  toString = () => `WeeksLater(${this.pick}, ${this.allowRepeat})`;
}

/** Time passes for the store: every run and order dated `days` earlier. */
async function ageStore(m: Model, days: number): Promise<void> {
  const store = await openStore(join(m.dir, 'kaiyaku.db'));
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
}

class Night implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.files.length > 0;
  async run(m: Model, real: Real): Promise<void> {
    const f = m.files[this.pick % m.files.length]!;
    mkdirSync(join(m.dir, 'inbox'), { recursive: true });
    const dropped = join(m.dir, 'inbox', `night-${f.name}`);
    copyFileSync(join(m.dir, f.name), dropped);
    const old = new Date(Date.now() - 3600_000);
    utimesSync(dropped, old, old);
    let r = { code: null as number | null, stderr: '' };
    await leavesParkedAlone(m, async () => {
      r = await kaiyaku(m, [
        'cancel',
        '--inbox',
        'inbox',
        '--settle-seconds',
        '0',
        '--reports',
        'night-reports',
        '--summary-json',
        'night.json',
        ...linking(m),
      ]);
    });
    expectExit(`night with ${f.name}`, r, real);
    const summary = JSON.parse(readFileSync(join(m.dir, 'night.json'), 'utf8')) as { files: { file: string; status: string; resultPath: string | null }[] };
    const mine = summary.files.find((x) => x.file === `night-${f.name}`);
    expect(mine?.status, `night: ${f.name} ${JSON.stringify(summary.files)}`).toBe('archived');
    const reported = (parse(readFileSync(mine!.resultPath!), { bom: true, columns: true }) as { row: string }[]).map((x) => Number(x.row));
    expect(reported).toEqual(Array.from({ length: f.rows.length }, (_, i) => i + 1));
    await checkInvariants(m, this.toString());
  }
  toString = () => `Night(${this.pick})`;
}

class Resume implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, real: Real): Promise<void> {
    await leavesParkedAlone(m, async () => expectExit('orders resume', await kaiyaku(m, ['orders', 'resume', ...linking(m)]), real));
    await checkInvariants(m, this.toString());
  }
  toString = () => 'Resume';
}

class Step implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly action: 'accept' | 'withdraw-acceptance' | 'link' | 'confirm' | 'withdraw',
    readonly pick: number,
  ) {}
  check = () => true;
  async run(m: Model, real: Real): Promise<void> {
    const list = parse((await kaiyaku(m, ['orders', 'list', '--encoding', 'utf8'])).stdout, { columns: true }) as { order_no: string; status: string }[];
    const open = list.filter((o) => o.status === 'requested' || o.status === 'accepted');
    if (open.length === 0) return;
    const orderNo = open[this.pick % open.length]!.order_no;
    // An operator's button moves it on (or sends it back): no longer parked by its run.
    m.parked.delete(orderNo);
    const extra = this.action === 'link' ? linking(m) : this.action === 'confirm' ? ['--end-date', '2099-12-31'] : [];
    expectExit(`orders ${this.action} ${orderNo}`, await kaiyaku(m, ['orders', this.action, orderNo, ...extra]), real);
    await checkInvariants(m, this.toString());
  }
  toString = () => `Step(${this.action}, ${this.pick})`;
}

class KillAndRetry implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly rows: RowSpec[],
    readonly afterMs: number,
  ) {}
  check = () => true;
  async run(m: Model, real: Real): Promise<void> {
    const name = `k${m.files.length + 1}.csv`;
    writeFile(m, name, this.rows);
    m.files.push({ name, rows: [...this.rows] });
    recordAsks(m, this.rows);
    const running = startCli(['cancel', name, ...linking(m), '--lang', 'en'], m.dir);
    await new Promise((r) => setTimeout(r, this.afterMs));
    running.child.kill('SIGKILL');
    await running.done;
    real.steps.push(`cancel ${name} killed after ${this.afterMs} ms`);
    manualRun(m);
    await checkInvariants(m, `${this.toString()} (killed)`);
    expectExit(`cancel ${name} (after the kill)`, await kaiyaku(m, ['cancel', name, ...linking(m)]), real);
    expectEveryRowReported(m, name, this.rows.length);
    await checkInvariants(m, this.toString());
  }
  toString = () => `KillAndRetry(${JSON.stringify(this.rows)}, ${this.afterMs})`;
}

/** Two `orders resume` started at the same instant: each line is linked by one of them. */
class ConcurrentResumes implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, real: Real): Promise<void> {
    const start = () => startCli(['orders', 'resume', ...linking(m), '--lang', 'en'], m.dir).done;
    const both = await Promise.all([start(), start()]);
    for (const r of both) expectExit('orders resume (two at once)', r, real);
    await checkInvariants(m, this.toString());
  }
  toString = () => 'ConcurrentResumes';
}

/** A resume against a hostile supplier: it ends promptly, sends nothing, fails no line, and leaves nothing claimed. */
class HostileResume implements fc.AsyncCommand<Model, Real> {
  constructor(readonly answer: 'retry-after-100000' | 'html') {}
  check = () => true;
  async run(m: Model, real: Real): Promise<void> {
    const server = http.createServer((req, res) => {
      req.resume();
      if (this.answer === 'html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>maintenance</body></html>');
      } else {
        res.writeHead(429, { 'retry-after': '100000' });
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const before = await getJson<SimStatsBody>(`${m.supplierUrl}/_sim/stats`);
    try {
      // Ends promptly: the run's own time-out (60 s) is the bound, not a clock reading here.
      const r = await runIn(m.dir, ['orders', 'resume', '--supplier', url, '--concurrency', '4', '--lang', 'en'], {}, { timeoutMs: 60_000 });
      expect(r.code, `${this.answer}: the resume did not end within 60 s`).not.toBeNull();
      expectExit(`orders resume against a supplier answering ${this.answer}`, r, real);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect((await getJson<SimStatsBody>(`${m.supplierUrl}/_sim/stats`)).total, 'the real supplier was not called').toBe(before.total);
    await checkInvariants(m, this.toString());
  }
  toString = () => `HostileResume(${this.answer})`;
}

class Reimport implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, real: Real): Promise<void> {
    expectExit('contracts import (again)', await kaiyaku(m, ['contracts', 'import', 'contracts.csv']), real);
    await checkInvariants(m, this.toString());
  }
  toString = () => 'Reimport';
}

const rows = fc.array(rowSpec, { minLength: 1, maxLength: 5 });
const commands = fc.commands(
  [
    rows.map((r) => new NewFile(r)),
    fc.tuple(rows, fc.constantFrom('requested' as const, 'accepted' as const, 'linked' as const)).map(([r, stage]) => new ParkedFile(r, stage)),
    fc.nat().map((p) => new Redrop(p)),
    fc.tuple(fc.nat(), rowSpec).map(([p, r]) => new Append(p, r)),
    fc.nat().map((p) => new Resave(p)),
    fc.nat().map((p) => new Night(p)),
    fc.nat().map((p) => new RedropFilled(p)),
    fc.tuple(fc.nat(), fc.boolean()).map(([p, allow]) => new WeeksLater(p, allow)),
    fc.constant(new Resume()),
    fc
      .tuple(fc.constantFrom('accept' as const, 'withdraw-acceptance' as const, 'link' as const, 'confirm' as const, 'withdraw' as const), fc.nat())
      .map(([a, p]) => new Step(a, p)),
    fc.tuple(rows, fc.integer({ min: 0, max: 600 })).map(([r, ms]) => new KillAndRetry(r, ms)),
    fc.constant(new Reimport()),
    fc.constant(new ConcurrentResumes()),
    fc.constantFrom('retry-after-100000' as const, 'html' as const).map((a) => new HostileResume(a)),
  ],
  { maxCommands: 8 },
);

describe('a model of seats per line, against the real CLI and supplier', () => {
  it('never cancels twice, keeps store = supplier, reports every row once, and leaves nothing stuck', async () => {
    await fc.assert(
      fc.asyncProperty(commands, fc.integer({ min: 1, max: 1_000_000 }), async (cmds, seed) => {
        const dir = mkdtempSync(join(tmpdir(), 'kaiyaku-model-'));
        writeFileSync(join(dir, 'contracts.csv'), MASTER);
        expect((await runIn(dir, ['contracts', 'import', 'contracts.csv'])).code).toBe(0);
        const supplier = await serveSupplier(dir, ['--fail-rate', '0.15', '--async-rate', '0.2', '--seed', String(seed)]);
        const url = supplier.url;
        const model: Model = { dir, supplierUrl: url, files: [], asks: new Map(), idCounter: 0, rowIds: new Map(), parked: new Set() };
        const real: Real = { steps: [] };
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          // Every order can reach an end state: resumes settle what the supplier settles;
          // what stays open is parked on purpose or what only an operator can decide, and
          // resume says so (exit 1 while an operator is needed).
          const waiting = (r: { stdout: string }) => Number(/waiting (\d+)/.exec(r.stdout)?.[1] ?? NaN);
          let last = await kaiyaku(model, ['orders', 'resume', ...linking(model)]);
          for (let i = 0; i < 6 && waiting(last) !== 0; i++) last = await kaiyaku(model, ['orders', 'resume', ...linking(model)]);
          expect(waiting(last), `resume at the end never settles:\n${real.steps.join('\n')}\n${last.stdout}${last.stderr}`).toBe(0);
          const operator = Number(/need an operator (\d+)/.exec(last.stdout)?.[1] ?? NaN);
          expect(last.code, last.stdout).toBe(operator > 0 ? 1 : 0);
          await checkInvariants(model, 'after the final resumes');
        } catch (error) {
          throw new Error(`${(error as Error).message}\nsteps:\n${real.steps.join('\n')}`, { cause: error });
        } finally {
          await supplier.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: Number(process.env['KAIYAKU_MODEL_RUNS'] ?? 6), endOnFailure: true, verbose: 1 },
    );
  }, 900_000);
});
