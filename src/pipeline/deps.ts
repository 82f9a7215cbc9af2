import { openStore, type OpenStoreOptions, type Store } from '../store/index.js';
import { createSupplier, type RetryPolicy, type SimKnobs, type Supplier } from '../supplier/index.js';
import type { PipelineDeps, PipelineEvent } from './context.js';

/** What {@link openPipeline} needs: where the store is, who acts, and the supplier (if any). */
export interface PipelineSetup {
  /** A SQLite file or a postgres:// URL, or a store already open (then the caller closes it). */
  store: string | Store;
  /** With a spec: how to open it (default: write, migrate, create). */
  storeOptions?: OpenStoreOptions;
  /** `sim` (the in-process simulator) or the supplier API's http(s) URL; none: nothing may link. */
  supplier?: string | null;
  /** The simulator's behaviour, with `supplier: 'sim'`. */
  simKnobs?: Partial<SimKnobs>;
  /** The client's time-outs, retries, circuit breaker and budget. */
  policy?: Partial<RetryPolicy>;
  /** Who acts, as orders and audit rows record it. */
  operator: string;
  /** Where events go (default: nowhere). */
  log?: (event: PipelineEvent) => void;
  clock?: () => Date;
}

/** The simulator as the CLI runs it unless told otherwise: no latency, no failures. */
const SIM_DEFAULTS: SimKnobs = { latencyMs: 0, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 1 };

/**
 * The name orders record for a supplier: `sim`, or the API's URL without credentials,
 * query or fragment (what a person may read in a list or a log).
 */
export function supplierName(spec: string): string {
  if (spec === 'sim') return 'sim';
  const url = new URL(spec);
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return url.href.replace(/\/+$/, '');
}

/**
 * Everything a run needs, for any caller (the CLI, the web, a worker): the store opened, the
 * supplier opened on first use (a dry run never talks to it) and shared by the calls that
 * ask at once. `close()` closes both (a store passed in open stays open).
 */
export async function openPipeline(setup: PipelineSetup): Promise<PipelineDeps & { close(): Promise<void> }> {
  const owned = typeof setup.store === 'string';
  const store: Store = typeof setup.store === 'string' ? await openStore(setup.store, setup.storeOptions) : setup.store;
  const spec = setup.supplier ?? null;
  let supplier: Promise<Supplier> | null = null;
  return {
    store,
    clock: setup.clock ?? (() => new Date()),
    operator: setup.operator,
    log: setup.log ?? (() => undefined),
    supplierName: spec === null ? null : supplierName(spec),
    supplier: () => {
      // A promise, not a value: callers that ask at once share one supplier (and one seed load).
      supplier ??= (async () => {
        // Whoever called would link without a supplier named: a caller's mistake, said plainly.
        if (spec === null) throw new Error('no supplier was named for work that links');
        // The in-process simulator learns each subscription as linkage prepares it (Supplier.prepare).
        return createSupplier(spec, { ...SIM_DEFAULTS, ...setup.simKnobs }, [], setup.policy ?? {});
      })();
      return supplier;
    },
    close: async () => {
      if (supplier) await (await supplier.catch(() => null))?.close();
      if (owned) await store.close();
    },
  };
}
