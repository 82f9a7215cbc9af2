import type { RowError, RowErrorCode } from './codes.js';
import { say, type Said } from '../messages/index.js';
import { explainDateProblem, readBusinessDate } from './dates.js';
import { namesLine } from './lineIdentity.js';
import type { Contract, ContractLine, IsoDate, Serial } from './types.js';

/**
 * The portal's cancellation rules as small checks that collect problems per row; a
 * refused row is data for the result file, never an exception.
 */

/** A data row after normalisation (NFKC, trimmed), before it meets the store. */
export interface CancelRow {
  row: number;
  contractNo: string;
  productCode: string;
  subscriptionId: string;
  serialNo: string;
  /** null: all that remains on the line. */
  cancelQuantity: number | null;
  /** null: none given in the row. */
  endDate: IsoDate | null;
  requestId: string;
  note: string;
}

export type RawCancelFields = Partial<
  Record<'contractNo' | 'productCode' | 'subscriptionId' | 'serialNo' | 'cancelQuantity' | 'endDate' | 'requestId' | 'note', string>
>;

const err = (code: RowErrorCode, detail?: Said): RowError => (detail === undefined ? { code } : { code, detail });
/** A value of the row, quoted as it came. */
const quoted = (value: string): Said => say('domain.quotedValue', { value });

/** Checks that need no store: required value, quantity and date forms. */
export function parseCancelRow(row: number, fields: RawCancelFields): { ok: true; value: CancelRow } | { ok: false; error: RowError; contractNo: string } {
  const contractNo = fields.contractNo ?? '';
  if (contractNo === '') return { ok: false, contractNo, error: err('MALFORMED_ROW', say('domain.contractNumberEmpty')) };
  const quantityText = fields.cancelQuantity ?? '';
  let cancelQuantity: number | null = null;
  if (quantityText !== '') {
    const n = /^\d+$/.test(quantityText) ? Number(quantityText) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1) {
      return { ok: false, contractNo, error: err('QUANTITY_INVALID', quoted(quantityText)) };
    }
    cancelQuantity = n;
  }
  const dateText = fields.endDate ?? '';
  let endDate: IsoDate | null = null;
  if (dateText !== '') {
    const reading = readBusinessDate(dateText);
    if (!reading.ok) {
      const why = explainDateProblem(dateText, reading);
      return { ok: false, contractNo, error: err('DATE_INVALID', why) };
    }
    endDate = reading.date;
  }
  return {
    ok: true,
    value: {
      row,
      contractNo,
      productCode: fields.productCode ?? '',
      subscriptionId: fields.subscriptionId ?? '',
      serialNo: fields.serialNo ?? '',
      cancelQuantity,
      endDate,
      requestId: fields.requestId ?? '',
      note: fields.note ?? '',
    },
  };
}

/** What the rules read of a line: no names, plans or prices beyond the unit price. */
export interface SnapshotLine extends Pick<
  ContractLine,
  'id' | 'contractId' | 'productCode' | 'subscriptionId' | 'quantity' | 'unitPrice' | 'isTrial' | 'status'
> {
  serials: readonly Serial[];
  /** Another open (requested/accepted) cancellation order already holds this line. */
  heldByOpenOrder: boolean;
}

export interface ContractSnapshot {
  contract: Pick<Contract, 'id' | 'contractNo' | 'status' | 'startDate'>;
  lines: readonly SnapshotLine[];
}

export interface PlannedLine {
  lineId: number;
  quantityBefore: number;
  cancelQuantity: number;
  unitPrice: number;
  /** Serials to cancel; every active one of the line when it is cancelled in full. */
  serialIds: number[];
}

export interface GroupPlan {
  contractId: number;
  endDate: IsoDate;
  note: string;
  lines: PlannedLine[];
  /** Contract line ids each row covers, for the row's linkage status. */
  rowLines: Map<number, number[]>;
}

export type GroupVerdict = { ok: true; plan: GroupPlan } | { ok: false; errors: Map<number, RowError> };

export interface RuleContext {
  /** The application date of orders created now (JST business day of the run). */
  appliedOn: IsoDate;
  /** `--end-date`, else the run date. */
  defaultEndDate: IsoDate;
}

interface RowTarget {
  row: CancelRow;
  line: SnapshotLine;
  /** Units this row cancels on the line. */
  quantity: number;
  serial: Serial | null;
}

type Resolved = { ok: true; targets: RowTarget[] } | { ok: false; error: RowError };

/** Lines a row points at, and how much of each, or the first rule it breaks. */
function resolveRow(row: CancelRow, snapshot: ContractSnapshot): Resolved {
  const { lines } = snapshot;
  const fail = (error: RowError): Resolved => ({ ok: false, error });
  // Codes and subscription ids (GUIDs at Microsoft) are matched regardless of case, as the
  // import matches them (domain/lineIdentity.ts): an operator's `o365-e1` means the line
  // registered as `O365-E1`.
  const matchesIds = (l: SnapshotLine) => namesLine(row, l);

  if (row.serialNo !== '') {
    const owner = lines.find((l) => matchesIds(l) && l.serials.some((s) => s.serialNo === row.serialNo));
    const serial = owner?.serials.find((s) => s.serialNo === row.serialNo);
    if (!owner || !serial || serial.status !== 'active') return fail(err('SERIAL_NOT_FOUND', quoted(row.serialNo)));
    if (owner.status !== 'active') return fail(err('LINE_NOT_ACTIVE'));
    if (row.cancelQuantity !== null && row.cancelQuantity !== 1) {
      return fail(err('QUANTITY_INVALID', say('domain.serialRowCancelsOne')));
    }
    return checkLine(row, owner, 1, serial);
  }

  if (row.productCode !== '' || row.subscriptionId !== '') {
    const candidates = lines.filter(matchesIds);
    if (candidates.length === 0) return fail(err('LINE_NOT_FOUND', say('domain.lineIds', { ids: describeIds(row) })));
    const open = candidates.filter((l) => l.status === 'active');
    if (open.length === 0) return fail(err('LINE_NOT_ACTIVE'));
    // A line at quantity 0 has nothing left to cancel: it is not a target.
    const active = open.filter(hasSeats);
    if (active.length === 0) return fail(noSeats());
    if (active.length > 1) return fail(err('LINE_AMBIGUOUS', say('domain.linesMatch', { lines: active.length, ids: describeIds(row) })));
    const line = active[0]!;
    return checkLine(row, line, row.cancelQuantity ?? line.quantity, null);
  }

  const open = lines.filter((l) => l.status === 'active');
  if (open.length === 0) return fail(err('CONTRACT_NOT_ACTIVE'));
  // 全選択 takes the lines that have seats left; a contract whose lines are all at 0 has nothing to cancel.
  const active = open.filter(hasSeats);
  if (active.length === 0) return fail(noSeats());
  if (row.cancelQuantity !== null) {
    if (active.length > 1) return fail(err('LINE_AMBIGUOUS', say('domain.quantityNeedsOneLine', { lines: active.length })));
    return checkLine(row, active[0]!, row.cancelQuantity, null);
  }
  // 全選択: every active line, which a trial product forbids (at any quantity: it is still on the contract).
  if (open.some((l) => l.isTrial)) return fail(err('TRIAL_BLOCKS_FULL_CANCEL'));
  const targets: RowTarget[] = [];
  for (const line of active) {
    const checked = checkLine(row, line, line.quantity, null);
    if (!checked.ok) return checked;
    targets.push(...checked.targets);
  }
  return { ok: true, targets };
}

function hasSeats(line: SnapshotLine): boolean {
  return line.quantity > 0;
}

function noSeats(): RowError {
  return err('LINE_NOT_ACTIVE', say('domain.noActiveSeats'));
}

function checkLine(row: CancelRow, line: SnapshotLine, quantity: number, serial: Serial | null): Resolved {
  if (line.isTrial) return { ok: false, error: err('TRIAL_LINE') };
  // Whatever path led here (a serial row on a line at 0, say): nothing to cancel is no target.
  if (!hasSeats(line) || quantity < 1) return { ok: false, error: noSeats() };
  if (line.heldByOpenOrder) return { ok: false, error: err('LINE_HAS_OPEN_ORDER') };
  if (quantity > line.quantity) {
    return { ok: false, error: err('QUANTITY_EXCEEDS_REMAINING', say('domain.quantityOverRemaining', { quantity, remaining: line.quantity })) };
  }
  const serialManaged = line.serials.some((s) => s.status === 'active');
  if (serialManaged && serial === null && quantity < line.quantity) return { ok: false, error: err('SERIAL_REQUIRED') };
  return { ok: true, targets: [{ row, line, quantity, serial }] };
}

function describeIds(row: CancelRow): string {
  return [row.productCode, row.subscriptionId].filter((v) => v !== '').join(' / ');
}

/**
 * Judges all rows of one file that name one contract. They become one order with one
 * end date, or, if any row is refused, none of them is done (CONTRACT_GROUP_REFUSED).
 */
export function validateContractGroup(rows: readonly CancelRow[], snapshot: ContractSnapshot | undefined, ctx: RuleContext): GroupVerdict {
  const errors = new Map<number, RowError>();
  if (!snapshot) {
    for (const r of rows) errors.set(r.row, err('CONTRACT_NOT_FOUND', quoted(r.contractNo)));
    return { ok: false, errors };
  }
  const { contract } = snapshot;
  if (contract.status !== 'active') {
    for (const r of rows) errors.set(r.row, err('CONTRACT_NOT_ACTIVE'));
    return { ok: false, errors };
  }

  const explicitDates = new Set(rows.map((r) => r.endDate).filter((d): d is IsoDate => d !== null));
  // Rows without a date take the one their contract's other rows give; only two different given dates conflict.
  const endDate = explicitDates.size === 1 ? [...explicitDates][0]! : ctx.defaultEndDate;

  const targets: RowTarget[] = [];
  const seenLines = new Map<number, 'whole' | Set<string>>();
  for (const row of rows) {
    const resolved = resolveRow(row, snapshot);
    if (!resolved.ok) {
      errors.set(row.row, resolved.error);
      continue;
    }
    const dateError =
      explicitDates.size > 1
        ? err('END_DATE_CONFLICT', say('domain.endDates', { dates: [...explicitDates].sort().join(' / ') }))
        : checkEndDate(endDate, contract, ctx);
    if (dateError) {
      errors.set(row.row, dateError);
      continue;
    }
    const duplicate = resolved.targets.some((t) => {
      const seen = seenLines.get(t.line.id);
      if (seen === undefined) return false;
      return seen === 'whole' || t.serial === null || seen.has(t.serial.serialNo);
    });
    if (duplicate) {
      errors.set(row.row, err('DUPLICATE_ROW'));
      continue;
    }
    for (const t of resolved.targets) {
      if (t.serial === null) seenLines.set(t.line.id, 'whole');
      else {
        const seen = seenLines.get(t.line.id);
        if (seen instanceof Set) seen.add(t.serial.serialNo);
        else seenLines.set(t.line.id, new Set([t.serial.serialNo]));
      }
    }
    targets.push(...resolved.targets);
  }

  if (errors.size === 0) {
    const plan = assemblePlan(targets, contract, endDate, rows);
    if (plan.ok) return plan;
    for (const [row, e] of plan.errors) errors.set(row, e);
  }
  for (const r of rows) if (!errors.has(r.row)) errors.set(r.row, err('CONTRACT_GROUP_REFUSED'));
  return { ok: false, errors };
}

function checkEndDate(endDate: IsoDate, contract: ContractSnapshot['contract'], ctx: RuleContext): RowError | null {
  if (endDate < contract.startDate) return err('END_DATE_BEFORE_START', say('domain.dateBefore', { date: endDate, limit: contract.startDate }));
  if (endDate < ctx.appliedOn) return err('END_DATE_BEFORE_APPLIED', say('domain.dateBefore', { date: endDate, limit: ctx.appliedOn }));
  return null;
}

function assemblePlan(targets: readonly RowTarget[], contract: ContractSnapshot['contract'], endDate: IsoDate, rows: readonly CancelRow[]): GroupVerdict {
  const byLine = new Map<number, { line: SnapshotLine; quantity: number; serials: Serial[]; rows: number[] }>();
  const rowLines = new Map<number, number[]>();
  for (const t of targets) {
    const entry = byLine.get(t.line.id) ?? { line: t.line, quantity: 0, serials: [], rows: [] };
    entry.quantity += t.quantity;
    if (t.serial) entry.serials.push(t.serial);
    entry.rows.push(t.row.row);
    byLine.set(t.line.id, entry);
    rowLines.set(t.row.row, [...(rowLines.get(t.row.row) ?? []), t.line.id]);
  }
  const errors = new Map<number, RowError>();
  const lines: PlannedLine[] = [];
  for (const { line, quantity, serials, rows: lineRows } of byLine.values()) {
    if (quantity > line.quantity) {
      for (const r of lineRows) errors.set(r, err('QUANTITY_EXCEEDS_REMAINING', say('domain.totalOverRemaining', { quantity, remaining: line.quantity })));
      continue;
    }
    const activeSerials = line.serials.filter((s) => s.status === 'active');
    const serialIds = serials.length > 0 ? serials.map((s) => s.id) : quantity === line.quantity ? activeSerials.map((s) => s.id) : [];
    lines.push({ lineId: line.id, quantityBefore: line.quantity, cancelQuantity: quantity, unitPrice: line.unitPrice, serialIds });
  }
  if (errors.size > 0) return { ok: false, errors };
  const note = rows
    .map((r) => r.note)
    .filter((n) => n !== '')
    .join(' / ');
  return { ok: true, plan: { contractId: contract.id, endDate, note, lines, rowLines } };
}
