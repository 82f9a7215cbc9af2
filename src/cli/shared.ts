import os from 'node:os';
import type { Argv } from 'yargs';
import {
  checkOutputClear,
  checkOutputFile,
  type Guard,
  usageError,
  type Lang,
  type OutputEncoding,
  type PipelineDeps,
  type PipelineEvent,
  checkStoreExists,
  checkStoreWritable,
  resolveDbSpec,
  storeFiles,
  type SimKnobs,
  openPipeline,
  DEFAULT_CONCURRENCY,
} from '../index.js';
import { say } from '../messages/index.js';

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
    .option('supplier', {
      type: 'string',
      describe:
        'who linkage talks to: "sim" (the in-process simulator) or the URL of the supplier API (env KAIYAKU_SUPPLIER); required where the command links',
    })
    .option('concurrency', { type: 'number', default: DEFAULT_CONCURRENCY, describe: 'orders in flight at the supplier (1–1000)' })
    .option('sim-latency-ms', { type: 'number', default: 0, describe: 'simulator: mean latency per call' })
    .option('sim-fail-rate', { type: 'number', default: 0, describe: 'simulator: share of calls answered 503 (0–1)' })
    .option('sim-rate-limit', { type: 'number', default: 0, describe: 'simulator: calls per second before 429 (0: none)' })
    .option('sim-async-rate', { type: 'number', default: 0, describe: 'simulator: share of changes answered 202 (0–1)' })
    .option('sim-seed', { type: 'number', default: 1, describe: 'simulator: seed for every random choice' })
    .option('supplier-timeout-ms', { type: 'number', default: 10_000, describe: 'give up on a supplier call after this long (and retry it)' })
    .option('supplier-circuit-threshold', {
      type: 'number',
      default: 8,
      describe: 'stop calling the supplier for the rest of the run after this many calls in a row got no answer (0: never)',
    })
    .option('supplier-budget-seconds', {
      type: 'number',
      default: 3600,
      describe: 'time this command may spend on the supplier (while calls are under way); then lines not sent yet stay pending for a later run (1–604800)',
    })
    .option('confirm-unsettled', {
      type: 'boolean',
      default: false,
      describe: "confirm even if the supplier has not settled (the portal's 「よろしいですか」)",
    });
}

/**
 * The supplier a command links with: `--supplier`, else KAIYAKU_SUPPLIER; "sim" or an
 * http(s) URL, checked before anything runs. There is no default: a run that confirmed
 * orders against a simulator nobody asked for would tell the store (and finance) that
 * seats were cancelled at the supplier when nothing was sent. So a command that will link
 * (`needed`) is refused without one, naming both ways to give it; one that will not link
 * (a dry run, `--until accepted`) needs none, and gets null.
 */
export function resolveSupplierSpec(given: string | undefined, needed: boolean): string | null {
  const fromEnv = process.env['KAIYAKU_SUPPLIER'];
  if (given === undefined && fromEnv !== undefined && fromEnv.trim() === '') {
    throw usageError(say('cli.supplierEnvEmpty'));
  }
  const spec = given ?? fromEnv;
  if (spec === undefined) {
    if (!needed) return null;
    throw usageError(say('cli.supplierNotNamed'));
  }
  const source = given !== undefined ? '--supplier' : 'KAIYAKU_SUPPLIER';
  if (spec !== 'sim' && !/^https?:\/\/[^/]/i.test(spec)) {
    throw usageError(say('cli.supplierInvalid', { source, spec }));
  }
  return spec;
}

/** How an order records the supplier it was linked with: "sim", or the URL without credentials, query or trailing slash. */

export interface SupplierArgs {
  supplier?: string | undefined;
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
  return {
    latencyMs: args.simLatencyMs ?? 0,
    failRate: args.simFailRate ?? 0,
    rateLimit: args.simRateLimit ?? 0,
    asyncRate: args.simAsyncRate ?? 0,
    seed: args.simSeed ?? 1,
  };
}

export function defaultOperator(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env['USER'] ?? 'kaiyaku';
  }
}

/**
 * Human lines by default; `--log-format json` gives one event per line for machines. Either
 * way a message is in the language the user chose (`--lang`, default Japanese); a JSON
 * event's `name` and `data` are the same in both, for the machine that reads them.
 */
export function createLogger(args: Pick<CommonArgs, 'quiet' | 'logFormat'> & Partial<Pick<CommonArgs, 'lang'>>): (event: PipelineEvent) => void {
  const json = args.logFormat === 'json';
  const lang = args.lang ?? 'ja';
  const tty = process.stderr.isTTY === true && !args.quiet && !json;
  let lastBar = '';
  return (event) => {
    if (json) {
      if (event.kind !== 'progress') process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), ...event, message: event.message[lang] })}\n`);
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
        process.stderr.write(`${say('cli.warning')[lang]}: ${event.file}: ${event.message[lang]}\n`);
        return;
      case 'event':
      case 'info':
        if (args.quiet) return;
        if (lastBar) process.stderr.write('\r\x1b[2K');
        process.stderr.write(`${event.message[lang]}\n`);
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
  /** Whether this command may make a new store (only `contracts import`, `migrate` and `demo`). */
  create: boolean;
}

/** Opens the store and builds what the pipeline needs; the caller closes it. */
export async function openDeps(
  use: StoreUse,
  args: Pick<CommonArgs, 'operator' | 'quiet' | 'logFormat'> & Partial<Pick<CommonArgs, 'lang'>> & Partial<SupplierArgs>,
  supplierSpec: string | null = null,
): Promise<PipelineDeps & { close(): Promise<void> }> {
  return openPipeline({
    store: use.spec,
    storeOptions: { access: use.access, create: use.create },
    // prepare refused a command that links without a supplier: none named here means none may be used.
    supplier: supplierSpec,
    simKnobs: simKnobs(args),
    policy: {
      ...(args.supplierTimeoutMs !== undefined ? { timeoutMs: args.supplierTimeoutMs } : {}),
      ...(args.supplierCircuitThreshold !== undefined ? { circuitThreshold: args.supplierCircuitThreshold } : {}),
      ...(args.supplierBudgetSeconds !== undefined ? { budgetMs: args.supplierBudgetSeconds * 1000 } : {}),
      ...throttlePatienceForTests(),
    },
    operator: args.operator ?? defaultOperator(),
    log: createLogger(args),
  });
}

/**
 * A knob for the test suite, not an option of the product (cli.md names none): how long the
 * supplier client keeps calling a supplier that serves nothing but 429s before it stops
 * (`throttlePatienceMs`, 60 s by default and in every real run). The suite sets
 * KAIYAKU_TEST_THROTTLE_PATIENCE_MS to see that bound end a run in seconds rather than a
 * minute; anything but a whole number of milliseconds ≥ 1 leaves the default.
 */
function throttlePatienceForTests(): { throttlePatienceMs?: number } {
  const ms = Number(process.env['KAIYAKU_TEST_THROTTLE_PATIENCE_MS'] ?? '');
  return Number.isSafeInteger(ms) && ms >= 1 ? { throttlePatienceMs: ms } : {};
}

/**
 * The store a command will use, checked before anything runs: a usable path, one that
 * exists unless the command may create a store (`create`), and writable when the command
 * writes. A PostgreSQL database is checked to be a kaiyaku store when it is opened,
 * before anything is done in it.
 */
export async function checkStore(args: Pick<CommonArgs, 'db'>, access: 'read' | 'write', options: { create?: boolean } = {}): Promise<StoreUse> {
  const spec = resolveDbSpec(args.db);
  const create = access === 'write' && options.create === true;
  if (!create) checkStoreExists(spec);
  if (access === 'write') await checkStoreWritable(spec);
  return { spec, access, create };
}

/** The store's files, which no output of the command may replace. */
export function storeGuards(use: StoreUse): Guard[] {
  return storeFiles(use.spec).map((file, i) => ({
    path: file,
    kind: 'file' as const,
    what: say(i === 0 ? 'cli.databaseGuard' : 'cli.databaseFileGuard', { file }),
  }));
}

export type { Lang, OutputEncoding };

/**
 * The work of a list command (`contracts list`, `orders list`): `--out` checked before
 * anything runs, the store opened read-only, the CSV written whole or not at all.
 */
export async function prepareListCommand(
  args: CommonArgs & { out?: string | undefined },
  write: (deps: PipelineDeps) => Promise<unknown>,
): Promise<() => Promise<number>> {
  if (args.out !== undefined) checkOutputFile(args.out, '--out');
  const store = await checkStore(args, 'read');
  if (args.out !== undefined) checkOutputClear(args.out, '--out', storeGuards(store));
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
