/**
 * A night's reports: a file whose reports cannot be written (a character CP932 lacks) is
 * left in the inbox with no report, whole or partial, under any name, and the next night
 * writes them; a file of a name seen on an earlier night gets reports of its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { drop, ls, prepareBase, readCsv, readSummary, setUpNight, type Base, type Night } from './helpers.js';

let base: Base;
beforeAll(async () => {
  base = await prepareBase('reports', 12);
});

/** Rows 1..n of the generated contracts, with a 備考 column; row `odd` names no contract and carries `note`. */
function withNotes(n: number, odd: { row: number; note: string }): string {
  const lines = ['契約番号,商品コード,解約数,契約終了日,依頼番号,備考'];
  for (let i = 1; i <= n; i++) {
    const contract = i === odd.row ? 'NCN209901-0000000001' : `NCN202401-${String(i).padStart(10, '0')}`;
    lines.push(`${contract},O365-E1,1,,R-${i},${i === odd.row ? odd.note : `note ${i}`}`);
  }
  return `${lines.join('\n')}\n`;
}

const args = (night: Night, encoding: string) => [
  'cancel',
  '--inbox',
  night.inbox,
  '--archive',
  night.archive,
  '--reports',
  night.reports,
  '--summary-json',
  night.summary,
  '--db',
  night.db,
  '--lang',
  'en',
  '--report-encoding',
  encoding,
  '--settle-seconds',
  '0',
];

const everything = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).sort() : []);

describe('nightly reports', () => {
  it('leaves a file whose reports cannot be written in the inbox, with no report under any name, and writes them the next night', async () => {
    const night = setUpNight('cp932', base);
    drop(night, 'nov.csv', withNotes(10, { row: 7, note: '𠮷野家' }));
    const first = await runCli(args(night, 'cp932'), night.dir);
    expect(first.code, first.stderr).toBe(1);
    const s = readSummary(night);
    expect(s.files.map((f) => [f.file, f.status])).toEqual([['nov.csv', 'left_for_later']]);
    // Its rows were processed: the summary counts them from the store, not `rows 0, counts null`.
    expect(s.files[0]).toMatchObject({ rows: 10, counts: { completed: 9, refused: 1, pending: 0, failed: 0 } });
    expect(s.rows).toMatchObject({ total: 10, completed: 9, refused: 1 });
    expect(s.files[0]!.reason).toContain('REPORTS_NOT_WRITTEN');
    expect(s.files[0]!.reason).toContain('the error file');
    expect(s.files[0]!.reason).toContain('input row 7');
    expect(s.files[0]!.reason).toContain('--report-encoding utf8-bom');
    expect(ls(night.inbox)).toEqual(['nov.csv']);
    expect(everything(night.reports).filter((n) => n.includes('.result.') || n.includes('.errors.') || n.includes('.tmp-'))).toEqual([]);
    expect(everything(night.dir).filter((n) => n.includes('.tmp-'))).toEqual([]);

    const second = await runCli(args(night, 'utf8-bom'), night.dir);
    expect(second.code, second.stderr).toBe(1); // row 7 is refused
    expect(readSummary(night).files.map((f) => [f.file, f.status])).toEqual([['nov.csv', 'archived']]);
    expect(readCsv(path.join(night.reports, 'nov.result.csv')).map((r) => r['row'])).toEqual(Array.from({ length: 10 }, (_, i) => String(i + 1)));
    expect(readCsv(path.join(night.reports, 'nov.errors.csv')).map((r) => r['備考'])).toEqual(['𠮷野家']);
  });

  it('gives a file of a name seen on an earlier night reports of its own, keeping the earlier ones', async () => {
    const night = setUpNight('again', base);
    drop(night, 'nov.csv', withNotes(5, { row: 5, note: 'first night' }));
    expect((await runCli(args(night, 'utf8'), night.dir)).code).toBe(1);
    const earlier = fs.readFileSync(path.join(night.reports, 'nov.errors.csv'), 'utf8');
    drop(night, 'nov.csv', withNotes(5, { row: 4, note: 'second night' }).replace(/R-/g, 'S-'));
    const r = await runCli(args(night, 'utf8'), night.dir);
    expect(r.code, r.stderr).toBe(1);
    expect(fs.readFileSync(path.join(night.reports, 'nov.errors.csv'), 'utf8')).toBe(earlier);
    const f = readSummary(night).files[0]!;
    expect(path.basename(f.resultPath!)).toMatch(/^nov\.\d{4}-\d\d-\d\dT[\d-]+Z\.result\.csv$/);
    expect(fs.readFileSync(f.errorsPath!, 'utf8')).toContain('second night');
    expect(everything(night.reports).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});
