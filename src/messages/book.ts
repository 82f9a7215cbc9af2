/**
 * The book's catalogue: every message of kaiyaku by key (`room.name`), in both languages.
 * Code builds a message with `say(key, params)`; what it gets is data (key and parameters)
 * with both languages rendered, so a front end prints the language its user chose and the
 * store keeps the key and parameters, never a sentence (`render` makes it again).
 */
import { renderEntry, type Entry, type Params, type Said } from './entry.js';
import { CANCEL_WORDS } from './cancelWords.js';
import { CONTRACTS_WORDS } from './contractsWords.js';
import { CSV_WORDS } from './csvWords.js';
import { DOMAIN_WORDS } from './domainWords.js';
import { FILES_WORDS } from './filesWords.js';
import { NIGHTLY_WORDS } from './nightlyWords.js';
import { ORDERS_WORDS } from './ordersWords.js';
import { REPORTS_WORDS } from './reportsWords.js';
import { SERIALS_WORDS } from './serialsWords.js';
import { SUPPLIER_WORDS } from './supplierWords.js';
import { STORE_WORDS } from './storeWords.js';
import { CLI_WORDS } from './cliWords.js';
import { CLI_ARGUMENTS_WORDS } from './cliArgumentsWords.js';
import { CLI_CANCEL_WORDS } from './cliCancelWords.js';
import { CLI_CONTRACTS_WORDS } from './cliContractsWords.js';
import { CLI_ORDERS_WORDS } from './cliOrdersWords.js';
import type { Lang, Words } from './words.js';

/** The rooms' catalogues, one object each; their keys carry the room's name. */
const CATALOGUES = [
  CANCEL_WORDS,
  CONTRACTS_WORDS,
  CSV_WORDS,
  DOMAIN_WORDS,
  FILES_WORDS,
  NIGHTLY_WORDS,
  ORDERS_WORDS,
  REPORTS_WORDS,
  SERIALS_WORDS,
  SUPPLIER_WORDS,
  STORE_WORDS,
  CLI_WORDS,
  CLI_ARGUMENTS_WORDS,
  CLI_CANCEL_WORDS,
  CLI_CONTRACTS_WORDS,
  CLI_ORDERS_WORDS,
] as const;

type Catalogue = (typeof CATALOGUES)[number];
type Merge<U> = (U extends unknown ? (u: U) => void : never) extends (u: infer I) => void ? I : never;
/** Every key of the book, with its entry. */
export type Book = Merge<Catalogue> extends infer B ? { [K in keyof B]: B[K] } : never;
export type MessageKey = Extract<keyof Book, string>;
type ParamsOf<E> = E extends { en: (p: infer P) => string } ? P : undefined;
type ParamArgs<K extends MessageKey> = ParamsOf<Book[K]> extends undefined ? [] : [params: ParamsOf<Book[K]>];

export const BOOK: Readonly<Record<string, Entry<Params>>> = Object.assign({}, ...(CATALOGUES as readonly object[])) as Record<string, Entry<Params>>;

/** The message `key` with its parameters: data, with both languages rendered. */
export function say<K extends MessageKey>(key: K, ...args: ParamArgs<K>): Said {
  const params: Params = (args[0] as Params | undefined) ?? {};
  const e = BOOK[key];
  if (e === undefined) throw new Error(`no message ${key} in the book`);
  return { key, params, en: renderEntry(e, 'en', params), ja: renderEntry(e, 'ja', params) };
}

/**
 * A message kept as data (by the store, say), rendered again in `lang`; null for a key
 * this version does not know (a newer version wrote it), so that the caller can fall back.
 */
export function render(said: { key: string; params?: Params | null }, lang: Lang): string | null {
  const e = BOOK[said.key];
  return e === undefined ? null : renderEntry(e, lang, said.params ?? {});
}

/** Whether `key` names a message of the book. */
export function isMessageKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(BOOK, key);
}

/** A message as the store keeps it: its key and parameters (a part that is itself a message, by its key and parameters too). */
interface Stored {
  key: string;
  params?: Record<string, unknown>;
}

function keyed(value: unknown): value is Stored {
  return typeof value === 'object' && value !== null && typeof (value as Stored).key === 'string';
}

/** What the store keeps of `said`: JSON text of its key and parameters, never a sentence of ours. */
export function toStored(said: { key: string; params: Params }): string {
  const strip = (s: { key: string; params?: Params }): Stored => ({
    key: s.key,
    params: Object.fromEntries(Object.entries(s.params ?? {}).map(([name, value]) => [name, keyed(value) ? strip(value as Said) : value])),
  });
  return JSON.stringify(strip(said));
}

/**
 * A message the store kept (`toStored`), rendered again in both languages; null where this
 * version cannot say it (a key it does not know, written by a newer version, or text that
 * is not a kept message): the caller falls back to what else the row holds.
 */
export function fromStored(text: string | null | undefined): Words | null {
  if (!text) return null;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  const said = (s: unknown): Words | null => {
    if (!keyed(s) || !isMessageKey(s.key)) return null;
    const params: Record<string, string | number | Words> = {};
    for (const [name, value] of Object.entries(s.params ?? {})) {
      if (keyed(value)) {
        const part = said(value);
        if (part === null) return null;
        params[name] = part;
      } else params[name] = value as string | number | Words;
    }
    const e = BOOK[s.key]!;
    return { en: renderEntry(e, 'en', params), ja: renderEntry(e, 'ja', params) };
  };
  return said(data);
}
