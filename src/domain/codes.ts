/**
 * Row-level error codes of cli.md, in one `as const` object so that the type and the
 * list cannot drift. Messages are the plain words an operator reads in the result file.
 */
import { ROW_ERROR, type Lang, type Said, type Words } from '../messages/index.js';

export { ROW_ERROR, type Lang };
export type RowErrorCode = keyof typeof ROW_ERROR;
export const ROW_ERROR_CODES = Object.keys(ROW_ERROR) as RowErrorCode[];

export interface RowError {
  code: RowErrorCode;
  /** Specific words for this row (values, limits), from the book (the store keeps its key and parameters); the generic message is used when absent. */
  detail?: Said;
}

export function describeRowError(error: { code: RowErrorCode; detail?: Words }, lang: Lang): string {
  const base = ROW_ERROR[error.code][lang];
  return error.detail ? `${base}: ${error.detail[lang]}` : base;
}
