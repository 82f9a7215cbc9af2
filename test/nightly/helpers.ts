/**
 * Shared by the nightly-mode tests (`kaiyaku cancel --inbox`): a temp folder per test with
 * its own copy of a store of generated contracts, and small readers for the files the night
 * leaves behind. (The CLI is run with support/cli.ts.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll } from 'vitest';
import { cliOk } from '../support/cli.js';
import { copyStore, generate } from '../support/setup.js';
import { openStore, type Store } from '../../src/store/connect.js';
import { knexOf } from '../../src/store/store.js';
import { importContracts } from '../support/inProcess.js';

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
export async function prepareBase(prefix: string, contracts: number): Promise<Base> {
  const dir = tempDir(`${prefix}-base`);
  const gen = await generate({ rows: contracts, out: path.join(dir, 'gen') });
  const db = path.join(dir, 'base.db');
  // A set-up step, in this process (test/support/inProcess.ts): the commands under test run the real CLI.
  await importContracts(db, gen.contracts);
  return { db, cancelLines: fs.readFileSync(gen.cancel, 'utf8').trimEnd().split('\n') };
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
  copyStore(base.db, db);
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
export async function ordersList(night: Night): Promise<CsvRow[]> {
  return parseCsv(await cliOk(['orders', 'list', '--db', night.db, '--lang', 'en', '--encoding', 'utf8'], { cwd: night.dir }));
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
