/**
 * The columns of the files kaiyaku writes, each as [its English name, its Japanese name]:
 * `--lang en` writes the first as the header, the default the second (cli.md's columns).
 */

/** A column of a written file: its English and its Japanese header. */
export type Column = readonly [en: string, ja: string];

/** 契約一覧 (contracts list). */
export const CONTRACT_LIST_COLUMNS: readonly Column[] = [
  ['no', 'No.'],
  ['status', '契約ステータス'],
  ['contract_no', '契約番号'],
  ['customer', '顧客(会社名)'],
  ['products', '商品(商品名)'],
  ['subject', '件名'],
  ['start_date', '開始日'],
  ['end_date', '終了日'],
  ['cancelled_on', '解約日'],
  ['billable', '課金'],
];

/** 契約変更一覧 (orders list). */
export const ORDER_LIST_COLUMNS: readonly Column[] = [
  ['no', 'No'],
  ['order_no', '注文番号'],
  ['contract_no', '契約番号'],
  ['kind', '種別'],
  ['status', 'ステータス'],
  ['applied_on', '申込日'],
  ['subject', '件名'],
  ['customer', '顧客(会社名)'],
  ['end_user', '利用者(会社名)'],
  ['subtotal_before', '変更前小計(税抜)'],
  ['tax_before', '変更前税額'],
  ['total_before', '変更前合計金額'],
  ['subtotal_after', '変更後小計(税抜)'],
  ['tax_after', '変更後税額'],
  ['total_after', '変更後合計金額'],
  ['lines', '明細数'],
  ['lines_linked', '連携済明細数'],
  ['updated_at', '更新日時'],
  ['updated_by', '最終更新者'],
];

/** 解約シリアル通知用CSV (serials export). */
export const SERIAL_EXPORT_COLUMNS: readonly Column[] = [
  ['cancelled_on', '解約日'],
  ['contract_no', '契約番号'],
  ['order_no', '注文番号'],
  ['customer', '販売先'],
  ['end_user', '利用者'],
  ['supplier', '提供元'],
  ['product_code', '商品コード'],
  ['product_name', '商品名'],
  ['subscription_id', 'サブスクリプションID'],
  ['serial_no', 'シリアル番号'],
  ['cancel_quantity', '解約数'],
  ['end_date', '契約終了日'],
];

/** The result file, and the columns the error file adds to the cells as they came. */
export const RESULT_COLUMNS = [
  ['row', '行'],
  ['contract_no', '契約番号'],
  ['product_code', '商品コード'],
  ['subscription_id', 'サブスクリプションID'],
  ['cancel_quantity', '解約数'],
  ['result', '結果'],
  ['order_no', '注文番号'],
  ['order_status', '注文ステータス'],
  ['linkage_status', '解約連携ステータス'],
  ['error_code', 'エラーコード'],
  ['error_message', 'エラー内容'],
] as const;
