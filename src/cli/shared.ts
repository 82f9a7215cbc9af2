import os from 'node:os';
import type { Argv } from 'yargs';
import { checkOutputFile } from '../files/destinations.js';
import { usageError } from '../errors.js';
import type { Lang } from '../errors.js';
import type { OutputEncoding } from '../csv/write.js';
import type { PipelineDeps, PipelineEvent } from '../pipeline/context.js';
import { checkStoreWritable, openStore, resolveDbSpec, type Store } from '../store/connect.js';
import { createSupplier, type SimKnobs, type Supplier } from '../supplier/index.js';

export interface CommonArgs {
  db?: string | undefined;
  operator?: string | undefined;
  quiet: boolean;
  logFormat: 'text' | 'json';
  lang: Lang;
}

/** `--db`, for every command that uses the store; `--operator` where it writes. */
export function withDb<T>(y: Argv<T>, access: 'read' | 'write' = 'write') {
  const withStore = y.option('db', { type: 'string', describe: 'SQLite file or postgres:// URL (env KAIYAKU_DB; default ./kaiyaku.db)' });
  return access === 'read' ? withStore : withStore.option('operator', { type: 'string', describe: 'recorded as 最終更新者 (default: the OS user)' });
}

export function withCsvOutput<T>(y: Argv<T>) {
  return y
    .option('out', { type: 'string', describe: 'write the CSV here (default: stdout)' })
    .option('encoding', { choices: ['utf8', 'utf8-bom', 'cp932'] as const, default: 'utf8-bom' as const, describe: 'output encoding' });
}

export function withSupplier<T>(y: Argv<T>) {
  return y
    .option('supplier', { type: 'string', default: 'sim', describe: '"sim" (in-process simulator) or the URL of the supplier API' })
    .option('concurrency', { type: 'number', default: 16, describe: 'orders in flight at the supplier (1–1000)' })
    .option('sim-latency-ms', { type: 'number', default: 0, describe: 'simulator: mean latency per call' })
    .option('sim-fail-rate', { type: 'number', default: 0, describe: 'simulator: share of calls answered 503 (0–1)' })
    .option('sim-rate-limit', { type: 'number', default: 0, describe: 'simulator: calls per second before 429 (0: none)' })
    .option('sim-async-rate', { type: 'number', default: 0, describe: 'simulator: share of changes answered 202 (0–1)' })
    .option('sim-seed', { type: 'number', default: 1, describe: 'simulator: seed for every random choice' })
    .option('supplier-timeout-ms', { type: 'number', default: 10_000, describe: 'give up on a supplier call after this long (and retry it)' })
    .option('supplier-circuit-threshold', { type: 'number', default: 8, describe: 'stop calling the supplier for the rest of the run after this many calls in a row got no answer (0: never)' })
    .option('supplier-budget-seconds', { type: 'number', default: 3600, describe: 'time this command may spend on the supplier (while calls are under way); then lines not sent yet stay pending for a later run (1–604800)' })
    .option('confirm-unsettled', { type: 'boolean', default: false, describe: 'confirm even if the supplier has not settled (the portal\'s 「よろしいですか」)' });
}

/** `--supplier` is "sim" or an http(s) URL: checked before anything runs. */
export function checkSupplierSpec(spec: string): void {
  if (spec !== 'sim' && !/^https?:\/\/[^/]/i.test(spec)) {
    throw usageError(`--supplier must be "sim" or an http(s) URL, got "${spec}"`, `--supplier には "sim" か http(s) の URL を指定してください（指定値: "${spec}"）`);
  }
}

export interface SupplierArgs {
  supplier: string;
  concurrency: number;
  simLatencyMs: number;
  simFailRate: number;
  simRateLimit: number;
  simAsyncRate: number;
  simSeed: number;
  supplierTimeoutMs: number;
  supplierCircuitThreshold: number;
  supplierBudgetSeconds: number;
  confirmUnsettled: boolean;
}

/** The `--sim-*` knobs, with the CLI's defaults for what a caller (the demo, a step without them) leaves out. */
export function simKnobs(args: Partial<SupplierArgs>): SimKnobs {
  return { latencyMs: args.simLatencyMs ?? 0, failRate: args.simFailRate ?? 0, rateLimit: args.simRateLimit ?? 0, asyncRate: args.simAsyncRate ?? 0, seed: args.simSeed ?? 1 };
}

export function defaultOperator(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env['USER'] ?? 'kaiyaku';
  }
}

/** Human lines by default; `--log-format json` gives one event per line for machines. */
export function createLogger(args: Pick<CommonArgs, 'quiet' | 'logFormat'> & Partial<Pick<CommonArgs, 'lang'>>): (event: PipelineEvent) => void {
  const json = args.logFormat === 'json';
  const tty = process.stderr.isTTY === true && !args.quiet && !json;
  let lastBar = '';
  return (event) => {
    if (json) {
      if (event.kind !== 'progress') process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);
      return;
    }
    switch (event.kind) {
      case 'progress': {
        if (!tty) return;
        const bar = `${event.file} ${event.phase.padEnd(7)} ${drawBar(event.done, event.total)}`;
        if (bar !== lastBar) process.stderr.write(`\r\x1b[2K${bar}`);
        lastBar = bar;
        return;
      }
      case 'warning':
        if (lastBar) process.stderr.write('\r\x1b[2K');
        process.stderr.write(`warning: ${event.file}: ${event.message}\n`);
        return;
      case 'event':
      case 'info':
        if (args.quiet) return;
        if (lastBar) process.stderr.write('\r\x1b[2K');
        process.stderr.write(`${event.kind === 'event' && event.messageJa !== undefined && (args.lang ?? 'ja') === 'ja' ? event.messageJa : event.message}\n`);
        return;
    }
  };
}

/** `[########------------]  40% 8000/20000`, or a plain count while the total is unknown. */
function drawBar(done: number, total: number | null): string {
  if (total === null || total <= 0) return `${done}`;
  const share = Math.min(1, done / total);
  const width = 24;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}% ${done}/${total}`;
}

export function clearProgress(args: Pick<CommonArgs, 'quiet' | 'logFormat'>): void {
  if (process.stderr.isTTY && !args.quiet && args.logFormat !== 'json') process.stderr.write('\r\x1b[2K');
}

export interface StoreUse {
  /** Resolved with resolveDbSpec before anything runs. */
  spec: string;
  /** 'read' opens without migrating or locking (lists, exports); 'write' migrates on first use. */
  access: 'read' | 'write';
}

/** Opens the store and builds what the pipeline needs; the caller closes it. */
export async function openDeps(use: StoreUse, args: Pick<CommonArgs, 'operator' | 'quiet' | 'logFormat'> & Partial<Pick<CommonArgs, 'lang'>> & Partial<SupplierArgs>): Promise<PipelineDeps & { close(): Promise<void> }> {
  const store: Store = await openStore(use.spec, { access: use.access });
  // A promise, not a value: callers that ask at once share one supplier (and one seed load).
  let supplier: Promise<Supplier> | null = null;
  const deps: PipelineDeps & { close(): Promise<void> } = {
    store,
    clock: () => new Date(),
    operator: args.operator ?? defaultOperator(),
    log: createLogger(args),
    supplier: () => {
      supplier ??= (async () => {
        const spec = args.supplier ?? 'sim';
        // The in-process simulator learns each subscription as linkage prepares it (Supplier.prepare).
        const policy = {
          ...(args.supplierTimeoutMs !== undefined ? { timeoutMs: args.supplierTimeoutMs } : {}),
          ...(args.supplierCircuitThreshold !== undefined ? { circuitThreshold: args.supplierCircuitThreshold } : {}),
          ...(args.supplierBudgetSeconds !== undefined ? { budgetMs: args.supplierBudgetSeconds * 1000 } : {}),
        };
        return createSupplier(spec, simKnobs(args), [], policy);
      })();
      return supplier;
    },
    close: async () => {
      if (supplier) await (await supplier.catch(() => null))?.close();
      await store.close();
    },
  };
  return deps;
}

/** The store a command will use, checked before anything runs: a usable path, and writable when the command writes. */
export async function checkStore(args: Pick<CommonArgs, 'db'>, access: 'read' | 'write'): Promise<StoreUse> {
  const spec = resolveDbSpec(args.db);
  if (access === 'write') await checkStoreWritable(spec);
  return { spec, access };
}

export type { Lang, OutputEncoding };

/**
 * The work of a list command (`contracts list`, `orders list`): `--out` checked before
 * anything runs, the store opened read-only, the CSV written whole or not at all.
 */
export async function prepareListCommand(args: CommonArgs & { out?: string | undefined }, write: (deps: PipelineDeps) => Promise<unknown>): Promise<() => Promise<number>> {
  if (args.out !== undefined) checkOutputFile(args.out, '--out');
  const store = await checkStore(args, 'read');
  return async () => {
    const deps = await openDeps(store, args);
    try {
      await write(deps);
      return 0;
    } finally {
      await deps.close();
    }
  };
}
