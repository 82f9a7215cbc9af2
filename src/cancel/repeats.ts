import path from 'node:path';
import { parseBusinessDate } from '../domain/dates.js';
import { idKey, serialKey } from '../domain/lineIdentity.js';
import type { DoneRequest } from '../domain/requestIdentity.js';
import type { IsoDate } from '../domain/types.js';
import { type Store, type OrderWithLines, type EvidenceRun } from '../store/index.js';
import { cancelCellReader, type CancelCells } from './intake.js';

/**
 * "A repeat or a new request: never guessed" (cli.md). A row without a request id that
 * asks for what an earlier row already got is the same request only where the evidence
 * says so: the earlier request's order was made or reported by a run R, within
 * `--repeat-days` calendar days of this run, and
 * (a) this file has R's file name (without folder and extension, case folded) and the row
 *     is at the same row number: the file re-saved, appended to, or fixed and dropped back;
 * (b) this file has the name of the error file R wrote: fixed and dropped back; or
 * (c) this file holds every row of R that made or reported an order, each as R had it or
 *     with its blank cells filled in (compared as the rules read cells; the note and the
 *     request id aside; in any order): a renamed or appended copy.
 * Otherwise it is a possible repeat (POSSIBLE_REPEAT), unless `--allow-repeat` makes it a
 * new request. An earlier row that got nothing (its lines were released: the supplier
 * refused them) is no reason to refuse a new one. The same bytes again are matched row by
 * row before this (runCancel.ts), within the same days.
 */
export interface RepeatOptions {
  /** This run's input file; null when it has no name of its own (standard input, a pipe): then only the same bytes are evidence. */
  file: string | null;
  /** This run in the store; null for a dry run, whose run lives in its scratch store. */
  storeRunId: number | null;
  /** Where this run's rows are staged, and their run there. */
  staging: Store;
  stagingRunId: number;
  header: readonly string[];
  appliedOn: IsoDate;
  repeatDays: number;
  allowRepeat: boolean;
}

export type RepeatVerdict =
  /** The same request again: the row reports the earlier row's order and lines. */
  | { kind: 'same'; done: DoneRequest }
  /** Nothing shows it is the same request: refused, naming the earlier order. */
  | { kind: 'possible_repeat'; done: DoneRequest; file: string };

/** A file as the rule compares names: its base name without extension, NFC, case folded. */
export function fileKey(file: string): string {
  return path
    .basename(file)
    .replace(/\.[^.]*$/, '')
    .normalize('NFC')
    .toLowerCase();
}

/** Whether a run of `runDate` is within `days` calendar days of `today` (`--repeat-days 0`: the same day). */
export function withinRepeatWindow(runDate: IsoDate, today: IsoDate, days: number): boolean {
  const elapsed = Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${runDate}T00:00:00Z`)) / 86_400_000);
  return elapsed <= days;
}

/** A row's cells in the form the rules compare, in a fixed order; the note and the request id left out. */
function comparable(cells: CancelCells): string[] {
  const quantity = /^\d+$/.test(cells.cancelQuantity) ? String(Number(cells.cancelQuantity)) : cells.cancelQuantity;
  return [
    cells.contractNo,
    idKey(cells.productCode),
    idKey(cells.subscriptionId),
    serialKey(cells.serialNo),
    quantity,
    parseBusinessDate(cells.endDate) ?? cells.endDate,
  ];
}

/** Whether a row, as this file has it, is an earlier row as written or with its blank cells filled in. */
function covers(mine: readonly string[], theirs: readonly string[]): boolean {
  return theirs.every((value, i) => value === '' || value === mine[i]);
}

/**
 * The judge's view of the rule for one run of a file: verdicts for a page of rows at a
 * time, with what it had to read (the runs, this file's rows, an earlier run's rows) kept
 * for the pages after.
 */
export function repeatJudge(store: Store, options: RepeatOptions) {
  const runs = new Map<number, EvidenceRun>();
  const holds = new Map<number, Promise<boolean>>();
  let thisFile: Promise<Map<string, string[][]>> | null = null;
  const name = options.file === null ? null : fileKey(options.file);

  const rowsOfThisFile = (): Promise<Map<string, string[][]>> =>
    (thisFile ??= options.staging.repeats.cellsOfRun(options.stagingRunId, 'all').then((all) => {
      const read = cancelCellReader(options.header);
      const byContract = new Map<string, string[][]>();
      for (const fields of all) {
        const row = comparable(read(fields));
        const same = byContract.get(row[0]!);
        if (same) same.push(row);
        else byContract.set(row[0]!, [row]);
      }
      return byContract;
    }));

  /**
   * (c): this file holds every row of the run that made or reported an order, and there
   * were at least two: one row found again in another file is a coincidence as often as a
   * copy (the same seat off the same line next month, or an error file of a later run), so
   * it is no evidence, and the row is POSSIBLE_REPEAT rather than silently done.
   */
  const holdsRowsOf = (run: EvidenceRun): Promise<boolean> => {
    let answer = holds.get(run.id);
    if (!answer) {
      answer = Promise.all([rowsOfThisFile(), store.repeats.cellsOfRun(run.id, 'with_order')]).then(([mine, theirs]) => {
        const read = cancelCellReader(run.header);
        return (
          theirs.length > 1 &&
          theirs.every((fields) => {
            const row = comparable(read(fields));
            return (mine.get(row[0]!) ?? []).some((own) => covers(own, row));
          })
        );
      });
      holds.set(run.id, answer);
    }
    return answer;
  };

  const errorFileKey = (run: EvidenceRun): string => (run.errorsFile ? fileKey(run.errorsFile) : `${fileKey(run.fileName)}.errors`);

  /** Whether a run's row of an order is evidence that this row is the same request. */
  const isEvidence = async (run: EvidenceRun, rowNo: number, thisRowNo: number): Promise<boolean> => {
    if (!withinRepeatWindow(run.appliedOn, options.appliedOn, options.repeatDays)) return false;
    // Standard input or a pipe: no name to compare, and rows that merely contain an earlier
    // file's rows are not evidence enough; only the same bytes again (judged before) are.
    if (name === null) return false;
    if (fileKey(run.fileName) === name && rowNo === thisRowNo) return true;
    // A piped run's error file has no name of its own either (every one is stdin.errors.csv).
    if (run.fileName !== '-' && errorFileKey(run) === name) return true;
    return holdsRowsOf(run);
  };

  return {
    /**
     * Verdicts for rows that ask for what earlier rows got (each with those requests,
     * latest first). A row without a verdict is a new request.
     */
    async decide(
      candidates: readonly { rowNo: number; requests: readonly DoneRequest[] }[],
      orders: ReadonlyMap<number, OrderWithLines>,
    ): Promise<Map<number, RepeatVerdict>> {
      const verdicts = new Map<number, RepeatVerdict>();
      if (candidates.length === 0) return verdicts;
      const naming = await store.repeats.rowsNamingOrders(
        candidates.flatMap((c) => c.requests.map((d) => d.orderId)),
        options.storeRunId,
      );
      const unknown = [...new Set([...naming.values()].flat().map((r) => r.runId))].filter((id) => !runs.has(id));
      for (const [id, run] of await store.repeats.loadEvidenceRuns(unknown)) runs.set(id, run);
      for (const { rowNo, requests } of candidates) {
        const same = await firstWithEvidence(requests, rowNo);
        if (same) {
          verdicts.set(rowNo, { kind: 'same', done: same });
          continue;
        }
        const standing = requests.find((d) => tookSomething(d, orders.get(d.orderId)));
        if (standing && !options.allowRepeat)
          verdicts.set(rowNo, { kind: 'possible_repeat', done: standing, file: path.basename(runs.get(standing.runId)?.fileName ?? '') });
      }
      return verdicts;

      async function firstWithEvidence(requests: readonly DoneRequest[], thisRowNo: number): Promise<DoneRequest | undefined> {
        for (const d of requests) {
          for (const { runId, rowNo } of naming.get(d.orderId) ?? []) {
            const run = runs.get(runId);
            if (run && (await isEvidence(run, rowNo, thisRowNo))) return d;
          }
        }
        return undefined;
      }
    },
  };
}

/** An earlier request got something unless its order was completed with every one of its lines released. */
function tookSomething(done: DoneRequest, order: OrderWithLines | undefined): boolean {
  if (!order || order.order.status !== 'completed') return true;
  return order.lines.some((l) => done.lineIds.includes(l.contractLineId) && l.cancelQuantity > 0);
}
