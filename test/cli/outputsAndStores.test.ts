/**
 * Where a command may read and write, through the real CLI: only `contracts import`,
 * `migrate` and `demo` make a store (a mistyped --db elsewhere is refused, nothing
 * created); no output lands on the store, on an input or in the inbox; standard input
 * and pipes are read once, their reports going only to --reports. Every refusal is exit 2
 * with the folder byte-identical.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { aPgSchema, PG_URL } from '../store/pgSchema.js';
import { eachLimited, runCli, type CliOptions } from '../support/cli.js';
import { FIXTURES, runIn, snapshot } from '../support/sandbox.js';
import { withFixtureStore } from '../support/setup.js';
import { serveSupplier, type Served } from '../support/supplierServe.js';

const HEADER = '契約番号,商品コード,サブスクリプションID,シリアル番号,解約数,契約終了日,依頼番号,備考';
const ROW = 'NCN202105-0000003108,M365-BB,,,1,,,';

/** A folder with a store of the fixture contracts, a cancellation file and an inbox holding a settled night file. */
let template: string;
let dir: string;

beforeAll(() => {
  template = mkdtempSync(join(tmpdir(), 'kaiyaku-outputs-'));
  withFixtureStore(template);
  writeFileSync(join(template, 'nov.csv'), `${HEADER}\n${ROW}\n`);
  mkdirSync(join(template, 'inbox'));
  writeFileSync(join(template, 'inbox', 'night.csv'), `${HEADER}\n${ROW}\n`);
  const old = new Date(Date.now() - 3600_000);
  utimesSync(join(template, 'inbox', 'night.csv'), old, old);
});
afterAll(() => rmSync(template, { recursive: true, force: true }));
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kaiyaku-outputs-case-'));
  cpSync(template, dir, { recursive: true, preserveTimestamps: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const kaiyaku = (args: readonly string[], env: NodeJS.ProcessEnv = {}) => runIn(dir, [...args, '--lang', 'en'], env);

type Refusal = [args: readonly string[], named: RegExp, env?: NodeJS.ProcessEnv];

/**
 * Each: exit 2, the message matching, no stack trace; and every file of the folder as it
 * was before them. The refusals run side by side in the folder: none may change it, so the
 * folder after all of them equals the folder before.
 */
async function expectRefused(...cases: Refusal[]): Promise<void> {
  const before = snapshot(dir);
  await eachLimited(cases, async ([args, named, env]) => {
    const r = await kaiyaku(args, env);
    expect(r.code, `kaiyaku ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).toMatch(named);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
  expect(snapshot(dir)).toEqual(before);
}

describe('only contracts import, migrate and demo make a store', () => {
  const NO_STORE = /there is no database at typo\.db: check --db or KAIYAKU_DB[\s\S]*kaiyaku contracts import/;
  const commands: string[][] = [
    ['cancel', 'nov.csv', '--supplier', 'sim'],
    ['cancel', 'nov.csv', '--dry-run', '--supplier', 'sim'],
    ['cancel', '--inbox', 'inbox', '--supplier', 'sim', '--settle-seconds', '0'],
    ['orders', 'resume', '--supplier', 'sim'],
    ['orders', 'accept', 'NOD202601-0000000001'],
    ['serials', 'export', '--mark-notified', '--out', 'serials.csv'],
    ['serials', 'export'],
    ['orders', 'list'],
    ['contracts', 'list'],
  ];

  it('a mistyped --db (or KAIYAKU_DB) is refused by every other command, naming both and how to make one, and creates nothing', async () => {
    await expectRefused(
      ...commands.flatMap((args): Refusal[] => [
        [[...args, '--db', 'typo.db'], NO_STORE],
        [args, NO_STORE, { KAIYAKU_DB: 'typo.db' }],
      ]),
    );
    expect(existsSync(join(dir, 'typo.db'))).toBe(false);
    expect(readdirSync(join(dir, 'inbox'))).toEqual(['night.csv']);
  });

  it("a file that is not a kaiyaku store (an empty one, another program's) is refused and left as it was", async () => {
    writeFileSync(join(dir, 'empty.db'), '');
    writeFileSync(join(dir, 'notes.db'), 'not a database at all\n');
    await expectRefused(
      ...['empty.db', 'notes.db'].flatMap((db) =>
        [
          ['cancel', 'nov.csv', '--supplier', 'sim'],
          ['orders', 'resume', '--supplier', 'sim'],
          ['serials', 'export', '--mark-notified'],
        ].map((args): Refusal => [[...args, '--db', db], new RegExp(`${db} is not a kaiyaku database[\\s\\S]*--db or KAIYAKU_DB`)]),
      ),
    );
    expect(readFileSync(join(dir, 'empty.db'), 'utf8')).toBe('');
  });

  it('contracts import, migrate and demo still make one', async () => {
    const made = await Promise.all([
      kaiyaku(['contracts', 'import', 'contracts.csv', '--db', 'new1.db']),
      kaiyaku(['migrate', '--db', 'new2.db']),
      kaiyaku(['demo', '--dir', 'demo']),
    ]);
    for (const r of made) expect(r.code, r.stderr).toBe(0);
    for (const r of await Promise.all(['new1.db', 'new2.db', join('demo', 'kaiyaku.db')].map((db) => kaiyaku(['orders', 'list', '--db', db])))) {
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it.skipIf(!PG_URL)("PostgreSQL: a database without kaiyaku's tables is refused by the night and by resume, and nothing is created in it", async () => {
    const schema = await aPgSchema(PG_URL!, 'nostore');
    try {
      const tables = async () =>
        (await schema.admin.raw('select count(*)::int as n from information_schema.tables where table_schema = ?', [schema.name])).rows[0].n as number;
      const notStore = /is not a kaiyaku database[\s\S]*--db or KAIYAKU_DB/;
      await expectRefused(
        [['cancel', 'nov.csv', '--supplier', 'sim', '--db', schema.url], notStore],
        [['cancel', '--inbox', 'inbox', '--supplier', 'sim', '--settle-seconds', '0', '--db', schema.url], notStore],
        [['orders', 'resume', '--supplier', 'sim', '--db', schema.url], notStore],
        [['serials', 'export', '--mark-notified', '--db', schema.url], notStore],
      );
      expect(await tables()).toBe(0);
      expect((await kaiyaku(['contracts', 'import', 'contracts.csv', '--db', schema.url])).code).toBe(0);
      const r = await kaiyaku(['cancel', 'nov.csv', '--supplier', 'sim', '--db', schema.url]);
      expect(r.code, r.stderr).toBe(0);
    } finally {
      await schema.drop();
    }
  });
});

describe('no output lands on the store, on an input, or in the inbox', () => {
  it('--out and --summary-json cannot replace the store or its -wal/-shm/-journal, however the path is written', async () => {
    symlinkSync('kaiyaku.db', join(dir, 'link.db'));
    linkSync(join(dir, 'kaiyaku.db'), join(dir, 'hard.db'));
    mkdirSync(join(dir, 'sub'));
    const paths = ['kaiyaku.db', './kaiyaku.db', 'sub/../kaiyaku.db', 'link.db', 'hard.db', 'kaiyaku.db-wal', 'kaiyaku.db-shm', 'kaiyaku.db-journal'];
    await expectRefused(
      ...paths.flatMap((out): Refusal[] => [
        [['orders', 'list', '--out', out], new RegExp(`--out ${out.replace(/[.]/g, '\\.')} is (the database|a file of the database)`)],
        [['contracts', 'list', '--out', out, '--db', './kaiyaku.db'], /--out .* is (the database|a file of the database)/],
        [['serials', 'export', '--mark-notified', '--out', out], /--out .* is (the database|a file of the database)/],
        [
          ['cancel', '--inbox', 'inbox', '--supplier', 'sim', '--settle-seconds', '0', '--summary-json', out],
          /--summary-json .* is (the database|a file of the database)/,
        ],
      ]),
    );
    // The store still answers: nothing was written over it.
    expect((await kaiyaku(['orders', 'list'])).code).toBe(0);
  });

  it('the archive cannot be the inbox (the inbox would double every night), nor can --reports or --summary-json be in it', async () => {
    symlinkSync('inbox', join(dir, 'inbox-link'));
    const night = ['cancel', '--inbox', 'inbox', '--supplier', 'sim', '--settle-seconds', '0'];
    // The rejected files go to <archive>/rejected: that cannot be the inbox either.
    mkdirSync(join(dir, 'up', 'rejected'), { recursive: true });
    await expectRefused(
      ...['inbox', './inbox/', 'inbox-link'].map((archive): Refusal => [[...night, '--archive', archive], /--archive .* is the inbox/]),
      [['cancel', '--inbox', 'up/rejected', '--supplier', 'sim', '--archive', 'up'], /--archive up\/rejected is the inbox/],
      [[...night, '--reports', 'inbox-link'], /--reports cannot be the inbox/],
      [[...night, '--summary-json', 'inbox/night.json'], /--summary-json inbox\/night\.json is inside the inbox/],
      [[...night, '--summary-json', 'inbox-link/night.csv'], /--summary-json inbox-link\/night\.csv is inside the inbox/],
    );
    // Beside it is fine, and the night runs.
    const r = await kaiyaku([...night, '--archive', 'archive', '--summary-json', 'night.json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(dir, 'inbox'))).toEqual([]);
    expect(readdirSync(join(dir, 'archive'))).toContain('night.csv');
  });

  it('a report cannot replace the store or another input of the same command', async () => {
    cpSync(join(dir, 'kaiyaku.db'), join(dir, 'nov.result.csv'));
    await expectRefused([['cancel', 'nov.csv', '--supplier', 'sim', '--db', 'nov.result.csv'], /the report of nov\.csv nov\.result\.csv is the database/]);
    rmSync(join(dir, 'nov.result.csv'));
    // b.result.csv named through a link to this folder is b.csv's own report: it would be written over before it is read.
    writeFileSync(join(dir, 'b.csv'), `${HEADER}\n${ROW}\n`);
    writeFileSync(join(dir, 'b.result.csv'), `${HEADER}\n${ROW}\n`);
    const here = `${dir}-link`;
    symlinkSync(dir, here);
    try {
      await expectRefused([
        ['cancel', 'b.csv', join(here, 'b.result.csv'), '--supplier', 'sim', '--dry-run'],
        /the report of b\.csv b\.result\.csv is the input file .*-link\/b\.result\.csv/,
      ]);
    } finally {
      rmSync(here);
    }
  });
});

describe('standard input and pipes are read once, and their reports go to --reports only', () => {
  let supplier: Served;
  beforeAll(async () => {
    supplier = await serveSupplier(template);
  });
  afterAll(() => supplier.stop());

  /** The CLI with its standard input from `stdin` (bytes through a pipe, or an open file descriptor); killed if it waits on a pipe for ever. */
  function withStdin(args: readonly string[], stdin: { input: string } | { fd: number }) {
    const options: CliOptions = 'fd' in stdin ? { stdin: stdin.fd } : { input: stdin.input };
    return runCli([...args, '--lang', 'en'], { ...options, cwd: dir, timeoutMs: 60_000 });
  }
  const results = (file: string) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\r\n')
      .slice(1, -1)
      .map((line) => line.split(',')[5]);

  it('piped into `cancel -`, every row is read and run (it was reported empty), reports out/stdin.result.csv', async () => {
    mkdirSync(join(dir, 'out'));
    const calls = (await supplier.stats()).total;
    const r = await withStdin(['cancel', '-', '--reports', 'out', '--supplier', supplier.url], { input: `${HEADER}\nNCN202108-0000003200,M365-E3,,,2,,,\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^stdin: 1 rows — completed 1/);
    expect(results('out/stdin.result.csv')).toEqual(['completed']);
    expect((await supplier.stats()).total).toBeGreaterThan(calls);
    // The same bytes again are the same request: nothing is sent twice.
    const again = await withStdin(['cancel', '-', '--reports', 'out', '--supplier', supplier.url], {
      input: `${HEADER}\nNCN202108-0000003200,M365-E3,,,2,,,\n`,
    });
    expect(again.code, again.stderr).toBe(0);
    expect(results('out/stdin.result.csv')).toEqual(['already_done']);
    // contracts import reads standard input too.
    const imported = await withStdin(['contracts', 'import', '-', '--dry-run'], { input: readFileSync(join(FIXTURES, 'contracts.csv'), 'utf8') });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/^stdin: 10 rows/);
  });

  it('standard input (- or /dev/stdin, piped or redirected) without --reports is refused before it is read: no /dev/stdin.result.csv', async () => {
    const fd = openSync(join(dir, 'nov.csv'), 'r');
    try {
      for (const name of ['-', '/dev/stdin']) {
        const before = snapshot(dir);
        for (const stdin of [{ fd }, { input: `${HEADER}\n${ROW}\n` }]) {
          const r = await withStdin(['cancel', name, '--supplier', supplier.url], stdin);
          expect(r.code, r.stderr).toBe(2);
          expect(r.stderr).toContain(`${name} is standard input: there is no folder beside it`);
          expect(r.stderr).toMatch(/give --reports DIR/);
        }
        expect(snapshot(dir)).toEqual(before);
      }
    } finally {
      closeSync(fd);
    }
    expect(existsSync('/dev/stdin.result.csv')).toBe(false);
    expect(existsSync('/dev/stdin.errors.csv')).toBe(false);
    // Redirected, with --reports, it runs like a file named stdin.
    mkdirSync(join(dir, 'out'));
    const fd2 = openSync(join(dir, 'nov.csv'), 'r');
    try {
      const r = await withStdin(['cancel', '/dev/stdin', '--reports', 'out', '--supplier', supplier.url], { fd: fd2 });
      expect(r.code, r.stderr).toBe(0);
      expect(results('out/stdin.result.csv')).toEqual(['completed']);
    } finally {
      closeSync(fd2);
    }
  });

  it('a named pipe is read once, its reports named after it in --reports; without --reports it is refused before it is read', async () => {
    const fifo = join(dir, 'feed.csv');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const orders = async () => (await kaiyaku(['orders', 'list', '--encoding', 'utf8'])).stdout;
    const before = await orders();
    const refused = await withStdin(['cancel', 'feed.csv', '--supplier', supplier.url], { input: '' });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/feed\.csv is not a regular file \(a pipe, a device or a file descriptor\)[\s\S]*--reports/);
    expect(await orders()).toBe(before);
    expect(readdirSync(dir).filter((f) => f.startsWith('feed'))).toEqual(['feed.csv']);
    mkdirSync(join(dir, 'out'));
    // The writer blocks until the command opens the pipe: it is read while the command runs.
    const writer = spawn('sh', ['-c', `printf '%s\\n%s\\n' '${HEADER}' 'NCN202107-0000003109,PRJ-P1,,,,,,' > feed.csv`], { cwd: dir });
    try {
      const r = await withStdin(['cancel', 'feed.csv', '--reports', 'out', '--supplier', supplier.url], { input: '' });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^feed\.csv: 1 rows — completed 1/);
      expect(results('out/feed.result.csv')).toEqual(['completed']);
    } finally {
      writer.kill();
    }
  });
});

describe('a full disk is named (DISK_FULL, both languages), with no stack trace and a truthful exit code', () => {
  /** The CLI with its standard output on `stdoutPath` (/dev/full). */
  async function toStdout(stdoutPath: string, args: readonly string[]) {
    const fd = openSync(stdoutPath, 'w');
    try {
      return await runCli(args, { cwd: dir, stdout: fd, timeoutMs: 60_000 });
    } finally {
      closeSync(fd);
    }
  }
  const unnotified = async () => (await kaiyaku(['serials', 'export', '--unnotified', '--encoding', 'utf8'])).stdout.trim().split('\n').length - 1;

  it('serials export > /dev/full: exit 2, the disk named, nothing marked notified; a summary lost is exit 1; --out /dev/full is refused', async () => {
    writeFileSync(join(dir, 'serial.csv'), `${HEADER}\nNCN202110-0000003402,,,SN-ESET-0002,,,,\n`);
    expect((await kaiyaku(['cancel', 'serial.csv', '--supplier', 'sim'])).code).toBe(0);
    expect(await unnotified()).toBe(1);
    for (const lang of ['en', 'ja']) {
      const r = await toStdout('/dev/full', ['serials', 'export', '--unnotified', '--mark-notified', '--lang', lang]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        lang === 'en'
          ? /cannot write the serial export \(standard output\): the disk is full \(ENOSPC\)/
          : /解約シリアル通知用CSV（標準出力）を書き込めません: ディスクの空きがありません（ENOSPC）/,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(await unnotified()).toBe(1);
    const json = await toStdout('/dev/full', ['orders', 'list', '--log-format', 'json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr.trim())).toMatchObject({ kind: 'error', name: 'disk.full' });
    // The rows were run; only the summary on stdout was lost: said, and not exit 0.
    const cancel = await toStdout('/dev/full', ['cancel', 'nov.csv', '--supplier', 'sim', '--lang', 'en']);
    expect(cancel.code, cancel.stderr).toBe(1);
    expect(cancel.stderr).toMatch(/cannot write standard output: the disk is full \(ENOSPC\)/);
    expect(readFileSync(join(dir, 'nov.result.csv'), 'utf8')).toMatch(/完了|completed/);
    // Written whole and renamed over, /dev/full itself would be replaced.
    await expectRefused([['orders', 'list', '--out', '/dev/full'], /--out \/dev\/full: this is not a regular file/]);
  });

  it('SQLITE_FULL in the middle of a cancel: exit 1, the disk named; with space freed, the same command finishes the work once', async (ctx) => {
    const small = join(dir, 'small');
    mkdirSync(small);
    // A real full file system: a 2 MB tmpfs (root may mount one here; elsewhere the case is skipped).
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small]).status !== 0) return ctx.skip();
    try {
      const db = join('small', 'k.db');
      expect((await kaiyaku(['contracts', 'import', 'contracts.csv', '--db', db])).code).toBe(0);
      cpSync(join(FIXTURES, 'cancel-sample.csv'), join(dir, 'sample.csv'));
      const { bavail, bsize } = statfsSync(small);
      // Room for SQLite's -shm file and a little more: the run's first writes fill it.
      expect(spawnSync('fallocate', ['-l', String(bavail * bsize - 40 * 1024), join(small, 'filler')]).status).toBe(0);
      const full = await kaiyaku(['cancel', 'sample.csv', '--db', db, '--supplier', 'sim']);
      expect(full.code, full.stderr).toBe(1);
      expect(full.stderr).toMatch(/the disk is full \(SQLITE_FULL\)\. Free some space and run the same command again/);
      expect(full.stderr).not.toMatch(/unexpected|\n\s+at /);
      rmSync(join(small, 'filler'));
      const again = await kaiyaku(['cancel', 'sample.csv', '--db', db, '--supplier', 'sim']);
      expect(again.code, again.stderr).toBe(1);
      expect(again.stdout).toMatch(/5 rows — completed 4, refused 1/);
      const orders = (await kaiyaku(['orders', 'list', '--db', db, '--encoding', 'utf8'])).stdout.trim().split('\n').slice(1);
      expect(orders).toHaveLength(3);
      expect(orders.every((o) => o.includes(',completed,'))).toBe(true);
    } finally {
      spawnSync('umount', [small]);
    }
  });
});
