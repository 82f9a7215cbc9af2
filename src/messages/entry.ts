import type { Lang, Words } from './words.js';

/**
 * What a message is rendered with: counts, dates, numbers, file names, codes; and, where a
 * part of the sentence is itself a message said elsewhere (a reason, a place), that part in
 * both languages (`Words`), which the entry puts in its own language.
 */
export type Params = Readonly<Record<string, string | number | Words>>;

/** One message of the book, in each language: a fixed text, or a text made from parameters. */
export interface Entry<P extends Params = never> {
  readonly en: string | ((p: P) => string);
  readonly ja: string | ((p: P) => string);
}

/**
 * A message with parameters, typed once for both languages:
 * `said: entry<{ n: number }>((p) => \`${p.n} rows\`, (p) => \`${p.n} 行\`)`.
 */
export function entry<P extends Params>(en: (p: P) => string, ja: (p: P) => string): { readonly en: (p: P) => string; readonly ja: (p: P) => string } {
  return { en, ja };
}

/** A message as data (what the store keeps and the web renders), with both languages rendered. */
export interface Said extends Words {
  readonly key: string;
  readonly params: Params;
}

/** Renders an entry in one language. */
export function renderEntry(e: Entry<Params>, lang: Lang, params: Params): string {
  const text = e[lang];
  return typeof text === 'string' ? text : text(params);
}
