/**
 * The book of words (src/messages/): every code and label in both languages, and Japanese
 * that is Japanese. A Japanese text may quote what the user types or the machine reads
 * (codes, option names, commands, file formats) but says nothing else in English.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as book from '../../src/messages/index.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/** Words a Japanese text may hold as they are: formats, standards and the portal's own terms. */
const QUOTED = new Set([
  'UTF',
  'CP932',
  'Shift_JIS',
  'BOM',
  'CSV',
  'ID',
  'IDs',
  'OK',
  'HTTP',
  'URL',
  'JST',
  'PostgreSQL',
  'SQLite',
  'JSON',
  'Retry-After',
  'Idempotency-Key',
  'kaiyaku',
  'sim',
  'Excel',
  'LF',
  'CRLF',
  'NUL',
  'WAL',
  'No',
  'Microsoft',
  'Partner',
  'Center',
  'stdin',
  'stdout',
  'stderr',
  'true',
  'false',
  'cron',
  'http',
  'https',
  'utf8',
  'cp932',
  'ms',
]);

/** English words left in a Japanese text, after what it may quote. */
function englishIn(ja: string): string[] {
  const text = ja
    .replace(/\$\{[^}]*\}/g, ' ') // a value put in at run time
    .replace(/\w+:\/\/\S*/g, ' ') // a URL or its scheme (postgres://)
    .replace(/[\w.\/-]*\.(csv|json|db|xlsx|js|ts)\b/g, ' ') // file names
    .replace(/--[a-z][a-z0-9-]*(?:[ =][A-Za-z0-9][\w.\/:-]*)?/g, ' ') // option names, with a value typed after them
    .replace(/\b((npx\s+)?kaiyaku\s+)?(cancel|migrate|demo|orders|contracts|serials|supplier)(\s+[a-z][a-z-]*)?\b/g, ' ') // a command to run
    .replace(/\bkaiyaku\b/g, ' ')
    .replace(/\b[A-Z][A-Z0-9]*(_[A-Z0-9]+)+\b/g, ' ') // codes
    .replace(/\b[A-Z]{2,}[0-9]*\b/g, ' ') // acronyms and one-word codes, SQL keywords
    .replace(/\b[a-z]+(_[a-z]+)+\b/g, ' ') // identifiers: columns, tables
    .replace(/\b[a-z_]+(\.[a-z_][A-Za-z_]*)+\b/g, ' ') // event names (file.deferred), fields of a JSON summary (resume.needsOperator)
    .replace(/(^|\s|（)-[a-z]+\b/g, ' ') // file suffixes (-wal, -shm)
    .replace(/[^\s、。（）「」]*\/[^\s、。（）「」]*/g, ' '); // lists of accepted values (はい/有/yes)
  return (text.match(/[A-Za-z][A-Za-z_'-]*[A-Za-z]/g) ?? []).filter((w) => !QUOTED.has(w));
}

/** The Japanese halves written in the source: the second argument of words(en, ja) and usageError(en, ja). */
function japaneseInSource(): { where: string; ja: string }[] {
  const found: { where: string; ja: string }[] = [];
  const files = fs.readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  for (const rel of files) {
    const file = path.join(SRC, rel);
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isIdentifier(node.expression) &&
        ['words', 'usageError'].includes(node.expression.text) &&
        node.arguments.length === 2
      ) {
        const ja = node.arguments[1]!;
        const text = ts.isStringLiteralLike(ja)
          ? ja.text
          : ts.isTemplateExpression(ja)
            ? [ja.head.text, ...ja.templateSpans.map((s) => `\${} ${s.literal.text}`)].join('')
            : null;
        if (text !== null) found.push({ where: `${rel}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`, ja: text });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe('the book of words', () => {
  const tables: [string, Record<string, { en: string; ja: string }>][] = [
    ['ERROR', book.ERROR],
    ['ROW_ERROR', book.ROW_ERROR],
    ['ORDER_REFUSAL', book.ORDER_REFUSAL],
    ['STAGE_LABEL', book.STAGE_LABEL],
    ['ORDER_STATUS_LABEL', book.ORDER_STATUS_LABEL],
    ['ORDER_KIND_LABEL', book.ORDER_KIND_LABEL],
    ['LINKAGE_STATUS_LABEL', book.LINKAGE_STATUS_LABEL],
    ['CONTRACT_STATUS_LABEL', book.CONTRACT_STATUS_LABEL],
    ['ROW_RESULT_LABEL', book.ROW_RESULT_LABEL],
  ];

  it('has every key in both languages', () => {
    for (const [name, table] of tables) {
      for (const [key, w] of Object.entries(table)) {
        expect(w.en.trim(), `${name}.${key}.en`).not.toBe('');
        expect(w.ja.trim(), `${name}.${key}.ja`).not.toBe('');
      }
    }
  });

  it('says nothing in English in its Japanese, but codes, option names and formats', () => {
    const leaks = tables.flatMap(([name, table]) => Object.entries(table).flatMap(([key, w]) => englishIn(w.ja).map((word) => `${name}.${key}: ${word}`)));
    expect(leaks).toEqual([]);
  });

  it('nor does any entry of the catalogue, rendered with placeholders for its parameters', () => {
    /** Every parameter reads as `${name}` (a part said elsewhere as well, in each language). */
    const placeholders = new Proxy({} as Record<string, unknown>, {
      get: (_, name) => (typeof name === 'string' ? Object.assign(`\${${name}}`, { en: `\${${name}}`, ja: `\${${name}}` }) : undefined),
    }) as unknown as book.Params;
    const keys = Object.keys(book.BOOK);
    expect(keys.length).toBeGreaterThan(100);
    const leaks = keys.flatMap((key) => {
      const entry = book.BOOK[key]!;
      const ja = typeof entry.ja === 'string' ? entry.ja : String(entry.ja(placeholders));
      const en = typeof entry.en === 'string' ? entry.en : String(entry.en(placeholders));
      expect(en.trim() === '', `${key}: said in one language only`).toBe(ja.trim() === '');
      return englishIn(ja).map((word) => `${key}: ${word} in 「${ja}」`);
    });
    expect(leaks).toEqual([]);
  });

  it('nor do the sentences still written in the source', () => {
    const said = japaneseInSource();
    const leaks = said.flatMap(({ where, ja }) => englishIn(ja).map((word) => `${where}: ${word} in 「${ja}」`));
    expect(leaks).toEqual([]);
  });
});
