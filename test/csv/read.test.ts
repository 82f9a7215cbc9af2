import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { KaiyakuError } from '../../src/errors.js';
import { describeRecordProblem, openCsv, type InputRecord } from '../../src/csv/read.js';
import { useTempDir } from './useTempDir.js';

const tmp = useTempDir();
let seq = 0;

/**
 * Reads the file once with the normal read size and again in chunks of 1 to 5 bytes,
 * which must give the same result: every split of a CRLF, a quote pair or a multi-byte
 * character then occurs somewhere.
 */
async function read(content: string | Uint8Array, encoding: 'utf8' | 'cp932' = 'utf8', maxRecordChars?: number) {
  const file = tmp.write(`in-${seq++}.csv`, content);
  const readWith = async (chunkBytes?: number) => {
    const options = { ...(maxRecordChars === undefined ? {} : { maxRecordChars }), ...(chunkBytes === undefined ? {} : { chunkBytes }) };
    const input = await openCsv(file, encoding, options);
    const records: InputRecord[] = [];
    for await (const r of input.records) records.push(r);
    return { header: input.header, headerRaw: input.headerRaw, records };
  };
  const whole = await readWith();
  const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  if (size < 20_000) {
    for (const chunkBytes of [1, 2, 3, 5]) expect(await readWith(chunkBytes)).toEqual(whole);
  }
  return whole;
}

const brief = (records: InputRecord[]) => records.map((r) => ({ row: r.row, fields: r.fields, kind: r.problem?.kind }));

describe('openCsv', () => {
  it('reads a UTF-8 file with a BOM: header without the BOM, cells as they came', async () => {
    const { header, headerRaw, records } = await read('\uFEFF契約番号,解約数,備考\r\nＮＣＮ２０２１０７－０００００３１０９, ３ ,"a, ""b"""\r\n');
    expect(header).toEqual(['契約番号', '解約数', '備考']);
    expect(headerRaw).toBe('契約番号,解約数,備考');
    expect(records).toEqual([
      { row: 1, fields: ['ＮＣＮ２０２１０７－０００００３１０９', ' ３ ', 'a, "b"'], raw: 'ＮＣＮ２０２１０７－０００００３１０９, ３ ,"a, ""b"""' },
    ]);
  });

  it('reads CP932 with Japanese headers and full-width digits', async () => {
    const bytes = iconv.encode('契約番号,商品コード,解約数\r\nＮＣＮ２０２１０７－０００００３１０９,ｶﾅ-1,２\r\n', 'cp932');
    const { header, records } = await read(bytes, 'cp932');
    expect(header).toEqual(['契約番号', '商品コード', '解約数']);
    expect(brief(records)).toEqual([{ row: 1, fields: ['ＮＣＮ２０２１０７－０００００３１０９', 'ｶﾅ-1', '２'], kind: undefined }]);
  });

  it('reads CP932 split across many stream chunks without breaking characters', async () => {
    const line = 'ＮＣＮ２０２１０７－０００００３１０９,契約終了日の備考です\r\n';
    const bytes = iconv.encode('契約番号,備考\r\n' + line.repeat(5000), 'cp932');
    const { records } = await read(bytes, 'cp932');
    expect(records).toHaveLength(5000);
    expect(records.every((r) => r.problem === undefined && r.fields[1] === '契約終了日の備考です')).toBe(true);
  });

  it('skips blank lines and Excel ,,,, rows but counts them in the row numbers', async () => {
    const { records } = await read('contract_no,note,cancel_quantity\nA1,x,1\n\nA2,y,2\n,,\n , ,\u3000\nA3,z,3\n,,\n,,\n\n');
    expect(brief(records)).toEqual([
      { row: 1, fields: ['A1', 'x', '1'], kind: undefined },
      { row: 3, fields: ['A2', 'y', '2'], kind: undefined },
      { row: 6, fields: ['A3', 'z', '3'], kind: undefined },
    ]);
  });

  it('accepts CRLF, LF and CR line endings, even mixed', async () => {
    for (const eol of ['\r\n', '\n', '\r']) {
      const { header, records } = await read(['a,b', '1,2', '3,4', ''].join(eol));
      expect(header).toEqual(['a', 'b']);
      expect(brief(records)).toEqual([
        { row: 1, fields: ['1', '2'], kind: undefined },
        { row: 2, fields: ['3', '4'], kind: undefined },
      ]);
    }
    const mixed = await read('a,b\r1,2\n3,4\r\n5,6\r\r\n7,8');
    expect(mixed.records.map((r) => [r.row, r.raw])).toEqual([
      [1, '1,2'],
      [2, '3,4'],
      [3, '5,6'],
      [5, '7,8'],
    ]);
  });

  it('keeps line breaks inside quoted cells as they were', async () => {
    const { records } = await read('a,b,c\r\n1,"two\r\nlines",3\r\n4,"x\ny\rz",6\r\n7,8,9\r\n');
    expect(brief(records)).toEqual([
      { row: 1, fields: ['1', 'two\r\nlines', '3'], kind: undefined },
      { row: 2, fields: ['4', 'x\ny\rz', '6'], kind: undefined },
      { row: 3, fields: ['7', '8', '9'], kind: undefined },
    ]);
    expect(records[0]?.raw).toBe('1,"two\r\nlines",3');
  });

  it('flags a record with the wrong field count and reads on', async () => {
    const { records } = await read('a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n');
    expect(brief(records)).toEqual([
      { row: 1, fields: ['1', '2', '3'], kind: undefined },
      { row: 2, fields: ['4', '5'], kind: 'field_count' },
      { row: 3, fields: ['6', '7', '8', '9'], kind: 'field_count' },
      { row: 4, fields: ['10', '11', '12'], kind: undefined },
    ]);
    expect(records[1]?.problem).toMatchObject({ expected: 3, actual: 2 });
    expect(records[2]?.raw).toBe('6,7,8,9');
  });

  it('flags an unclosed quote in the middle of the file and reads the following records', async () => {
    const { records } = await read('契約番号,備考\r\nA1,ok\r\nA2,"unclosed\r\nA3,fine\r\nA4,fine\r\n');
    expect(brief(records)).toEqual([
      { row: 1, fields: ['A1', 'ok'], kind: undefined },
      { row: 2, fields: ['A2', 'unclosed'], kind: 'quoting' },
      { row: 3, fields: ['A3', 'fine'], kind: undefined },
      { row: 4, fields: ['A4', 'fine'], kind: undefined },
    ]);
    expect(records[1]?.raw).toBe('A2,"unclosed');
    expect(records[1]?.problem?.detail).toContain('not closed');
  });

  it('recovers when an unclosed quote runs into a later, properly quoted cell', async () => {
    const { records } = await read('a,b\nA1,"oops\nA2,x\nA3,"quoted, with comma"\nA4,y\n');
    expect(brief(records)).toEqual([
      { row: 1, fields: ['A1', 'oops'], kind: 'quoting' },
      { row: 2, fields: ['A2', 'x'], kind: undefined },
      { row: 3, fields: ['A3', 'quoted, with comma'], kind: undefined },
      { row: 4, fields: ['A4', 'y'], kind: undefined },
    ]);
  });

  it('recovers from an unclosed quote on the last line', async () => {
    const { records } = await read('a,b\nA1,x\nA2,"oops');
    expect(brief(records)).toEqual([
      { row: 1, fields: ['A1', 'x'], kind: undefined },
      { row: 2, fields: ['A2', 'oops'], kind: 'quoting' },
    ]);
  });

  it('flags a stray quote inside an unquoted field and reads on', async () => {
    const { records } = await read('a,b,c\n1,ab"c,3\n4,5,6\n7,"x"y,9\n10,11,12\n');
    expect(brief(records)).toEqual([
      { row: 1, fields: ['1', 'ab"c', '3'], kind: 'quoting' },
      { row: 2, fields: ['4', '5', '6'], kind: undefined },
      { row: 3, fields: ['7', 'x"y', '9'], kind: 'quoting' },
      { row: 4, fields: ['10', '11', '12'], kind: undefined },
    ]);
    expect(records[0]?.raw).toBe('1,ab"c,3');
  });

  it('takes a multi-line record that ends with the wrong field count as a broken quote', async () => {
    const { records } = await read('a,b,c\n1,"x\n2,y"\n3,4,5\n');
    expect(brief(records)).toEqual([
      { row: 1, fields: ['1', 'x'], kind: 'quoting' },
      { row: 2, fields: ['2', 'y'], kind: 'quoting' },
      { row: 3, fields: ['3', '4', '5'], kind: undefined },
    ]);
  });

  it('recovers after a CR-only broken quote without inventing a blank row', async () => {
    const { records } = await read('a,b\r\nA1,"oops\r\nA2,x\r\n');
    expect(records.map((r) => r.row)).toEqual([1, 2]);
    const cr = await read('a,b\rA1,"oops\rA2,x\r');
    expect(brief(cr.records)).toEqual([
      { row: 1, fields: ['A1', 'oops'], kind: 'quoting' },
      { row: 2, fields: ['A2', 'x'], kind: undefined },
    ]);
  });

  it('reads a NUL byte as part of its cell, and flags the record naming the first column that holds one', async () => {
    const { records } = await read(Buffer.from('a,備考\n1,2\nx,y\u0000z\n\u0000,\u0000\n3,4\n', 'utf8'));
    expect(brief(records)).toEqual([
      { row: 1, fields: ['1', '2'], kind: undefined },
      { row: 2, fields: ['x', 'y\u0000z'], kind: 'nul' },
      { row: 3, fields: ['\u0000', '\u0000'], kind: 'nul' },
      { row: 4, fields: ['3', '4'], kind: undefined },
    ]);
    expect(records[1]!.problem).toMatchObject({ column: { position: 2, name: '備考' } });
    expect(describeRecordProblem(records[1]!.problem!)).toMatchObject({
      en: 'column 2 (備考) holds a NUL character (a 0x00 byte), which no value may contain: remove it',
      ja: '2 列目（備考）に NUL 文字（0x00 のバイト）があります。値に含めることはできないため、削除してください',
    });
    expect(records[2]!.problem).toMatchObject({ column: { position: 1, name: 'a' } });
  });

  it('reports a 10 MB single line as too large without holding it, and reads on', async () => {
    const huge = 'N' + 'x'.repeat(10 * 1024 * 1024);
    const { records } = await read(`a,b\n1,2\n${huge},z\n3,4\n`);
    expect(brief(records).map(({ row, kind }) => ({ row, kind }))).toEqual([
      { row: 1, kind: undefined },
      { row: 2, kind: 'too_large' },
      { row: 3, kind: undefined },
    ]);
    expect(records[1]?.raw.length).toBeLessThanOrEqual(1_000_000);
    expect(records[2]?.fields).toEqual(['3', '4']);
  });

  it('reports an unclosed quote that runs past the size limit and reads the lines after it', async () => {
    const body = Array.from({ length: 200 }, (_, i) => `B${i},plain`).join('\n');
    const { records } = await read(`a,b\nA1,"oops\n${body}\n`, 'utf8', 500);
    expect(records[0]).toMatchObject({ row: 1, problem: { kind: 'quoting' } });
    expect(records).toHaveLength(201);
    expect(records.slice(1).every((r, i) => r.problem === undefined && r.fields[0] === `B${i}`)).toBe(true);
  });

  it('reads a header-only file as no records, and an empty file as EMPTY_FILE', async () => {
    expect((await read('契約番号,備考\r\n')).records).toEqual([]);
    expect((await read('契約番号,備考')).header).toEqual(['契約番号', '備考']);
    for (const empty of ['', '\uFEFF', '\r\n\r\n', ',,,\r\n']) {
      const file = tmp.write(`empty-${seq++}.csv`, empty);
      await expect(openCsv(file, 'utf8')).rejects.toMatchObject({ code: 'EMPTY_FILE' });
    }
  });

  it('reports a missing file as FILE_NOT_FOUND', async () => {
    const err: unknown = await openCsv(tmp.path('missing.csv'), 'utf8').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KaiyakuError);
    expect((err as KaiyakuError).code).toBe('FILE_NOT_FOUND');
  });

  it('can iterate the records twice', async () => {
    const file = tmp.write('twice.csv', 'a\n1\n2\n');
    const input = await openCsv(file, 'utf8');
    const rows = async () => {
      const out: number[] = [];
      for await (const r of input.records) out.push(r.row);
      return out;
    };
    expect(await rows()).toEqual([1, 2]);
    expect(await rows()).toEqual([1, 2]);
  });
});
