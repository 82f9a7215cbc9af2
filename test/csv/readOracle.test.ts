import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { openCsv } from '../../src/csv/read.js';
import { useTempDir } from './useTempDir.js';

const tmp = useTempDir();

/** Small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'Z', '9', ' ', '契約', 'ｶﾅ', '－', '"', ',', '\r\n', '\n', '\r', '=1', '\u3000'];

function makeCell(next: () => number): string {
  const length = Math.floor(next() * 6);
  let cell = 'x';
  for (let i = 0; i < length; i++) cell += PIECES[Math.floor(next() * PIECES.length)];
  return cell;
}

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

// csv-parse is the reference here: on well-formed CSV our scanner must find the same
// records and cells, whichever way the stream happens to cut the text into chunks.
describe('openCsv against csv-parse on well-formed files', () => {
  for (const [seed, eol, encoding, rowCount, chunkBytes] of [
    [1, '\r\n', 'utf8', 3000, undefined],
    [2, '\n', 'utf8', 3000, undefined],
    [3, '\r', 'utf8', 3000, undefined],
    [4, '\r\n', 'cp932', 3000, undefined],
    [5, '\r\n', 'utf8', 300, 7],
    [6, '\r', 'cp932', 300, 3],
  ] as const) {
    it(`finds the same records (seed ${seed}, ${JSON.stringify(eol)}, ${encoding}, chunks of ${chunkBytes ?? 'default'} bytes)`, async () => {
      const next = random(seed);
      const header = ['c1', 'c2', 'c3', 'c4'];
      const rows = Array.from({ length: rowCount }, () => header.map(() => makeCell(next)));
      const text = [header, ...rows].map((r) => r.map(quote).join(',')).join(eol) + eol;
      const file = tmp.write(`oracle-${seed}.csv`, encoding === 'cp932' ? iconv.encode(text, 'cp932') : text);

      const expected = parse(text, { record_delimiter: eol }) as string[][];
      const input = await openCsv(file, encoding, chunkBytes === undefined ? {} : { chunkBytes });
      const got: string[][] = [input.header];
      for await (const r of input.records) {
        expect(r.problem).toBeUndefined();
        got.push(r.fields);
      }
      expect(got).toEqual(expected);
      expect(got).toEqual([header, ...rows]);
    });
  }
});
