import { openCsvWriter, type Cell, type CsvWriter, type OutputEncoding } from '../csv/write.js';
import { type Words } from '../errors.js';
import type { Lang } from '../domain/codes.js';
import { orderAmounts } from '../domain/money.js';
import { CONTRACT_STATUS_LABEL, ORDER_KIND_LABEL, ORDER_STATUS_LABEL, type ContractStatus, type OrderStatus } from '../domain/types.js';
import { type Store } from '../store/index.js';
import { say } from '../messages/index.js';

export interface CsvOutput {
  out: string | undefined;
  encoding: OutputEncoding;
  lang: Lang;
}

export type Column = readonly [en: string, ja: string];
const header = (columns: readonly Column[], lang: Lang) => columns.map(([en, ja]) => (lang === 'ja' ? ja : en));

/**
 * A list's writer: with `--out` the file appears whole when the list is complete (a failure
 * midway, a database error say, leaves nothing under that name); without it, stdout.
 */
export function openListWriter(output: CsvOutput, columns: readonly Column[], what: Words, temporaryPath?: string): Promise<CsvWriter> {
  return openCsvWriter({
    path: output.out,
    encoding: output.encoding,
    encodingOption: '--encoding',
    what,
    header: header(columns, output.lang),
    temporaryPath,
  });
}

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

/** 契約一覧. `billable` is false for the rows the portal greys out: nothing left that bills. */
export async function writeContractList(store: Store, output: CsvOutput, filter: { status?: ContractStatus }): Promise<number> {
  const writer = await openListWriter(output, CONTRACT_LIST_COLUMNS, say('reports.theContractList'));
  let no = 0;
  try {
    for await (const page of store.lists.pagesOfContracts(filter)) {
      for (const c of page) {
        const own = c.lines;
        const billable = c.status === 'active' && own.some((l) => l.status === 'active' && l.quantity > 0);
        await writer.writeRow([
          ++no,
          CONTRACT_STATUS_LABEL[c.status][output.lang],
          c.contract_no,
          c.customer,
          own.map((l) => l.product_name).join(';'),
          c.subject,
          c.start_date,
          c.end_date,
          c.cancelled_on,
          billable,
        ]);
      }
    }
  } catch (error) {
    await writer.abort();
    throw error;
  }
  await writer.close();
  return no;
}

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

/** 契約変更一覧 with the amounts before and after, as the 契約変更 screen shows them. */
export async function writeOrderList(store: Store, output: CsvOutput, filter: { status?: OrderStatus }): Promise<number> {
  const writer = await openListWriter(output, ORDER_LIST_COLUMNS, say('reports.theOrderList'));
  let no = 0;
  try {
    for await (const page of store.lists.pagesOfOrders(filter)) {
      for (const o of page) {
        const own = o.lines;
        const { before, after } = orderAmounts(own);
        const row: Cell[] = [
          ++no,
          o.order_no,
          o.contract_no,
          ORDER_KIND_LABEL[o.kind][output.lang],
          ORDER_STATUS_LABEL[o.status][output.lang],
          o.applied_on,
          o.subject,
          o.customer,
          o.end_user,
          before.subtotal,
          before.tax,
          before.total,
          after.subtotal,
          after.tax,
          after.total,
          own.length,
          own.filter((l) => l.linked).length,
          o.updated_at,
          o.updated_by,
        ];
        await writer.writeRow(row);
      }
    }
  } catch (error) {
    await writer.abort();
    throw error;
  }
  await writer.close();
  return no;
}
