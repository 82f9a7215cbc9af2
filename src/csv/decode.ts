import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { KaiyakuError, fileError } from '../errors.js';
import { say } from '../messages/index.js';
import { iconv } from './lazy.js';

export type InputEncoding = 'auto' | 'utf8' | 'cp932';
export type DetectedEncoding = 'utf8' | 'cp932';

export interface FileInspection {
  encoding: DetectedEncoding;
  hasBom: boolean;
  /** Hex sha256 of the file's bytes: the same file given twice is recognised by it. */
  sha256: string;
  bytes: number;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * Reads the whole file once, as a stream, and decides its encoding: strict UTF-8 (BOM
 * allowed) over every byte first, then CP932 over every byte. Pure ASCII is UTF-8. A
 * forced encoding skips the choice but still refuses bytes that are invalid in it, so a
 * wrong `--encoding` stops the file instead of producing mojibake rows.
 */
export async function inspectFile(path: string, forced: InputEncoding): Promise<FileInspection> {
  const hash = createHash('sha256');
  const utf8 = forced === 'cp932' ? null : new Utf8Check();
  const cp932 = forced === 'utf8' ? null : new Cp932Check();
  const head: number[] = [];
  let bytes = 0;

  const stream = createReadStream(path);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      for (let i = 0; head.length < UTF8_BOM.length && i < chunk.length; i++) head.push(chunk[i]!);
      utf8?.write(chunk);
      cp932?.write(chunk, bytes);
      bytes += chunk.length;
      // Once neither encoding can hold, the answer is known; reading on would only cost time.
      if (forced === 'auto' && !utf8?.valid && !cp932?.valid) break;
    }
  } catch (err) {
    throw fileError(err, path);
  } finally {
    stream.destroy();
  }
  utf8?.end();
  cp932?.end(bytes);

  const hasBom = UTF8_BOM.every((b, i) => head[i] === b);
  const found = (encoding: DetectedEncoding): FileInspection => ({
    encoding,
    hasBom: encoding === 'utf8' && hasBom,
    sha256: hash.digest('hex'),
    bytes,
  });

  if (utf8?.valid) return found('utf8');
  if (cp932?.valid) return found('cp932');
  const where = cp932?.invalidAt === undefined ? say('csv.noOffset') : say('csv.cp932Offset', { invalidAt: cp932.invalidAt });
  switch (forced) {
    case 'utf8':
      throw new KaiyakuError('ENCODING_UNDETECTABLE', say('csv.notUtf8', { path }));
    case 'cp932':
      throw new KaiyakuError('ENCODING_UNDETECTABLE', say('csv.notCp932', { path, where }));
    case 'auto':
      throw new KaiyakuError('ENCODING_UNDETECTABLE', say('csv.encodingUnknown', { path, where }));
  }
}

class Utf8Check {
  valid = true;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  write(chunk: Buffer): void {
    if (!this.valid) return;
    try {
      this.decoder.decode(chunk, { stream: true });
    } catch {
      this.valid = false;
    }
  }

  end(): void {
    if (!this.valid) return;
    try {
      this.decoder.decode();
    } catch {
      this.valid = false;
    }
  }
}

/**
 * Byte structure first (lead 81–9F/E0–FC with trail 40–7E/80–FC; single bytes 00–7F and
 * half-width katakana A1–DF), which finds the offset of the first bad byte and refuses
 * 80, A0 and FD–FF even where Windows would map them; then iconv-lite's table, which
 * catches well-formed pairs that map to nothing (U+FFFD).
 */
class Cp932Check {
  valid = true;
  invalidAt: number | undefined;
  private lead = false;
  private readonly decoder = iconv().getDecoder('cp932');

  write(chunk: Buffer, offset: number): void {
    if (!this.valid) return;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.lead) {
        this.lead = false;
        if ((b >= 0x40 && b <= 0x7e) || (b >= 0x80 && b <= 0xfc)) continue;
        return this.fail(offset + i);
      }
      if (b < 0x80 || (b >= 0xa1 && b <= 0xdf)) continue;
      if ((b >= 0x81 && b <= 0x9f) || (b >= 0xe0 && b <= 0xfc)) {
        this.lead = true;
        continue;
      }
      return this.fail(offset + i);
    }
    if (this.decoder.write(chunk).includes('\uFFFD')) this.valid = false;
  }

  end(size: number): void {
    if (!this.valid) return;
    if (this.lead) return this.fail(size - 1);
    if (this.decoder.end()?.includes('\uFFFD')) this.valid = false;
  }

  private fail(at: number): void {
    this.valid = false;
    this.invalidAt = at;
  }
}
