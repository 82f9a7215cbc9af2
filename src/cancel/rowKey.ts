import { createHash } from 'node:crypto';
import { parseBusinessDate } from '../domain/dates.js';
import type { CancelCells } from './intake.js';

/**
 * The cells of a row as the rules compare them (case folded where matching ignores case,
 * digits and dates normalised): its contract, the line it names, the serial, the quantity
 * and the end date. The note is not part of it: fixing a comment is not a new request. A
 * request id is bound to the fingerprint of the row it first came with, so a reused id on
 * a different row is a conflict, not "already done". Rows without a request id are known
 * by what they resolved to instead (domain/requestIdentity.ts), so that a blank cell filled
 * in later is still the same request.
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
