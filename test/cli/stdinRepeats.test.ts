/**
 * Standard input has no name of its own: every piped file would be "stdin", so a name is
 * never evidence that a piped file is an earlier one dropped again. Only the same bytes
 * are: a different piped file repeating an earlier row is POSSIBLE_REPEAT, never a row
 * silently reported done (cli.md, "A repeat or a new request: never guessed").
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function pipeInto(dir: string, text: string, args: readonly string[] = []) {
  const r = spawnSync(process.execPath, [BIN, 'cancel', '-', '--db', 'k.db', '--reports', 'out', '--lang', 'en', '--quiet', ...args], {
    cwd: dir,
    input: text,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', KAIYAKU_DB: undefined },
  });
  const rows = parse(fs.readFileSync(path.join(dir, 'out', 'stdin.result.csv')), { bom: true, columns: true }) as {
    result: string;
    error_code: string;
    error_message: string;
  }[];
  return { code: r.status, stderr: r.stderr, rows };
}

describe('piped input and the repeat rule', () => {
  it('a different piped file with an earlier row: POSSIBLE_REPEAT naming standard input; the same bytes again: already done', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-stdin-repeat-'));
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, 'out'));
    const imported = spawnSync(process.execPath, [BIN, 'contracts', 'import', path.resolve('fixtures/contracts.csv'), '--db', 'k.db', '-q'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(imported.status, imported.stderr).toBe(0);
    const first = '契約番号,商品コード,解約数\nNCN202108-0000003200,M365-E3,1\n';
    expect(pipeInto(dir, first).rows.map((r) => r.result)).toEqual(['completed']);

    const second = pipeInto(dir, `${first}NCN202105-0000003108,,1\n`);
    expect(second.code).toBe(1);
    expect(second.rows.map((r) => [r.result, r.error_code])).toEqual([
      ['refused', 'POSSIBLE_REPEAT'],
      ['completed', ''],
    ]);
    expect(second.rows[0]!.error_message).toContain('standard input row 1');

    // The very same bytes piped again are the same request.
    const again = pipeInto(dir, first);
    expect(again.code, again.stderr).toBe(0);
    expect(again.rows.map((r) => r.result)).toEqual(['already_done']);
  });

  it("a piped run's error file, run back, is nobody's error file by its name: still POSSIBLE_REPEAT, and with --allow-repeat a new request", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-stdin-errors-'));
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, 'out'));
    const imported = spawnSync(process.execPath, [BIN, 'contracts', 'import', path.resolve('fixtures/contracts.csv'), '--db', 'k.db', '-q'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(imported.status, imported.stderr).toBe(0);
    pipeInto(dir, '契約番号,商品コード,解約数\nNCN202108-0000003200,M365-E3,1\n');
    const repeat = pipeInto(dir, '契約番号,商品コード,解約数\nNCN202108-0000003200,M365-E3,1\nNCN202105-0000003108,,1\n');
    expect(repeat.rows.map((r) => r.error_code)).toEqual(['POSSIBLE_REPEAT', '']);
    fs.copyFileSync(path.join(dir, 'out', 'stdin.errors.csv'), path.join(dir, 'stdin.errors.csv'));
    const cancel = (extra: string[]) => {
      const r = spawnSync(process.execPath, [BIN, 'cancel', 'stdin.errors.csv', '--db', 'k.db', '--lang', 'en', '--quiet', ...extra], {
        cwd: dir,
        encoding: 'utf8',
      });
      return {
        code: r.status,
        rows: parse(fs.readFileSync(path.join(dir, 'stdin.errors.result.csv')), { bom: true, columns: true }) as { result: string; error_code: string }[],
      };
    };
    expect(cancel([]).rows.map((r) => [r.result, r.error_code])).toEqual([['refused', 'POSSIBLE_REPEAT']]);
    const allowed = cancel(['--allow-repeat']);
    expect(allowed.code).toBe(0);
    expect(allowed.rows.map((r) => r.result)).toEqual(['completed']);
  });
});
