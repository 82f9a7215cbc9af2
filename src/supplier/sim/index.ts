/**
 * The supplier simulator (supplier-api.md's API, deterministic from a seed): in process
 * behind the real client for `demo`, tests and `--supplier sim`, and over HTTP for
 * `kaiyaku supplier serve`. The real client knows nothing of it; it is one more transport.
 */
import { createSupplierClient } from '../client.js';
import type { RetryPolicy, Supplier, SubscriptionSeed } from '../port.js';
import { SupplierSimulator, type SimKnobs } from './simulator.js';
import { createSimTransport } from './transport.js';

export {
  SupplierSimulator,
  SUPPLIER_REFUSAL,
  LATE_PREFIX,
  SLOW_PREFIX,
  DEFAULT_SIM_KNOBS,
  type SimKnobs,
  type SimCall,
  type SimRequest,
  type SimResponse,
  type SimStats,
  type SimSubscriptionView,
} from './simulator.js';
export { startSupplierServer, type SupplierServer, type SupplierServerOptions } from './server.js';
export { createSimTransport } from './transport.js';

/** The real client over the in-process simulator: exactly the retries, throttling and mapping a remote supplier gets. */
export function createSimSupplier(knobs: SimKnobs, seeds: SubscriptionSeed[], policy: Partial<RetryPolicy> = {}): Supplier & { simulator: SupplierSimulator } {
  const simulator = new SupplierSimulator(knobs, seeds);
  return Object.assign(createSupplierClient(createSimTransport(simulator), policy), {
    simulator,
    prepare: (subscriptions: readonly SubscriptionSeed[]) => simulator.seedMissing(subscriptions),
  });
}
