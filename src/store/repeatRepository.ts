import type { Knex } from 'knex';
import type { DoneRequest, DoneRequestFields } from '../domain/requestIdentity.js';
import { chunk, idsOf, insertRowsSharing } from './sql.js';
import { packResolvedForm, unpackResolvedForm } from './doneRequestForm.js';

type Db = Knex | Knex.Transaction;

/**
 * The resolved form of every row that made an order (domain/requestIdentity.ts), and what
 * the repeat rule reads about the runs that made or reported those orders. Lookups are by
 * the contracts of a page of rows, never row by row.
 */

/** The done requests on these contracts whose order was not withdrawn (a withdrawn order did nothing), by contract. */
export async function findDoneRequests(db: Db, contractIds: readonly number[]): Promise<Map<number, DoneRequest[]>> {
  const out = new Map<number, DoneRequest[]>();
  for (const part of chunk([...new Set(contractIds)])) {
    const rows = await db('done_requests as d')
      .join('change_orders as o', 'o.id', 'd.order_id')
      .whereIn('d.contract_id', idsOf(db, part))
      .whereNot('o.status', 'withdrawn')
      .select('d.id', 'd.order_id', 'd.run_id', 'd.row_no', 'd.contract_id', 'd.resolved');
    for (const r of rows as Record<string, unknown>[]) {
      const done = toDoneRequest(r);
      const same = out.get(done.contractId);
      if (same) same.push(done);
      else out.set(done.contractId, [done]);
    }
  }
  return out;
}

function toDoneRequest(r: Record<string, unknown>): DoneRequest {
  return {
    ...unpackResolvedForm(String(r['resolved'])),
    id: Number(r['id']),
    orderId: Number(r['order_id']),
    runId: Number(r['run_id']),
    rowNo: Number(r['row_no']),
    contractId: Number(r['contract_id']),
  };
}

/**
 * Ids of the done requests on these contracts now, read as findDoneRequests reads them (a
 * withdrawn order's left out), to see inside a transaction whether another run added one
 * since a lookup.
 */
export async function doneRequestIds(db: Db, contractIds: readonly number[]): Promise<Set<number>> {
  const out = new Set<number>();
  for (const part of chunk([...new Set(contractIds)])) {
    const rows = await db('done_requests as d')
      .join('change_orders as o', 'o.id', 'd.order_id')
      .whereIn('d.contract_id', idsOf(db, part))
      .whereNot('o.status', 'withdrawn')
      .select('d.id');
    for (const r of rows as { id: number }[]) out.add(Number(r.id));
  }
  return out;
}

/** A done request as a run records it, with the order its row made. */
export type NewDoneRequest = DoneRequestFields & { orderId: number };

export async function insertDoneRequests(trx: Knex.Transaction, runId: number, requests: readonly NewDoneRequest[]): Promise<void> {
  const rows = requests.map(({ orderId, rowNo, contractId, ...form }) => ({
    order_id: orderId,
    row_no: rowNo,
    contract_id: contractId,
    resolved: packResolvedForm(form),
  }));
  await insertRowsSharing(trx, 'done_requests', rows, { run_id: runId });
}

/** A run as the repeat rule reads it: which file, the error file it wrote, when, and its header. */
export interface EvidenceRun {
  id: number;
  fileName: string;
  errorsFile: string | null;
  appliedOn: string;
  header: string[];
}

/** For each order, the rows of earlier runs that made or reported it: (run, row number). */
export async function rowsNamingOrders(
  db: Db,
  orderIds: readonly number[],
  exceptRunId: number | null,
): Promise<Map<number, { runId: number; rowNo: number }[]>> {
  const out = new Map<number, { runId: number; rowNo: number }[]>();
  for (const part of chunk([...new Set(orderIds)])) {
    const q = db('run_rows').whereIn('order_id', idsOf(db, part)).select('order_id', 'run_id', 'row_no');
    if (exceptRunId !== null) q.whereNot('run_id', exceptRunId);
    for (const r of (await q) as { order_id: number; run_id: number; row_no: number }[]) {
      const orderId = Number(r.order_id);
      const row = { runId: Number(r.run_id), rowNo: Number(r.row_no) };
      const same = out.get(orderId);
      if (same) same.push(row);
      else out.set(orderId, [row]);
    }
  }
  return out;
}

export async function loadEvidenceRuns(db: Db, runIds: readonly number[]): Promise<Map<number, EvidenceRun>> {
  const out = new Map<number, EvidenceRun>();
  for (const part of chunk([...new Set(runIds)])) {
    const rows = (await db('runs').whereIn('id', idsOf(db, part)).select('id', 'file_name', 'errors_file', 'applied_on', 'header_fields')) as {
      id: number;
      file_name: string;
      errors_file: string | null;
      applied_on: string;
      header_fields: string | null;
    }[];
    for (const r of rows) {
      out.set(Number(r.id), {
        id: Number(r.id),
        fileName: r.file_name,
        errorsFile: r.errors_file,
        appliedOn: r.applied_on,
        header: r.header_fields ? (JSON.parse(r.header_fields) as string[]) : [],
      });
    }
  }
  return out;
}

/** The cells of a run's rows, as they came: every row, or only those that made or reported an order. */
export async function cellsOfRun(db: Db, runId: number, which: 'all' | 'with_order'): Promise<string[][]> {
  const q = db('run_rows').where({ run_id: runId }).select('raw_fields');
  if (which === 'with_order') q.whereNotNull('order_id');
  return ((await q) as { raw_fields: string }[]).map((r) => JSON.parse(r.raw_fields) as string[]);
}
