/**
 * What yargs refuses, said in the user's language and pointing at what was meant: a
 * misspelt subcommand is named as such (not as an unknown option that follows it), an
 * extra argument is named in Japanese too, and a number rule without a range still reads
 * as a Japanese sentence. Nothing runs: exit 2.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('parse failures in words the user reads', () => {
  it.each([
    [['orders', 'acept', 'NOD202611-0000000001', '--db', 'k.db'], '「acept」（「accept」のことですか?）'],
    [['orders', 'acept', 'NOD202611-0000000001'], '「acept」（「accept」のことですか?）'],
    [['contracts', 'imprt', 'x.csv'], '「imprt」（「import」のことですか?）'],
    [['orders', 'accept', 'NOD202611-0000000001', 'EXTRA'], '余分な引数「EXTRA」'],
    [['cancel', 'a.csv', '--dryRn'], '不明なオプション --dryRn（--dry-run のことですか?）'],
    // A misspelt `--no-` form is an unknown option too, not a stray argument, and is suggested as a `--no-` form.
    [['cancel', 'a.csv', '--no-dry-rn'], '不明なオプション --no-dry-rn（--no-dry-run のことですか?）'],
    [['cancel', 'a.csv', '--no-supplier-check'], '不明なオプション --no-supplier-check'],
    [['cancel', 'a.csv', '--sim-seed', '1.5'], '--sim-seed は整数で指定してください（指定値: 1.5）'],
    [['cancel', 'a.csv', '--concurrency', '0'], '--concurrency は 1 以上 1000 以下の整数で指定してください'],
    // A number is checked as typed: yargs would read 0x10 as 16 and 1e3 as 1000, and show abc as NaN.
    [['cancel', 'a.csv', '--concurrency', '0x10'], '--concurrency は 1 以上 1000 以下の整数で指定してください（指定値: 0x10）'],
    [['cancel', 'a.csv', '--concurrency=1e3'], '--concurrency は 1 以上 1000 以下の整数で指定してください（指定値: 1e3）'],
    [['cancel', 'a.csv', '--sim-latency-ms', 'abc'], '--sim-latency-ms は 0 以上 600000 以下の数で指定してください（指定値: abc）'],
    [['cancel', 'a.csv', '--concurrency', ''], '--concurrency に値がありません'],
  ])('kaiyaku %j', async (args, expected) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(expected);
    // yargs' own English never reaches a Japanese message.
    expect(r.stderr).not.toMatch(/[Uu]nknown|argument|option|must be|did you mean/);
  });

  it('says the same in English under --lang en', async () => {
    const r = await runCli(['orders', 'acept', 'NOD202611-0000000001', '--db', 'k.db', '--lang', 'en']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "acept" (did you mean "accept"?)');
    expect(r.stderr).not.toContain('--db');
  });
});
