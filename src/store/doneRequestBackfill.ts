import type { Knex } from 'knex';
import { CANCEL_COLUMNS, mapHeader, normaliseValue, type CancelColumnKey } from '../csv/headers.js';
import { parseCancelRow } from '../domain/cancelRules.js';
import { serialKey } from '../domain/lineIdentity.js';
import { packResolvedForm } from './doneRequestForm.js';

const PAGE = 2000;

/** connect.ts's chunk, repeated: connect.ts imports the migrations, which import this file. */
function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Migration 009: the resolved form (done_requests) of every row that made an order before
 * it, read from what the store kept: the row's cells and the file's header, its order and
 * its order lines. One thing cannot be read back: which lines had seats when the row ran.
 * A row that named no line is taken as having covered the whole contract (what 全選択
 * takes); a row that named its line is not, even where that line was the contract's only
 * one (a later row naming no line is then judged as a new request, never as done).
 */
export async function backfillDoneRequests(knex: Knex): Promise<void> {
  const readers = new Map<number, (fields: readonly string[]) => Record<CancelColumnKey, string>>();
  let after: { runId: number; rowNo: number } | null = null;
  for (;;) {
    const q = knex('run_rows')
      .where('outcome', 'ordered')
      .whereNotNull('order_id')
      .orderBy([{ column: 'run_id' }, { column: 'row_no' }])
      .limit(PAGE)
      .select('run_id', 'row_no', 'order_id', 'line_ids', 'raw_fields');
    if (after) {
      const { runId, rowNo } = after;
      q.andWhere((w) => w.where('run_id', '>', runId).orWhere((x) => x.where('run_id', runId).andWhere('row_no', '>', rowNo)));
    }
    const rows = (await q) as { run_id: number; row_no: number; order_id: number; line_ids: string | null; raw_fields: string }[];
    if (rows.length === 0) return;
    const last = rows[rows.length - 1]!;
    after = { runId: Number(last.run_id), rowNo: Number(last.row_no) };
    await readersFor(
      knex,
      rows.map((r) => Number(r.run_id)),
      readers,
    );
    const orders = await ordersOf(
      knex,
      rows.map((r) => Number(r.order_id)),
    );
    const records: Record<string, unknown>[] = [];
    for (const r of rows) {
      const order = orders.get(Number(r.order_id));
      const read = readers.get(Number(r.run_id));
      if (!order || !read) continue;
      const cells = read(JSON.parse(r.raw_fields) as string[]);
      const parsed = parseCancelRow(Number(r.row_no), cells);
      if (!parsed.ok) continue;
      const row = parsed.value;
      const lineIds = (r.line_ids ? r.line_ids.split(',').map(Number) : [...order.before.keys()]).sort((a, b) => a - b);
      const before = lineIds.length === 1 ? order.before.get(lineIds[0]!) : undefined;
      const serialNo = row.serialNo === '' ? '' : serialKey(row.serialNo);
      records.push({
        order_id: Number(r.order_id),
        run_id: Number(r.run_id),
        row_no: Number(r.row_no),
        contract_id: order.contractId,
        resolved: packResolvedForm({
          lineIds,
          serialNo,
          wholeContract: serialNo === '' && row.productCode === '' && row.subscriptionId === '',
          quantity: lineIds.length !== 1 ? null : serialNo !== '' ? 1 : (row.cancelQuantity ?? before ?? null),
          tookAll: serialNo === '' && (row.cancelQuantity === null || row.cancelQuantity === before),
          endDate: order.endDate,
          endDateGiven: row.endDate !== null,
          requestId: row.requestId,
        }),
      });
    }
    // Knex's own multi-row insert: SQLite takes at most 500 rows in one such statement.
    for (const part of chunk(records, 400)) await knex('done_requests').insert(part);
  }
}

/** The cell readers of these runs, by the header each run staged its file with. */
async function readersFor(
  knex: Knex,
  runIds: readonly number[],
  readers: Map<number, (fields: readonly string[]) => Record<CancelColumnKey, string>>,
): Promise<void> {
  const missing = [...new Set(runIds)].filter((id) => !readers.has(id));
  for (const part of chunk(missing, 500)) {
    for (const run of (await knex('runs').whereIn('id', part).select('id', 'header_fields')) as { id: number; header_fields: string | null }[]) {
      if (!run.header_fields) continue;
      const { index } = mapHeader(JSON.parse(run.header_fields) as string[], CANCEL_COLUMNS);
      readers.set(Number(run.id), (fields) => {
        const at = (key: CancelColumnKey) => (index[key] === undefined ? '' : normaliseValue(fields[index[key]!] ?? ''));
        const cells = Object.fromEntries(CANCEL_COLUMNS.map((c) => [c.key, at(c.key)])) as Record<CancelColumnKey, string>;
        return { ...cells, contractNo: cells.contractNo.toUpperCase() };
      });
    }
  }
}

async function ordersOf(knex: Knex, orderIds: readonly number[]): Promise<Map<number, { contractId: number; endDate: string; before: Map<number, number> }>> {
  const out = new Map<number, { contractId: number; endDate: string; before: Map<number, number> }>();
  for (const part of chunk([...new Set(orderIds)], 500)) {
    for (const o of (await knex('change_orders').whereIn('id', part).select('id', 'contract_id', 'end_date')) as {
      id: number;
      contract_id: number;
      end_date: string | null;
    }[]) {
      out.set(Number(o.id), { contractId: Number(o.contract_id), endDate: o.end_date ?? '', before: new Map() });
    }
    for (const l of (await knex('order_lines').whereIn('order_id', part).select('order_id', 'contract_line_id', 'quantity_before')) as {
      order_id: number;
      contract_line_id: number;
      quantity_before: number;
    }[]) {
      out.get(Number(l.order_id))?.before.set(Number(l.contract_line_id), Number(l.quantity_before));
    }
  }
  return out;
}
