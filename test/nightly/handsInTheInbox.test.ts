/**
 * Other hands in the inbox while a night runs (in process, SQLite):
 * - a file taken back out after the night listed it is left alone (`gone`), and the night
 *   goes on with the others and returns its summary (it used to stop with a stack trace);
 * - a file whose writer was only pausing, and which grows after it was archived, goes back
 *   into the inbox (not wholly done, exit 1), and the next night does the rest once;
 * - a header cell with a NUL byte stops the file as a whole (it would have dropped 解約数
 *   and cancelled every seat), through the real CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CANCEL_OPTIONS, type PipelineDeps, type PipelineEvent } from '../../src/pipeline/context.js';
import { runInbox } from '../../src/nightly/runInbox.js';
import { openStore, type Store } from '../../src/store/connect.js';
import { createSimSupplier, type Supplier } from '../../src/supplier/index.js';
import { runCli } from '../support/cli.js';
import { snapshot } from '../support/sandbox.js';
import { copyStore, fixtureStore, useTempDir } from '../support/setup.js';
import { knexOf } from '../../src/store/store.js';

const tmp = useTempDir('kaiyaku-hands-').dir;
const stores: Store[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

const CONTRACTS = ['NCN202108-0000003200', 'NCN202105-0000003108', 'NCN202107-0000003109'];

async function night(name: string, files: Record<string, string>, onEvent: (e: PipelineEvent, inbox: string) => void) {
  const dir = path.join(tmp, name);
  fs.mkdirSync(path.join(dir, 'inbox'), { recursive: true });
  const db = path.join(dir, 'k.db');
  copyStore(fixtureStore(), db);
  const store = await openStore(db);
  stores.push(store);
  const inbox = path.join(dir, 'inbox');
  const old = new Date(Date.now() - 3600_000);
  for (const [file, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(inbox, file), text);
    fs.utimesSync(path.join(inbox, file), old, old);
  }
  let supplier: Supplier | null = null;
  const deps: PipelineDeps = {
    store,
    clock: () => new Date(),
    operator: 'hands',
    supplierName: 'sim',
    log: (e) => onEvent(e, inbox),
    supplier: async () => (supplier ??= createSimSupplier({ latencyMs: 0, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 1 }, [])),
  };
  const run = () =>
    runInbox(deps, {
      inbox,
      archive: null,
      reports: null,
      settleMs: 0,
      lockStaleMs: 600_000,
      cancel: { ...DEFAULT_CANCEL_OPTIONS, lang: 'en', reportEncoding: 'utf8' },
    });
  return { dir, inbox, store, run };
}

const row = (contract: string) => `契約番号\n${contract}\n`;
const started = (e: PipelineEvent, file: string) => e.kind === 'event' && e.name === 'file.started' && e.message.en.startsWith(`${file}:`);

describe('other hands in the inbox', () => {
  it('a file taken out before its turn is gone, and the night goes on and sums up', async () => {
    const n = await night('gone', { 'a.csv': row(CONTRACTS[0]!), 'b.csv': row(CONTRACTS[1]!), 'c.csv': row(CONTRACTS[2]!) }, (e, inbox) => {
      if (started(e, 'a.csv')) fs.renameSync(path.join(inbox, 'b.csv'), path.join(inbox, '..', 'pulled-back.csv'));
    });
    const summary = await n.run();
    expect(summary.files.map((f) => [f.file, f.status, f.exitCode])).toEqual([
      ['a.csv', 'archived', 0],
      ['b.csv', 'gone', 0],
      ['c.csv', 'archived', 0],
    ]);
    expect(summary.files[1]!.reason).toBe('taken out of the inbox before the night reached it');
    expect(summary.exitCode).toBe(0);
  });

  it('a file that grows after it was archived goes back to the inbox, and the next night does the rest once', async () => {
    let grown = false;
    const n = await night('grown', { 'a.csv': row(CONTRACTS[0]!) }, (e, inbox) => {
      // The writer was only pausing: its next row lands in the file, wherever it was moved.
      if (!grown && e.kind === 'event' && e.name === 'file.finished') {
        grown = true;
        fs.appendFileSync(path.join(inbox, 'archive', 'a.csv'), `${CONTRACTS[1]}\n`);
      }
    });
    const first = await n.run();
    expect(first.files.map((f) => [f.file, f.status, f.exitCode])).toEqual([['a.csv', 'left_for_later', 1]]);
    expect(first.exitCode).toBe(1);
    expect(fs.readFileSync(path.join(n.inbox, 'a.csv'), 'utf8')).toBe(`契約番号\n${CONTRACTS[0]}\n${CONTRACTS[1]}\n`);
    fs.utimesSync(path.join(n.inbox, 'a.csv'), new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    const second = await n.run();
    expect(second.files.map((f) => [f.file, f.status, f.counts?.completed, f.counts?.already_done])).toEqual([['a.csv', 'archived', 1, 1]]);
    expect(Number(((await knexOf(n.store)('change_orders').count({ n: '*' }))[0] as { n: number }).n)).toBe(2);
  });
});

describe('a header cell with a NUL byte', () => {
  it('stops the file as a whole (exit 2, the column named) and changes nothing; the master import too', async () => {
    const dir = path.join(tmp, 'nul');
    fs.mkdirSync(dir, { recursive: true });
    copyStore(fixtureStore(), path.join(dir, 'k.db'));
    fs.writeFileSync(path.join(dir, 'b.csv'), `契約番号,商品コード,解約数\u0000\n${CONTRACTS[0]},M365-E3,1\n`);
    const before = snapshot(dir);
    const r = await runCli(['cancel', 'b.csv', '--db', 'k.db', '--supplier', 'sim'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('見出し行の 3 列目');
    expect(snapshot(dir)).toEqual(before);
    const master = fs.readFileSync(path.resolve('fixtures/contracts.csv'), 'utf8').replace('contract_no', 'contract_no\u0000');
    fs.writeFileSync(path.join(dir, 'm.csv'), master);
    const imported = await runCli(['contracts', 'import', 'm.csv', '--db', 'k.db', '--lang', 'en'], dir);
    expect(imported.code).toBe(2);
    expect(imported.stderr).toContain('control character');
  });
});

describe('a night summary beside what the night writes', () => {
  it('may not be written into the archive or over a report; beside them it may', async () => {
    const dir = path.join(tmp, 'summary');
    fs.mkdirSync(path.join(dir, 'inbox'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'rep'), { recursive: true });
    // Archives an earlier night made.
    fs.mkdirSync(path.join(dir, 'inbox', 'archive'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'arch', 'rejected'), { recursive: true });
    copyStore(fixtureStore(), path.join(dir, 'k.db'));
    const nightWith = (...extra: string[]) => runCli(['cancel', '--inbox', 'inbox', '--db', 'k.db', '--supplier', 'sim', '--lang', 'en', ...extra], dir);
    for (const extra of [
      ['--summary-json', 'inbox/archive/b.csv'],
      ['--reports', 'rep', '--summary-json', 'rep/a.result.csv'],
      ['--archive', 'arch', '--summary-json', 'arch/rejected/n.json'],
    ]) {
      const r = await nightWith(...extra);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr).toContain('among the files the night writes');
    }
    expect((await nightWith('--reports', 'rep', '--summary-json', 'rep/night.json')).code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'rep', 'night.json'))).toBe(true);
  });
});

describe('a dry run of a night', () => {
  it('is refused before anything runs: a night takes up orders and moves files, which a dry run must not do', async () => {
    const dir = path.join(tmp, 'dry-night');
    fs.mkdirSync(path.join(dir, 'inbox'), { recursive: true });
    copyStore(fixtureStore(), path.join(dir, 'k.db'));
    fs.writeFileSync(path.join(dir, 'inbox', 'nov.csv'), row(CONTRACTS[0]!));
    const before = snapshot(dir);
    for (const extra of [[], ['--supplier', 'sim']]) {
      const r = await runCli(['cancel', '--inbox', 'inbox', '--dry-run', '--db', 'k.db', ...extra], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--dry-run は --inbox と一緒には指定できません');
      expect(snapshot(dir)).toEqual(before);
    }
  });
});
