/**
 * Shared by the crash, overlap and fuzz tests: a store of generated contracts imported
 * once, a seeded random source, and the integrity queries every store must pass whatever
 * happened to it. (The CLI and `supplier serve` are run with support/cli.ts and
 * support/supplierServe.ts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Knex } from 'knex';
import { openStore } from '../../src/store/connect.js';
import { rawRows } from '../../src/store/sql.js';
import { generate, type Generated } from '../support/setup.js';
import { knexOf } from '../../src/store/store.js';
import { importContracts } from '../support/inProcess.js';

/**
 * Generated contracts imported into `<tmp>/base.db` through the CLI, and every line's
 * quantity before anything was cancelled (for the integrity checks).
 */
export async function importedBase(
  tmp: string,
  rows: number,
  options: { late?: number } = {},
): Promise<{ gen: Generated; base: string; original: Map<number, number> }> {
  const gen = await generate({ rows, out: path.join(tmp, 'gen'), ...options });
  const base = path.join(tmp, 'base.db');
  // A set-up step, in this process (test/support/inProcess.ts): the commands under test run the real CLI.
  await importContracts(base, gen.contracts);
  const s = await openStore(base);
  try {
    return { gen, base, original: await lineQuantities(knexOf(s)) };
  } finally {
    await s.close();
  }
}

/** mulberry32: small, seeded, good enough to choose kill times and mutations reproducibly. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seedFromEnv(name: string): number {
  const fixed = process.env[name];
  return fixed !== undefined && fixed !== '' ? Number(fixed) : Math.floor(Math.random() * 2 ** 31);
}

export type CsvRow = Record<string, string>;
export function readCsv(file: string): CsvRow[] {
  return parse(fs.readFileSync(file, 'utf8'), { bom: true, columns: true, skip_empty_lines: true, relax_column_count: true }) as CsvRow[];
}

/** Every contract line's quantity as imported: contract line id → quantity. */
export async function lineQuantities(db: Knex): Promise<Map<number, number>> {
  const rows = await db('contract_lines').select('id', 'quantity');
  return new Map(rows.map((r: { id: number; quantity: number }) => [Number(r.id), Number(r.quantity)]));
}

/**
 * The store's invariants, as queries; returns the violations in words (empty when sound).
 * `original`: each contract line's quantity before any cancellation.
 */
export async function integrityViolations(db: Knex, original: ReadonlyMap<number, number>): Promise<string[]> {
  const out: string[] = [];
  const q = async (what: string, sql: string): Promise<void> => {
    const rows = rawRows<Record<string, unknown>>(await db.raw(sql));
    if (rows.length > 0) out.push(`${what}: ${JSON.stringify(rows.slice(0, 5))}${rows.length > 5 ? ` (+${rows.length - 5} more)` : ''}`);
  };
  await q(
    'a line held by two open orders',
    `select ol.contract_line_id, count(*) as n from order_lines ol join change_orders o on o.id = ol.order_id
     where o.status in ('requested', 'accepted') group by ol.contract_line_id having count(*) > 1`,
  );
  await q(
    'an order line cancelling more than it had, or not adding up',
    `select id, quantity_before, cancel_quantity, quantity_after from order_lines
     where cancel_quantity > quantity_before or cancel_quantity < 1 or quantity_after <> quantity_before - cancel_quantity or quantity_after < 0`,
  );
  await q('an order without lines', `select o.id from change_orders o where not exists (select 1 from order_lines ol where ol.order_id = o.id)`);
  await q('a contract line in one order twice', `select order_id, contract_line_id from order_lines group by order_id, contract_line_id having count(*) > 1`);
  await q(
    'an open order line without its claim',
    `select ol.id, ol.contract_line_id from order_lines ol join change_orders o on o.id = ol.order_id
     where o.status in ('requested', 'accepted') and not exists (select 1 from line_claims c where c.contract_line_id = ol.contract_line_id and c.order_id = o.id)`,
  );
  await q(
    'a claim not held by an open order of that line',
    `select c.contract_line_id, c.order_id from line_claims c left join change_orders o on o.id = c.order_id
     where o.id is null or o.status not in ('requested', 'accepted')
        or not exists (select 1 from order_lines ol where ol.order_id = c.order_id and ol.contract_line_id = c.contract_line_id)`,
  );
  await q(
    'completed order lines in a chain that does not follow the line',
    // Each completed cancellation starts from where the previous one left the line.
    `select a.id, a.contract_line_id from order_lines a join change_orders oa on oa.id = a.order_id and oa.status = 'completed'
     join order_lines b on b.contract_line_id = a.contract_line_id and b.id <> a.id join change_orders ob on ob.id = b.order_id and ob.status = 'completed'
     where a.quantity_before = b.quantity_before`,
  );
  await q(
    'a cancelled-serial row of an order that is not completed',
    `select cs.id from cancelled_serials cs join order_lines ol on ol.id = cs.order_line_id join change_orders o on o.id = ol.order_id where o.status <> 'completed'`,
  );
  await q(
    'a completed order line without its cancelled-serial row',
    `select ol.id from order_lines ol join change_orders o on o.id = ol.order_id
     where o.status = 'completed' and not exists (select 1 from cancelled_serials cs where cs.order_line_id = ol.id)`,
  );
  await q(
    'a cancelled serial written twice',
    `select order_line_id, serial_no, count(*) as n from cancelled_serials group by order_line_id, serial_no having count(*) > 1`,
  );
  await q(
    'a line whose quantity and status disagree',
    `select id, quantity, status from contract_lines where quantity < 0 or (quantity = 0 and status <> 'cancelled') or (quantity > 0 and status = 'cancelled')`,
  );
  await q(
    'a contract whose status disagrees with its lines',
    `select c.id, c.status from contracts c where
       (c.status = 'cancelled' and exists (select 1 from contract_lines cl where cl.contract_id = c.id and cl.status = 'active'))
       or (c.status = 'active' and exists (select 1 from contract_lines cl where cl.contract_id = c.id)
           and not exists (select 1 from contract_lines cl where cl.contract_id = c.id and cl.status = 'active'))`,
  );
  await q(
    'a finished run with rows never judged',
    `select r.id, count(*) as n from runs r join run_rows rr on rr.run_id = r.id where r.status = 'done' and rr.outcome = 'staged' group by r.id`,
  );
  await q('a request key without its order', `select k.request_id from request_keys k left join change_orders o on o.id = k.order_id where o.id is null`);
  await q(
    'order numbers beyond the sequence',
    `select o.order_no from change_orders o where (select count(*) from change_orders) > (select value from sequences where name = 'order_no') limit 1`,
  );

  // Quantities: what each line has now plus what completed orders took equals what it had.
  const taken = new Map<number, number>();
  const completed = (await db('order_lines as ol')
    .join('change_orders as o', 'o.id', 'ol.order_id')
    .where('o.status', 'completed')
    .select('ol.contract_line_id', 'ol.cancel_quantity')) as { contract_line_id: number; cancel_quantity: number }[];
  for (const r of completed) taken.set(Number(r.contract_line_id), (taken.get(Number(r.contract_line_id)) ?? 0) + Number(r.cancel_quantity));
  const now = await lineQuantities(db);
  const bad: string[] = [];
  for (const [id, had] of original) {
    const sum = taken.get(id) ?? 0;
    if (sum > had) bad.push(`line ${id}: cancelled ${sum} of ${had}`);
    else if ((now.get(id) ?? -1) !== had - sum) bad.push(`line ${id}: has ${now.get(id)}, had ${had}, completed orders took ${sum}`);
  }
  if (bad.length > 0) out.push(`quantities do not add up: ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? ` (+${bad.length - 5} more)` : ''}`);
  return out;
}
