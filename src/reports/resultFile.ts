import path from 'node:path';
import { openCsvWriter, type Cell, type OutputEncoding } from '../csv/write.js';
import type { Lang } from '../domain/codes.js';
import { LINKAGE_STATUS_LABEL, ORDER_STATUS_LABEL, type Stage } from '../domain/types.js';
import type { Store } from '../store/connect.js';
import { loadOrderViews } from '../store/orderRepository.js';
import { pagesOfRunRows } from '../store/runRepository.js';
import { cancelCellReader } from '../pipeline/intake.js';
import { ROW_RESULT_LABEL, rowResult, type RowResult } from '../pipeline/results.js';

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

export function reportPaths(inputPath: string, reportsDir: string | null, baseName: string | null = null): { result: string; errors: string } {
  const dir = reportsDir ?? path.dirname(inputPath);
  const base = baseName ?? path.basename(inputPath).replace(/\.csv$/i, '');
  return { result: path.join(dir, `${base}.result.csv`), errors: path.join(dir, `${base}.errors.csv`) };
}

export type ResultCounts = Record<RowResult, number>;

/**
 * Writes the result file (every data row, in input order) and the error file (the refused
 * and failed rows exactly as they came, plus the code and message), reading the rows a
 * page at a time and their orders as they stand now.
 */
export async function writeRunReports(
  staging: Store,
  store: Store,
  runId: number,
  header: readonly string[],
  options: { until: Stage; lang: Lang; encoding: OutputEncoding; resultPath: string; errorsPath: string },
): Promise<ResultCounts> {
  const { lang } = options;
  const counts: ResultCounts = { completed: 0, valid: 0, pending: 0, already_done: 0, refused: 0, failed: 0 };
  const result = await openCsvWriter({ path: options.resultPath, encoding: options.encoding, header: RESULT_COLUMNS.map(([en, ja]) => (lang === 'ja' ? ja : en)) });
  const errors = await openCsvWriter({
    path: options.errorsPath,
    encoding: options.encoding,
    header: [...header, lang === 'ja' ? 'エラーコード' : 'error_code', lang === 'ja' ? 'エラー内容' : 'error_message'],
  });
  try {
    const cellsOf = cancelCellReader(header);
    for await (const page of pagesOfRunRows(staging.db, runId, lang)) {
      const orders = await loadOrderViews(store.db, page.flatMap((r) => (r.order_id === null ? [] : [r.order_id])));
      const resultRows: Cell[][] = [];
      const errorRows: Cell[][] = [];
      for (const r of page) {
        const o = r.order_id === null ? undefined : orders.get(r.order_id);
        const lineIds = r.line_ids ? r.line_ids.split(',').map(Number) : null;
        const view =
          r.outcome === 'refused'
            ? { result: 'refused' as const, linkage: null, errorCode: r.error_code, message: r.error_message ?? '' }
            : rowResult(r.outcome, options.until, o, lineIds, lang);
        const cells = cellsOf(r.fields);
        counts[view.result]++;
        resultRows.push([
          r.row_no,
          r.contract_no,
          cells.productCode,
          cells.subscriptionId,
          cells.cancelQuantity === '' ? '' : /^\d+$/.test(cells.cancelQuantity) ? Number(cells.cancelQuantity) : cells.cancelQuantity,
          ROW_RESULT_LABEL[view.result][lang],
          o?.orderNo ?? '',
          o ? ORDER_STATUS_LABEL[o.status][lang] : '',
          view.linkage ? LINKAGE_STATUS_LABEL[view.linkage][lang] : '',
          view.errorCode ?? '',
          view.message,
        ]);
        if (view.result === 'refused' || view.result === 'failed') errorRows.push([...r.fields, view.errorCode ?? '', view.message]);
      }
      await result.writeRows(resultRows);
      await errors.writeRows(errorRows);
    }
  } finally {
    await result.close();
    await errors.close();
  }
  return counts;
}
