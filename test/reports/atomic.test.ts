import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordedTemporaryPathFor, removeDeadTemporaries, temporaryPathFor, writeFileAtomically } from '../../src/files/atomic.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-atomic-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const leftovers = () => fs.readdirSync(dir).filter((n) => n.includes('.tmp-'));

describe('writeFileAtomically', () => {
  it('writes the whole file under its name and leaves no temporary', () => {
    const file = path.join(dir, 'night.json');
    writeFileAtomically(file, '{"a":1}\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}\n');
    writeFileAtomically(file, Buffer.from('{"a":2}\n'));
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":2}\n');
    expect(leftovers()).toEqual([]);
  });

  it('on failure leaves what was there and no temporary, and says which file', () => {
    const target = path.join(dir, 'taken');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside'), 'x');
    expect(() => writeFileAtomically(target, 'data')).toThrow(expect.objectContaining({ code: 'FILE_UNWRITABLE', message: expect.stringContaining(target) }));
    expect(fs.readdirSync(target)).toEqual(['inside']);
    expect(leftovers()).toEqual([]);
    expect(() => writeFileAtomically(path.join(dir, 'missing', 'x.json'), 'data')).toThrow(expect.objectContaining({ code: 'FILE_UNWRITABLE' }));
  });

  it('removes the temporaries of writers that died before their rename, not those of live ones', () => {
    const file = path.join(dir, 'r.csv');
    const dead = `${file}.tmp-999999999-1`;
    const deadOld = `${file}.tmp-999999998`;
    const live = temporaryPathFor(file);
    for (const f of [dead, deadOld, live]) fs.writeFileSync(f, 'partial');
    removeDeadTemporaries(file);
    expect(leftovers().sort()).toEqual([path.basename(live)]);
    fs.unlinkSync(live);
  });

  it("leaves a dead marking export's recorded temporary: only that export's recovery may remove it", () => {
    const file = path.join(dir, 'serials.csv');
    const recorded = `${file}.tmp-999999999-1-export`;
    const ordinary = `${file}.tmp-999999999-2`;
    for (const f of [recorded, ordinary]) fs.writeFileSync(f, 'sealed');
    expect(path.basename(recordedTemporaryPathFor(file))).toMatch(/^serials\.csv\.tmp-\d+-\d+-export$/);
    removeDeadTemporaries(file);
    expect(leftovers()).toEqual([path.basename(recorded)]);
    fs.unlinkSync(recorded);
  });
});
