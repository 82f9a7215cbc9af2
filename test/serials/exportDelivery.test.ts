/**
 * `serials export --mark-notified` delivers each row to finance once, on SQLite and
 * PostgreSQL, however it is stopped (review 1, F2 and F5):
 * - killed (SIGKILL) between marking its rows and renaming its file into place: the file
 *   never appears, and the next export gives the rows back and writes them;
 * - killed between the rename and the end of its record: the rows stay marked, even when
 *   finance has read and deleted the file meanwhile; an export to the same name is refused
 *   while the file is still there unread, rather than writing over rows marked notified;
 * - to a standard output whose reader leaves early (`| head -1`): exit 1, said in the
 *   chosen language, nothing marked, the claim released at once.
 * The kills land inside the rename: `strace` holds the rename syscall (before it runs, or
 * after) while the test kills the process. Without strace, the state such a kill leaves is
 * made by hand from an export that ran through, and the recovery runs through the CLI all
 * the same. Every file that reached finance is kept: at the end, every serial is in
 * exactly one of them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../support/cli.js';
import { generate } from '../support/setup.js';
import { readCsv } from '../nightly/helpers.js';
import { aStore, STORE_KINDS, type StoreUnderTest } from '../support/stores.js';
import type { Store } from '../../src/store/connect.js';
import { knexOf } from '../../src/store/store.js';
import { importContracts } from '../support/inProcess.js';

/** Rows per batch: well over two pipes' worth of CSV (about 175 bytes a row), so a reader that leaves early is met mid-export. */
const BATCH = 1500;
const BATCHES = 6;
const STRACE = spawnSync('strace', ['-f', '-o', '/dev/null', '-e', 'trace=rename', 'true']).status === 0;
const CHILD_ENV = { ...process.env, CI: 'true' };

const made: string[] = [];
const stores: StoreUnderTest[] = [];
afterAll(async () => {
  for (const s of stores) await s.drop();
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

interface Folder {
  dir: string;
  store: StoreUnderTest;
  kaiyaku(args: readonly string[]): ReturnType<typeof runCli>;
  cancelBatch(n: number): Promise<void>;
  /** What finance received: the serials of every file that reached its final name, read as finance reads it. */
  delivered: string[];
  deliver(file: string): void;
}

async function setUp(kind: StoreUnderTest['kind']): Promise<Folder> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kaiyaku-delivery-${kind}-`));
  made.push(dir);
  const store = await aStore(kind, dir, 'delivery');
  stores.push(store);
  const kaiyaku = (args: readonly string[]) => runCli([...args, '--db', store.spec], dir);
  const gen = await generate({ rows: BATCHES * BATCH, out: path.join(dir, 'gen') });
  // A set-up step, in this process (test/support/inProcess.ts): the commands under test run the real CLI.
  await importContracts(store.spec, gen.contracts);
  const [header, ...rows] = fs.readFileSync(gen.cancel, 'utf8').trimEnd().split('\n');
  const f: Folder = {
    dir,
    store,
    kaiyaku,
    async cancelBatch(n) {
      const file = path.join(dir, `batch-${n}.csv`);
      fs.writeFileSync(file, `${header}\n${rows.slice((n - 1) * BATCH, n * BATCH).join('\n')}\n`);
      const r = await kaiyaku(['cancel', file, '--supplier', 'sim', '--quiet']);
      expect(r.code, r.stderr).toBe(0);
    },
    delivered: [],
    deliver(file) {
      f.delivered.push(...serialsIn(file));
    },
  };
  return f;
}

function serialsIn(file: string): string[] {
  // Headers in the language the export was run in.
  return readCsv(file).map((r) => (r['serial_no'] ?? r['シリアル番号'])!);
}

const exportArgs = (out: string) => ['serials', 'export', '--unnotified', '--mark-notified', '--encoding', 'utf8', '--out', out];

async function withStore<T>(f: Folder, work: (s: Store) => Promise<T>): Promise<T> {
  const s = await f.store.open();
  try {
    return await work(s);
  } finally {
    await s.close();
  }
}

/** Claimed rows, rows marked notified, all rows, and export records left in the store. */
async function storeState(f: Folder): Promise<{ claimed: number; notified: number; total: number; records: number }> {
  return withStore(f, async (s) => {
    const [row] = (await knexOf(s)('cancelled_serials').select(
      knexOf(s).raw('count(claimed_by) as claimed'),
      knexOf(s).raw('count(notified_at) as notified'),
      knexOf(s).raw('count(*) as total'),
    )) as Record<string, number | string>[];
    const [records] = (await knexOf(s)('serial_exports').count({ n: '*' })) as { n: number | string }[];
    return { claimed: Number(row!['claimed']), notified: Number(row!['notified']), total: Number(row!['total']), records: Number(records!.n) };
  });
}

/** Temporaries left in the folder (a killed export's, or a recorded one). */
function temporaries(f: Folder): string[] {
  return fs.readdirSync(f.dir).filter((n) => n.includes('.tmp-'));
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

type Window = 'before the rename' | 'after the rename';

/** `serials export --unnotified --mark-notified --out <out>` killed with SIGKILL at the rename of its file. */
async function exportKilled(f: Folder, out: string, window: Window): Promise<void> {
  if (STRACE) await killAtRenameUnderStrace(f, out, window);
  else await leaveStateOfKillAtRename(f, out, window);
}

async function killAtRenameUnderStrace(f: Folder, out: string, window: Window): Promise<void> {
  // The export's only rename is its file's: held 3 s, before it runs or after it ran.
  const inject = `inject=rename:${window === 'before the rename' ? 'delay_enter' : 'delay_exit'}=3000000`;
  const child = spawn(
    'strace',
    ['-f', '-o', '/dev/null', '-e', 'trace=rename', '-e', inject, process.execPath, BIN, ...exportArgs(out), '--db', f.store.spec],
    { cwd: f.dir, env: CHILD_ENV, stdio: 'ignore' },
  );
  const exited = once(child, 'exit');
  if (window === 'after the rename') await until('the file is in place', () => fs.existsSync(out));
  else
    await until(
      'the rows are marked',
      async () => (await withStore(f, (s) => knexOf(s)('serial_exports').where('state', 'marked').first('holder'))) !== undefined,
    );
  const holder = await withStore(
    f,
    async (s) => (await knexOf(s)('cancelled_serials').whereNotNull('claimed_by').first('claimed_by')) as { claimed_by: string },
  );
  const pid = Number(holder.claimed_by.split(':')[1]);
  process.kill(pid, 'SIGKILL');
  // strace lets the process go (and exits) once the held syscall's delay is over.
  await exited;
  await until('the export process is gone', () => !alive(pid));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Without strace: the state such a kill leaves, from an export that ran through. Its rows
 * marked and still claimed by a process that is gone, its record 'marked'; before the
 * rename, its file still under its recorded temporary name.
 */
async function leaveStateOfKillAtRename(f: Folder, out: string, window: Window): Promise<void> {
  const ids = await withStore(f, async (s) =>
    (await knexOf(s)('cancelled_serials').whereNull('notified_at').select('id')).map((r: { id: number }) => Number(r.id)),
  );
  const r = await f.kaiyaku(exportArgs(out));
  expect(r.code, r.stderr).toBe(0);
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
  const holder = `${os.hostname()}:${deadPid}:${os.userInfo().username}:0123456789ab`;
  const finalPath = path.resolve(out);
  const tempPath = `${finalPath}.tmp-${deadPid}-1-export`;
  const now = new Date().toISOString();
  await withStore(f, async (s) => {
    await knexOf(s)('cancelled_serials').whereIn('id', ids).update({ claimed_by: holder, claimed_at: now });
    await knexOf(s)('serial_exports').insert({
      holder,
      state: 'marked',
      temp_path: tempPath,
      final_path: finalPath,
      renewed_at: now,
      sha256: sha256(out),
      rows_written: ids.length,
      rows_marked: ids.length,
      marked_at: now,
      notified_by: 'finance',
    });
  });
  if (window === 'before the rename') fs.renameSync(out, tempPath);
}

describe.each(STORE_KINDS)('a marking serial export reaches finance once, however it is stopped (%s)', (kind) => {
  let f: Folder;
  beforeAll(async () => {
    f = await setUp(kind);
  }, 240_000);

  it('killed after marking its rows and before renaming its file: the file never appears; the next export gives the rows back and writes them', async () => {
    await f.cancelBatch(1);
    const x = path.join(f.dir, 'x1.csv');
    await exportKilled(f, x, 'before the rename');
    expect(fs.existsSync(x)).toBe(false);
    expect(await storeState(f)).toEqual({ claimed: BATCH, notified: BATCH, total: BATCH, records: 1 });

    const y = path.join(f.dir, 'y1.csv');
    const r = await f.kaiyaku([...exportArgs(y), '--lang', 'en']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `warning: ${x}: an earlier export to this file stopped after marking its ${BATCH} rows notified and before its file was put in place: nothing was delivered, so the rows are unnotified again`,
    );
    f.deliver(y);
    expect(new Set(serialsIn(y)).size).toBe(BATCH);
    expect(fs.existsSync(x)).toBe(false);
    expect(temporaries(f)).toEqual([]);
    expect(await storeState(f)).toEqual({ claimed: 0, notified: BATCH, total: BATCH, records: 0 });
  }, 180_000);

  it('killed after renaming its file: the rows stay marked, and finance deleting the file after reading it brings none back', async () => {
    await f.cancelBatch(2);
    const x = path.join(f.dir, 'x2.csv');
    await exportKilled(f, x, 'after the rename');
    expect(serialsIn(x)).toHaveLength(BATCH);
    // Finance reads the file and deletes it.
    f.deliver(x);
    fs.rmSync(x);

    const y = path.join(f.dir, 'y2.csv');
    const r = await f.kaiyaku([...exportArgs(y), '--lang', 'en']);
    expect(r.code, r.stderr).toBe(0);
    f.deliver(y);
    expect(serialsIn(y)).toEqual([]);
    expect(r.stderr).toContain(
      `warning: ${x}: an earlier export to this file stopped after putting it in place: its ${BATCH} rows stay marked notified; the file has since been moved, removed or changed`,
    );
    expect(temporaries(f)).toEqual([]);
    expect(await storeState(f)).toEqual({ claimed: 0, notified: 2 * BATCH, total: 2 * BATCH, records: 0 });
  }, 180_000);

  it('killed after renaming its file, the file left unread: an export to the same name is refused until the file is moved away', async () => {
    await f.cancelBatch(3);
    const x = path.join(f.dir, 'daily.csv');
    await exportKilled(f, x, 'after the rename');
    const written = sha256(x);

    // The same daily command again (Japanese by default): it would write over rows marked notified.
    const again = await f.kaiyaku(exportArgs(x));
    expect(again.code, again.stderr).toBe(2);
    // Refused before anything runs: a marking export never writes over a file that is there.
    expect(again.stderr).toContain(`--out ${x} は既にあります。--mark-notified のエクスポートは既存のファイルに上書きしません`);
    expect(sha256(x)).toBe(written);
    expect(await storeState(f)).toMatchObject({ notified: 3 * BATCH, records: 1 });

    // Finance takes the file away (delivers it): the next export to that name goes ahead, with nothing new.
    const delivered = path.join(f.dir, 'daily.delivered.csv');
    fs.renameSync(x, delivered);
    f.deliver(delivered);
    const next = await f.kaiyaku(exportArgs(x));
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(
      `警告: ${x}: このファイルへの以前のエクスポートは、ファイルを置いた後に中断されていました。その ${BATCH} 行は通知済のままです`,
    );
    f.deliver(x);
    expect(serialsIn(x)).toEqual([]);
    expect(await storeState(f)).toEqual({ claimed: 0, notified: 3 * BATCH, total: 3 * BATCH, records: 0 });
  }, 180_000);

  it('finished normally and deleted by finance after reading: the next export repeats nothing', async () => {
    await f.cancelBatch(4);
    const x = path.join(f.dir, 'x4.csv');
    const r = await f.kaiyaku(exportArgs(x));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    f.deliver(x);
    expect(serialsIn(x)).toHaveLength(BATCH);
    fs.rmSync(x);
    const y = path.join(f.dir, 'y4.csv');
    const next = await f.kaiyaku(exportArgs(y));
    expect(next.code, next.stderr).toBe(0);
    f.deliver(y);
    expect(serialsIn(y)).toEqual([]);
    expect(await storeState(f)).toEqual({ claimed: 0, notified: 4 * BATCH, total: 4 * BATCH, records: 0 });
  }, 180_000);

  it('to a standard output whose reader leaves early: exit 1, said in the chosen language, nothing marked, the claim released at once', async () => {
    await f.cancelBatch(5);
    const ja = await exportToEarlyLeavingReader(f, ['--unnotified', '--mark-notified']);
    expect(ja.code, ja.stderr).toBe(1);
    expect(ja.stderr).toBe(
      'kaiyaku: 解約シリアル通知用CSVを出力し終わる前に標準出力が閉じられました（読み取り側のプログラムが途中で終了しました）。通知済にした行はありません。これらの行は次のエクスポートで書き出されます\n',
    );
    expect(await storeState(f)).toEqual({ claimed: 0, notified: 4 * BATCH, total: 5 * BATCH, records: 0 });

    const en = await exportToEarlyLeavingReader(f, ['--unnotified', '--mark-notified', '--lang', 'en', '--log-format', 'json']);
    expect(en.code, en.stderr).toBe(1);
    const event = JSON.parse(en.stderr.trim()) as { kind: string; name: string; message: string };
    expect(event).toMatchObject({ kind: 'error', name: 'output.closed' });
    expect(event.message).toContain('standard output was closed before the serial export was complete');
    expect(event.message).toContain('nothing was marked notified');
    expect(await storeState(f)).toEqual({ claimed: 0, notified: 4 * BATCH, total: 5 * BATCH, records: 0 });

    // Reading part of a list, or of an export that marks nothing, is normal: exit 0, not a word.
    for (const args of [['--unnotified'], []]) {
      const plain = await exportToEarlyLeavingReader(f, args);
      expect(plain.code, plain.stderr).toBe(0);
      expect(plain.stderr).toBe('');
    }

    const y = path.join(f.dir, 'y5.csv');
    const next = await f.kaiyaku(exportArgs(y));
    expect(next.code, next.stderr).toBe(0);
    f.deliver(y);
    expect(serialsIn(y)).toHaveLength(BATCH);
  }, 180_000);

  it('another export writing the same file at this moment: refused before claiming anything', async () => {
    const x = path.join(f.dir, 'busy.csv');
    // A live export of this host (this test process) holding that name.
    const holder = `${os.hostname()}:${process.pid}:${os.userInfo().username}:0123456789ab`;
    await withStore(f, (s) =>
      knexOf(s)('serial_exports').insert({
        holder,
        state: 'writing',
        temp_path: `${x}.tmp-${process.pid}-1-export`,
        final_path: x,
        renewed_at: new Date().toISOString(),
      }),
    );
    await f.cancelBatch(6);
    const r = await f.kaiyaku([...exportArgs(x), '--lang', 'en']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`--out ${x}: another serial export is writing this file at this moment`);
    expect(fs.existsSync(x)).toBe(false);
    expect(await storeState(f)).toEqual({ claimed: 0, notified: 5 * BATCH, total: 6 * BATCH, records: 1 });

    // That export ended: the name is free again.
    await withStore(f, (s) => knexOf(s)('serial_exports').where({ holder }).delete());
    const next = await f.kaiyaku(exportArgs(x));
    expect(next.code, next.stderr).toBe(0);
    f.deliver(x);
    expect(serialsIn(x)).toHaveLength(BATCH);
  }, 180_000);

  it('every serial reached finance exactly once', async () => {
    const all = await withStore(f, async (s) => (await knexOf(s)('cancelled_serials').select('serial_no')).map((r: { serial_no: string }) => r.serial_no));
    expect(f.delivered).toHaveLength(all.length);
    expect(new Set(f.delivered)).toEqual(new Set(all));
  });
});

/** The CLI's standard output read by a reader that takes the first chunk and leaves (`| head -1`). */
async function exportToEarlyLeavingReader(f: Folder, args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'serials', 'export', '--encoding', 'utf8', ...args, '--db', f.store.spec], {
    cwd: f.dir,
    env: CHILD_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdout!.once('data', () => child.stdout!.destroy());
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stderr };
}
