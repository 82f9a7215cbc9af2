/** A row's error codes (cli.md) and the plain words an operator reads in the result file. */
export const ROW_ERROR = {
  MALFORMED_ROW: { en: 'The row cannot be read', ja: '行を読み取れません' },
  CONTRACT_NOT_FOUND: { en: 'No contract with this number', ja: 'この契約番号の契約はありません' },
  CONTRACT_NOT_ACTIVE: { en: 'The contract is not active (already cancelled)', ja: '契約中ではありません（解約済です）' },
  LINE_NOT_FOUND: { en: 'The contract has no such line', ja: '契約に該当する明細がありません' },
  LINE_AMBIGUOUS: {
    en: 'The row matches several lines; name the product code or subscription id',
    ja: '複数の明細が該当します。商品コードかサブスクリプションIDを指定してください',
  },
  LINE_NOT_ACTIVE: { en: 'The line is already cancelled', ja: '明細は解約済です' },
  TRIAL_LINE: { en: 'A trial product is not cancelled by this pipeline', ja: 'トライアル商品は解約対象外です' },
  TRIAL_BLOCKS_FULL_CANCEL: {
    en: 'The contract includes a trial product, so it cannot be cancelled as a whole',
    ja: 'トライアル商品が含まれるため一括解約はできません',
  },
  QUANTITY_INVALID: { en: 'The cancel quantity must be a whole number of at least 1', ja: '解約数は1以上の整数で指定してください' },
  QUANTITY_EXCEEDS_REMAINING: { en: 'The cancel quantity exceeds what remains on the line', ja: '解約数が明細の残数を超えています' },
  SERIAL_REQUIRED: {
    en: 'A partial cancellation of a serial-managed line needs the serials named',
    ja: 'シリアル管理の明細を一部解約するにはシリアル番号の指定が必要です',
  },
  SERIAL_NOT_FOUND: { en: 'No active serial with this number on the contract', ja: '契約に該当する有効なシリアル番号がありません' },
  DATE_INVALID: { en: 'The end date is not a valid date', ja: '契約終了日が正しい日付ではありません' },
  END_DATE_BEFORE_START: { en: 'The end date is before the contract start date', ja: '契約終了日が契約開始日より前です' },
  END_DATE_BEFORE_APPLIED: { en: 'The end date is before the application date of the order', ja: '契約終了日が申込日より前です' },
  END_DATE_CONFLICT: { en: 'Rows of the same contract give different end dates', ja: '同じ契約の行で契約終了日が異なります' },
  REQUEST_ID_REUSED: {
    en: 'This request id was already used for a different row; give this row a new request id',
    ja: 'この依頼番号は別の行で使用済みです。新しい依頼番号を指定してください',
  },
  DUPLICATE_ROW: { en: 'Another row of this file already targets the same line', ja: '同じ明細を対象とする行がファイル内に既にあります' },
  LINE_HAS_OPEN_ORDER: { en: 'The line is already in an open cancellation order', ja: '明細は既に処理中の解約注文に含まれています' },
  CONTRACT_GROUP_REFUSED: {
    en: "Another row of the same contract was refused; a contract's rows go together",
    ja: '同じ契約の別の行がエラーのため、この行も処理しません',
  },
  SUPPLIER_REJECTED: { en: 'The supplier refused the cancellation', ja: '仕入元が解約を受け付けませんでした' },
  SUPPLIER_UNAVAILABLE: {
    en: 'No usable answer from the supplier in this run; a later run goes on',
    ja: 'この実行では仕入元から有効な応答を得られませんでした。次回の実行で再試行します',
  },
  SUPPLIER_QUANTITY_MISMATCH: { en: "The supplier's quantity differs from the store's", ja: '仕入元の数量がシステムの数量と異なります' },
  ORDER_WITHDRAWN: {
    en: 'The order of this row was withdrawn (キャンセル), so nothing was cancelled; to cancel after all, give the row a new request id',
    ja: 'この行の注文はキャンセルされたため、解約されていません。改めて解約する場合は、新しい依頼番号を付けてください',
  },
  POSSIBLE_REPEAT: { en: 'An earlier row already asked for the same', ja: '以前の行で同じ解約が依頼済みです' },
} as const satisfies Record<string, { en: string; ja: string }>;
