/**
 * Moving files to the archive: never over an earlier file of the same name, and also when
 * the archive is on another file system than the inbox (a rename cannot cross devices).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { cancelCsv, drop, ls, nightArgs, prepareBase, readSummary, setUpNight, storeOrders, type Base } from './helpers.js';

const SHM = '/dev/shm';
const otherDevice = fs.existsSync(SHM) && fs.statSync(SHM).dev !== fs.statSync(os.tmpdir()).dev;
const shmDirs: string[] = [];
let base: Base;
beforeAll(async () => {
  base = await prepareBase('archive', 20);
});
afterAll(() => {
  for (const d of shmDirs) fs.rmSync(d, { recursive: true, force: true });
});

describe.concurrent('archiving', () => {
  it('keeps an earlier archived file of the same name', async () => {
    const night = setUpNight('samename', base);
    const first = cancelCsv(night, 1, 10);
    const second = cancelCsv(night, 11, 20);
    drop(night, 'nov.csv', first);
    expect((await runCli(nightArgs(night, ['--settle-seconds', '0']), night.dir)).code).toBe(0);
    drop(night, 'nov.csv', second);
    const r = await runCli(nightArgs(night, ['--settle-seconds', '0']), night.dir);
    expect(r.code, r.stderr).toBe(0);
    const archived = ls(night.archive).filter((n) => n.startsWith('nov'));
    expect(archived).toHaveLength(2);
    expect(fs.readFileSync(path.join(night.archive, 'nov.csv'), 'utf8')).toBe(first);
    const movedTo = readSummary(night).files[0]!.movedTo!;
    expect(path.dirname(movedTo)).toBe(night.archive);
    expect(fs.readFileSync(movedTo, 'utf8')).toBe(second);
    expect(await storeOrders(night)).toHaveLength(20);
  });

  it.skipIf(!otherDevice)('archives (and sets aside) into a folder on another file system', async () => {
    const night = setUpNight('xdev', base);
    const archive = fs.mkdtempSync(path.join(SHM, 'kaiyaku-nightly-archive-'));
    shmDirs.push(archive);
    const good = cancelCsv(night, 1, 20);
    drop(night, 'a.csv', good);
    drop(night, 'b-bad.csv', 'foo,bar\n1,2\n');
    const r = await runCli(
      ['cancel', '--inbox', night.inbox, '--archive', archive, '--summary-json', night.summary, '--db', night.db, '--settle-seconds', '0'],
      night.dir,
    );
    expect(r.stderr).not.toMatch(/unexpected failure/);
    expect(r.code, r.stderr).toBe(1); // a.csv was processed: not "nothing done"
    expect(ls(night.inbox)).toEqual([]);
    expect(fs.readFileSync(path.join(archive, 'a.csv'), 'utf8')).toBe(good);
    expect(ls(archive)).toEqual(['a.csv', 'a.errors.csv', 'a.result.csv', 'rejected']);
    expect(ls(path.join(archive, 'rejected'))).toEqual(['b-bad.csv', 'b-bad.csv.reason.txt']);
    expect(readSummary(night).files.map((f) => [f.file, f.status])).toEqual([
      ['a.csv', 'archived'],
      ['b-bad.csv', 'set_aside'],
    ]);
    // Nothing left to redo the next night.
    const again = await runCli(['cancel', '--inbox', night.inbox, '--archive', archive, '--db', night.db, '--settle-seconds', '0'], night.dir);
    expect(again.code, again.stderr).toBe(0);
    expect(await storeOrders(night)).toHaveLength(20);
  });
});
