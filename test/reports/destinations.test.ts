/**
 * The checks the CLI makes before opening the store, on real temp folders. We run as root,
 * where permission bits do not stop anything: unwritable places are made of a path whose
 * part is a regular file, or of folders that do not exist.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KaiyakuError } from '../../src/errors.js';
import { checkFolderCreatable, checkFolderWritable, checkOutputFile } from '../../src/files/destinations.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-dest-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const folder = fs.mkdirSync(path.join(root, 'folder'), { recursive: true })!;
const file = path.join(root, 'a-file.txt');
fs.writeFileSync(file, 'x');

function refusal(check: () => void): KaiyakuError {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(KaiyakuError);
    const e = error as KaiyakuError;
    expect(e.code).toBe('FILE_UNWRITABLE');
    expect(e.kind).toBe('input');
    return e;
  }
  throw new Error('the check passed');
}

/** Nothing left behind by a probe: no hidden file in the folder. */
const probes = (dir: string) => fs.readdirSync(dir).filter((n) => n.startsWith('.kaiyaku-probe-'));

describe('checkFolderWritable', () => {
  it('passes a folder a file can be created in, and leaves nothing in it', () => {
    expect(() => checkFolderWritable(folder, '--reports')).not.toThrow();
    expect(probes(folder)).toEqual([]);
  });

  it('refuses a folder that does not exist, naming the option and the path', () => {
    const missing = path.join(root, 'nope');
    const e = refusal(() => checkFolderWritable(missing, '--reports'));
    expect(e.words.en).toBe(`--reports ${missing}: the folder does not exist; nothing was done`);
    expect(e.words.ja).toContain('--reports');
    expect(e.words.ja).toContain(missing);
  });

  it('refuses a file given as a folder', () => {
    expect(refusal(() => checkFolderWritable(file, '--inbox')).words.en).toContain('is a file, not a folder');
  });

  it('refuses a folder under a file (a path part is a file)', () => {
    expect(refusal(() => checkFolderWritable(path.join(file, 'sub'), '--reports')).words.en).toContain('a part of the path is a file');
  });

  it('refuses a folder where no file can be created (a read-only mount), when there is one', () => {
    // /proc is read-only even for root; skip where it is not.
    const ro = '/proc/self';
    if (!fs.existsSync(ro)) return;
    expect(refusal(() => checkFolderWritable(ro, '--reports')).words.en).toContain('no file can be created in the folder');
  });
});

describe('checkOutputFile', () => {
  it('passes a new file in a writable folder, and an existing file (it will be replaced)', () => {
    expect(() => checkOutputFile(path.join(folder, 'new.csv'), '--out')).not.toThrow();
    expect(() => checkOutputFile(file, '--out')).not.toThrow();
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
    expect(probes(root)).toEqual([]);
  });

  it('refuses a folder, and a name ending in a slash', () => {
    expect(refusal(() => checkOutputFile(folder, '--out')).words.en).toContain('this is a folder');
    expect(refusal(() => checkOutputFile(`${path.join(root, 'x')}/`, '--out')).words.en).toContain('this is a folder');
  });

  it('refuses a file whose folder does not exist, or is a file', () => {
    const inMissing = path.join(root, 'nope', 'out.csv');
    expect(refusal(() => checkOutputFile(inMissing, '--summary-json')).words.en).toBe(
      `--summary-json ${inMissing}: the folder ${path.join(root, 'nope')} does not exist; nothing was done`,
    );
    expect(refusal(() => checkOutputFile(path.join(file, 'out.csv'), '--out')).words.en).toContain('a part of the path is a file');
  });
});

describe('checkFolderCreatable', () => {
  it('passes an existing folder and one whose missing parents can all be made, creating nothing', () => {
    expect(() => checkFolderCreatable(folder, '--archive')).not.toThrow();
    const deep = path.join(folder, 'a', 'b', 'c');
    expect(() => checkFolderCreatable(deep, '--archive')).not.toThrow();
    expect(fs.existsSync(path.join(folder, 'a'))).toBe(false);
    expect(probes(folder)).toEqual([]);
  });

  it('refuses a path that is a file', () => {
    expect(refusal(() => checkFolderCreatable(file, '--archive')).words.en).toContain('this is a file, not a folder');
  });

  it('refuses a path with a file among its existing parts, naming that part', () => {
    const e = refusal(() => checkFolderCreatable(path.join(file, 'archive', 'rejected'), '--archive'));
    expect(e.words.en).toContain(`${file} is a file, so the folder cannot be created`);
    expect(e.words.en).toContain('--archive');
  });

  it('refuses when the nearest existing folder cannot take a file', () => {
    const ro = '/proc/self';
    if (!fs.existsSync(ro)) return;
    expect(refusal(() => checkFolderCreatable(path.join(ro, 'kaiyaku-archive'), '--archive')).words.en).toContain('no file can be created');
  });
});
