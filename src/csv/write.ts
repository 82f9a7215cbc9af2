import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify/sync';
import iconv from 'iconv-lite';
import { KaiyakuError, fileError, words } from '../errors.js';

export type OutputEncoding = 'utf8' | 'utf8-bom' | 'cp932';
export type Cell = string | number | boolean | null | undefined;

export interface CsvWriter {
  /** Resolves once the row is accepted (waiting for the file to drain when it is behind). */
  writeRow(cells: readonly Cell[]): Promise<void>;
  /** Many rows at once: one piece of bytes, one write (what a page of a report is). */
  writeRows(rows: readonly (readonly Cell[])[]): Promise<void>;
  /** Flushes and, for a file, moves it under its final name. */
  close(): Promise<void>;
  /** Gives up: the temporary file is removed and nothing appears under the final name. */
  abort(): Promise<void>;
  /** Data rows written, the header not counted. */
  readonly rowsWritten: number;
}

export interface CsvWriterOptions {
  /** Without a path the CSV goes to stdout. */
  path?: string | undefined;
  encoding: OutputEncoding;
  header: readonly string[];
}

// The usual CSV-injection list (a formula may also hide behind a leading tab, CR or LF),
// plus the full-width forms, which Japanese input produces and some importers fold to ASCII.
const FORMULA_START = /^[=+\-@\t\r\n＝＋－＠]/;

/**
 * Makes a cell safe to open in Excel: a string that Excel would run as a formula gets a
 * leading apostrophe, so it opens as text and runs nothing while staying readable.
 * Numbers stay numbers (a negative amount is data, not a formula), booleans are
 * `true`/`false`, null and undefined are empty.
 */
export function neutraliseCell(cell: Cell): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'number') return String(cell);
  if (typeof cell === 'boolean') return cell ? 'true' : 'false';
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/**
 * Characters that JIS X 0208 has but that Unicode spells differently in CP932: text typed
 * on a Mac or converted by a JIS-minded tool carries the left-hand forms, which iconv-lite
 * cannot encode. Writing the CP932 form keeps the character the operator sees.
 */
const CP932_EQUIVALENTS: Readonly<Record<string, string>> = {
  '\u301C': '\uFF5E', // 〜 wave dash → ～
  '\u2016': '\u2225', // ‖ → ∥
  '\u2212': '\uFF0D', // − minus → －
  '\u00A2': '\uFFE0', // ¢ → ￠
  '\u00A3': '\uFFE1', // £ → ￡
  '\u00AC': '\uFFE2', // ¬ → ￢
  '\u2014': '\u2015', // — em dash → ―
};
const CP932_EQUIVALENT_CHARS = new RegExp(`[${Object.keys(CP932_EQUIVALENTS).join('')}]`, 'g');
const NON_ASCII = /[^\x00-\x7F]/;

function toCp932Text(cell: string, row: number, column: string): string {
  if (!NON_ASCII.test(cell)) return cell;
  const text = cell.replace(CP932_EQUIVALENT_CHARS, (c) => CP932_EQUIVALENTS[c] ?? c);
  // iconv-lite writes '?' for what CP932 lacks; 0x3F never occurs inside a CP932 pair,
  // so more 0x3F bytes than '?' characters means something was lost.
  const encoded = iconv.encode(text, 'cp932');
  if (countByte(encoded, 0x3f) === countChar(text, '?')) return text;
  for (const ch of text) {
    if (ch !== '?' && iconv.encode(ch, 'cp932').equals(QUESTION_MARK)) {
      const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      const where = row === 0 ? 'the header' : `row ${row}`;
      const whereJa = row === 0 ? '見出し行' : `${row} 行目`;
      throw new KaiyakuError(
        'CP932_UNREPRESENTABLE',
        words(
          `${where}, column "${column}": "${ch}" (U+${code}) cannot be written in CP932; choose utf8-bom to keep it`,
          `${whereJa}、列「${column}」: 「${ch}」(U+${code}) は CP932 で書き出せません。utf8-bom を選ぶとそのまま書き出せます`,
        ),
      );
    }
  }
  return text;
}

const QUESTION_MARK = Buffer.from('?');

function countByte(buf: Buffer, byte: number): number {
  let n = 0;
  for (let i = buf.indexOf(byte); i !== -1; i = buf.indexOf(byte, i + 1)) n++;
  return n;
}

function countChar(text: string, ch: string): number {
  let n = 0;
  for (let i = text.indexOf(ch); i !== -1; i = text.indexOf(ch, i + 1)) n++;
  return n;
}

interface Target {
  out: Writable;
  finish(): Promise<void>;
  discard(): Promise<void>;
}

async function openFileTarget(path: string): Promise<Target> {
  const temp = `${path}.tmp-${process.pid}`;
  // flush: the rename is only all-or-nothing if the bytes are on disk before the name moves.
  const out = createWriteStream(temp, { flush: true });
  try {
    await once(out, 'ready');
  } catch (err) {
    throw fileError(err, path, true);
  }
  // Without a listener a late write error would crash the process; the next write or close reports it instead.
  out.on('error', () => {});
  const discard = async (): Promise<void> => {
    out.destroy();
    await finished(out).catch(() => {});
    await unlink(temp).catch(() => {});
  };
  return {
    out,
    async finish() {
      try {
        out.end();
        await finished(out);
        await rename(temp, path);
      } catch (err) {
        await discard();
        throw fileError(err, path, true);
      }
      await removeDeadTemps(path);
    },
    discard,
  };
}

/**
 * The temporaries of writers killed before their rename (`kill -9`) would otherwise stay
 * beside the report for ever: once the report is written again, those whose process is
 * gone from this host are removed (best effort).
 */
async function removeDeadTemps(path: string): Promise<void> {
  const prefix = `${basename(path)}.tmp-`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue;
    await unlink(join(dirname(path), name)).catch(() => {});
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function stdoutTarget(): Target {
  const out = process.stdout;
  return {
    out,
    async finish() {
      if (out.writableNeedDrain) await once(out, 'drain');
    },
    async discard() {},
  };
}

/** What makes csv-stringify quote a cell with our options: the delimiter, the quote, CR or LF. */
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * Records as CSV text, each ending in CRLF. csv-stringify writes every record with a cell
 * that needs quotes. A record whose cells need none would come out of it as the cells
 * joined by commas, so it is joined here directly: most report rows are plain, and
 * csv-stringify allocates a few objects per cell, which at 100,000 rows made up a fifth of
 * a dry run's garbage. A test holds the two to the same output.
 */
export function csvText(records: readonly (readonly string[])[]): string {
  let text = '';
  for (const cells of records) {
    text += cells.some((c) => NEEDS_QUOTES.test(c))
      ? // csv-stringify quotes a cell holding the record delimiter, but with CRLF it misses a
        // lone CR or LF; quoted_match catches those.
        stringify([cells], { record_delimiter: 'windows', quoted_match: /[\r\n]/ })
      : `${cells.join(',')}\r\n`;
  }
  return text;
}

/**
 * The one CSV writer of the project: header first, CRLF line ends (Excel), every cell
 * neutralised, quoting by csv-stringify. A file is written under a temporary name and
 * renamed on close, so a run killed midway never leaves half a report under the final
 * name. In CP932 a character the encoding lacks stops the file with the row and column
 * named, rather than turning into '?'.
 */
export async function openCsvWriter(opts: CsvWriterOptions): Promise<CsvWriter> {
  const { encoding, header } = opts;
  const label = opts.path ?? 'stdout';
  const target = opts.path === undefined ? stdoutTarget() : await openFileTarget(opts.path);
  const { out } = target;
  let rowsWritten = 0;
  let failure: unknown;
  let state: 'open' | 'closed' | 'failed' = 'open';

  /** Rows numbered from `firstRow` (0 is the header), as one piece of bytes. */
  const encode = (rows: readonly (readonly Cell[])[], firstRow: number): Buffer => {
    const records = rows.map((cells, k) => {
      const texts = cells.map(neutraliseCell);
      return encoding === 'cp932' ? texts.map((t, i) => toCp932Text(t, firstRow + k, header[i] ?? `column ${i + 1}`)) : texts;
    });
    const text = csvText(records);
    return encoding === 'cp932' ? iconv.encode(text, 'cp932') : Buffer.from(text, 'utf8');
  };

  const fail = async (err: unknown): Promise<never> => {
    state = 'failed';
    failure = err instanceof KaiyakuError ? err : fileError(err, label, true);
    await target.discard();
    throw failure;
  };

  const write = async (bytes: Buffer): Promise<void> => {
    if (out.errored) await fail(out.errored);
    if (!out.write(bytes)) {
      try {
        await once(out, 'drain');
      } catch (err) {
        await fail(err);
      }
    }
  };

  try {
    if (encoding === 'utf8-bom') await write(Buffer.from([0xef, 0xbb, 0xbf]));
    await write(encode([header], 0));
  } catch (err) {
    if (state === 'open') await fail(err);
    throw err;
  }

  const writeRows = async (rows: readonly (readonly Cell[])[]): Promise<void> => {
    if (state !== 'open') throw failure ?? new Error(`CSV writer for ${label} is already closed`);
    if (rows.length === 0) return;
    let bytes: Buffer;
    try {
      bytes = encode(rows, rowsWritten + 1);
    } catch (err) {
      return fail(err);
    }
    await write(bytes);
    rowsWritten += rows.length;
  };

  return {
    get rowsWritten() {
      return rowsWritten;
    },
    writeRow: (cells) => writeRows([cells]),
    writeRows,
    async close() {
      if (state === 'failed') throw failure;
      if (state === 'closed') return;
      state = 'closed';
      try {
        await target.finish();
      } catch (err) {
        state = 'failed';
        failure = err;
        throw err;
      }
    },
    async abort() {
      if (state !== 'open') return;
      state = 'failed';
      failure = new Error(`CSV writer for ${label} was aborted`);
      await target.discard();
    },
  };
}

/** Writes a whole CSV (header and rows) and returns the number of data rows. */
export async function writeCsvFile(
  opts: CsvWriterOptions & { rows: Iterable<readonly Cell[]> | AsyncIterable<readonly Cell[]> },
): Promise<number> {
  const writer = await openCsvWriter(opts);
  try {
    for await (const row of opts.rows) await writer.writeRow(row);
  } catch (err) {
    await writer.abort();
    throw err;
  }
  await writer.close();
  return writer.rowsWritten;
}
