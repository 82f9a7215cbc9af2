import { openCsvWriter, type Cell, type CsvWriter, type OutputEncoding } from '../csv/write.js';
import { type Words } from '../errors.js';
import type { Lang } from '../domain/codes.js';
import { orderAmounts } from '../domain/money.js';
import { CONTRACT_STATUS_LABEL, ORDER_KIND_LABEL, ORDER_STATUS_LABEL, type ContractStatus, type OrderStatus } from '../domain/types.js';
import { type Store } from '../store/index.js';
import { say } from '../messages/index.js';
import { CONTRACT_LIST_COLUMNS, ORDER_LIST_COLUMNS, type Column } from '../messages/columns.js';

export { CONTRACT_LIST_COLUMNS, ORDER_LIST_COLUMNS, type Column };

export interface CsvOutput {
  out: string | undefined;
  encoding: OutputEncoding;
  lang: Lang;
}

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

/** 契約一覧. `billable` is false for the rows the portal greys out: nothing left that bills. */
export async function writeContractList(store: Store, output: CsvOutput, filter: { status?: ContractStatus }): Promise<number> {
  const writer = await openListWriter(output, CONTRACT_LIST_COLUMNS, say('reports.contractList'));
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

/** 契約変更一覧 with the amounts before and after, as the 契約変更 screen shows them. */
export async function writeOrderList(store: Store, output: CsvOutput, filter: { status?: OrderStatus }): Promise<number> {
  const writer = await openListWriter(output, ORDER_LIST_COLUMNS, say('reports.orderList'));
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
