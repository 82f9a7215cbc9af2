/** Why the portal refuses a step on an order (受付, 受付取消, 解約連携, 解約確定, キャンセル), in the portal's words. */
export const ORDER_REFUSAL = {
  NOT_REQUESTED: { en: 'Only a requested order can take this step', ja: '申請中の注文ではないため実行できません' },
  NOT_ACCEPTED: { en: 'Only an accepted order can take this step', ja: '受付済の注文ではないため実行できません' },
  ALREADY_ORDERED: {
    en: 'Already ordered at the supplier: acceptance cannot be withdrawn',
    ja: '発注済みの為、受付取消はできません',
  },
  END_DATE_REQUIRED: { en: 'The contract end date is required to confirm', ja: '契約終了日は必須です' },
  END_DATE_BEFORE_APPLIED: { en: 'The end date is before the application date', ja: '契約終了日が申込日より前です' },
  END_DATE_BEFORE_START: { en: 'The end date is before the contract start date', ja: '契約終了日が契約開始日より前です' },
  NOT_LINKED: { en: 'Some lines have not been sent to the supplier (解約連携) yet', ja: '解約連携されていない明細があります' },
  LINKAGE_FAILED: { en: 'The supplier refused some lines', ja: '仕入元が解約を受け付けなかった明細があります' },
  NOTHING_TAKEN: {
    en: 'The supplier refused every line: there is nothing to confirm; withdraw the acceptance (受付取消), then the order (キャンセル)',
    ja: '仕入元がすべての明細を受け付けなかったため、解約確定する明細がありません。受付取消してからキャンセルしてください',
  },
  REFUSED_AND_SENT_BACK: {
    en: 'The supplier refused every line and the acceptance was withdrawn; withdraw the order (キャンセル)',
    ja: '仕入元がすべての明細を受け付けず、受付取消済みです。キャンセルしてください',
  },
  UNSETTLED: {
    en: 'The supplier has not settled the cancellation yet (use --confirm-unsettled to confirm anyway)',
    ja: '仕入元で解約処理が確定されていません（--confirm-unsettled で解約確定できます）',
  },
  NOTHING_TO_LINK: { en: 'No line is waiting for linkage', ja: '解約連携する明細がありません' },
} as const;
