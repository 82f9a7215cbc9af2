import { createReadStream } from 'node:fs';
import type { DetectedEncoding } from './decode.js';
import { KaiyakuError, fileError } from '../errors.js';
import { say, type Said } from '../messages/index.js';
import { iconv } from './lazy.js';

/** Records longer than this (in characters) are reported, not held: a 10 MB line is a broken file, not data. */
export const MAX_RECORD_CHARS = 1_000_000;

export type RecordProblemKind = 'field_count' | 'quoting' | 'too_large' | 'nul';

export interface RecordProblem {
  kind: RecordProblemKind;
  /** Fields in the header. */
  expected: number;
  /** Fields found (for a broken record, those of the best-effort split). */
  actual: number;
  /** Plain words on what is wrong, for the result file. */
  detail: string;
  /** For a NUL character: the cell's column (1-based) and its header cell as written. */
  column?: { position: number; name: string };
}

export interface InputRecord {
  /** 1-based data row: the header is not counted; skipped blank rows are. */
  row: number;
  /** Cells as they came (decoded, not normalised); for a broken record, its text split on commas. */
  fields: string[];
  /** The record's source text without its line ending; for a too-large record, its first MAX_RECORD_CHARS characters. */
  raw: string;
  problem?: RecordProblem;
}

export interface CsvInput {
  header: string[];
  headerRaw: string;
  /** Each iteration reads the file afresh, so it can be read twice and holds no file open until iterated. */
  records: AsyncIterable<InputRecord>;
}

export interface OpenCsvOptions {
  maxRecordChars?: number;
  /** Bytes per read from the file; tests make it tiny so that every split of a line ending or character is exercised. */
  chunkBytes?: number;
  /** Sees every byte the records are read from, in order (each iteration of `records` from the start): a run hashes them. */
  onBytes?: (bytes: Buffer) => void;
}

/**
 * Opens a CSV file whose encoding `inspectFile` found, reads its header (the first
 * non-blank record) and returns the data records as a stream.
 *
 * Record boundaries are found by our own scanner rather than by csv-parse, because a
 * broken quote must cost one row, not the rest of the file: csv-parse keeps reading an
 * unclosed quoted field up to the end of the file (or up to max_record_size, where its
 * skip_records_with_error path returns mid-buffer and drops the rest of the chunk). The
 * scanner follows RFC 4180 and, when a quoted field that spans lines turns out to be
 * broken, reports the line where it opened and reads on from the line after it.
 */
export async function openCsv(path: string, encoding: DetectedEncoding, options: OpenCsvOptions = {}): Promise<CsvInput> {
  const maxChars = options.maxRecordChars ?? MAX_RECORD_CHARS;
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  const scanner = new RecordScanner(decodeFile(path, encoding, chunkBytes), maxChars);
  let head: ScannedRecord | undefined;
  try {
    head = await readHeader(scanner);
  } finally {
    await scanner.close();
  }
  if (head === undefined) throw new KaiyakuError('EMPTY_FILE', say('csv.noHeaderRow', { path }));
  const header = head.fields;
  return {
    header,
    headerRaw: head.raw,
    records: { [Symbol.asyncIterator]: () => readRecords(path, encoding, chunkBytes, maxChars, header, options.onBytes) },
  };
}

async function readHeader(scanner: RecordScanner): Promise<ScannedRecord | undefined> {
  for (;;) {
    const record = await scanner.next();
    if (record === undefined || record.problem !== undefined || !isBlank(record.fields)) return record;
  }
}

async function* readRecords(
  path: string,
  encoding: DetectedEncoding,
  chunkBytes: number,
  maxChars: number,
  header: readonly string[],
  onBytes?: (bytes: Buffer) => void,
): AsyncGenerator<InputRecord> {
  const expected = header.length;
  const scanner = new RecordScanner(decodeFile(path, encoding, chunkBytes, onBytes), maxChars);
  try {
    if ((await readHeader(scanner)) === undefined) return;
    scanner.expectedFields = expected;
    let row = 0;
    for (;;) {
      const record = await scanner.next();
      if (record === undefined) return;
      row++;
      if (record.problem === undefined && isBlank(record.fields)) continue;
      const { fields, raw } = record;
      if (record.problem !== undefined) {
        yield { row, fields, raw, problem: { ...record.problem, expected, actual: fields.length } };
      } else if (fields.length !== expected) {
        const detail = `${fields.length} fields where the header has ${expected}`;
        yield { row, fields, raw, problem: { kind: 'field_count', expected, actual: fields.length, detail } };
      } else if (raw.includes('\u0000')) {
        yield { row, fields, raw, problem: nulProblem(fields, header) };
      } else {
        yield { row, fields, raw };
      }
    }
  } finally {
    await scanner.close();
  }
}

/**
 * A NUL character (a 0x00 byte, valid UTF-8 and CP932 alike) in a cell: PostgreSQL cannot
 * store it in text (22021), and no value of a contract or a cancellation holds one, so
 * the row is refused naming the column, on every store alike. Other control characters
 * are stored as they are; lone surrogates cannot come out of decoding (strict UTF-8
 * refuses them, CP932 has none).
 */
function nulProblem(fields: readonly string[], header: readonly string[]): RecordProblem {
  const i = fields.findIndex((f) => f.includes('\u0000'));
  const column = { position: i + 1, name: (header[i] ?? '').replaceAll('\u0000', '') };
  return {
    kind: 'nul',
    expected: header.length,
    actual: fields.length,
    detail: `column ${column.position} (${column.name}) holds a NUL character (a 0x00 byte)`,
    column,
  };
}

/** Excel leaves `,,,,` rows below the data; blank lines are the same thing. */
function isBlank(fields: readonly string[]): boolean {
  return fields.every((f) => f.trim() === '');
}

async function* decodeFile(path: string, encoding: DetectedEncoding, chunkBytes: number, onBytes?: (bytes: Buffer) => void): AsyncGenerator<string> {
  const stream = createReadStream(path, { highWaterMark: chunkBytes });
  const decoder = iconv().getDecoder(encoding, { stripBOM: false });
  let atStart = true;
  try {
    for await (const bytes of stream as AsyncIterable<Buffer>) {
      onBytes?.(bytes);
      let text = decoder.write(bytes);
      if (atStart && text.length > 0) {
        atStart = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      if (text.length > 0) yield text;
    }
    const tail = decoder.end();
    if (tail) yield atStart && tail.charCodeAt(0) === 0xfeff ? tail.slice(1) : tail;
  } catch (err) {
    throw fileError(err, path);
  } finally {
    stream.destroy();
  }
}

interface ScannedRecord {
  fields: string[];
  raw: string;
  problem?: { kind: 'quoting' | 'too_large'; detail: string };
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: it closes the field or is the first of `""`. */
  QuoteInQuoted,
  /** Quoting broke on the record's first line: the record ends with that line. */
  Broken,
  /** Over the size limit: the text is no longer kept and the record ends with the line. */
  TooLarge,
}

/**
 * Splits decoded text into CSV records (RFC 4180; CRLF, LF and CR all end a line),
 * holding at most one record. A record whose quoted field spans lines and then breaks
 * (never closes, or text follows a closing quote, or it would exceed the size limit, or
 * it closes with a field count other than the header's) is taken to be a stray quote on
 * its first line: that line becomes a 'quoting' record and the lines after it are read
 * again as records of their own.
 */
class RecordScanner {
  expectedFields: number | undefined;
  private chunk = '';
  private pos = 0;
  /** Text put back after a recovery, read before the next chunk (last in, first out). */
  private readonly putBack: string[] = [];
  private skipLf = false;
  private done = false;

  constructor(
    private readonly chunks: AsyncIterator<string>,
    private readonly maxChars: number,
  ) {}

  async close(): Promise<void> {
    await this.chunks.return?.();
  }

  /** Makes `chunk[pos]` readable; false at the end of the text. */
  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      const back = this.putBack.pop();
      if (back !== undefined) {
        this.chunk = back;
        this.pos = 0;
        continue;
      }
      if (this.done) return false;
      const next = await this.chunks.next();
      if (next.done === true) {
        this.done = true;
        return false;
      }
      this.chunk = next.value;
      this.pos = 0;
    }
    return true;
  }

  async next(): Promise<ScannedRecord | undefined> {
    const parts: string[] = [];
    /** Characters of the record held in `parts`, before the current chunk segment. */
    let base = 0;
    let state = State.FieldStart as State;
    const fieldStarts = [0];
    const quoted = [false];
    /** Where the record's first physical line ends and the second starts, once a quoted field spans lines. */
    let firstBreak = -1;
    let secondLine = -1;
    let spanningField = 0;
    let crPending = false;
    let brokenDetail = '';
    let started = false;

    const recover = (chunk: string, start: number, end: number, why: string): ScannedRecord => {
      const all = parts.join('') + chunk.slice(start, end);
      const first = all.slice(0, firstBreak);
      this.putBack.push(chunk.slice(end));
      this.chunk = all.slice(secondLine);
      this.pos = 0;
      // The CR that ended the first line may be half of a CRLF whose LF is not read yet.
      this.skipLf = crPending;
      return { fields: splitLoosely(first), raw: first, problem: { kind: 'quoting', detail: `the quote opened in field ${spanningField} ${why}` } };
    };

    const finish = (chunk: string, start: number, end: number): ScannedRecord => {
      if (state === State.TooLarge) {
        const kept = parts.join('');
        return { fields: splitLoosely(kept), raw: kept, problem: { kind: 'too_large', detail: `the row is longer than ${this.maxChars} characters` } };
      }
      const raw = parts.join('') + chunk.slice(start, end);
      if (state === State.Broken) return { fields: splitLoosely(raw), raw, problem: { kind: 'quoting', detail: brokenDetail } };
      const fields: string[] = [];
      for (let f = 0; f < fieldStarts.length; f++) {
        const from = fieldStarts[f]!;
        const to = f + 1 < fieldStarts.length ? fieldStarts[f + 1]! - 1 : raw.length;
        fields.push(quoted[f] ? raw.slice(from + 1, to - 1).replaceAll('""', '"') : raw.slice(from, to));
      }
      return { fields, raw };
    };

    const fieldCountWrong = (): boolean => firstBreak >= 0 && this.expectedFields !== undefined && fieldStarts.length !== this.expectedFields;
    const fieldCountWhy = (): string => `spans several lines and leaves ${fieldStarts.length} fields where the header has ${this.expectedFields}`;

    for (;;) {
      if (!(await this.fill())) {
        const chunk = this.chunk;
        const end = this.pos;
        if (!started) return undefined;
        if (state === State.Quoted) {
          if (firstBreak >= 0) return recover(chunk, end, end, 'is not closed before the end of the file');
          state = State.Broken;
          brokenDetail = `the quote opened in field ${fieldStarts.length} is not closed before the end of the file`;
        }
        if (state !== State.Broken && state !== State.TooLarge && fieldCountWrong()) return recover(chunk, end, end, fieldCountWhy());
        return finish(chunk, end, end);
      }
      const chunk = this.chunk;
      let i = this.pos;
      if (this.skipLf) {
        this.skipLf = false;
        if (chunk.charCodeAt(i) === LF) {
          this.pos = i + 1;
          continue;
        }
      }
      started = true;
      const start = i;
      for (; i < chunk.length; i++) {
        const c = chunk.charCodeAt(i);
        if (crPending) {
          crPending = false;
          if (c === LF) {
            secondLine++;
            continue;
          }
        }
        if (c === LF || c === CR) {
          if (state === State.Quoted) {
            if (firstBreak < 0) {
              firstBreak = base + i - start;
              secondLine = firstBreak + 1;
              spanningField = fieldStarts.length;
              crPending = c === CR;
            }
            continue;
          }
          if (state !== State.Broken && state !== State.TooLarge && fieldCountWrong()) return recover(chunk, start, i, fieldCountWhy());
          if (state !== State.TooLarge && base + i - start > this.maxChars) {
            if (firstBreak >= 0) return recover(chunk, start, i, `spans more than ${this.maxChars} characters`);
            parts.push(chunk.slice(start, start + Math.max(0, this.maxChars - base)));
            state = State.TooLarge;
          }
          this.pos = i + 1;
          this.skipLf = c === CR;
          return finish(chunk, start, i);
        }
        switch (state) {
          case State.FieldStart:
            if (c === QUOTE) {
              state = State.Quoted;
              quoted[quoted.length - 1] = true;
            } else if (c === COMMA) {
              fieldStarts.push(base + i - start + 1);
              quoted.push(false);
            } else {
              state = State.Unquoted;
            }
            break;
          case State.Unquoted:
            if (c === COMMA) {
              state = State.FieldStart;
              fieldStarts.push(base + i - start + 1);
              quoted.push(false);
            } else if (c === QUOTE) {
              if (firstBreak >= 0) return recover(chunk, start, i, `spans several lines and is followed by a stray quote in field ${fieldStarts.length}`);
              state = State.Broken;
              brokenDetail = `a quote appears inside field ${fieldStarts.length}, which does not start with a quote`;
            }
            break;
          case State.Quoted:
            if (c === QUOTE) state = State.QuoteInQuoted;
            break;
          case State.QuoteInQuoted:
            if (c === QUOTE) {
              state = State.Quoted;
            } else if (c === COMMA) {
              state = State.FieldStart;
              fieldStarts.push(base + i - start + 1);
              quoted.push(false);
            } else {
              if (firstBreak >= 0) return recover(chunk, start, i, 'spans several lines and is followed by text after its closing quote');
              state = State.Broken;
              brokenDetail = `text follows the closing quote of field ${fieldStarts.length}`;
            }
            break;
          case State.Broken:
          case State.TooLarge:
            break;
        }
      }
      this.pos = i;
      if (state === State.TooLarge) continue;
      const length = base + i - start;
      if (length > this.maxChars) {
        if (firstBreak >= 0) return recover(chunk, start, i, `spans more than ${this.maxChars} characters`);
        parts.push(chunk.slice(start, start + Math.max(0, this.maxChars - base)));
        state = State.TooLarge;
        continue;
      }
      parts.push(chunk.slice(start, i));
      base = length;
    }
  }
}

/** Best effort for a record that cannot be parsed: commas split it, enclosing quotes go. */
function splitLoosely(raw: string): string[] {
  return raw.split(',').map((cell) => cell.replace(/^"|"$/g, '').replaceAll('""', '"'));
}

/** A record's problem in the user's words, whole in each language. */
export function describeRecordProblem(problem: RecordProblem): Said {
  switch (problem.kind) {
    case 'field_count':
      return say('csv.fieldCount', { actual: problem.actual, expected: problem.expected });
    case 'quoting': {
      const field = /field (\d+)/.exec(problem.detail)?.[1];
      return field ? say('csv.brokenQuotingInField', { detail: problem.detail, field }) : say('csv.brokenQuoting', { detail: problem.detail });
    }
    case 'too_large':
      return say('csv.recordTooLong', { detail: problem.detail, limit: /\d+/.exec(problem.detail)?.[0] ?? MAX_RECORD_CHARS });
    case 'nul': {
      const { position, name } = problem.column ?? { position: 0, name: '' };
      return say('csv.nulInValue', { position, name });
    }
  }
}
