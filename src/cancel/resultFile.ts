import path from 'node:path';
import { closeTogether, openCsvWriter, type Cell, type CsvWriter, type OutputEncoding } from '../csv/write.js';
import type { Lang } from '../domain/codes.js';
import { LINKAGE_STATUS_LABEL, ORDER_STATUS_LABEL, type Stage } from '../domain/types.js';
import { type Store, type OrderView, type ReportedRow } from '../store/index.js';
import type { ResultRowView, RowViewSink } from '../pipeline/context.js';
import { cancelCellReader } from './intake.js';
import { ROW_RESULT_LABEL, rowResult, type RowResult, type RowView } from './results.js';
import { say } from '../messages/index.js';
import { RESULT_COLUMNS } from '../messages/columns.js';

export { RESULT_COLUMNS };

/** `nov.csv` → `nov`: the name a run's reports are named after. */
function reportBase(inputPath: string): string {
  return path.basename(inputPath).replace(/\.csv$/i, '');
}

export function reportPaths(inputPath: string, reportsDir: string | null, baseName: string | null = null): { result: string; errors: string } {
  const dir = reportsDir ?? path.dirname(inputPath);
  const base = baseName ?? reportBase(inputPath);
  return { result: path.join(dir, `${base}.result.csv`), errors: path.join(dir, `${base}.errors.csv`) };
}

/** Where one input's reports go; `reportsDir` and `reportName` are what CancelOptions takes. */
export interface ReportPlan {
  result: string;
  errors: string;
  reportsDir: string;
  reportName: string;
}

/**
 * The report names of one command's input files, chosen before anything runs so that no
 * report overwrites another report of the same command or one of its inputs:
 *
 * - An input whose natural reports (`nov.csv` → `nov.result.csv` and `nov.errors.csv`,
 *   beside it or in `reportsDir`) collide with nothing keeps them, exactly as always.
 * - Inputs whose natural reports would be the same files (`tokyo/nov.csv` and
 *   `osaka/nov.csv` with `--reports out`) are named after their folders when those
 *   folders' names tell them apart: `out/tokyo-nov.result.csv`, `out/osaka-nov.result.csv`.
 * - Otherwise (the same folder name twice, or an input whose report would overwrite
 *   another input, e.g. `nov.csv` given with `nov.result.csv`) they are numbered in the
 *   order given: `nov`, `nov-2`, `nov-3`…, the first free name, as is any folder-named
 *   report whose name is taken (`tokyo-nov-2`).
 *
 * Names are compared as the file system may see them: resolved, Unicode NFC and case
 * folded (macOS and Windows do not tell `Nov.csv` from `nov.csv`). Pure: only the names
 * given are looked at, never the disk, so the same command always picks the same names and
 * running it again replaces its own reports. Reports left in `reportsDir` by an earlier
 * command are replaced as always (the nightly inbox adds a time stamp instead).
 */
export function planReportPaths(files: readonly string[], reportsDir: string | null): ReportPlan[] {
  const key = (p: string): string => path.resolve(p).normalize('NFC').toLowerCase();
  const dirOf = (file: string): string => reportsDir ?? path.dirname(file);
  const pathsOf = (file: string, name: string) => reportPaths(file, dirOf(file), name);
  const inputs = new Set(files.map(key));

  // Inputs grouped by the result file they would naturally get.
  const groups = new Map<string, number[]>();
  files.forEach((file, i) => {
    const k = key(pathsOf(file, reportBase(file)).result);
    groups.set(k, [...(groups.get(k) ?? []), i]);
  });
  const clashes = (i: number): boolean => {
    const natural = pathsOf(files[i]!, reportBase(files[i]!));
    return groups.get(key(natural.result))!.length > 1 || inputs.has(key(natural.result)) || inputs.has(key(natural.errors));
  };

  const taken = new Set(inputs);
  const plans: (ReportPlan | undefined)[] = files.map(() => undefined);
  const assign = (i: number, name: string): void => {
    const file = files[i]!;
    const paths = pathsOf(file, name);
    taken.add(key(paths.result));
    taken.add(key(paths.errors));
    plans[i] = { ...paths, reportsDir: dirOf(file), reportName: name };
  };
  const free = (i: number, name: string): boolean => {
    const paths = pathsOf(files[i]!, name);
    return !taken.has(key(paths.result)) && !taken.has(key(paths.errors));
  };

  files.forEach((file, i) => {
    if (!clashes(i)) assign(i, reportBase(file));
  });
  for (const members of groups.values()) {
    const open = members.filter(clashes);
    if (open.length === 0) continue;
    const folders = open.map((i) => path.basename(path.dirname(path.resolve(files[i]!))));
    const byFolder = open.length > 1 && folders.every((f) => f !== '') && new Set(folders.map((f) => f.normalize('NFC').toLowerCase())).size === open.length;
    if (byFolder) {
      open.forEach((i, k) => {
        const wanted = `${folders[k]!}-${reportBase(files[i]!)}`;
        let name = wanted;
        for (let n = 2; !free(i, name); n++) name = `${wanted}-${n}`;
        assign(i, name);
      });
    } else {
      let n = 1;
      for (const i of open) {
        const base = reportBase(files[i]!);
        let name = base;
        for (; ; n++) {
          name = n === 1 ? base : `${base}-${n}`;
          if (free(i, name)) break;
        }
        n++;
        assign(i, name);
      }
    }
  }
  return plans.map((p) => p!);
}

export type ResultCounts = Record<RowResult, number>;

export type { ResultRowView, RowViewSink } from '../pipeline/context.js';

export function noResults(): ResultCounts {
  return { completed: 0, valid: 0, pending: 0, already_done: 0, refused: 0, failed: 0 };
}

/** A judged row with its order as it stands now, and what the row's result is. */
interface ViewedRow {
  row: ReportedRow;
  order: OrderView | undefined;
  view: RowView;
}

/** The run's rows in file order, a page at a time, each with its result read from its order as it stands now. */
async function* pagesOfRowResults(staging: Store, store: Store, runId: number, until: Stage, lang: Lang): AsyncGenerator<ViewedRow[]> {
  for await (const page of staging.runs.pagesOfRunRows(runId, lang)) {
    const orders = await store.orders.loadOrderViews(page.flatMap((r) => (r.order_id === null ? [] : [r.order_id])));
    yield page.map((r) => {
      const order = r.order_id === null ? undefined : orders.get(r.order_id);
      const lineIds = r.line_ids ? r.line_ids.split(',').map(Number) : null;
      const view: RowView =
        r.outcome === 'refused'
          ? { result: 'refused', linkage: null, errorCode: r.error_code as RowView['errorCode'], message: r.error_message ?? '' }
          : rowResult(r.outcome, until, order, lineIds, lang);
      return { row: r, order, view };
    });
  }
}

/**
 * The counts a run's reports would show, from the store, without writing them: what a
 * summary says of a run whose reports could not be written.
 */
export async function countRunResults(staging: Store, store: Store, runId: number, until: Stage): Promise<ResultCounts> {
  const counts = noResults();
  for await (const page of pagesOfRowResults(staging, store, runId, until, 'en')) for (const { view } of page) counts[view.result]++;
  return counts;
}

/**
 * Writes the result file (every data row, in input order) and the error file (the refused
 * and failed rows exactly as they came, plus the code and message), reading the rows a
 * page at a time and their orders as they stand now. Both are written under temporary
 * names and renamed only once both are complete: if either fails (a character the
 * encoding lacks, a full disk), neither final name is touched, and whatever reports an
 * earlier run left there stay as they were.
 */
export async function writeRunReports(
  staging: Store,
  store: Store,
  runId: number,
  header: readonly string[],
  options: {
    until: Stage;
    lang: Lang;
    encoding: OutputEncoding;
    resultPath: string;
    errorsPath: string;
    /** The option that chose `encoding`, named when a character cannot be written in it. */
    encodingOption?: string;
    /** Also hands each page of rows, as data, to the caller. */
    onRows?: RowViewSink | undefined;
  },
): Promise<ResultCounts> {
  const { lang } = options;
  const encodingOption = options.encodingOption ?? '--report-encoding';
  const counts = noResults();
  const result = await openCsvWriter({
    path: options.resultPath,
    encoding: options.encoding,
    encodingOption,
    what: say('cancel.resultFile'),
    header: RESULT_COLUMNS.map(([en, ja]) => (lang === 'ja' ? ja : en)),
  });
  let errors: CsvWriter;
  try {
    errors = await openCsvWriter({
      path: options.errorsPath,
      encoding: options.encoding,
      encodingOption,
      what: say('cancel.errorFile'),
      header: [...header, say('cancel.errorCode')[lang], say('cancel.errorMessage')[lang]],
    });
  } catch (error) {
    await result.abort();
    throw error;
  }
  try {
    const cellsOf = cancelCellReader(header);
    for await (const page of pagesOfRowResults(staging, store, runId, options.until, lang)) {
      const resultRows: Cell[][] = [];
      const errorRows: Cell[][] = [];
      const errorRowNos: number[] = [];
      const views: ResultRowView[] = [];
      for (const { row: r, order: o, view } of page) {
        const cells = cellsOf(r.fields);
        counts[view.result]++;
        const rowView: ResultRowView = {
          rowNo: r.row_no,
          // A row that could not be read whole was staged without a contract; show the number if its cell was readable.
          contractNo: r.contract_no || cells.contractNo,
          productCode: cells.productCode,
          subscriptionId: cells.subscriptionId,
          cancelQuantity: cells.cancelQuantity,
          result: view.result,
          orderNo: o?.orderNo ?? null,
          orderStatus: o?.status ?? null,
          linkageStatus: view.linkage,
          errorCode: view.errorCode ?? null,
          message: view.message,
        };
        if (options.onRows) views.push(rowView);
        resultRows.push([
          rowView.rowNo,
          rowView.contractNo,
          rowView.productCode,
          rowView.subscriptionId,
          rowView.cancelQuantity === '' ? '' : /^\d+$/.test(rowView.cancelQuantity) ? Number(rowView.cancelQuantity) : rowView.cancelQuantity,
          ROW_RESULT_LABEL[view.result][lang],
          rowView.orderNo ?? '',
          o ? ORDER_STATUS_LABEL[o.status][lang] : '',
          view.linkage ? LINKAGE_STATUS_LABEL[view.linkage][lang] : '',
          rowView.errorCode ?? '',
          rowView.message,
        ]);
        if (view.result === 'refused' || view.result === 'failed') {
          errorRows.push(errorFileRow(r.fields, header.length, view.errorCode ?? '', view.message));
          errorRowNos.push(r.row_no);
        }
      }
      await result.writeRows(
        resultRows,
        page.map(({ row }) => row.row_no),
      );
      await errors.writeRows(errorRows, errorRowNos);
      if (options.onRows) await options.onRows(views);
    }
  } catch (error) {
    await result.abort();
    await errors.abort();
    throw error;
  }
  // The two appear together or not at all; the error file first, so that a result file
  // present always has its run's error file beside it.
  await closeTogether([errors, result]);
  return counts;
}

/**
 * A refused row as it came, with its code and message under their own headers: a row
 * with fewer cells than the header is padded, and one with more keeps its extra cells
 * after the message, so nothing the operator typed is lost and nothing shifts columns.
 */
export function errorFileRow(fields: readonly string[], headerLength: number, code: string, message: string): Cell[] {
  const own = fields.slice(0, headerLength);
  while (own.length < headerLength) own.push('');
  return [...own, code, message, ...fields.slice(headerLength)];
}
