/**
 * A store's end state in a form two stores can be compared by: keyed by contract number
 * and line number (ids and order numbers may differ between two runs), values as text.
 */
import type { Knex } from 'knex';

export interface StoreView {
  lines: Map<string, string>;
  contracts: Map<string, string>;
  /** contract_no → its orders (status, dates), sorted. */
  orders: Map<string, string[]>;
  /** contract_no:line_no → its order lines (quantities, linkage), sorted. */
  orderLines: Map<string, string[]>;
  /** contract_no:line_no → its cancelled-serial rows, sorted. */
  cancelledSerials: Map<string, string[]>;
  /** contract_no:line_no → status of the order holding the claim. */
  claims: Map<string, string>;
  /** contract_no → every audit action on its orders, sorted. */
  audit: Map<string, string[]>;
  runs: string[];
  sequence: number;
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function sortValues(map: Map<string, string[]>): Map<string, string[]> {
  for (const list of map.values()) list.sort();
  return map;
}

type R = Record<string, string | number | null>;

export async function viewStore(db: Knex): Promise<StoreView> {
  const lineKey = (r: R) => `${r['contract_no']}:${r['line_no']}`;
  const lines = new Map<string, string>();
  for (const r of (await db('contract_lines as cl')
    .join('contracts as c', 'c.id', 'cl.contract_id')
    .select('c.contract_no', 'cl.line_no', 'cl.quantity', 'cl.status', 'cl.end_date')) as R[]) {
    lines.set(lineKey(r), `quantity=${r['quantity']} status=${r['status']} end=${r['end_date']}`);
  }
  const contracts = new Map<string, string>();
  for (const r of (await db('contracts').select('contract_no', 'status', 'end_date', 'cancelled_on')) as R[]) {
    contracts.set(String(r['contract_no']), `status=${r['status']} end=${r['end_date']} cancelled_on=${r['cancelled_on']}`);
  }
  const orders = new Map<string, string[]>();
  for (const r of (await db('change_orders as o')
    .join('contracts as c', 'c.id', 'o.contract_id')
    .select('c.contract_no', 'o.kind', 'o.status', 'o.applied_on', 'o.end_date', 'o.completed_on')) as R[]) {
    push(orders, String(r['contract_no']), `${r['kind']} ${r['status']} applied=${r['applied_on']} end=${r['end_date']} completed=${r['completed_on']}`);
  }
  const orderLines = new Map<string, string[]>();
  for (const r of (await db('order_lines as ol')
    .join('change_orders as o', 'o.id', 'ol.order_id')
    .join('contract_lines as cl', 'cl.id', 'ol.contract_line_id')
    .join('contracts as c', 'c.id', 'cl.contract_id')
    .select(
      'c.contract_no',
      'cl.line_no',
      'o.status',
      'ol.quantity_before',
      'ol.cancel_quantity',
      'ol.quantity_after',
      'ol.linkage_status',
      'ol.linkage_code',
    )) as R[]) {
    push(
      orderLines,
      lineKey(r),
      `${r['status']} ${r['quantity_before']}-${r['cancel_quantity']}=${r['quantity_after']} ${r['linkage_status']} ${r['linkage_code']}`,
    );
  }
  const cancelledSerials = new Map<string, string[]>();
  for (const r of (await db('cancelled_serials as cs')
    .join('order_lines as ol', 'ol.id', 'cs.order_line_id')
    .join('contract_lines as cl', 'cl.id', 'ol.contract_line_id')
    .join('contracts as c', 'c.id', 'cl.contract_id')
    .select('c.contract_no', 'cl.line_no', 'cs.serial_no', 'cs.cancel_quantity', 'cs.cancelled_on', 'cs.end_date')) as R[]) {
    push(cancelledSerials, lineKey(r), `${r['serial_no']} x${r['cancel_quantity']} on=${r['cancelled_on']} end=${r['end_date']}`);
  }
  const claims = new Map<string, string>();
  for (const r of (await db('line_claims as lc')
    .join('change_orders as o', 'o.id', 'lc.order_id')
    .join('contract_lines as cl', 'cl.id', 'lc.contract_line_id')
    .join('contracts as c', 'c.id', 'cl.contract_id')
    .select('c.contract_no', 'cl.line_no', 'o.status')) as R[]) {
    claims.set(lineKey(r), String(r['status']));
  }
  const audit = new Map<string, string[]>();
  for (const r of (await db('audit_log as a')
    .join('change_orders as o', 'o.id', 'a.entity_id')
    .join('contracts as c', 'c.id', 'o.contract_id')
    .where('a.entity', 'order')
    .select('c.contract_no', 'a.action')) as R[]) {
    push(audit, String(r['contract_no']), String(r['action']));
  }
  const runs = ((await db('runs').orderBy('id').select('status', 'row_count', 'until_stage')) as R[]).map(
    (r) => `${r['status']} rows=${r['row_count']} until=${r['until_stage']}`,
  );
  const seq = (await db('sequences').where({ name: 'order_no' }).first('value')) as R | undefined;
  return {
    lines,
    contracts,
    orders: sortValues(orders),
    orderLines: sortValues(orderLines),
    cancelledSerials: sortValues(cancelledSerials),
    claims,
    audit: sortValues(audit),
    runs,
    sequence: Number(seq?.['value'] ?? 0),
  };
}

/** The keys whose values differ, in words (at most `limit`). */
export function diffMaps<V>(name: string, expected: Map<string, V>, actual: Map<string, V>, limit = 8): string[] {
  const out: string[] = [];
  const keys = new Set([...expected.keys(), ...actual.keys()]);
  let more = 0;
  for (const key of [...keys].sort()) {
    const e = JSON.stringify(expected.get(key));
    const a = JSON.stringify(actual.get(key));
    if (e === a) continue;
    if (out.length < limit) out.push(`${name}[${key}]: expected ${e}, got ${a}`);
    else more++;
  }
  if (more > 0) out.push(`${name}: ${more} more differences`);
  return out;
}

export function diffViews(expected: StoreView, actual: StoreView): string[] {
  return [
    ...diffMaps('contract_lines', expected.lines, actual.lines),
    ...diffMaps('contracts', expected.contracts, actual.contracts),
    ...diffMaps('change_orders', expected.orders, actual.orders),
    ...diffMaps('order_lines', expected.orderLines, actual.orderLines),
    ...diffMaps('cancelled_serials', expected.cancelledSerials, actual.cancelledSerials),
    ...diffMaps('line_claims', expected.claims, actual.claims),
    ...diffMaps('audit_log', expected.audit, actual.audit),
    ...(JSON.stringify(expected.runs) === JSON.stringify(actual.runs)
      ? []
      : [`runs: expected ${JSON.stringify(expected.runs)}, got ${JSON.stringify(actual.runs)}`]),
    ...(expected.sequence === actual.sequence ? [] : [`order number sequence: expected ${expected.sequence}, got ${actual.sequence}`]),
  ];
}
