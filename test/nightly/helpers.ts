/**
 * Shared by the nightly-mode tests (`kaiyaku cancel --inbox`): the built CLI as child
 * processes, a temp folder per test with its own SQLite store, generated contracts and
 * cancellation rows, and small readers for the files the night leaves behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll } from 'vitest';
import { BIN, type ProcessResult } from '../support/cli.js';
import { openStore, type Store } from '../../src/store/connect.js';
import { knexOf } from '../../src/store/store.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export { BIN };
export const GENERATE = path.join(ROOT, 'scripts/generate.mjs');
const CHILD_ENV = { ...process.env, CI: 'true', NO_COLOR: '1' };

const made: string[] = [];
afterAll(() => {
  if (process.env['KAIYAKU_KEEP_TMP'] === '1') return;
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

export interface Night {
  dir: string;
  db: string;
  inbox: string;
  archive: string;
  reports: string;
  summary: string;
  /** The generated cancellation file: header + one row per contract (row i is contract i). */
  cancelLines: string[];
}

export interface Base {
  db: string;
  cancelLines: string[];
}

/** Generated contracts imported once into a store that each test then copies (import is the slow part). */
export function prepareBase(prefix: string, contracts: number): Base {
  const dir = tempDir(`${prefix}-base`);
  const gen = path.join(dir, 'gen');
  const g = spawnSync(process.execPath, [GENERATE, '--rows', String(contracts), '--out', gen], { encoding: 'utf8' });
  if (g.status !== 0) throw new Error(`generate.mjs failed: ${g.stderr}`);
  const db = path.join(dir, 'base.db');
  cliSync(['contracts', 'import', path.join(gen, 'contracts.csv'), '--db', db, '--quiet'], dir);
  return { db, cancelLines: fs.readFileSync(path.join(gen, 'cancel.csv'), 'utf8').trimEnd().split('\n') };
}

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kaiyaku-nightly-${prefix}-`));
  made.push(dir);
  return dir;
}

/** A fresh folder with its own copy of the base store, and an empty inbox. */
export function setUpNight(prefix: string, base: Base): Night {
  const dir = tempDir(prefix);
  const db = path.join(dir, 'store.db');
  fs.copyFileSync(base.db, db);
  for (const suffix of ['-wal', '-shm']) if (fs.existsSync(base.db + suffix)) fs.copyFileSync(base.db + suffix, db + suffix);
  const night: Night = {
    dir,
    db,
    inbox: path.join(dir, 'inbox'),
    archive: path.join(dir, 'archive'),
    reports: path.join(dir, 'reports'),
    summary: path.join(dir, 'night.json'),
    cancelLines: base.cancelLines,
  };
  fs.mkdirSync(night.inbox);
  return night;
}

/** Data rows `from..to` (1-based, inclusive) of the generated cancellation file, with its header. */
export function cancelCsv(night: Night, from: number, to: number, extra: readonly string[] = []): string {
  return `${[night.cancelLines[0]!, ...night.cancelLines.slice(from, to + 1), ...extra].join('\n')}\n`;
}

/**
 * Writes an inbox file whose mtime lies well in the past (settled), unless `fresh`: then it
 * is dated a few minutes ahead, as if still being written when the night looks at it. (Dated
 * now, a loaded machine's night could take longer than --settle-seconds to reach it.)
 */
export function drop(night: Night, name: string, content: string | Uint8Array, fresh = false): string {
  const file = path.join(night.inbox, name);
  fs.writeFileSync(file, content);
  if (fresh) age(file, -600);
  else age(file);
  return file;
}

export function age(file: string, seconds = 3600): void {
  const past = new Date(Date.now() - seconds * 1000);
  fs.utimesSync(file, past, past);
}

/** The nightly command on this night's folders (reports, archive, summary), plus `extra`. */
export function nightArgs(night: Night, extra: readonly string[] = [], summary = night.summary): string[] {
  return [
    'cancel',
    '--inbox',
    night.inbox,
    '--archive',
    night.archive,
    '--reports',
    night.reports,
    '--summary-json',
    summary,
    '--db',
    night.db,
    '--lang',
    'en',
    '--report-encoding',
    'utf8',
    ...extra,
  ];
}

export type { ProcessResult as Ran };

export interface Running {
  child: ChildProcess;
  pid: number;
  done: Promise<ProcessResult>;
  /** Resolves once stderr holds a line matching `re` (rejects if the process ends first). */
  waitForStderr(re: RegExp, timeoutMs?: number): Promise<void>;
}

export function startCli(args: readonly string[], cwd: string): Running {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: CHILD_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve(): void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    for (const w of [...waiters]) if (w.re.test(stderr)) w.resolve();
  });
  const done = new Promise<ProcessResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started }));
  });
  if (child.pid === undefined) throw new Error(`could not start kaiyaku ${args.join(' ')}`);
  return {
    child,
    pid: child.pid,
    done,
    waitForStderr: (re, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(stderr)) return resolve();
        const timer = setTimeout(() => reject(new Error(`no ${re} on stderr within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
        const w = {
          re,
          resolve: () => {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(w), 1);
            resolve();
          },
        };
        waiters.push(w);
        void done.then(
          () => {
            clearTimeout(timer);
            if (re.test(stderr)) resolve();
            else reject(new Error(`kaiyaku ended before ${re} appeared on stderr:\n${stderr}`));
          },
          // The process could not be started: say so now, not at the time-out.
          (error: unknown) => {
            clearTimeout(timer);
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }),
  };
}

export function runCli(args: readonly string[], cwd: string): Promise<ProcessResult> {
  return startCli(args, cwd).done;
}

function runCliSync(args: readonly string[], cwd: string): ProcessResult {
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: CHILD_ENV, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

/** For set-up steps and queries that must succeed. */
export function cliSync(args: readonly string[], cwd: string): string {
  const r = runCliSync(args, cwd);
  if (r.code !== 0) throw new Error(`kaiyaku ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

export type CsvRow = Record<string, string>;

export function parseCsv(text: string): CsvRow[] {
  return parse(text, { bom: true, columns: true, skip_empty_lines: true, relax_column_count: true }) as CsvRow[];
}

export function readCsv(file: string): CsvRow[] {
  return parseCsv(fs.readFileSync(file, 'utf8'));
}

/** The store's orders with their contract numbers (read directly: cheaper than `orders list`). */
export async function storeOrders(night: Night): Promise<{ order_no: string; contract_no: string; status: string }[]> {
  return withStore(night, (s) =>
    knexOf(s)('change_orders as o').join('contracts as c', 'c.id', 'o.contract_id').select('o.order_no', 'c.contract_no', 'o.status').orderBy('o.id'),
  );
}

/** `kaiyaku orders list --lang en` as rows. */
export function ordersList(night: Night): CsvRow[] {
  return parseCsv(cliSync(['orders', 'list', '--db', night.db, '--lang', 'en', '--encoding', 'utf8'], night.dir));
}

export interface FileSummary {
  file: string;
  status: 'archived' | 'set_aside' | 'left_for_later';
  exitCode: number;
  rows: number;
  counts: Record<string, number> | null;
  reason: string | null;
  resultPath: string | null;
  errorsPath: string | null;
  movedTo: string | null;
  durationMs: number;
}

export interface NightJson {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  exitCode: number;
  resume: {
    orders: number;
    counts: Record<string, number>;
    waiting: number;
    needsOperator: { orderNo: string; action: string; words: { en: string; ja: string } }[];
    parked: { count: number; orders: { orderNo: string; stage: string; status: string }[] };
    durationMs: number;
  };
  files: FileSummary[];
  rows: Record<string, number> & { total: number };
  ordersByStatus: Record<string, number>;
  supplier: { calls: number; retries: number; throttled: number; failures: number };
}

export function readSummary(night: Night): NightJson {
  return JSON.parse(fs.readFileSync(night.summary, 'utf8')) as NightJson;
}

/** Data rows of a CSV file as the CLI would count them (header excluded). */
export function dataRows(file: string): number {
  return readCsv(file).length;
}

/** The store, read directly (no migrations: another process may be writing to it). */
export async function withStore<T>(night: Night, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(night.db, { migrate: false });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export function ls(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
