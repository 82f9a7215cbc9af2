/**
 * Set-up steps and queries done in this process, through the library entry (src/index.ts)
 * the CLI itself calls, instead of in a CLI child: importing the contracts a test starts
 * from, reading an order list back. A child costs node's start-up, yargs and knex each time
 * (about 0.5 s of CPU before any work); these cost milliseconds. What a test asserts about
 * the CLI's own behaviour (exit codes, words, files) still runs the real CLI (cli.ts).
 *
 * Each call opens the store, does what the named command does, and closes it again, as the
 * command would: `importContracts(db, file)` is `kaiyaku contracts import file --db db
 * --operator test --quiet` where that exits 0; `orderList(db)` is the stdout of `kaiyaku
 * orders list --db db --lang en --encoding utf8`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_CANCEL_OPTIONS,
  importContractFile,
  openPipeline,
  runCancelFile,
  openStore,
  writeContractList,
  writeOrderList,
  writeSerialExport,
  type CancelRunSummary,
  type ContractStatus,
  type CsvOutput,
  type ImportSummary,
  type Lang,
  type OrderStatus,
  type OutputEncoding,
  type Stage,
  type Store,
} from '../../src/index.js';

/**
 * `kaiyaku contracts import <file> --db <db> [--operator o]`, which must exit 0: the store
 * made (and migrated) if it is not there; a line refused, or the file refused whole, fails
 * the test, naming why. Without `operator`, the OS user, as the CLI records.
 */
export async function importContracts(db: string, file: string, operator = userInfo().username): Promise<ImportSummary> {
  const deps = await openPipeline({ store: db, storeOptions: { access: 'write', create: true }, operator });
  try {
    const summary = await importContractFile(deps, file, 'auto');
    if (summary.linesRefused > 0) throw new Error(`contracts import ${file}: ${summary.linesRefused} line(s) refused: ${JSON.stringify(summary.contracts)}`);
    return summary;
  } finally {
    await deps.close();
  }
}

/**
 * `kaiyaku cancel <file> --db <db> --supplier sim [--until stage]` on an existing store, which
 * must exit 0 or 1 (rows refused are reported, not a failure): the reports beside the file,
 * the CLI's defaults for everything else.
 */
export async function cancelFile(db: string, file: string, options: { until?: Stage; operator?: string } = {}): Promise<CancelRunSummary> {
  const deps = await openPipeline({
    store: db,
    storeOptions: { access: 'write', create: false },
    supplier: 'sim',
    operator: options.operator ?? userInfo().username,
  });
  try {
    // A file refused whole throws; a run's exit code is 0 or 1 by its type.
    return await runCancelFile(deps, file, { ...DEFAULT_CANCEL_OPTIONS, until: options.until ?? 'completed' });
  } finally {
    await deps.close();
  }
}

export interface ListOptions {
  lang?: Lang;
  encoding?: OutputEncoding;
}

/** What a list command would print on stdout: written to a file of its own outside any test folder, read, removed. */
async function printed(db: string, options: ListOptions, write: (store: Store, output: CsvOutput) => Promise<unknown>): Promise<string> {
  const where = mkdtempSync(join(tmpdir(), 'kaiyaku-query-'));
  try {
    const out = join(where, 'list.csv');
    const store = await openStore(db, { access: 'read' });
    try {
      await write(store, { out, encoding: options.encoding ?? 'utf8', lang: options.lang ?? 'en' });
    } finally {
      await store.close();
    }
    return readFileSync(out, 'utf8');
  } finally {
    rmSync(where, { recursive: true, force: true });
  }
}

/** The stdout of `kaiyaku orders list --db <db> [--status s] --lang en --encoding utf8` (language and encoding as given). */
export function orderList(db: string, options: ListOptions & { status?: OrderStatus } = {}): Promise<string> {
  return printed(db, options, (store, output) => writeOrderList(store, output, options.status ? { status: options.status } : {}));
}

/** The stdout of `kaiyaku contracts list --db <db> [--status s] --lang en --encoding utf8`. */
export function contractList(db: string, options: ListOptions & { status?: ContractStatus } = {}): Promise<string> {
  return printed(db, options, (store, output) => writeContractList(store, output, options.status ? { status: options.status } : {}));
}

/** The stdout of `kaiyaku serials export --db <db> [--unnotified] --lang en --encoding utf8` (reading only: never --mark-notified). */
export function serialList(db: string, options: ListOptions & { unnotified?: boolean; from?: string; to?: string } = {}): Promise<string> {
  const { from, to, unnotified } = options;
  return printed(db, options, (store, output) =>
    writeSerialExport(store, output, { ...(from ? { from } : {}), ...(to ? { to } : {}), unnotified: unnotified === true }),
  );
}
