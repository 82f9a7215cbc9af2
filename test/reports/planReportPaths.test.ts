import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planReportPaths, reportPaths } from '../../src/cancel/resultFile.js';

const results = (files: string[], dir: string | null) => planReportPaths(files, dir).map((p) => p.result);

describe('planReportPaths', () => {
  it('keeps the names of today when nothing collides, beside each input or in --reports', () => {
    expect(planReportPaths(['in/nov.csv'], null)).toEqual([
      { result: path.join('in', 'nov.result.csv'), errors: path.join('in', 'nov.errors.csv'), reportsDir: 'in', reportName: 'nov' },
    ]);
    expect(planReportPaths(['tokyo/nov.csv', 'osaka/dec.csv'], 'out')).toEqual([
      { ...reportPaths('tokyo/nov.csv', 'out'), reportsDir: 'out', reportName: 'nov' },
      { ...reportPaths('osaka/dec.csv', 'out'), reportsDir: 'out', reportName: 'dec' },
    ]);
    expect(results(['tokyo/nov.csv', 'osaka/nov.csv'], null)).toEqual([path.join('tokyo', 'nov.result.csv'), path.join('osaka', 'nov.result.csv')]);
  });

  it('names same-named inputs from different folders after their folders', () => {
    expect(planReportPaths(['tokyo/nov.csv', 'osaka/nov.csv'], 'out')).toEqual([
      { result: path.join('out', 'tokyo-nov.result.csv'), errors: path.join('out', 'tokyo-nov.errors.csv'), reportsDir: 'out', reportName: 'tokyo-nov' },
      { result: path.join('out', 'osaka-nov.result.csv'), errors: path.join('out', 'osaka-nov.errors.csv'), reportsDir: 'out', reportName: 'osaka-nov' },
    ]);
    // Only the colliding ones change.
    expect(results(['tokyo/nov.csv', 'tokyo/dec.csv', 'osaka/nov.csv'], 'out')).toEqual(
      ['tokyo-nov', 'dec', 'osaka-nov'].map((n) => path.join('out', `${n}.result.csv`)),
    );
  });

  it('numbers them in the order given when the folders do not tell them apart', () => {
    expect(results(['a/x/nov.csv', 'b/x/nov.csv', 'c/x/nov.csv'], 'out')).toEqual(['nov', 'nov-2', 'nov-3'].map((n) => path.join('out', `${n}.result.csv`)));
    expect(results(['nov.csv', 'nov.csv'], null)).toEqual(['nov.result.csv', 'nov-2.result.csv']);
  });

  it('never takes a name another input has, nor overwrites an input', () => {
    // nov-2.csv's own reports are nov-2.*: the second nov.csv gets nov-3.
    expect(results(['a/x/nov.csv', 'b/x/nov.csv', 'c/nov-2.csv'], 'out')).toEqual(['nov', 'nov-3', 'nov-2'].map((n) => path.join('out', `${n}.result.csv`)));
    // tokyo-nov.csv is named as it is; the folder-named report of tokyo/nov.csv moves on.
    expect(results(['tokyo/nov.csv', 'osaka/nov.csv', 'x/tokyo-nov.csv'], 'out')).toEqual(
      ['tokyo-nov-2', 'osaka-nov', 'tokyo-nov'].map((n) => path.join('out', `${n}.result.csv`)),
    );
    // nov.csv's result file would overwrite the input nov.result.csv.
    const plan = planReportPaths(['d/nov.csv', 'd/nov.result.csv'], null);
    expect(plan.map((p) => p.result)).toEqual([path.join('d', 'nov-2.result.csv'), path.join('d', 'nov.result.result.csv')]);
    const inputs = new Set(['d/nov.csv', 'd/nov.result.csv'].map((f) => path.resolve(f)));
    for (const p of plan) for (const f of [p.result, p.errors]) expect(inputs.has(path.resolve(f))).toBe(false);
  });

  it('treats names that differ only in case or Unicode form as the same file', () => {
    expect(results(['tokyo/Nov.csv', 'osaka/nov.csv'], 'out')).toEqual(['tokyo-Nov', 'osaka-nov'].map((n) => path.join('out', `${n}.result.csv`)));
    const nfc = 'が.csv';
    const nfd = nfc.normalize('NFD');
    expect(results([`a/${nfc}`, `b/${nfd}`], 'out')).toEqual([`a-${'が'}`, `b-${'が'.normalize('NFD')}`].map((n) => path.join('out', `${n}.result.csv`)));
  });

  it('gives distinct paths, the same every time, for any mix of inputs', () => {
    const names = ['nov.csv', 'NOV.csv', 'nov-2.csv', 'nov.result.csv', 'dec.csv'];
    const folders = ['a', 'b', 'a/b', 'c/a'];
    let seed = 11;
    const next = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) % n;
    for (let round = 0; round < 300; round++) {
      const files = Array.from({ length: 1 + next(6) }, () => `${folders[next(folders.length)]!}/${names[next(names.length)]!}`);
      const dir = next(2) === 0 ? null : 'out';
      const plan = planReportPaths(files, dir);
      expect(planReportPaths(files, dir)).toEqual(plan);
      const all = [...files, ...plan.flatMap((p) => [p.result, p.errors])].map((f) => path.resolve(f).toLowerCase());
      expect(new Set(all).size, JSON.stringify({ files, dir, plan })).toBe(
        all.length - (files.length - new Set(files.map((f) => path.resolve(f).toLowerCase())).size),
      );
      for (const [i, p] of plan.entries()) expect(reportPaths(files[i]!, p.reportsDir, p.reportName)).toEqual({ result: p.result, errors: p.errors });
    }
  });
});
