import type { Knex } from 'knex';

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
  await sentAndFailed('SUPPLIER_QUANTITY_MISMATCH').update({
    linkage_status: 'pending',
    linkage_message: 'an earlier version took this line for refused after its change was sent; the supplier may have taken it: a later run asks it again',
    linkage_message_ja:
      '以前のバージョンは、変更を送信した後のこの明細を拒否として扱いました。仕入元が変更を反映している可能性があるため、次回の実行で改めて確認します',
  });
  await sentAndFailed('NOT_FOUND').update({
    linkage_status: 'pending',
    linkage_code: 'SUPPLIER_UNAVAILABLE',
    linkage_message: 'an earlier version took a 404 for a refusal after the change was sent; the supplier may have taken it: a later run asks it again',
    linkage_message_ja:
      '以前のバージョンは、変更を送信した後の 404 を拒否として扱いました。仕入元が変更を反映している可能性があるため、次回の実行で改めて確認します',
  });
}
