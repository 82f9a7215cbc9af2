import { KaiyakuError } from '../errors.js';
import { joinWords, LIST_SEPARATOR, say } from '../messages/index.js';

export interface ColumnSpec<K extends string> {
  key: K;
  aliases: readonly string[];
  required: boolean;
}

export interface HeaderMap<K extends string> {
  /** Column position of each key found (the first, when a key appears twice). */
  index: Partial<Record<K, number>>;
  /** Header cells that match no column, as they appear in the file; empty cells are not listed. */
  unknown: string[];
  missing: K[];
  duplicated: K[];
}

/**
 * The form in which header cells are compared: NFKC (full-width letters and digits become
 * ASCII), lower case, and no spaces, underscores, hyphens or dots, so that `Contract No`,
 * `contract_no`, `CONTRACT-NO` and `ｃｏｎｔｒａｃｔＮｏ` are one name. Japanese names keep
 * their own characters (the long vowel mark in サブスクリプションID is not a hyphen).
 */
export function normaliseHeader(cell: string): string {
  return (
    cell
      .normalize('NFKC')
      // Format characters are invisible (zero-width spaces, the word joiner, a soft hyphen, a
      // BOM): a header that looks like 解約数 is read as 解約数.
      .replace(/\p{Cf}/gu, '')
      .toLowerCase()
      .replace(/[\s_\-.]+/g, '')
  );
}

export function mapHeader<K extends string>(header: readonly string[], specs: readonly ColumnSpec<K>[]): HeaderMap<K> {
  const byName = new Map<string, K>();
  for (const spec of specs) {
    for (const name of [spec.key, ...spec.aliases]) byName.set(normaliseHeader(name), spec.key);
  }
  const index: Partial<Record<K, number>> = {};
  const unknown: string[] = [];
  const duplicated: K[] = [];
  header.forEach((cell, i) => {
    const name = normaliseHeader(cell);
    if (name === '') return;
    const key = byName.get(name);
    if (key === undefined) {
      unknown.push(cell);
    } else if (index[key] === undefined) {
      index[key] = i;
    } else if (!duplicated.includes(key)) {
      duplicated.push(key);
    }
  });
  const missing = specs.filter((s) => s.required && index[s.key] === undefined).map((s) => s.key);
  return { index, unknown, missing, duplicated };
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const DASHES = /[\u2010-\u2015\u2212\uFF0D]/g;
/** The long vowel mark is a dash only between digits: ＮＣＮ２０２１０７ー０００… but not サブスクリプション. */
const LONG_VOWEL_BETWEEN_DIGITS = /(?<=\d)\u30FC(?=\d)/g;

/**
 * Every input cell goes through this before it is compared or stored: NFKC (full-width
 * digits and letters to ASCII), the dashes Japanese input methods produce to `-`, then
 * trimming (which includes the ideographic space).
 */
export function normaliseValue(cell: string): string {
  // Printable ASCII is its own NFKC form and holds no dash to replace: only trimming is left.
  if (PRINTABLE_ASCII.test(cell)) return cell.trim();
  return cell.normalize('NFKC').replace(DASHES, '-').replace(LONG_VOWEL_BETWEEN_DIGITS, '-').trim();
}

export type CancelColumnKey = 'contractNo' | 'productCode' | 'subscriptionId' | 'serialNo' | 'cancelQuantity' | 'endDate' | 'requestId' | 'note';

/** The cancellation input of cli.md: only the contract number is required. */
export const CANCEL_COLUMNS = [
  { key: 'contractNo', aliases: ['契約番号', 'contract_no', 'contract_number'], required: true },
  { key: 'productCode', aliases: ['商品コード', 'product_code'], required: false },
  { key: 'subscriptionId', aliases: ['サブスクリプションID', 'subscription_id'], required: false },
  { key: 'serialNo', aliases: ['シリアル番号', 'シリアル', '解約シリアル', 'serial_no', 'serial'], required: false },
  { key: 'cancelQuantity', aliases: ['解約数', '解約数量', 'cancel_quantity', 'cancel_qty'], required: false },
  { key: 'endDate', aliases: ['契約終了日', '終了日', 'end_date'], required: false },
  { key: 'requestId', aliases: ['依頼番号', 'request_id'], required: false },
  { key: 'note', aliases: ['備考', 'note', 'memo'], required: false },
] as const satisfies readonly ColumnSpec<CancelColumnKey>[];

export type ContractImportColumnKey =
  | 'contractNo'
  | 'contractDate'
  | 'startDate'
  | 'endDate'
  | 'subject'
  | 'customer'
  | 'endUser'
  | 'billTo'
  | 'shipTo'
  | 'supplier'
  | 'productCode'
  | 'productName'
  | 'subscriptionId'
  | 'quantity'
  | 'unitPrice'
  | 'plan'
  | 'billingModel'
  | 'isTrial'
  | 'serials';

/**
 * The `contracts import` input: English names from cli.md, Japanese ones from the portal
 * glossary, with the variants the portal's own screens use (販売先・顧客(会社名), 仕入元).
 * Required are the columns without which a line cannot be cancelled or priced: the
 * contract, its start date (the end date is checked against it), and the line's product
 * name, quantity and unit price. Everything else may be blank: the portal leaves
 * end_user, bill_to and the like empty on many contracts, and a line without a product
 * code or subscription id is still found by 全選択.
 */
export const CONTRACT_IMPORT_COLUMNS = [
  { key: 'contractNo', aliases: ['契約番号', 'contract_no'], required: true },
  { key: 'contractDate', aliases: ['契約日', 'contract_date'], required: false },
  { key: 'startDate', aliases: ['契約開始日', 'start_date'], required: true },
  { key: 'endDate', aliases: ['契約終了日', 'end_date'], required: false },
  { key: 'subject', aliases: ['件名', 'subject'], required: false },
  { key: 'customer', aliases: ['販売先', '顧客', '顧客(会社名)', '販売先・顧客', '販売先・顧客(会社名)', 'customer'], required: false },
  { key: 'endUser', aliases: ['利用者', 'end_user'], required: false },
  { key: 'billTo', aliases: ['請求先', 'bill_to'], required: false },
  { key: 'shipTo', aliases: ['配送先', 'ship_to'], required: false },
  { key: 'supplier', aliases: ['提供元', '仕入元', 'supplier'], required: false },
  { key: 'productCode', aliases: ['商品コード', 'product_code'], required: false },
  { key: 'productName', aliases: ['商品名', 'product_name'], required: true },
  { key: 'subscriptionId', aliases: ['サブスクリプションID', 'subscription_id'], required: false },
  { key: 'quantity', aliases: ['数量', 'quantity'], required: true },
  { key: 'unitPrice', aliases: ['単価', 'unit_price'], required: true },
  { key: 'plan', aliases: ['標準月額プラン', 'プラン', 'plan'], required: false },
  { key: 'billingModel', aliases: ['課金モデル', 'billing_model'], required: false },
  { key: 'isTrial', aliases: ['トライアル', 'トライアル商品', 'is_trial'], required: false },
  { key: 'serials', aliases: ['シリアル', '契約シリアル', 'serials'], required: false },
] as const satisfies readonly ColumnSpec<ContractImportColumnKey>[];

/**
 * A header cell holding a control character (a NUL byte, say) is refused with the whole
 * file: it names no column as written, so it would be "unknown" and its values dropped,
 * and a dropped 解約数 reads as "cancel all that remains".
 */
export function refuseUnreadableHeader(fields: readonly string[]): void {
  const bad = fields.flatMap((cell, i) => (/[\u0000-\u0008\u000A-\u001F\u007F]/.test(cell) ? [i + 1] : []));
  if (bad.length === 0) return;
  const columns = bad.map((i) => say('csv.headerColumn', { column: i, cell: JSON.stringify(fields[i - 1]) }));
  throw new KaiyakuError('HEADER_UNREADABLE', say('csv.headerControlCharacter', { columns: joinWords(columns, LIST_SEPARATOR) }));
}
