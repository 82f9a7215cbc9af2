import type { Knex } from 'knex';
import type { ContractStatus, OrderKind, OrderStatus } from '../domain/types.js';
import type { StoreCore } from './store.js';
import { chunk } from './sql.js';
import { groupBy } from './contractRepository.js';
import { knexOf } from './store.js';

/** Reads a table a page at a time by its id, so a list of any length streams. */
async function* pages<T>(query: () => Knex.QueryBuilder, keyColumn: string, pageSize = 1000): AsyncGenerator<T[]> {
  let after = 0;
  for (;;) {
    const page = (await query().where(keyColumn, '>', after).orderBy(keyColumn).limit(pageSize)) as (T & { id_key: number })[];
    if (page.length === 0) return;
    yield page;
    after = Number(page[page.length - 1]!.id_key);
  }
}

export interface ListedContract {
  id: number;
  status: ContractStatus;
  contract_no: string;
  customer: string;
  subject: string;
  start_date: string;
  end_date: string | null;
  cancelled_on: string | null;
  lines: { product_name: string; status: string; quantity: number }[];
}

/** 契約一覧's rows, a page at a time in id order, each contract with its lines in line order. */
export async function* pagesOfContracts(store: StoreCore, filter: { status?: ContractStatus }): AsyncGenerator<ListedContract[]> {
  const base = () => {
    const q = knexOf(store)('contracts').select('*', 'id as id_key');
    if (filter.status) q.where({ status: filter.status });
    return q;
  };
  for await (const page of pages<Omit<ListedContract, 'lines'>>(base, 'id')) {
    const lines = (await knexOf(store)('contract_lines')
      .whereIn(
        'contract_id',
        page.map((c) => c.id),
      )
      .orderBy(['contract_id', 'line_no'])
      .select('contract_id', 'product_name', 'status', 'quantity')) as {
      contract_id: number;
      product_name: string;
      status: string;
      quantity: number;
    }[];
    const byContract = groupBy(lines, (l) => l.contract_id);
    yield page.map((c) => ({
      ...c,
      lines: (byContract.get(c.id) ?? []).map((l) => ({ product_name: l.product_name, status: l.status, quantity: Number(l.quantity) })),
    }));
  }
}

export interface ListedOrder {
  id: number;
  order_no: string;
  contract_no: string;
  kind: OrderKind;
  status: OrderStatus;
  applied_on: string;
  subject: string;
  customer: string;
  end_user: string;
  updated_at: string;
  updated_by: string;
  lines: { quantityBefore: number; quantityAfter: number; unitPrice: number; linked: boolean }[];
}

/** 契約変更一覧's rows, a page at a time in id order, each order with its lines. */
export async function* pagesOfOrders(store: StoreCore, filter: { status?: OrderStatus }): AsyncGenerator<ListedOrder[]> {
  const base = () => {
    const q = knexOf(store)('change_orders as o')
      .join('contracts as c', 'c.id', 'o.contract_id')
      .select('o.*', 'o.id as id_key', 'c.contract_no', 'c.subject', 'c.customer', 'c.end_user');
    if (filter.status) q.where('o.status', filter.status);
    return q;
  };
  for await (const page of pages<Omit<ListedOrder, 'lines'>>(base, 'o.id')) {
    const lines: { order_id: number; quantity_before: number; quantity_after: number; unit_price: number; linkage_status: string }[] = [];
    for (const ids of chunk(page.map((o) => o.id)))
      lines.push(
        ...(await knexOf(store)('order_lines')
          .whereIn('order_id', ids)
          .select('order_id', 'quantity_before', 'quantity_after', 'unit_price', 'linkage_status')),
      );
    const byOrder = groupBy(lines, (l) => l.order_id);
    yield page.map((o) => ({
      ...o,
      lines: (byOrder.get(o.id) ?? []).map((l) => ({
        quantityBefore: Number(l.quantity_before),
        quantityAfter: Number(l.quantity_after),
        unitPrice: Number(l.unit_price),
        linked: l.linkage_status === 'linked',
      })),
    }));
  }
}
