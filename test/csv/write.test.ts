import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it, vi } from 'vitest';
import { KaiyakuError } from '../../src/errors.js';
import { openCsv } from '../../src/csv/read.js';
import { stringify } from 'csv-stringify/sync';
import { csvText, neutraliseCell, openCsvWriter, writeCsvFile } from '../../src/csv/write.js';
import { useTempDir } from './useTempDir.js';

const tmp = useTempDir();
let seq = 0;
const outPath = () => tmp.path(`out-${seq++}.csv`);
const leftovers = (path: string) => readdirSync(dirname(path)).filter((n) => n.includes('.tmp-'));

describe('neutraliseCell', () => {
  it('puts an apostrophe before what Excel would run as a formula', () => {
    const payloads = ["=cmd|' /C calc'!A0", '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1', '\n=1', '＝1+1', '＋1', '－1', '＠SUM(A1)'];
    for (const p of payloads) expect(neutraliseCell(p)).toBe(`'${p}`);
  });

  it('leaves ordinary text, numbers and booleans readable', () => {
    expect(neutraliseCell('NCN202107-0000003109')).toBe('NCN202107-0000003109');
    expect(neutraliseCell('a=b')).toBe('a=b');
    expect(neutraliseCell(-2610)).toBe('-2610');
    expect(neutraliseCell(0)).toBe('0');
    expect(neutraliseCell(true)).toBe('true');
    expect(neutraliseCell(false)).toBe('false');
    expect(neutraliseCell(null)).toBe('');
    expect(neutraliseCell(undefined)).toBe('');
    expect(neutraliseCell('')).toBe('');
  });
});

describe('csvText', () => {
  const viaStringify = (records: string[][]): string => stringify(records, { record_delimiter: 'windows', quoted_match: /[\r\n]/ });

  it('writes exactly what csv-stringify writes, plain records and quoted ones alike', () => {
    const pieces = ['', 'a', 'Ｂ', '日本', ' ', ',', '"', '""', '\r', '\n', '\r\n', "'", '=1', '\t', '😀', '\u2028', 'x,y', 'say "hi"'];
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const cell = (): string => Array.from({ length: next(4) }, () => pieces[next(pieces.length)]!).join('');
    for (let round = 0; round < 300; round++) {
      const records = Array.from({ length: 1 + next(5) }, () => Array.from({ length: 1 + next(6) }, cell));
      expect(csvText(records), JSON.stringify(records)).toBe(viaStringify(records));
    }
    for (const records of [[['']], [['', '']], [['a'], ['']], [['契約番号', '解約数']], [['a,b', 'c']], [['a\rb']], [['a\nb', '']]]) {
      expect(csvText(records), JSON.stringify(records)).toBe(viaStringify(records));
    }
  });
});

describe('openCsvWriter', () => {
  it('writes a BOM, the header and CRLF rows, quoting where needed', async () => {
    const path = outPath();
    const w = await openCsvWriter({ path, encoding: 'utf8-bom', header: ['契約番号', '備考', '数'] });
    await w.writeRow(['NCN1', 'a, "b"', 3]);
    await w.writeRow(['NCN2', 'line\nbreak', null]);
    await w.writeRow(['NCN3', 'cr\ronly', -5]);
    expect(w.rowsWritten).toBe(3);
    await w.close();
    const bytes = readFileSync(path);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8')).toBe('契約番号,備考,数\r\nNCN1,"a, ""b""",3\r\nNCN2,"line\nbreak",\r\nNCN3,"cr\ronly",-5\r\n');
  });

  it('writes plain UTF-8 without a BOM', async () => {
    const path = outPath();
    expect(await writeCsvFile({ path, encoding: 'utf8', header: ['a'], rows: [['契約']] })).toBe(1);
    expect(readFileSync(path, 'utf8')).toBe('a\r\n契約\r\n');
  });

  it('neutralises injection payloads in the file and keeps negative numbers as numbers', async () => {
    const path = outPath();
    await writeCsvFile({
      path,
      encoding: 'utf8',
      header: ['cell'],
      rows: [["=cmd|' /C calc'!A0"], ['+1+1'], ['-2+3'], ['@SUM(A1)'], ['\t=1'], ['＝1'], [-2610], ['-2610']],
    });
    expect(readFileSync(path, 'utf8').split('\r\n')).toEqual([
      'cell',
      "'=cmd|' /C calc'!A0",
      "'+1+1",
      "'-2+3",
      "'@SUM(A1)",
      "'\t=1",
      "'＝1",
      '-2610',
      "'-2610",
      '',
    ]);
  });

  it('writes CP932 that decodes back, and that our reader reads back', async () => {
    const path = outPath();
    const rows = [
      ['NCN202107-0000003109', 'ｶﾅ ①髙 ～', 'Ｍｉｃｒｏｓｏｆｔ'],
      ['NCN202107-0000003110', '〜 − ‖', '?'],
    ];
    await writeCsvFile({ path, encoding: 'cp932', header: ['契約番号', '備考', '提供元'], rows });
    expect(iconv.decode(readFileSync(path), 'cp932')).toBe(
      '契約番号,備考,提供元\r\nNCN202107-0000003109,ｶﾅ ①髙 ～,Ｍｉｃｒｏｓｏｆｔ\r\nNCN202107-0000003110,～ － ∥,?\r\n',
    );
    const input = await openCsv(path, 'cp932');
    expect(input.header).toEqual(['契約番号', '備考', '提供元']);
    const back: string[][] = [];
    for await (const r of input.records) back.push(r.fields);
    expect(back[0]).toEqual(rows[0]);
  });

  it('refuses a character CP932 lacks, naming row, column and code point, and leaves no file', async () => {
    for (const [ch, code] of [
      ['𠮷', 'U+20BB7'],
      ['😀', 'U+1F600'],
    ] as const) {
      const path = outPath();
      const w = await openCsvWriter({ path, encoding: 'cp932', header: ['契約番号', '利用者'] });
      await w.writeRow(['NCN1', '山田']);
      const err: unknown = await w.writeRow(['NCN2', `吉田と${ch}田`]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KaiyakuError);
      expect((err as KaiyakuError).code).toBe('CP932_UNREPRESENTABLE');
      expect((err as Error).message).toContain('row 2');
      expect((err as Error).message).toContain('利用者');
      expect((err as Error).message).toContain(code);
      await expect(w.close()).rejects.toBe(err);
      expect(existsSync(path)).toBe(false);
      expect(leftovers(path)).toEqual([]);
    }
  });

  it('writes under a temporary name and renames on close', async () => {
    const path = outPath();
    const w = await openCsvWriter({ path, encoding: 'utf8-bom', header: ['a'] });
    await w.writeRow(['1']);
    expect(existsSync(path)).toBe(false);
    expect(leftovers(path)).toEqual([`${path.split('/').pop()}.tmp-${process.pid}`]);
    await w.close();
    expect(existsSync(path)).toBe(true);
    expect(leftovers(path)).toEqual([]);
  });

  it('on abort leaves neither the file nor its temporary', async () => {
    const path = outPath();
    const w = await openCsvWriter({ path, encoding: 'utf8', header: ['a'] });
    await w.writeRow(['1']);
    await w.abort();
    expect(existsSync(path)).toBe(false);
    expect(leftovers(path)).toEqual([]);
    await expect(
      writeCsvFile({
        path,
        encoding: 'utf8',
        header: ['a'],
        rows: (async function* () {
          yield ['1'];
          throw new Error('source failed');
        })(),
      }),
    ).rejects.toThrow('source failed');
    expect(existsSync(path)).toBe(false);
    expect(leftovers(path)).toEqual([]);
  });

  it('writes many rows through backpressure', async () => {
    const path = outPath();
    const rows = (function* () {
      for (let i = 0; i < 10_000; i++) yield [i, `NCN202107-${String(i).padStart(10, '0')}`, 'x'.repeat(40)];
    })();
    expect(await writeCsvFile({ path, encoding: 'cp932', header: ['n', 'contract_no', 'pad'], rows })).toBe(10_000);
    expect(readFileSync(path, 'latin1').split('\r\n')).toHaveLength(10_002);
  });

  it('reports a folder that does not exist as FILE_UNWRITABLE', async () => {
    await expect(openCsvWriter({ path: tmp.path('no/such/dir/out.csv'), encoding: 'utf8', header: ['a'] })).rejects.toMatchObject({
      code: 'FILE_UNWRITABLE',
    });
  });

  it('writes to stdout without a path', async () => {
    const chunks: Buffer[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(Buffer.from(chunk));
      return true;
    });
    try {
      expect(await writeCsvFile({ path: undefined, encoding: 'utf8-bom', header: ['a', 'b'], rows: [['=1', 2]] })).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(Buffer.concat(chunks).toString('utf8')).toBe("\uFEFFa,b\r\n'=1,2\r\n");
  });
});
