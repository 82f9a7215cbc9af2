import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it, vi } from 'vitest';
import { KaiyakuError, words } from '../../src/errors.js';
import { openCsv } from '../../src/csv/read.js';
import { stringify } from 'csv-stringify/sync';
import { closeTogether, csvText, neutraliseCell, openCsvWriter, writeCsvFile } from '../../src/csv/write.js';
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
    const w = await openCsvWriter({ path, encoding: 'utf8-bom', encodingOption: '--encoding', header: ['契約番号', '備考', '数'] });
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
    expect(await writeCsvFile({ path, encoding: 'utf8', encodingOption: '--encoding', header: ['a'], rows: [['契約']] })).toBe(1);
    expect(readFileSync(path, 'utf8')).toBe('a\r\n契約\r\n');
  });

  it('neutralises injection payloads in the file and keeps negative numbers as numbers', async () => {
    const path = outPath();
    await writeCsvFile({
      path,
      encoding: 'utf8',
      encodingOption: '--encoding',
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
    await writeCsvFile({ path, encoding: 'cp932', encodingOption: '--encoding', header: ['契約番号', '備考', '提供元'], rows });
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
      const w = await openCsvWriter({ path, encoding: 'cp932', encodingOption: '--encoding', header: ['契約番号', '利用者'] });
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

  it('names the file, the input row, the column and the option to use', async () => {
    const path = outPath();
    const w = await openCsvWriter({
      path,
      encoding: 'cp932',
      encodingOption: '--report-encoding',
      what: words('the error file', 'エラーファイル'),
      header: ['契約番号', '備考'],
    });
    await w.writeRows([['NCN1', '山田']], [2]);
    const err = (await w
      .writeRows(
        [
          ['NCN2', 'ok'],
          ['NCN5', '𠮷野家'],
        ],
        [3, 5],
      )
      .catch((e: unknown) => e)) as KaiyakuError;
    expect(err.code).toBe('CP932_UNREPRESENTABLE');
    expect(err.words.en).toBe(
      `the error file ${path}, input row 5, column "備考": "𠮷" (U+20BB7) cannot be written in CP932; use --report-encoding utf8-bom to write it as it is`,
    );
    expect(err.words.ja).toContain('エラーファイル');
    expect(err.words.ja).toContain('入力 5 行目');
    expect(err.words.ja).toContain('--report-encoding utf8-bom');
    expect(existsSync(path)).toBe(false);
    expect(leftovers(path)).toEqual([]);
  });

  it('names the header when a header cell cannot be written, and leaves no file', async () => {
    const path = outPath();
    const err = (await openCsvWriter({ path, encoding: 'cp932', encodingOption: '--encoding', header: ['契約番号', '𠮷'] }).catch(
      (e: unknown) => e,
    )) as KaiyakuError;
    expect(err.code).toBe('CP932_UNREPRESENTABLE');
    expect(err.words.en).toContain('the header');
    expect(err.words.en).toContain('--encoding utf8-bom');
    expect(existsSync(path)).toBe(false);
    expect(leftovers(path)).toEqual([]);
  });

  it('gives two writers of one path temporaries of their own', async () => {
    const path = outPath();
    const a = await openCsvWriter({ path, encoding: 'utf8', encodingOption: '--encoding', header: ['a'] });
    const b = await openCsvWriter({ path, encoding: 'utf8', encodingOption: '--encoding', header: ['b'] });
    expect(leftovers(path)).toHaveLength(2);
    await a.abort();
    await b.close();
    expect(readFileSync(path, 'utf8')).toBe('b\r\n');
    expect(leftovers(path)).toEqual([]);
  });

  it('writes under a temporary name and renames on close', async () => {
    const path = outPath();
    const w = await openCsvWriter({ path, encoding: 'utf8-bom', encodingOption: '--encoding', header: ['a'] });
    await w.writeRow(['1']);
    expect(existsSync(path)).toBe(false);
    expect(leftovers(path)).toEqual([expect.stringMatching(new RegExp(`^${path.split('/').pop()}\\.tmp-${process.pid}-\\d+$`))]);
    await w.close();
    expect(existsSync(path)).toBe(true);
    expect(leftovers(path)).toEqual([]);
  });

  it('on abort leaves neither the file nor its temporary', async () => {
    const path = outPath();
    const w = await openCsvWriter({ path, encoding: 'utf8', encodingOption: '--encoding', header: ['a'] });
    await w.writeRow(['1']);
    await w.abort();
    expect(existsSync(path)).toBe(false);
    expect(leftovers(path)).toEqual([]);
    await expect(
      writeCsvFile({
        path,
        encoding: 'utf8',
        encodingOption: '--encoding',
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
    expect(await writeCsvFile({ path, encoding: 'cp932', encodingOption: '--encoding', header: ['n', 'contract_no', 'pad'], rows })).toBe(10_000);
    expect(readFileSync(path, 'latin1').split('\r\n')).toHaveLength(10_002);
  });

  it('reports a folder that does not exist as FILE_UNWRITABLE', async () => {
    const path = tmp.path('no/such/dir/out.csv');
    const err = (await openCsvWriter({
      path,
      encoding: 'utf8',
      encodingOption: '--encoding',
      what: words('the contract list', '契約一覧'),
      header: ['a'],
    }).catch((e: unknown) => e)) as KaiyakuError;
    expect(err.code).toBe('FILE_UNWRITABLE');
    expect(err.words.en).toBe(`cannot write the contract list ${path}: ENOENT: no such file or directory`);
  });

  it('writes to stdout without a path', async () => {
    const chunks: Buffer[] = [];
    // As stdout does, the callback of a write runs once it is written (the writer waits for it before it ends).
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, encodingOrDone?: unknown, done?: unknown) => {
      chunks.push(Buffer.from(chunk));
      const callback = typeof encodingOrDone === 'function' ? encodingOrDone : done;
      if (typeof callback === 'function') queueMicrotask(() => (callback as (err?: Error | null) => void)(null));
      return true;
    });
    try {
      expect(await writeCsvFile({ path: undefined, encoding: 'utf8-bom', encodingOption: '--encoding', header: ['a', 'b'], rows: [['=1', 2]] })).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(Buffer.concat(chunks).toString('utf8')).toBe("\uFEFFa,b\r\n'=1,2\r\n");
  });
});

describe('closeTogether', () => {
  const open = (path: string, encoding: 'utf8' | 'cp932' = 'utf8') => openCsvWriter({ path, encoding, encodingOption: '--report-encoding', header: ['a'] });

  it('renames every file once all are complete', async () => {
    const [p1, p2] = [outPath(), outPath()];
    const [w1, w2] = [await open(p1), await open(p2)];
    await w1.writeRow(['1']);
    await w2.writeRow(['2']);
    await w1.seal();
    expect(existsSync(p1)).toBe(false);
    await closeTogether([w1, w2]);
    expect(readFileSync(p1, 'utf8')).toBe('a\r\n1\r\n');
    expect(readFileSync(p2, 'utf8')).toBe('a\r\n2\r\n');
    expect(leftovers(p1)).toEqual([]);
  });

  it('leaves neither file when one of them failed, and what was there before stays', async () => {
    const [p1, p2] = [outPath(), outPath()];
    writeFileSync(p1, 'earlier report\r\n');
    const [w1, w2] = [await open(p1), await open(p2, 'cp932')];
    await w1.writeRows(Array.from({ length: 500 }, (_, i) => [String(i)]));
    await expect(w2.writeRow(['𠮷'])).rejects.toMatchObject({ code: 'CP932_UNREPRESENTABLE' });
    await expect(closeTogether([w2, w1])).rejects.toMatchObject({ code: 'CP932_UNREPRESENTABLE' });
    expect(readFileSync(p1, 'utf8')).toBe('earlier report\r\n');
    expect(existsSync(p2)).toBe(false);
    expect(leftovers(p1)).toEqual([]);
  });

  it('when a final name cannot be replaced (a folder stands there), none is renamed and no temporary stays', async () => {
    const [p1, p2] = [outPath(), outPath()];
    mkdirSync(p2); // a folder where the second file should go
    const [w1, w2] = [await open(p1), await open(p2)];
    const err = (await closeTogether([w1, w2]).catch((e: unknown) => e)) as KaiyakuError;
    expect(err.code).toBe('FILE_UNWRITABLE');
    expect(err.words.en).toContain(p2);
    expect(existsSync(p1)).toBe(false);
    expect(leftovers(p1)).toEqual([]);
  });
});
