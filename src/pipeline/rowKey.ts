import { createHash } from 'node:crypto';
import { parseBusinessDate } from '../domain/dates.js';
import type { CancelCells } from './intake.js';

/**
 * What a row asks for, whatever file it came in, under whatever name, bytes or later
 * edits: its contract, the line it names, the serial, the quantity and the end date,
 * each in the form the rules compare (case folded where matching ignores case, digits
 * and dates normalised). The note is not part of it: fixing a comment is not a new
 * request. A row without a request id is known by this fingerprint, so an appended or
 * re-dropped file does not cancel its rows twice; a request id is bound to it, so a
 * reused id on a different row is a conflict, not "already done".
 */
export function rowFingerprint(cells: Pick<CancelCells, 'contractNo' | 'productCode' | 'subscriptionId' | 'serialNo' | 'cancelQuantity' | 'endDate'>): string {
  const quantity = /^\d+$/.test(cells.cancelQuantity) ? String(Number(cells.cancelQuantity)) : cells.cancelQuantity;
  const parts = [
    cells.contractNo.toUpperCase(),
    cells.productCode.toUpperCase(),
    cells.subscriptionId.toLowerCase(),
    cells.serialNo.toUpperCase(),
    quantity,
    parseBusinessDate(cells.endDate) ?? cells.endDate,
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}
