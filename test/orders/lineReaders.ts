/**
 * What the CLI linkage tests read back from a store (support/stores.ts gives the stores, on
 * SQLite and PostgreSQL, and runs the CLI on them): the order lines with their linkage, and
 * the seats of each subscription.
 */
import { readStore, type StoreUnderTest } from '../support/stores.js';
import { linkageWords } from '../../src/store/orderRepository.js';
import { knexOf } from '../../src/store/store.js';

export interface LineRow {
  orderNo: string;
  orderStatus: string;
  subscriptionId: string;
  quantityAfter: number;
  linkageStatus: string;
  linkageCode: string | null;
  linkageMessage: string | null;
  linkageMessageJa: string | null;
  sentAt: string | null;
  linkClaim: string | null;
  idempotencyKey: string | null;
}

export async function lineRows(store: Pick<StoreUnderTest, 'spec'>): Promise<LineRow[]> {
  return readStore(store, async (s) =>
    (
      await knexOf(s)('order_lines as ol')
        .join('change_orders as o', 'o.id', 'ol.order_id')
        .join('contract_lines as cl', 'cl.id', 'ol.contract_line_id')
        .orderBy('ol.id')
        .select('ol.*', 'o.order_no', 'o.status', 'cl.subscription_id')
    ).map((r: Record<string, unknown>) => ({
      orderNo: String(r['order_no']),
      orderStatus: String(r['status']),
      subscriptionId: String(r['subscription_id']),
      quantityAfter: Number(r['quantity_after']),
      linkageStatus: String(r['linkage_status']),
      linkageCode: (r['linkage_code'] as string | null) ?? null,
      // What a reader is told: our words rendered from their key, the supplier's as they came (store/orderRepository.ts).
      ...linkageWords(
        (r['linkage_message'] as string | null) ?? null,
        (r['linkage_message_ja'] as string | null) ?? null,
        (r['linkage_detail'] as string | null) ?? null,
      ),
      sentAt: (r['sent_at'] as string | null) ?? null,
      linkClaim: (r['link_claim'] as string | null) ?? null,
      idempotencyKey: (r['idempotency_key'] as string | null) ?? null,
    })),
  );
}

/** subscription id → the contract line's quantity in the store. */
export async function seatsInStore(store: Pick<StoreUnderTest, 'spec'>): Promise<Map<string, number>> {
  return readStore(
    store,
    async (s) =>
      new Map(
        (await knexOf(s)('contract_lines').select('subscription_id', 'quantity')).map((r: { subscription_id: string; quantity: number }) => [
          r.subscription_id,
          Number(r.quantity),
        ]),
      ),
  );
}
