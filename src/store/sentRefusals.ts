import type { Knex } from 'knex';
import { say } from '../messages/index.js';

/**
 * Lines an earlier version failed for good after their change was sent (sent_at set) on
 * orders still accepted: SUPPLIER_QUANTITY_MISMATCH ("nothing was sent", when a change had
 * been: a poll found another quantity, or the next attempt's GET did), and NOT_FOUND (a poll
 * answered 404 after the supplier accepted the change). Both let 受付取消 through while the
 * supplier may hold the change. They become pending, with words saying why, so that resume
 * asks the supplier again and linkOutcomes.ts decides as it now does.
 */
export async function reopenSentRefusals(knex: Knex): Promise<void> {
  const accepted = knex('change_orders').where({ status: 'accepted' }).select('id');
  const sentAndFailed = (code: string) =>
    knex('order_lines').where({ linkage_status: 'failed', linkage_code: code }).whereNotNull('sent_at').whereIn('order_id', accepted);
  // Sentences, as every line kept them until 014 (which comes after this one) gave lines their words by key.
  const reopened = say('store.sentRefusalReopened');
  await sentAndFailed('SUPPLIER_QUANTITY_MISMATCH').update({ linkage_status: 'pending', linkage_message: reopened.en, linkage_message_ja: reopened.ja });
  await sentAndFailed('NOT_FOUND').update({
    linkage_status: 'pending',
    linkage_code: 'SUPPLIER_UNAVAILABLE',
    linkage_message: say('store.sent404Reopened').en,
    linkage_message_ja: say('store.sent404Reopened').ja,
  });
}
