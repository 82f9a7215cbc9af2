import { createHttpSupplier, createSimSupplier } from './client.js';
import type { RetryPolicy, SimKnobs, Supplier, SubscriptionSeed } from './port.js';

export * from './port.js';
export { createHttpSupplier, createSimSupplier, createSupplierClient, subscriptionPath, type ClientOptions } from './client.js';
export {
  SupplierSimulator,
  SUPPLIER_REFUSAL,
  LATE_PREFIX,
  SLOW_PREFIX,
  type SimCall,
  type SimRequest,
  type SimResponse,
  type SimStats,
  type SimSubscriptionView,
} from './simulator.js';
export { startSupplierServer, type SupplierServer, type SupplierServerOptions } from './server.js';
export { TransportError, type Transport, type TransportRequest, type TransportResponse } from './transport.js';

/**
 * `--supplier sim|URL`: `sim` links in-process against a simulator seeded with `seeds`;
 * an http(s) URL speaks the HTTP API (knobs and seeds then belong to whoever serves it).
 */
export function createSupplier(spec: string, knobs: SimKnobs, seeds: SubscriptionSeed[], policy: Partial<RetryPolicy> = {}): Supplier {
  if (spec === 'sim') return createSimSupplier(knobs, seeds, policy);
  if (/^https?:\/\//i.test(spec)) return createHttpSupplier(spec, policy);
  throw new RangeError(`--supplier must be "sim" or an http(s) URL, got "${spec}"`);
}
