/**
 * A run's result and error files appear together, whole, or not at all: a character the
 * report encoding lacks (𠮷 in a refused row's 備考, which only the error file carries)
 * must leave neither report half-written under its final name, in a real run and a dry
 * run, and the message must name the report, the input row, the column and the option.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KaiyakuError } from '../../src/errors.js';
import { importContractFile } from '../../src/contracts/importContracts.js';
import { runCancelFile } from '../../src/cancel/runCancel.js';
import { ROOT, useTempDir } from '../support/setup.js';
import { cancelOptions, makeDeps, readResult, type TestDeps } from '../orders/harness.js';

const tmp = useTempDir('kaiyaku-reports-');
const HEADER = '契約番号,商品コード,サブスクリプションID,シリアル番号,解約数,契約終了日,依頼番号,備考';
const KNOWN = ['NCN202105-0000003108', 'NCN202107-0000003109', 'NCN202108-0000003200', 'NCN202110-0000003402'];

/** 1,200 rows: four real contracts, then contracts that do not exist (refused); row `odd` carries `note`. */
function bigFile(dir: string, odd: { row: number; note?: string; productCode?: string }): string {
  const lines = [HEADER];
  for (let i = 1; i <= 1200; i++) {
    const contract = i <= KNOWN.length ? KNOWN[i - 1]! : `NCN209901-${String(i).padStart(10, '0')}`;
    const isOdd = i === odd.row;
    lines.push([contract, isOdd ? (odd.productCode ?? '') : '', '', '', '', '', `REQ-${i}`, isOdd ? (odd.note ?? '') : `note ${i}`].join(','));
  }
  const file = path.join(dir, 'big.csv');
  fs.writeFileSync(file, `${lines.join('\r\n')}\r\n`);
  return file;
}

async function withStore<T>(name: string, body: (deps: TestDeps, dir: string) => Promise<T>): Promise<T> {
  const dir = tmp.make(name);
  const deps = await makeDeps(path.join(dir, 'store.db'));
  try {
    await importContractFile(deps, path.join(ROOT, 'fixtures/contracts.csv'), 'auto');
    return await body(deps, dir);
  } finally {
    await deps.close();
  }
}

const leftovers = (dir: string): string[] => fs.readdirSync(dir).filter((n) => n.includes('.tmp-'));

describe('result and error files together', () => {
  it('a character the error file cannot hold leaves neither report (nor what an earlier run left changed), then a run in UTF-8 writes both', async () => {
    await withStore('real', async (deps, dir) => {
      const file = bigFile(dir, { row: 5, note: '𠮷野家の店舗分' });
      const result = path.join(dir, 'big.result.csv');
      const errors = path.join(dir, 'big.errors.csv');
      fs.writeFileSync(result, 'earlier result\r\n');
      fs.writeFileSync(errors, 'earlier errors\r\n');
      const err = (await runCancelFile(deps, file, cancelOptions({ until: 'requested', reportEncoding: 'cp932', lang: 'ja' })).catch(
        (e: unknown) => e,
      )) as KaiyakuError;
      expect(err).toBeInstanceOf(KaiyakuError);
      expect(err.code).toBe('REPORTS_NOT_WRITTEN');
      expect(err.words.en).toContain(`the error file ${errors}, input row 5, column "備考"`);
      expect(err.words.en).toContain('U+20BB7');
      expect(err.words.en).toContain('use --report-encoding utf8-bom');
      expect(err.words.en).not.toMatch(/\brow 1\b/);
      expect(err.words.ja).toContain('エラーファイル');
      expect(err.words.ja).toContain('入力 5 行目');
      expect(fs.readFileSync(result, 'utf8')).toBe('earlier result\r\n');
      expect(fs.readFileSync(errors, 'utf8')).toBe('earlier errors\r\n');
      expect(leftovers(dir)).toEqual([]);

      // The same command in UTF-8 takes the unfinished run over and writes both, whole.
      const summary = await runCancelFile(deps, file, cancelOptions({ until: 'requested', reportEncoding: 'utf8-bom' }));
      expect(summary.rows).toBe(1200);
      expect(readResult(result).map((r) => r.row)).toEqual(Array.from({ length: 1200 }, (_, i) => String(i + 1)));
      expect(fs.readFileSync(errors, 'utf8')).toContain('𠮷野家の店舗分');
      expect(leftovers(dir)).toEqual([]);
    });
  });

  it('names the result file when the result file is the one that cannot hold a character', async () => {
    await withStore('result', async (deps, dir) => {
      const file = bigFile(dir, { row: 700, productCode: 'E3-𠮷' });
      const err = (await runCancelFile(deps, file, cancelOptions({ until: 'requested', reportEncoding: 'cp932', lang: 'en' })).catch(
        (e: unknown) => e,
      )) as KaiyakuError;
      expect(err.code).toBe('REPORTS_NOT_WRITTEN');
      expect(err.words.en).toContain(`the result file ${path.join(dir, 'big.result.csv')}, input row 700, column "product_code"`);
      expect(fs.readdirSync(dir).filter((n) => n.startsWith('big.') && n !== 'big.csv')).toEqual([]);
    });
  });

  it('a dry run goes through the same path: nothing under either name, the same message', async () => {
    await withStore('dry', async (deps, dir) => {
      const file = bigFile(dir, { row: 5, note: '𠮷' });
      const err = (await runCancelFile(deps, file, cancelOptions({ dryRun: true, reportEncoding: 'cp932' })).catch((e: unknown) => e)) as KaiyakuError;
      expect(err.code).toBe('CP932_UNREPRESENTABLE');
      expect(err.words.en).toContain('the error file');
      expect(err.words.en).toContain('input row 5');
      expect(err.words.en).toContain('--report-encoding utf8-bom');
      expect(fs.readdirSync(dir).filter((n) => n.startsWith('big.') && n !== 'big.csv')).toEqual([]);
      const ok = await runCancelFile(deps, file, cancelOptions({ dryRun: true, reportEncoding: 'utf8' }));
      expect(ok.counts.valid + ok.counts.refused).toBe(1200);
      expect(fs.existsSync(path.join(dir, 'big.result.csv'))).toBe(true);
      expect(fs.existsSync(path.join(dir, 'big.errors.csv'))).toBe(true);
      expect(leftovers(dir)).toEqual([]);
    });
  });

  it('writes into the names a plan chose (reportsDir and reportName)', async () => {
    await withStore('plan', async (deps, dir) => {
      const file = bigFile(dir, { row: 5, note: 'x' });
      const out = path.join(dir, 'out');
      fs.mkdirSync(out);
      const summary = await runCancelFile(deps, file, cancelOptions({ dryRun: true, reportsDir: out, reportName: 'tokyo-big' }));
      expect(summary.resultPath).toBe(path.join(out, 'tokyo-big.result.csv'));
      expect(fs.readdirSync(out).sort()).toEqual(['tokyo-big.errors.csv', 'tokyo-big.result.csv']);
    });
  });
});
