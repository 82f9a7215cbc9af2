/**
 * Exit 0 means nothing needs a person (cli.md, issue 18 item 16). A night and `orders
 * resume` exit 1 while an order needs an operator, and the night's summary names it with
 * what to do, in the chosen language (Japanese by default) and in --summary-json; a file
 * left in the inbox with rows still to do (written to while it ran, still being written,
 * held by another run) makes the night exit 1; a file whose reports could not be written
 * is counted in the summary from the store.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveSupplier } from '../support/supplierServe.js';
import { aStore, STORE_KINDS, type StoreUnderTest } from '../support/stores.js';
import { startCli, runCli } from '../support/cli.js';
import { cancelCsv, drop, nightArgs, prepareBase, readSummary, setUpNight, withStore, type Base, type NightJson } from './helpers.js';
import { knexOf } from '../../src/store/store.js';
import { importContracts } from '../support/inProcess.js';

const made: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

const CONTRACT_HEADER =
  'contract_no,contract_date,start_date,end_date,subject,customer,end_user,bill_to,ship_to,supplier,product_code,product_name,subscription_id,quantity,unit_price,plan,billing_model,is_trial,serials';

describe.each(STORE_KINDS)('an order only an operator can move (%s)', (kind) => {
  it('makes the night and orders resume exit 1, and the night names it with the command, in Japanese by default and in the JSON summary', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kaiyaku-truth-${kind}-`));
    made.push(dir);
    const store: StoreUnderTest = await aStore(kind, dir, 'truth');
    cleanups.push(() => store.drop());
    const kaiyaku = (args: readonly string[]) => runCli([...args, '--db', store.spec], dir);
    // The supplier refuses every change of an NCE-LATE- subscription (900117): nothing is taken.
    fs.writeFileSync(
      path.join(dir, 'contracts.csv'),
      `${CONTRACT_HEADER}\nNCN202401-0000000001,2024-01-05,2024-01-05,,件名,顧客株式会社,顧客株式会社,,,Microsoft,O365-E3,Office 365 E3,NCE-LATE-0001,4,870,,,0,\n`,
    );
    // A set-up step, in this process (test/support/inProcess.ts): the commands under test run the real CLI.
    await importContracts(store.spec, path.join(dir, 'contracts.csv'));
    const supplier = await serveSupplier(dir, ['--db', store.spec]);
    cleanups.push(() => supplier.stop());
    const sup = ['--supplier', supplier.url];
    fs.writeFileSync(path.join(dir, 'q.csv'), '契約番号\nNCN202401-0000000001\n');
    expect((await kaiyaku(['cancel', 'q.csv', ...sup, '--quiet'])).code).toBe(1);
    fs.mkdirSync(path.join(dir, 'inbox'));
    const nightCmd = ['cancel', '--inbox', 'inbox', '--settle-seconds', '0', '--summary-json', 'night.json', ...sup];

    const night = await kaiyaku(nightCmd);
    expect(night.code, night.stdout).toBe(1);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'night.json'), 'utf8')) as NightJson;
    expect(summary.exitCode).toBe(1);
    expect(summary.resume.needsOperator).toHaveLength(1);
    const [needs] = summary.resume.needsOperator;
    const no = needs!.orderNo;
    expect(needs!.action).toBe('withdrawAcceptance');
    expect(needs!.words.ja).toContain(`kaiyaku orders withdraw-acceptance ${no}`);
    // On stdout, in the chosen language (Japanese by default), with the command to run.
    expect(night.stdout).toContain(`要対応: ${no}: 仕入元がすべての明細を受け付けませんでした（900117`);
    expect(night.stdout).toContain(`kaiyaku orders withdraw-acceptance ${no} の後 kaiyaku orders withdraw ${no}`);
    expect(night.stdout).not.toMatch(/action needed|the supplier refused/);
    // --quiet still names it: it is the point of the night's report.
    const quiet = await kaiyaku([...nightCmd, '--quiet', '--lang', 'en']);
    expect(quiet.code).toBe(1);
    expect(quiet.stdout).toContain(`action needed: ${no}: the supplier refused every line`);

    const resume = await kaiyaku(['orders', 'resume', ...sup]);
    expect(resume.code, resume.stdout).toBe(1);
    expect(resume.stdout).toContain(`要対応: ${no}`);

    // Done as told: nothing needs a person any more, and both say so with exit 0.
    expect((await kaiyaku(['orders', 'withdraw-acceptance', no])).code).toBe(0);
    expect((await kaiyaku(['orders', 'withdraw', no])).code).toBe(0);
    expect((await kaiyaku(['orders', 'resume', ...sup])).code).toBe(0);
    const clean = await kaiyaku(nightCmd);
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.stdout).not.toContain('要対応');
  }, 180_000);
});

describe('files a night leaves with rows still to do', () => {
  let base: Base;
  beforeAll(async () => {
    base = await prepareBase('truth', 20);
  }, 180_000);

  it('a file written to while it ran is left for the next night with exit 1; the next night does the rest', async () => {
    const night = setUpNight('appended', base);
    const file = drop(night, 'grow.csv', cancelCsv(night, 1, 5));
    // Slow enough that the append lands while the file is being processed.
    const run = startCli(
      nightArgs(night, ['--supplier', 'sim', '--sim-latency-ms', '400', '--concurrency', '1', '--log-format', 'json', '--settle-seconds', '0']),
      night.dir,
    );
    await run.waitForStderr(/"name":"file\.started".*grow\.csv/);
    // Once its five rows are staged (read), a sixth is appended.
    const deadline = Date.now() + 30_000;
    while (!(await withStore(night, (st) => knexOf(st)('runs').whereNotNull('row_count').first('id')))) {
      expect(Date.now(), 'the night staged the file').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 20));
    }
    fs.appendFileSync(file, `${night.cancelLines[6]}\n`);
    const first = await run.done;
    expect(first.code, first.stderr).toBe(1);
    let s = readSummary(night);
    expect(s.exitCode).toBe(1);
    expect(s.files.map((f) => [f.file, f.status, f.exitCode, f.rows])).toEqual([['grow.csv', 'left_for_later', 1, 5]]);
    expect(s.files[0]!.counts).toMatchObject({ completed: 5 });

    fs.utimesSync(file, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    const second = await runCli(nightArgs(night, ['--supplier', 'sim', '--settle-seconds', '0']), night.dir);
    expect(second.code, second.stderr).toBe(0);
    s = readSummary(night);
    expect(s.files.map((f) => [f.file, f.status, f.rows])).toEqual([['grow.csv', 'archived', 6]]);
    expect(s.files[0]!.counts).toMatchObject({ already_done: 5, completed: 1 });
  }, 180_000);

  it('a file another run is processing is left for later with exit 1, not 0', async () => {
    const night = setUpNight('held', base);
    const content = cancelCsv(night, 1, 3);
    drop(night, 'held.csv', content);
    // The file's lock as a live run on this host holds it (this test's own process).
    await withStore(night, (s) =>
      knexOf(s)('locks').insert({
        name: `file:${createHash('sha256').update(content).digest('hex')}`,
        holder: `${os.hostname()}:${process.pid}:test`,
        acquired_at: new Date().toISOString(),
        heartbeat_at: new Date().toISOString(),
      }),
    );
    const r = await runCli(nightArgs(night, ['--supplier', 'sim', '--settle-seconds', '0']), night.dir);
    expect(r.code, r.stderr).toBe(1);
    const s: NightJson = readSummary(night);
    expect(s.files.map((f) => [f.file, f.status, f.exitCode])).toEqual([['held.csv', 'left_for_later', 1]]);
    expect(s.files[0]!.reason).toContain('FILE_IN_PROGRESS');
  }, 180_000);
});
