import type { CancelRow, ContractSnapshot, GroupPlan, SnapshotLine } from './cancelRules.js';
import { namesLine, serialKey } from './lineIdentity.js';
import type { IsoDate } from './types.js';

/**
 * What a done row asked for, in resolved form: the contract lines it covered, the serial,
 * the quantity and the end date as they took effect, not the cells as written. An
 * operator who fills in a blank cell (the line's subscription id, the date the blank end
 * date stood for) asks for the same thing; so does one who writes nothing where a number
 * stood for "all that remained". Pure: no I/O here.
 */
export interface DoneRequest {
  /** The record's own id in the store: later records have higher ids. */
  id: number;
  orderId: number;
  runId: number;
  rowNo: number;
  contractId: number;
  /** The contract lines the row covered, ascending. */
  lineIds: number[];
  /** The serial the row named (as serialKey compares it), '' for none. */
  serialNo: string;
  /** Its lines were every line of the contract that had seats then: what 全選択 would have taken. */
  wholeContract: boolean;
  /** Units it cancelled, when it covered one line; null when it covered several. */
  quantity: number | null;
  /** It took all that remained on each of its lines (a blank 解約数, or the number that remained). */
  tookAll: boolean;
  /** The end date its order took. */
  endDate: IsoDate;
  /** Whether the row gave that date (false: the default of its run applied). */
  endDateGiven: boolean;
  requestId: string;
}

export type DoneRequestFields = Omit<DoneRequest, 'id' | 'orderId' | 'runId'>;

/** The resolved form of a row that made an order, from the plan that order was made of. */
export function describeDoneRow(row: CancelRow, plan: GroupPlan, snapshot: ContractSnapshot): DoneRequestFields {
  const lineIds = [...(plan.rowLines.get(row.row) ?? [])].sort((a, b) => a - b);
  const serialNo = row.serialNo === '' ? '' : serialKey(row.serialNo);
  const before = lineIds.length === 1 ? plan.lines.find((l) => l.lineId === lineIds[0])?.quantityBefore : undefined;
  const withSeats = snapshot.lines
    .filter((l) => l.status === 'active' && l.quantity > 0)
    .map((l) => l.id)
    .sort((a, b) => a - b);
  return {
    rowNo: row.row,
    contractId: plan.contractId,
    lineIds,
    serialNo,
    wholeContract: serialNo === '' && withSeats.length === lineIds.length && withSeats.every((id, i) => id === lineIds[i]),
    quantity: lineIds.length !== 1 ? null : serialNo !== '' ? 1 : (row.cancelQuantity ?? before ?? null),
    tookAll: serialNo === '' && (row.cancelQuantity === null || row.cancelQuantity === before),
    endDate: plan.endDate,
    endDateGiven: row.endDate !== null,
    requestId: row.requestId,
  };
}

/**
 * Whether a row asks for what a done row asked for. The row is read against the lines as
 * they are now, by their identity (lineIdentity.ts), not by the rules for active lines: a
 * line that the earlier row cancelled is still the line this row names. In turn:
 * - lines: a serial row names the same serial on a line it names; a row naming a product
 *   code or subscription id names the one line the earlier row covered; a row naming no
 *   line (全選択, or the contract's one line) matches an earlier row that covered every
 *   line with seats then;
 * - quantity: a blank agrees with an earlier row that took all that remained; a number
 *   agrees with the units the earlier row cancelled (given, or what its blank stood for);
 * - end date: a blank agrees with a blank, and with the date this run's default gives; a
 *   date agrees with the date the earlier row's order took (given, or its default).
 */
export function asksForTheSame(row: CancelRow, done: DoneRequest, lines: ReadonlyMap<number, SnapshotLine>, defaultEndDate: IsoDate): boolean {
  return sameLines(row, done, lines) && sameQuantity(row, done) && sameEndDate(row, done, defaultEndDate);
}

function sameLines(row: CancelRow, done: DoneRequest, lines: ReadonlyMap<number, SnapshotLine>): boolean {
  const names = row.productCode !== '' || row.subscriptionId !== '';
  if (row.serialNo === '' && !names) return done.serialNo === '' && done.wholeContract;
  if (done.lineIds.length !== 1) return false;
  const line = lines.get(done.lineIds[0]!);
  if (!line || !namesLine(row, line)) return false;
  return row.serialNo === '' ? done.serialNo === '' : done.serialNo === serialKey(row.serialNo);
}

function sameQuantity(row: CancelRow, done: DoneRequest): boolean {
  // A serial row cancels its one unit: only a blank or 1 is valid there.
  if (done.serialNo !== '') return row.cancelQuantity === null || row.cancelQuantity === 1;
  return row.cancelQuantity === null ? done.tookAll : done.quantity === row.cancelQuantity;
}

function sameEndDate(row: CancelRow, done: DoneRequest, defaultEndDate: IsoDate): boolean {
  if (row.endDate !== null) return row.endDate === done.endDate;
  return !done.endDateGiven || done.endDate === defaultEndDate;
}

/** The done requests a row asks for again, the latest first. */
export function earlierRequestsOf(row: CancelRow, snapshot: ContractSnapshot, done: readonly DoneRequest[], defaultEndDate: IsoDate): DoneRequest[] {
  const lines = new Map(snapshot.lines.map((l) => [l.id, l]));
  return done.filter((d) => asksForTheSame(row, d, lines, defaultEndDate)).sort((a, b) => b.id - a.id);
}
