import type { Knex } from 'knex';
import type { ContractSnapshot, SnapshotLine } from '../domain/cancelRules.js';
import type { Contract, ContractLine } from '../domain/types.js';
import { chunk, insertRows, selectPacked, transact, updateRowsById, type Store } from './connect.js';
import { toSerial, type DbContract, type DbContractLine, type DbSerial } from './rows.js';
import { recordAudit } from './audit.js';

/** One contract with its lines, as `contracts import` reads it from the file. */
export type ContractInput = Omit<Contract, 'id' | 'status' | 'cancelledOn'> & { lines: ContractLineInput[] };

/** One contract line as the file gives it: the domain line less what the store decides, plus its serials. */
export type ContractLineInput = Omit<ContractLine, 'id' | 'contractId' | 'status' | 'endDate'> & { serials: string[] };

/** A line is the same line again when its subscription id, else product code, else name matches. */
function lineKey(l: { subscriptionId?: string; subscription_id?: string; productCode?: string; product_code?: string; productName?: string; product_name?: string }): string {
  const sub = l.subscriptionId ?? l.subscription_id ?? '';
  const code = l.productCode ?? l.product_code ?? '';
  const name = l.productName ?? l.product_name ?? '';
  return sub !== '' ? `s:${sub}` : code !== '' ? `c:${code}` : `n:${name}`;
}

export interface ImportCounts {
  contractsCreated: number;
  contractsUpdated: number;
  linesCreated: number;
  linesUpdated: number;
  serialsCreated: number;
}

/**
 * Upserts contracts, lines and serials (契約一括登録) in one transaction, set-based: a
 * handful of statements per few thousand contracts. A line that any cancellation order
 * has touched keeps its quantity: the store, not an older master file, knows what is
 * left of it.
 */
export async function importContracts(store: Store, contracts: readonly ContractInput[], actor: string, now: string): Promise<ImportCounts> {
  const counts: ImportCounts = { contractsCreated: 0, contractsUpdated: 0, linesCreated: 0, linesUpdated: 0, serialsCreated: 0 };
  await transact(store, async (trx) => {
    for (const part of chunk(contracts, 2000)) {
      const existing = new Map<string, number>();
      for (const c of await trx<DbContract>('contracts').whereIn('contract_no', part.map((c) => c.contractNo)).select('id', 'contract_no')) existing.set(c.contract_no, c.id);
      const values = (c: ContractInput) => ({
        contract_date: c.contractDate,
        start_date: c.startDate,
        end_date: c.endDate,
        subject: c.subject,
        customer: c.customer,
        end_user: c.endUser,
        bill_to: c.billTo,
        ship_to: c.shipTo,
        updated_at: now,
        updated_by: actor,
      });
      const fresh = part.filter((c) => !existing.has(c.contractNo));
      await insertRows(trx, 'contracts', fresh.map((c) => ({ ...values(c), contract_no: c.contractNo, status: 'active' })));
      await updateRowsById(trx, 'contracts', part.filter((c) => existing.has(c.contractNo)).map((c) => ({ id: existing.get(c.contractNo)!, ...values(c) })));
      counts.contractsCreated += fresh.length;
      counts.contractsUpdated += part.length - fresh.length;
      const ids = new Map<string, number>();
      for (const c of await trx<DbContract>('contracts').whereIn('contract_no', part.map((c) => c.contractNo)).select('id', 'contract_no')) ids.set(c.contract_no, c.id);
      await upsertLines(trx, part.map((c) => ({ contractId: ids.get(c.contractNo)!, lines: c.lines })), actor, now, counts);
      await recordAudit(trx, ...part.map((c) => ({ at: now, actor, entity: 'contract' as const, entityId: ids.get(c.contractNo)!, action: existing.has(c.contractNo) ? 'import.update' : 'import.create' })));
    }
  }, { retryUniqueViolation: true });
  return counts;
}

async function upsertLines(trx: Knex.Transaction, contracts: readonly { contractId: number; lines: readonly ContractLineInput[] }[], actor: string, now: string, counts: ImportCounts): Promise<void> {
  const existing = await trx<DbContractLine>('contract_lines').whereIn('contract_id', contracts.map((c) => c.contractId)).orderBy('line_no');
  const existingByContract = groupBy(existing, (l) => l.contract_id);
  const touched = new Set<number>();
  for (const ids of chunk(existing.map((l) => l.id))) {
    for (const r of await trx('order_lines').whereIn('contract_line_id', ids).distinct('contract_line_id')) touched.add(Number(r.contract_line_id));
  }
  const inserts: Record<string, unknown>[] = [];
  const keepQuantity: ({ id: number } & Record<string, unknown>)[] = [];
  const withQuantity: ({ id: number } & Record<string, unknown>)[] = [];
  const serialsWanted: { contractId: number; key: string; serials: string[] }[] = [];
  for (const { contractId, lines } of contracts) {
    const own = existingByContract.get(contractId) ?? [];
    const byKey = new Map(own.map((l) => [lineKey(l), l]));
    let nextLineNo = own.reduce((max, l) => Math.max(max, l.line_no), 0) + 1;
    for (const line of lines) {
      const values = {
        supplier: line.supplier,
        product_code: line.productCode,
        product_name: line.productName,
        subscription_id: line.subscriptionId,
        unit_price: line.unitPrice,
        plan: line.plan,
        billing_model: line.billingModel,
        is_trial: line.isTrial,
        updated_at: now,
        updated_by: actor,
      };
      const found = byKey.get(lineKey(line));
      if (found) {
        if (touched.has(found.id)) keepQuantity.push({ id: found.id, ...values });
        else withQuantity.push({ id: found.id, ...values, quantity: line.quantity });
        counts.linesUpdated++;
      } else {
        inserts.push({ ...values, contract_id: contractId, line_no: nextLineNo++, quantity: line.quantity, status: 'active' });
        counts.linesCreated++;
      }
      if (line.serials.length > 0) serialsWanted.push({ contractId, key: lineKey(line), serials: line.serials });
    }
  }
  const lineCasts = { unit_price: 'integer', quantity: 'integer', is_trial: 'boolean' } as const;
  await updateRowsById(trx, 'contract_lines', keepQuantity, lineCasts);
  await updateRowsById(trx, 'contract_lines', withQuantity, lineCasts);
  await insertRows(trx, 'contract_lines', inserts);
  if (serialsWanted.length === 0) return;
  const lines = await trx<DbContractLine>('contract_lines').whereIn('contract_id', [...new Set(serialsWanted.map((s) => s.contractId))]);
  const lineIdByKey = new Map(lines.map((l) => [`${l.contract_id}|${lineKey(l)}`, l.id]));
  const known = new Set<string>();
  for (const ids of chunk(lines.map((l) => l.id))) {
    for (const s of await trx<DbSerial>('serials').whereIn('line_id', ids).select('line_id', 'serial_no')) known.add(`${s.line_id}|${s.serial_no}`);
  }
  const serialRows: Record<string, unknown>[] = [];
  for (const w of serialsWanted) {
    const lineId = lineIdByKey.get(`${w.contractId}|${w.key}`)!;
    for (const serial_no of w.serials) {
      if (known.has(`${lineId}|${serial_no}`)) continue;
      known.add(`${lineId}|${serial_no}`);
      serialRows.push({ line_id: lineId, serial_no, status: 'active' });
    }
  }
  await insertRows(trx, 'serials', serialRows);
  counts.serialsCreated += serialRows.length;
}

/** Portable "insert and give me the id" (PostgreSQL needs RETURNING, SQLite gives it back too). */
export async function insertReturningId(trx: Knex | Knex.Transaction, table: string, row: Record<string, unknown>): Promise<number> {
  const [inserted] = await trx(table).insert(row).returning('id');
  const id = typeof inserted === 'object' && inserted !== null ? (inserted as { id: number }).id : inserted;
  return Number(id);
}

/**
 * The contracts named by a batch of rows, with what the rules read of their lines,
 * serials and open-order claims: two queries per few thousand contract numbers (lines
 * and claims in one join, serials in another), never a query per row.
 */
export async function loadSnapshots(db: Knex | Knex.Transaction, contractNos: readonly string[]): Promise<Map<string, ContractSnapshot>> {
  const result = new Map<string, ContractSnapshot>();
  for (const part of chunk([...new Set(contractNos)])) {
    const query = db('contracts as c')
      .leftJoin('contract_lines as cl', 'cl.contract_id', 'c.id')
      .leftJoin('line_claims as lc', 'lc.contract_line_id', 'cl.id')
      .whereIn('c.contract_no', part)
      .orderBy([{ column: 'c.id' }, { column: 'cl.line_no' }]);
    // One row per contract line (a contract without lines gives one row of nulls), with its claim.
    type Row = [number, string, Contract['status'], string, number | null, string, string, number, number, number | boolean, ContractLine['status'], number | null];
    const rows = await selectPacked<Row>(db, query, ['c.id', 'c.contract_no', 'c.status', 'c.start_date', 'cl.id', 'cl.product_code', 'cl.subscription_id', 'cl.quantity', 'cl.unit_price', 'cl.is_trial', 'cl.status', 'lc.order_id']);
    if (rows.length === 0) continue;
    const serials: DbSerial[] = await db('serials as s')
      .join('contract_lines as cl', 'cl.id', 's.line_id')
      .join('contracts as c', 'c.id', 'cl.contract_id')
      .whereIn('c.contract_no', part)
      .orderBy('s.id')
      .select('s.id', 's.line_id', 's.serial_no', 's.status');
    const serialsByLine = groupBy(serials.map(toSerial), (s) => s.lineId);
    for (const [contractId, contractNo, status, startDate, lineId, productCode, subscriptionId, quantity, unitPrice, isTrial, lineStatus, claimedBy] of rows) {
      let snapshot = result.get(contractNo);
      if (!snapshot) {
        snapshot = { contract: { id: Number(contractId), contractNo, status, startDate }, lines: [] };
        result.set(contractNo, snapshot);
      }
      if (lineId === null) continue;
      (snapshot.lines as SnapshotLine[]).push({
        id: Number(lineId),
        contractId: Number(contractId),
        productCode,
        subscriptionId,
        quantity: Number(quantity),
        unitPrice: Number(unitPrice),
        isTrial: Boolean(isTrial),
        status: lineStatus,
        serials: serialsByLine.get(Number(lineId)) ?? [],
        heldByOpenOrder: claimedBy !== null,
      });
    }
  }
  return result;
}

export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}
