import type { Knex } from 'knex';
import type { ContractSnapshot, SnapshotLine } from '../domain/cancelRules.js';
import { chunk, transact, type Store } from './connect.js';
import { toContract, toContractLine, toSerial, type DbContract, type DbContractLine, type DbSerial } from './rows.js';
import { recordAudit } from './audit.js';

/** One contract with its lines, as `contracts import` reads it from the file. */
export interface ContractInput {
  contractNo: string;
  contractDate: string | null;
  startDate: string;
  endDate: string | null;
  subject: string;
  customer: string;
  endUser: string;
  billTo: string;
  shipTo: string;
  lines: ContractLineInput[];
}

export interface ContractLineInput {
  supplier: string;
  productCode: string;
  productName: string;
  subscriptionId: string;
  quantity: number;
  unitPrice: number;
  plan: string;
  billingModel: string;
  isTrial: boolean;
  serials: string[];
}

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
 * Upserts contracts, lines and serials (契約一括登録) in one transaction. Lines of a
 * contract already under an open order keep their quantity: the order's figures were
 * taken from it.
 */
export async function importContracts(store: Store, contracts: readonly ContractInput[], actor: string, now: string): Promise<ImportCounts> {
  const counts: ImportCounts = { contractsCreated: 0, contractsUpdated: 0, linesCreated: 0, linesUpdated: 0, serialsCreated: 0 };
  await transact(store, async (trx) => {
    for (const part of chunk(contracts, 200)) {
      const existing = await trx<DbContract>('contracts').whereIn('contract_no', part.map((c) => c.contractNo));
      const byNo = new Map(existing.map((c) => [c.contract_no, c]));
      for (const c of part) {
        const values = {
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
        };
        let contractId: number;
        const found = byNo.get(c.contractNo);
        if (found) {
          contractId = found.id;
          await trx('contracts').where({ id: contractId }).update(values);
          counts.contractsUpdated++;
        } else {
          contractId = await insertReturningId(trx, 'contracts', { ...values, contract_no: c.contractNo, status: 'active' });
          counts.contractsCreated++;
        }
        await upsertLines(trx, contractId, c.lines, actor, now, counts);
        await recordAudit(trx, { at: now, actor, entity: 'contract', entityId: contractId, action: found ? 'import.update' : 'import.create' });
      }
    }
  });
  return counts;
}

async function upsertLines(trx: Knex.Transaction, contractId: number, lines: readonly ContractLineInput[], actor: string, now: string, counts: ImportCounts): Promise<void> {
  const existing = await trx<DbContractLine>('contract_lines').where({ contract_id: contractId }).orderBy('line_no');
  const byKey = new Map(existing.map((l) => [lineKey(l), l]));
  let nextLineNo = existing.reduce((max, l) => Math.max(max, l.line_no), 0) + 1;
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
    let lineId: number;
    if (found) {
      lineId = found.id;
      const claimed = await trx('line_claims').where({ contract_line_id: lineId }).first();
      await trx('contract_lines').where({ id: lineId }).update(claimed ? values : { ...values, quantity: line.quantity });
      counts.linesUpdated++;
    } else {
      lineId = await insertReturningId(trx, 'contract_lines', { ...values, contract_id: contractId, line_no: nextLineNo++, quantity: line.quantity, status: 'active' });
      counts.linesCreated++;
    }
    if (line.serials.length > 0) {
      const known = new Set((await trx<DbSerial>('serials').where({ line_id: lineId }).select('serial_no')).map((s) => s.serial_no));
      const fresh = line.serials.filter((s) => !known.has(s));
      for (const part of chunk(fresh, 200)) {
        await trx('serials').insert(part.map((serial_no) => ({ line_id: lineId, serial_no, status: 'active' })));
      }
      counts.serialsCreated += fresh.length;
    }
  }
}

/** Portable "insert and give me the id" (PostgreSQL needs RETURNING, SQLite gives it back too). */
export async function insertReturningId(trx: Knex | Knex.Transaction, table: string, row: Record<string, unknown>): Promise<number> {
  const [inserted] = await trx(table).insert(row).returning('id');
  const id = typeof inserted === 'object' && inserted !== null ? (inserted as { id: number }).id : inserted;
  return Number(id);
}

/**
 * The contracts named by a batch of rows, with their lines, serials and open-order
 * claims: four queries per few hundred contract numbers, never a query per row.
 */
export async function loadSnapshots(db: Knex | Knex.Transaction, contractNos: readonly string[]): Promise<Map<string, ContractSnapshot>> {
  const result = new Map<string, ContractSnapshot>();
  for (const part of chunk([...new Set(contractNos)], 500)) {
    const contracts = await db<DbContract>('contracts').whereIn('contract_no', part);
    if (contracts.length === 0) continue;
    const lines = await db<DbContractLine>('contract_lines').whereIn('contract_id', contracts.map((c) => c.id)).orderBy(['contract_id', 'line_no']);
    const lineIds = lines.map((l) => l.id);
    const serials: DbSerial[] = [];
    const claimed = new Set<number>();
    for (const ids of chunk(lineIds, 500)) {
      serials.push(...(await db<DbSerial>('serials').whereIn('line_id', ids).orderBy('id')));
      for (const c of await db('line_claims').whereIn('contract_line_id', ids).select('contract_line_id')) claimed.add(Number(c.contract_line_id));
    }
    const serialsByLine = groupBy(serials, (s) => s.line_id);
    const linesByContract = groupBy(lines, (l) => l.contract_id);
    for (const c of contracts) {
      const snapshotLines: SnapshotLine[] = (linesByContract.get(c.id) ?? []).map((l) => ({
        ...toContractLine(l),
        serials: (serialsByLine.get(l.id) ?? []).map(toSerial),
        heldByOpenOrder: claimed.has(l.id),
      }));
      result.set(c.contract_no, { contract: toContract(c), lines: snapshotLines });
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
