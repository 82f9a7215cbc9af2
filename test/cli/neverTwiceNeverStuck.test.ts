/**
 * Never twice: the ways operators and schedulers really drop files (appended to, set
 * aside and dropped back, a request id reused, an error file fixed and dropped back) each
 * through the real CLI on a fresh store of the fixture contracts.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asNobody, NOBODY } from '../support/asNobody.js';
import { runCli } from '../support/cli.js';
import { withFixtureStore } from '../support/setup.js';
import { runIn } from '../support/sandbox.js';

const HEADER = '契約番号,商品コード,サブスクリプションID,シリアル番号,解約数,契約終了日,依頼番号,備考';
let dir: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kaiyaku-r14-'));
  // contracts.csv imported, as `kaiyaku contracts import contracts.csv` leaves the folder (a copy of the store made once).
  withFixtureStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

type Row = Record<string, string>;
const csv = (file: string): Row[] => parse(readFileSync(file), { bom: true, columns: true, skip_empty_lines: true, relax_column_count: true }) as Row[];
const kaiyaku = (...args: string[]) => runIn(dir, [...args, '--lang', 'en']);
async function orders(): Promise<Row[]> {
  return parse((await runIn(dir, ['orders', 'list', '--lang', 'en', '--encoding', 'utf8'])).stdout, { columns: true, skip_empty_lines: true }) as Row[];
}
/** Drops a file into the inbox an hour old, so that the night takes it at once. */
function drop(name: string, content: string | Buffer): void {
  mkdirSync(join(dir, 'inbox'), { recursive: true });
  const file = join(dir, 'inbox', name);
  writeFileSync(file, content);
  const old = new Date(Date.now() - 3600_000);
  utimesSync(file, old, old);
}
const night = (...extra: string[]) => kaiyaku('cancel', '--inbox', 'inbox', '--settle-seconds', '0', '--summary-json', 'night.json', ...extra);
const summary = () =>
  JSON.parse(readFileSync(join(dir, 'night.json'), 'utf8')) as {
    exitCode: number;
    files: { file: string; status: string; exitCode: number; reason: string | null }[];
  };

describe('what was done is known per row, whatever the file', () => {
  it('a file appended to is not cancelled again: its old rows are already done, only the new one runs', async () => {
    writeFileSync(join(dir, 'a.csv'), `${HEADER}\nNCN202105-0000003108,M365-BB,,,2,,,\nNCN202107-0000003109,PRJ-P1,,,,,,\n`);
    expect((await kaiyaku('cancel', 'a.csv')).code).toBe(0);
    writeFileSync(join(dir, 'a.csv'), `${readFileSync(join(dir, 'a.csv'), 'utf8')}NCN202108-0000003200,M365-E3,,,1,,,\n`);
    const again = await kaiyaku('cancel', 'a.csv');
    expect(again.code, again.stderr).toBe(0);
    expect(csv(join(dir, 'a.result.csv')).map((r) => r['result'])).toEqual(['already_done', 'already_done', 'completed']);
    expect(await orders()).toHaveLength(3);
    // The same rows under another name, in another order, with a note changed: still done once.
    writeFileSync(join(dir, 'copy.csv'), `${HEADER}\nNCN202107-0000003109,prj-p1,,,,,,fixed note\nncn202105-0000003108,M365-BB,,,２,,,\n`);
    expect((await kaiyaku('cancel', 'copy.csv')).code).toBe(0);
    expect(csv(join(dir, 'copy.result.csv')).map((r) => r['result'])).toEqual(['already_done', 'already_done']);
    expect(await orders()).toHaveLength(3);
  });

  it('a night file whose reports fail is left in the inbox (exit 1, not set aside); fixed and dropped back, it cancels nothing twice', async () => {
    drop('n.csv', `${HEADER}\nNCN202105-0000003108,M365-BB,,,2,,,\nNCN999999-0000000001,,,,,,,𠮷野家\n`);
    const first = await night('--report-encoding', 'cp932');
    expect(first.code, first.stderr).toBe(1);
    expect(existsSync(join(dir, 'inbox', 'n.csv'))).toBe(true);
    expect(existsSync(join(dir, 'inbox', 'archive', 'rejected', 'n.csv'))).toBe(false);
    expect(summary().files[0]).toMatchObject({ file: 'n.csv', status: 'left_for_later', exitCode: 1 });
    expect(summary().files[0]!.reason).toContain('--report-encoding utf8-bom');
    // Neither report is left half-written under its final name (nor a temporary file beside it).
    const archived = existsSync(join(dir, 'inbox', 'archive')) ? readdirSync(join(dir, 'inbox', 'archive')) : [];
    expect(archived.filter((f) => f.startsWith('n.'))).toEqual([]);
    expect(await orders()).toHaveLength(1);
    drop('n.csv', `${HEADER}\nNCN202105-0000003108,M365-BB,,,2,,,\nNCN999999-0000000001,,,,,,,吉野家\n`);
    const second = await night('--report-encoding', 'cp932');
    expect(second.code, second.stderr).toBe(1); // the unknown contract is still refused
    expect(summary().files[0]).toMatchObject({ file: 'n.csv', status: 'archived' });
    expect(await orders()).toHaveLength(1);
    const result = csv(join(dir, 'inbox', 'archive', 'n.result.csv'));
    expect(result.map((r) => r['result'])).toEqual(['already_done', 'refused']);
  });

  it('a request id reused by a later file for another contract is a conflict, and names the order that holds it', async () => {
    writeFileSync(join(dir, 'nov.csv'), `${HEADER}\nNCN202107-0000003109,PRJ-P1,,,,,REQ-0001,\n`);
    expect((await kaiyaku('cancel', 'nov.csv')).code).toBe(0);
    const [held] = await orders();
    writeFileSync(join(dir, 'dec.csv'), `${HEADER}\nNCN202105-0000003108,M365-BB,,,1,,REQ-0001,\n`);
    const r = await kaiyaku('cancel', 'dec.csv');
    expect(r.code).toBe(1);
    const [row] = csv(join(dir, 'dec.result.csv'));
    expect(row).toMatchObject({ contract_no: 'NCN202105-0000003108', result: 'refused', error_code: 'REQUEST_ID_REUSED', order_no: '' });
    expect(row!['error_message']).toContain(held!['order_no']!);
    expect(await orders()).toHaveLength(1);
    // The same row with the same id again is simply done already.
    expect((await kaiyaku('cancel', 'nov.csv')).code).toBe(0);
    writeFileSync(join(dir, 'nov-again.csv'), `${HEADER}\nNCN202107-0000003109,PRJ-P1,,,,,REQ-0001,resent\n`);
    expect((await kaiyaku('cancel', 'nov-again.csv')).code).toBe(0);
    expect(csv(join(dir, 'nov-again.result.csv'))[0]).toMatchObject({ result: 'already_done', order_no: held!['order_no'] });
  });

  it('two columns that mean one field stop the file, naming both, before anything changes', async () => {
    writeFileSync(join(dir, 'dup.csv'), '契約番号,商品コード,解約数,解約数量\nNCN202108-0000003200,M365-E3,,2\n');
    const r = await kaiyaku('cancel', 'dup.csv');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"解約数" (column 3) and "解約数量" (column 4)');
    expect(await orders()).toHaveLength(0);
  });
});

describe('the inbox takes what operators drop into it', () => {
  it('a fixed error file dropped back into the inbox is run', async () => {
    drop('x.csv', `${HEADER}\nNCN202105-0000003108,M365-BB,,,999,,,\nNCN202107-0000003109,PRJ-P1,,,,,,\n`);
    expect((await night()).code).toBe(1);
    const errors = readFileSync(join(dir, 'inbox', 'archive', 'x.errors.csv'), 'utf8');
    expect(errors).toContain('QUANTITY_EXCEEDS_REMAINING');
    drop('x.errors.csv', errors.replace(',999,', ',1,'));
    const r = await night();
    expect(r.code, r.stderr).toBe(0);
    expect(summary().files.map((f) => [f.file, f.status])).toEqual([['x.errors.csv', 'archived']]);
    expect(await orders()).toHaveLength(2);
  });

  it('--reports cannot be the inbox itself', async () => {
    drop('x.csv', `${HEADER}\nNCN202107-0000003109,PRJ-P1,,,,,,\n`);
    const r = await kaiyaku('cancel', '--inbox', 'inbox', '--reports', 'inbox');
    expect(r.code).toBe(2);
    expect(await orders()).toHaveLength(0);
  });
});

describe('the error file lines up with its header', () => {
  it('a row with too few or too many cells keeps its code under error_code, and the result names its contract', async () => {
    writeFileSync(join(dir, 'ragged.csv'), `${HEADER}\nNCN202105-0000003108,M365-BB,1\nNCN202107-0000003109,PRJ-P1,,,,,,,x,y\n`);
    expect((await kaiyaku('cancel', 'ragged.csv')).code).toBe(1);
    const result = csv(join(dir, 'ragged.result.csv'));
    expect(result.map((r) => [r['contract_no'], r['error_code']])).toEqual([
      ['NCN202105-0000003108', 'MALFORMED_ROW'],
      ['NCN202107-0000003109', 'MALFORMED_ROW'],
    ]);
    const lines = parse(readFileSync(join(dir, 'ragged.errors.csv')), { bom: true, relax_column_count: true }) as string[][];
    const codeAt = lines[0]!.indexOf('error_code');
    expect(codeAt).toBe(8);
    expect(lines[1]![codeAt]).toBe('MALFORMED_ROW');
    expect(lines[1]!.slice(0, 3)).toEqual(['NCN202105-0000003108', 'M365-BB', '1']);
    expect(lines[2]![codeAt]).toBe('MALFORMED_ROW');
    expect(lines[2]!.slice(-2)).toEqual(['x', 'y']);
  });
});

/**
 * A shared drop folder with the sticky bit (as /tmp): the night's user may add files but
 * not move another user's. Needs root (to run the CLI as nobody) and a checkout nobody can
 * read; skipped, saying why, where either is missing.
 */

describe('a file that cannot be moved out of the inbox', () => {
  it.skipIf(!asNobody.ok)(`does not stop the night: later files run, the summary is written, the file stays for the next night ${asNobody.why}`, async () => {
    chmodSync(dir, 0o777);
    mkdirSync(join(dir, 'inbox'));
    chmodSync(join(dir, 'inbox'), 0o1777);
    drop('a.csv', `${HEADER}\nNCN202107-0000003109,PRJ-P1,,,,,,\n`); // root's: nobody may not move it
    drop('b.csv', `${HEADER}\nNCN202105-0000003108,M365-BB,,,1,,,\n`);
    chownSync(join(dir, 'inbox', 'b.csv'), NOBODY, NOBODY);
    for (const name of readdirSync(dir)) if (name !== 'inbox') chownSync(join(dir, name), NOBODY, NOBODY);
    const nightAsNobody = () =>
      runCli(['cancel', '--inbox', 'inbox', '--settle-seconds', '0', '--summary-json', 'night.json', '--lang', 'en'], { cwd: dir, uid: NOBODY, gid: NOBODY });
    const first = await nightAsNobody();
    expect(first.code, first.stderr).toBe(1);
    expect(summary().files.map((f) => [f.file, f.status])).toEqual([
      ['a.csv', 'left_for_later'],
      ['b.csv', 'archived'],
    ]);
    expect(summary().files[0]!.reason).toContain('could not be moved');
    expect(await orders()).toHaveLength(2);
    const second = await nightAsNobody();
    expect(second.code, second.stderr).toBe(1);
    expect(await orders()).toHaveLength(2);
    const again = summary().files[0] as unknown as { resultPath: string; status: string };
    expect(again.status).toBe('left_for_later');
    expect(csv(again.resultPath)[0]).toMatchObject({ result: 'already_done' });
  });
});
