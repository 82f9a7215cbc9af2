import type { Knex } from 'knex';
import { openCsvWriter, type Cell, type CsvWriter, type OutputEncoding } from '../csv/write.js';
import { KaiyakuError, words, type Words } from '../errors.js';
import type { Lang } from '../domain/codes.js';
import { orderAmounts } from '../domain/money.js';
import { CONTRACT_STATUS_LABEL, ORDER_KIND_LABEL, ORDER_STATUS_LABEL, type ContractStatus, type OrderKind, type OrderStatus } from '../domain/types.js';
import { chunk, type Store } from '../store/connect.js';
import { groupBy } from '../store/contractRepository.js';
import {
  claimUnnotifiedSerials,
  countClaimedByOthers,
  freeDeadClaims,
  markClaimedNotified,
  newClaimHolder,
  pagesOfSerialRows,
  releaseClaim,
  renewClaim,
  type SerialExportRow,
} from '../store/serialExportRepository.js';

export interface CsvOutput {
  out: string | undefined;
  encoding: OutputEncoding;
  lang: Lang;
}

type Column = readonly [en: string, ja: string];
const header = (columns: readonly Column[], lang: Lang) => columns.map(([en, ja]) => (lang === 'ja' ? ja : en));

/**
 * A list's writer: with `--out` the file appears whole when the list is complete (a failure
 * midway, a database error say, leaves nothing under that name); without it, stdout.
 */
function openListWriter(output: CsvOutput, columns: readonly Column[], what: Words): Promise<CsvWriter> {
  return openCsvWriter({ path: output.out, encoding: output.encoding, encodingOption: '--encoding', what, header: header(columns, output.lang) });
}

/** Reads a table a page at a time by its id, so a list of any length streams. */
async function* pages<T>(query: () => Knex.QueryBuilder, keyColumn: string, pageSize = 1000): AsyncGenerator<T[]> {
  let after = 0;
  for (;;) {
    const page = (await query().where(keyColumn, '>', after).orderBy(keyColumn).limit(pageSize)) as (T & { id_key: number })[];
    if (page.length === 0) return;
    yield page;
    after = Number(page[page.length - 1]!.id_key);
  }
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
  const writer = await openListWriter(output, CONTRACT_LIST_COLUMNS, words('the contract list', '契約一覧'));
  let no = 0;
  try {
    const base = () => {
      const q = store.db('contracts').select('*', 'id as id_key');
      if (filter.status) q.where({ status: filter.status });
      return q;
    };
    for await (const page of pages<{ id: number; status: ContractStatus; contract_no: string; customer: string; subject: string; start_date: string; end_date: string | null; cancelled_on: string | null }>(base, 'id')) {
      const lines = await store.db('contract_lines').whereIn('contract_id', page.map((c) => c.id)).orderBy(['contract_id', 'line_no']).select('contract_id', 'product_name', 'status', 'quantity');
      const byContract = groupBy(lines as { contract_id: number; product_name: string; status: string; quantity: number }[], (l) => l.contract_id);
      for (const c of page) {
        const own = byContract.get(c.id) ?? [];
        const billable = c.status === 'active' && own.some((l) => l.status === 'active' && Number(l.quantity) > 0);
        await writer.writeRow([++no, CONTRACT_STATUS_LABEL[c.status][output.lang], c.contract_no, c.customer, own.map((l) => l.product_name).join(';'), c.subject, c.start_date, c.end_date, c.cancelled_on, billable]);
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
  const writer = await openListWriter(output, ORDER_LIST_COLUMNS, words('the order list', '契約変更一覧'));
  let no = 0;
  try {
    const base = () => {
      const q = store.db('change_orders as o').join('contracts as c', 'c.id', 'o.contract_id').select('o.*', 'o.id as id_key', 'c.contract_no', 'c.subject', 'c.customer', 'c.end_user');
      if (filter.status) q.where('o.status', filter.status);
      return q;
    };
    for await (const page of pages<{ id: number; order_no: string; contract_no: string; kind: OrderKind; status: OrderStatus; applied_on: string; subject: string; customer: string; end_user: string; updated_at: string; updated_by: string }>(base, 'o.id')) {
      const lines: { order_id: number; quantity_before: number; quantity_after: number; unit_price: number; linkage_status: string }[] = [];
      for (const ids of chunk(page.map((o) => o.id))) lines.push(...(await store.db('order_lines').whereIn('order_id', ids).select('order_id', 'quantity_before', 'quantity_after', 'unit_price', 'linkage_status')));
      const byOrder = groupBy(lines, (l) => l.order_id);
      for (const o of page) {
        const own = (byOrder.get(o.id) ?? []).map((l) => ({ quantityBefore: Number(l.quantity_before), quantityAfter: Number(l.quantity_after), unitPrice: Number(l.unit_price), linked: l.linkage_status === 'linked' }));
        const { before, after } = orderAmounts(own);
        const row: Cell[] = [++no, o.order_no, o.contract_no, ORDER_KIND_LABEL[o.kind][output.lang], ORDER_STATUS_LABEL[o.status][output.lang], o.applied_on, o.subject, o.customer, o.end_user,
          before.subtotal, before.tax, before.total, after.subtotal, after.tax, after.total, own.length, own.filter((l) => l.linked).length, o.updated_at, o.updated_by];
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

export interface SerialExportFilter {
  from?: string;
  to?: string;
  unnotified?: boolean;
  markNotified?: { by: string; at: string };
}

export interface SerialExportOutcome {
  /** Rows written. */
  rows: number;
  /** Unnotified rows of the range left out because another export was writing them at the time. */
  heldByOthers: number;
}

/** A claim not renewed for this long belongs to an export that stopped (killed on another host): its rows are taken back. */
export const EXPORT_CLAIM_LEASE_MS = 10 * 60_000;
const CLAIM_RENEW_MS = 60_000;

/**
 * 解約シリアル通知用CSV: one row per cancelled serial. Without markNotified it only reads.
 * With markNotified the export claims the unnotified rows of its range first, so that two
 * exports at once never write the same row (finance would notify it twice), writes the
 * file from what it claimed (plus, without `unnotified`, the rows already notified, which
 * the user asked for again), and marks the claimed rows notified only after the file is
 * complete and renamed into place. A failed download marks nothing and gives its rows back.
 */
export async function writeSerialExport(store: Store, output: CsvOutput, filter: SerialExportFilter): Promise<SerialExportOutcome> {
  const range = { from: filter.from, to: filter.to };
  const mark = filter.markNotified;
  if (!mark) {
    const writer = await openSerialWriter(output);
    const rows = await writeSerialRows(writer, pagesOfSerialRows(store.db, range, filter.unnotified ? { kind: 'unnotified' } : { kind: 'all' }));
    await writer.close();
    return { rows, heldByOthers: 0 };
  }
  await freeDeadClaims(store, new Date(Date.now() - EXPORT_CLAIM_LEASE_MS).toISOString());
  const holder = newClaimHolder();
  const claimed = await claimUnnotifiedSerials(store, holder, range, new Date().toISOString());
  // Renewed while the file is written: only a claim no longer renewed lapses.
  const renew = setInterval(() => void renewClaim(store.db, holder, new Date().toISOString()).catch(() => undefined), CLAIM_RENEW_MS);
  renew.unref();
  try {
    const heldByOthers = await countClaimedByOthers(store.db, holder, range);
    const writer = await openSerialWriter(output);
    const rows = await writeSerialRows(writer, pagesOfSerialRows(store.db, range, { kind: 'claimed', holder, notified: !filter.unnotified }), () => writer.seal());
    // Still ours once the file is whole: a claim that lapsed meanwhile may be another export's now.
    if ((await renewClaim(store.db, holder, new Date().toISOString())) !== claimed) {
      await writer.abort();
      throw claimLost();
    }
    await writer.close();
    clearInterval(renew);
    await markClaimedNotified(store, holder, mark, { from: filter.from ?? null, to: filter.to ?? null });
    return { rows, heldByOthers };
  } catch (error) {
    await releaseClaim(store, holder).catch(() => undefined);
    throw error;
  } finally {
    clearInterval(renew);
  }
}

function openSerialWriter(output: CsvOutput): Promise<CsvWriter> {
  return openListWriter(output, SERIAL_EXPORT_COLUMNS, words('the serial export', '解約シリアル通知用CSV'));
}

/** Writes the rows; `beforeEnd` runs once all are written (a file is sealed there). A failure removes the file. */
async function writeSerialRows(writer: CsvWriter, pages: AsyncGenerator<SerialExportRow[]>, beforeEnd?: () => Promise<void>): Promise<number> {
  let rows = 0;
  try {
    for await (const page of pages) {
      for (const s of page) {
        await writer.writeRow([s.cancelled_on, s.contract_no, s.order_no, s.customer, s.end_user, s.supplier, s.product_code, s.product_name, s.subscription_id, s.serial_no, Number(s.cancel_quantity), s.end_date]);
        rows += 1;
      }
    }
    if (beforeEnd) await beforeEnd();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return rows;
}

function claimLost(): KaiyakuError {
  return new KaiyakuError(
    'EXPORT_CLAIM_LOST',
    words(
      `the rows of this export were taken back while it was writing (its claim was not renewed for ${EXPORT_CLAIM_LEASE_MS / 60_000} minutes) and may be another export's now; no file was written and nothing was marked: run the export again`,
      `書き出し中にこのエクスポートの行の確保が解除されました（${EXPORT_CLAIM_LEASE_MS / 60_000} 分間更新されませんでした）。別のエクスポートが処理している可能性があります。ファイルは書き出さず、通知済にもしていません。もう一度エクスポートしてください`,
    ),
  );
}
