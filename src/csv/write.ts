import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { diskFullError, KaiyakuError, words, type Words } from '../errors.js';
import { realTargetOf, removeDeadTemporaries, temporaryPathFor } from '../files/atomic.js';
import { say } from '../messages/index.js';
import { csvStringify, iconv } from './lazy.js';

export type OutputEncoding = 'utf8' | 'utf8-bom' | 'cp932';
export type Cell = string | number | bigint | boolean | null | undefined;

export interface CsvWriter {
  /**
   * Resolves once the row is accepted (waiting for the file to drain when it is behind).
   * `inputRow`: the input's row number this row comes from, for messages (a report's rows
   * come from input rows); without it a message names the row of this file.
   */
  writeRow(cells: readonly Cell[], inputRow?: number): Promise<void>;
  /** Many rows at once: one piece of bytes, one write (what a page of a report is). */
  writeRows(rows: readonly (readonly Cell[])[], inputRows?: readonly number[]): Promise<void>;
  /**
   * Flushes every byte to disk under the temporary name, without moving it: then `close()`
   * only renames, and `abort()` still removes it. For files that must appear together
   * (see closeTogether).
   */
  seal(): Promise<void>;
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
  /**
   * The command-line option that chooses this file's encoding (`--encoding` for lists and
   * exports, `--report-encoding` for result and error files): a message asking for another
   * encoding names it.
   */
  encodingOption: string;
  /** What the file is, for messages (`the error file` / `エラーファイル`); its path follows. */
  what?: Words | undefined;
  /** The temporary name to write under (one the caller records); a fresh one otherwise. */
  temporaryPath?: string | undefined;
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
  if (typeof cell === 'number' || typeof cell === 'bigint') return String(cell);
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

/**
 * The cell as CP932 will hold it (the equivalents above applied), or the first character
 * CP932 lacks.
 */
function toCp932Text(cell: string): { text: string; missing: null } | { text: string; missing: string } {
  if (!NON_ASCII.test(cell)) return { text: cell, missing: null };
  const text = cell.replace(CP932_EQUIVALENT_CHARS, (c) => CP932_EQUIVALENTS[c] ?? c);
  // iconv-lite writes '?' for what CP932 lacks; 0x3F never occurs inside a CP932 pair,
  // so more 0x3F bytes than '?' characters means something was lost.
  const encoded = iconv().encode(text, 'cp932');
  if (countByte(encoded, 0x3f) === countChar(text, '?')) return { text, missing: null };
  for (const ch of text) {
    if (ch !== '?' && iconv().encode(ch, 'cp932').equals(QUESTION_MARK)) return { text, missing: ch };
  }
  return { text, missing: null };
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
  /** Every byte written out (a file: flushed to disk and closed under its temporary name). */
  seal(): Promise<void>;
  /** A file: moved under its final name. */
  commit(): Promise<void>;
  /** A file: the temporary removed. */
  discard(): Promise<void>;
}

async function openFileTarget(path: string, temp: string): Promise<Target> {
  // flush: the rename is only all-or-nothing if the bytes are on disk before the name moves.
  const out = createWriteStream(temp, { flush: true, flags: 'wx' });
  // Without a listener a late write error would crash the process; the next write or seal reports it instead.
  out.on('error', () => {});
  const discard = async (): Promise<void> => {
    out.destroy();
    await finished(out).catch(() => {});
    await unlink(temp).catch(() => {});
  };
  try {
    await once(out, 'ready');
  } catch (err) {
    await discard();
    throw err;
  }
  return {
    out,
    async seal() {
      try {
        out.end();
        await finished(out);
        // What would make the rename fail is found now, while files sealed together can still all be given up.
        if ((await stat(path).catch(() => null))?.isDirectory()) throw new Error(`EISDIR: a folder stands under the file's name`);
      } catch (err) {
        await discard();
        throw err;
      }
    },
    async commit() {
      try {
        await rename(temp, path);
      } catch (err) {
        await unlink(temp).catch(() => {});
        throw err;
      }
      removeDeadTemporaries(path);
    },
    discard,
  };
}

function stdoutTarget(): Target {
  const out = process.stdout;
  return {
    out,
    async seal() {
      // A write that failed (a full disk, a closed pipe) is known by now: a caller must not go on as if it was read.
      if (out.errored) throw out.errored;
      // Every byte handed over: an empty write's callback runs once the writes queued before it are done
      // (a pipe takes them in turn), or with the error one of them met.
      await new Promise<void>((resolve, reject) => out.write('', (err) => (err ? reject(err) : resolve())));
      // Read again: TypeScript still takes it for the null checked above, but a write may have failed since.
      const erroredSince = out.errored as Error | null;
      if (erroredSince) throw erroredSince;
    },
    async commit() {},
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
        csvStringify().stringify([cells], { record_delimiter: 'windows', quoted_match: /[\r\n]/ })
      : `${cells.join(',')}\r\n`;
  }
  return text;
}

/**
 * The one CSV writer of the project: header first, CRLF line ends (Excel), every cell
 * neutralised, quoting by csv-stringify. A file is written under a temporary name and
 * renamed on close, so a failure or a run killed midway never leaves part of a file under
 * the final name. In CP932 a character the encoding lacks stops the file with the file,
 * the row (the input's, when given) and the column named, and the option to choose
 * instead, rather than turning into '?'.
 */
export async function openCsvWriter(opts: CsvWriterOptions): Promise<CsvWriter> {
  const { encoding, header } = opts;
  const subject = describeFile(opts);
  const file = opts.path === undefined ? undefined : realTargetOf(opts.path);
  const target =
    file === undefined
      ? stdoutTarget()
      : await openFileTarget(file, opts.temporaryPath ?? temporaryPathFor(file)).catch((err: unknown) => {
          throw writeError(err, subject);
        });
  const { out } = target;
  let rowsWritten = 0;
  let failure: unknown;
  let state: 'open' | 'sealed' | 'closed' | 'failed' = 'open';

  /** The first cell CP932 cannot hold stops the file, naming where it is. */
  const unrepresentable = (ch: string, where: Words, column: string): KaiyakuError => {
    const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    const option = `${opts.encodingOption} utf8-bom`;
    return new KaiyakuError('CP932_UNREPRESENTABLE', say('csv.notInCp932', { subject, where, column, ch, code, option }));
  };

  /** Rows numbered from `firstRow` (0 is the header), as one piece of bytes. */
  const encode = (rows: readonly (readonly Cell[])[], firstRow: number, inputRows?: readonly number[]): Buffer => {
    const records = rows.map((cells, k) => {
      const texts = cells.map(neutraliseCell);
      if (encoding !== 'cp932') return texts;
      return texts.map((t, i) => {
        const { text, missing } = toCp932Text(t);
        if (missing === null) return text;
        const row = firstRow + k;
        const inputRow = inputRows?.[k];
        const where = row === 0 ? say('csv.header') : inputRow !== undefined ? say('csv.inputRow', { inputRow }) : say('csv.row', { row });
        throw unrepresentable(missing, where, header[i] ?? `column ${i + 1}`);
      });
    });
    const text = csvText(records);
    return encoding === 'cp932' ? iconv().encode(text, 'cp932') : Buffer.from(text, 'utf8');
  };

  const fail = async (err: unknown): Promise<never> => {
    state = 'failed';
    failure = writeError(err, subject);
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

  const writeRows = async (rows: readonly (readonly Cell[])[], inputRows?: readonly number[]): Promise<void> => {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- what the write failed with (caught, unknown), thrown again as it came
    if (state !== 'open') throw failure ?? new Error(`CSV writer for ${subject.en} is already closed`);
    if (rows.length === 0) return;
    let bytes: Buffer;
    try {
      bytes = encode(rows, rowsWritten + 1, inputRows);
    } catch (err) {
      return fail(err);
    }
    await write(bytes);
    rowsWritten += rows.length;
  };

  const seal = async (): Promise<void> => {
    if (state === 'failed') throw failure;
    if (state !== 'open') return;
    try {
      await target.seal();
      state = 'sealed';
    } catch (err) {
      state = 'failed';
      failure = writeError(err, subject);
      throw failure;
    }
  };

  return {
    get rowsWritten() {
      return rowsWritten;
    },
    writeRow: (cells, inputRow) => writeRows([cells], inputRow === undefined ? undefined : [inputRow]),
    writeRows,
    seal,
    async close() {
      await seal();
      if (state === 'closed') return;
      try {
        await target.commit();
        state = 'closed';
      } catch (err) {
        state = 'failed';
        failure = writeError(err, subject);
        throw failure;
      }
    },
    async abort() {
      if (state !== 'open' && state !== 'sealed') return;
      state = 'failed';
      failure = new Error(`CSV writer for ${subject.en} was aborted`);
      await target.discard();
    },
  };
}

/**
 * Files that must appear together or not at all (a run's result and error files): every
 * one is sealed first (all bytes on disk under temporary names); if any fails, all are
 * aborted and nothing appears under any final name. Only then are they renamed, in the
 * order given, so put last the file whose presence others rely on. Sealing also finds a
 * folder standing under a final name, the one likely reason for a rename in the same
 * folder to fail; should a rename fail all the same, the writers not yet renamed are
 * aborted and the error is thrown.
 */
export async function closeTogether(writers: readonly CsvWriter[]): Promise<void> {
  try {
    for (const w of writers) await w.seal();
  } catch (err) {
    for (const w of writers) await w.abort();
    throw err;
  }
  for (const [i, w] of writers.entries()) {
    try {
      await w.close();
    } catch (err) {
      for (const rest of writers.slice(i + 1)) await rest.abort();
      throw err;
    }
  }
}

/** "the error file /srv/out/nov.errors.csv", or the path alone, or standard output. */
function describeFile(opts: CsvWriterOptions): Words {
  const where = opts.path ?? null;
  if (!opts.what) return where === null ? say('csv.standardOutput') : words(where, `${where} `);
  return where === null ? say('csv.toStandardOutput', { what: opts.what }) : say('csv.whatAndWhere', { what: opts.what, where });
}

/** A failure of the file itself (disk full, folder gone) named as the operator knows the file. */
function writeError(err: unknown, subject: Words): KaiyakuError {
  if (err instanceof KaiyakuError) return err;
  const full = diskFullError(err, say('csv.cannotWrite', { subject }));
  if (full) return full;
  // Node's message names the temporary ("ENOENT: no such file or directory, open 'x.csv.tmp-…'"); the operator knows the final name.
  const message = err instanceof Error ? err.message : String(err);
  const reason = /^E[A-Z]+: [^,]+/.exec(message)?.[0] ?? message;
  return new KaiyakuError('FILE_UNWRITABLE', say('csv.cannotWriteBecause', { subject, reason }), { cause: err });
}

/** Writes a whole CSV (header and rows) and returns the number of data rows. */
export async function writeCsvFile(opts: CsvWriterOptions & { rows: Iterable<readonly Cell[]> | AsyncIterable<readonly Cell[]> }): Promise<number> {
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
