import type { Knex } from 'knex';
import type { SubscriptionSeed } from '../supplier/port.js';
import { knexOf, type StoreCore } from './store.js';

/**
 * What the supplier holds for each subscription in the store: the line's quantity, or
 * the target already sent for it by an open order (the simulator lives only as long as
 * its process, so a later run must find the supplier where the earlier one left it).
 */
export async function loadSubscriptionSeeds(db: Knex): Promise<SubscriptionSeed[]> {
  const sentRows = await db('order_lines as ol')
    .join('change_orders as o', 'o.id', 'ol.order_id')
    .where('o.status', 'accepted')
    .whereIn('ol.linkage_status', ['pending', 'linked'])
    .select('ol.contract_line_id', 'ol.quantity_after');
  const sent = new Map<number, number>();
  for (const r of sentRows as { contract_line_id: number; quantity_after: number }[]) sent.set(Number(r.contract_line_id), Number(r.quantity_after));
  const lines = await db('contract_lines as cl')
    .join('contracts as c', 'c.id', 'cl.contract_id')
    .where('cl.subscription_id', '<>', '')
    .select('cl.id', 'c.customer', 'cl.subscription_id', 'cl.quantity');
  const rows = (lines as { id: number; customer: string; subscription_id: string; quantity: number }[]).map((l) => ({
    ...l,
    sent_quantity: sent.get(Number(l.id)) ?? null,
  }));
  return rows.map((r: { customer: string; subscription_id: string; quantity: number; sent_quantity: number | null }) => ({
    customer: r.customer,
    subscriptionId: r.subscription_id,
    quantity: r.sent_quantity === null ? Number(r.quantity) : Number(r.sent_quantity),
  }));
}

/** The same, from a store: what `supplier serve --db` seeds its simulator with. */
export function subscriptionSeedsOf(store: StoreCore): Promise<SubscriptionSeed[]> {
  return loadSubscriptionSeeds(knexOf(store));
}
