import type { Knex } from 'knex';
import type { SubscriptionSeed } from '../supplier/port.js';

/**
 * What the supplier holds for each subscription in the store: the line's quantity, or
 * the target already sent for it by an open order (the simulator lives only as long as
 * its process, so a later run must find the supplier where the earlier one left it).
 */
export async function loadSubscriptionSeeds(db: Knex): Promise<SubscriptionSeed[]> {
  const rows = await db('contract_lines as cl')
    .join('contracts as c', 'c.id', 'cl.contract_id')
    .where('cl.subscription_id', '<>', '')
    .select(
      'c.customer',
      'cl.subscription_id',
      'cl.quantity',
      db.raw(
        `(select min(ol.quantity_after) from order_lines ol join change_orders o on o.id = ol.order_id
          where ol.contract_line_id = cl.id and o.status = 'accepted' and ol.linkage_status in ('pending', 'linked')) as sent_quantity`,
      ),
    );
  return rows.map((r: { customer: string; subscription_id: string; quantity: number; sent_quantity: number | null }) => ({
    customer: r.customer,
    subscriptionId: r.subscription_id,
    quantity: r.sent_quantity === null ? Number(r.quantity) : Number(r.sent_quantity),
  }));
}
