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

/** A text of the source outside src/messages/ that a user could read, where it is. */
interface Written {
  where: string;
  text: string;
  why: string;
}

/** Japanese written in a string. */
const JAPANESE = /[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]/;

/**
 * Where a text may stand outside the book: yargs' help (`describe`, `usage`, `example`,
 * `epilogue`; English, with the portal's Japanese names in brackets), the header names a
 * file may use (`aliases`), the values トライアル reads (TRIAL_YES, TRIAL_NO) and the
 * characters CP932 spells otherwise (CP932_EQUIVALENTS): data the program reads or
 * writes, not sentences it says.
 */
const MAY_HOLD_TEXT = new Set(['describe', 'usage', 'example', 'epilogue', 'aliases', 'TRIAL_YES', 'TRIAL_NO', 'CP932_EQUIVALENTS']);

function literalText(node: ts.Node): string | null {
  if (ts.isStringLiteralLike(node)) return node.text;
  if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ');
  return null;
}

/** Whether the literal stands where text may (see MAY_HOLD_TEXT), as a property, a variable or a method's argument. */
function mayHoldText(node: ts.Node): boolean {
  for (let at: ts.Node | undefined = node.parent; at !== undefined; at = at.parent) {
    if ((ts.isPropertyAssignment(at) || ts.isVariableDeclaration(at)) && ts.isIdentifier(at.name) && MAY_HOLD_TEXT.has(at.name.text)) return true;
    if (ts.isCallExpression(at) && ts.isPropertyAccessExpression(at.expression) && MAY_HOLD_TEXT.has(at.expression.name.text)) return true;
  }
  return false;
}

/**
 * The texts written outside the book: every string holding Japanese (but where data may),
 * and every `words(en, ja)` or `usageError(en, ja)` given written text rather than what
 * was said or read elsewhere (a value, a file name, a driver's reason).
 */
function textsOutsideTheBook(): Written[] {
  const found: Written[] = [];
  const files = fs
    .readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.startsWith(`messages${path.sep}`) && !f.startsWith(`supplier${path.sep}sim${path.sep}`));
  for (const rel of files) {
    const file = path.join(SRC, rel);
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const where = (node: ts.Node) => `${rel}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    const visit = (node: ts.Node): void => {
      const text = literalText(node);
      if (text !== null && JAPANESE.test(text) && !mayHoldText(node)) found.push({ where: where(node), text, why: 'Japanese outside the book' });
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && ['words', 'usageError'].includes(node.expression.text)) {
        for (const arg of node.arguments) {
          const written = literalText(arg);
          if (written !== null && /[A-Za-z]/.test(written))
            found.push({ where: where(node), text: written, why: `a sentence given to ${node.expression.text}()` });
        }
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

  it('is where every sentence is: no text a user reads is written elsewhere in src/', () => {
    expect(textsOutsideTheBook().map((t) => `${t.where}: ${t.why}: ${t.text}`)).toEqual([]);
  });
});
