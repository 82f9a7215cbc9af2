import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { inspectFile } from '../../src/csv/decode.js';
import { KaiyakuError } from '../../src/errors.js';
import { useTempDir } from './useTempDir.js';

const tmp = useTempDir();
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const JAPANESE = '契約番号,解約数\r\nＮＣＮ２０２１０７－０００００３１０９,３\r\n';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KaiyakuError);
  return (err as KaiyakuError).code;
}

describe('inspectFile', () => {
  it('takes UTF-8 without a BOM, with the sha256 and size of the bytes', async () => {
    const bytes = Buffer.from(JAPANESE, 'utf8');
    const file = tmp.write('utf8.csv', bytes);
    const found = await inspectFile(file, 'auto');
    expect(found).toEqual({
      encoding: 'utf8',
      hasBom: false,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
    });
  });

  it('takes UTF-8 with a BOM', async () => {
    const file = tmp.write('bom.csv', Buffer.concat([BOM, Buffer.from(JAPANESE, 'utf8')]));
    expect(await inspectFile(file, 'auto')).toMatchObject({ encoding: 'utf8', hasBom: true });
  });

  it('takes pure ASCII as UTF-8', async () => {
    const file = tmp.write('ascii.csv', 'contract_no\r\nNCN202107-0000003109\r\n');
    expect(await inspectFile(file, 'auto')).toMatchObject({ encoding: 'utf8', hasBom: false });
  });

  it('takes CP932 when the bytes are not UTF-8', async () => {
    const file = tmp.write('sjis.csv', iconv.encode(JAPANESE + 'ｶﾅ,①\r\n', 'cp932'));
    expect(await inspectFile(file, 'auto')).toMatchObject({ encoding: 'cp932', hasBom: false });
  });

  it('finds CP932 when the first non-ASCII byte is far into a large file', async () => {
    const ascii = 'contract_no,note\r\n' + 'NCN202107-0000003109,plain\r\n'.repeat(20_000);
    const file = tmp.write('late-sjis.csv', Buffer.concat([Buffer.from(ascii), iconv.encode('X,備考\r\n', 'cp932')]));
    expect(await inspectFile(file, 'auto')).toMatchObject({ encoding: 'cp932' });
  });

  it('refuses bytes that are neither UTF-8 nor CP932', async () => {
    const file = tmp.write('binary.csv', Buffer.from([0x61, 0x2c, 0x80, 0xff, 0xfe, 0x0d, 0x0a, 0xa0, 0xfd]));
    expect(await codeOf(inspectFile(file, 'auto'))).toBe('ENCODING_UNDETECTABLE');
  });

  it('refuses a CP932 lead byte with no valid trail byte', async () => {
    const file = tmp.write('bad-trail.csv', Buffer.from([0x61, 0x81, 0x0a]));
    expect(await codeOf(inspectFile(file, 'auto'))).toBe('ENCODING_UNDETECTABLE');
  });

  it('refuses a well-formed CP932 pair that maps to no character', async () => {
    const file = tmp.write('unassigned.csv', Buffer.from([0x61, 0x85, 0x40, 0x0a]));
    expect(await codeOf(inspectFile(file, 'auto'))).toBe('ENCODING_UNDETECTABLE');
  });

  it('never lets a lone surrogate through: UTF-8 that encodes one is not UTF-8, and CP932 has none', async () => {
    // ED A0 80 is U+D800 written as UTF-8 (CESU-8). Strict UTF-8 refuses it; read as CP932
    // the bytes are either refused or decode to characters of the BMP outside the surrogates.
    for (const bytes of [
      [0xed, 0xa0, 0x80],
      [0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80],
      [0x61, 0xed, 0xbf, 0xbf, 0x0a],
    ]) {
      const file = tmp.write(`surrogate-${bytes.join('-')}.csv`, Buffer.from(bytes));
      await expect(inspectFile(file, 'utf8')).rejects.toMatchObject({ code: 'ENCODING_UNDETECTABLE' });
      const found = await inspectFile(file, 'auto').catch((e: unknown) => e);
      if (found instanceof KaiyakuError) continue;
      expect(found).toMatchObject({ encoding: 'cp932' });
      expect(/[\uD800-\uDFFF]/.test(iconv.decode(Buffer.from(bytes), 'cp932'))).toBe(false);
    }
  });

  it('with --encoding utf8 refuses CP932 bytes instead of guessing', async () => {
    const file = tmp.write('forced-utf8.csv', iconv.encode(JAPANESE, 'cp932'));
    expect(await codeOf(inspectFile(file, 'utf8'))).toBe('ENCODING_UNDETECTABLE');
  });

  it('with --encoding cp932 reads valid CP932 and refuses invalid bytes', async () => {
    const ascii = tmp.write('forced-cp932-ascii.csv', 'contract_no\r\nA\r\n');
    expect(await inspectFile(ascii, 'cp932')).toMatchObject({ encoding: 'cp932' });
    const utf8 = tmp.write('forced-cp932-utf8.csv', Buffer.from('契約番号\r\n', 'utf8'));
    expect(await codeOf(inspectFile(utf8, 'cp932'))).toBe('ENCODING_UNDETECTABLE');
  });

  it('with --encoding utf8 keeps a UTF-8 file and its BOM', async () => {
    const file = tmp.write('forced-utf8-ok.csv', Buffer.concat([BOM, Buffer.from(JAPANESE)]));
    expect(await inspectFile(file, 'utf8')).toMatchObject({ encoding: 'utf8', hasBom: true });
  });

  it('gives the same sha256 for the same bytes under another name', async () => {
    const a = await inspectFile(tmp.write('same-a.csv', JAPANESE), 'auto');
    const b = await inspectFile(tmp.write('same-b.csv', JAPANESE), 'auto');
    const c = await inspectFile(tmp.write('same-c.csv', JAPANESE + '\r\n'), 'auto');
    expect(a.sha256).toBe(b.sha256);
    expect(c.sha256).not.toBe(a.sha256);
  });

  it('reports a missing file and a folder as file-level errors', async () => {
    expect(await codeOf(inspectFile(tmp.path('nope.csv'), 'auto'))).toBe('FILE_NOT_FOUND');
    mkdirSync(tmp.path('folder.csv'));
    expect(await codeOf(inspectFile(tmp.path('folder.csv'), 'auto'))).toBe('FILE_UNREADABLE');
  });
});
