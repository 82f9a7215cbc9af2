/**
 * The book of words: every code, label and fixed message in Japanese and English. Front ends
 * (the CLI, the files, the web) render from here, so one thing is said one way.
 */
export { joinWords, LIST_SEPARATOR, words, type Lang, type Words } from './words.js';
export { ERROR, type ErrorKind } from './errors.js';
export { ROW_ERROR } from './rowErrors.js';
export { ORDER_REFUSAL } from './orderRefusals.js';
export * from './labels.js';
export { entry, type Entry, type Params, type Said } from './entry.js';
export { BOOK, say, render, isMessageKey, toStored, fromStored, type MessageKey } from './book.js';
export * from './columns.js';
