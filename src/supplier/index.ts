import { createHttpSupplier } from './client.js';
import type { RetryPolicy, Supplier, SubscriptionSeed } from './port.js';
import { createSimSupplier, type SimKnobs } from './sim/index.js';

export * from './port.js';
export { createHttpSupplier, createSupplierClient, subscriptionPath, type ClientOptions } from './client.js';
// The simulator, apart: the client above knows nothing of it.
export * from './sim/index.js';
export { TransportError, createHttpTransport, type Transport, type TransportRequest, type TransportResponse } from './transport.js';

/**
 * `--supplier sim|URL`: `sim` links in-process against a simulator seeded with `seeds`;
 * an http(s) URL speaks the HTTP API (knobs and seeds then belong to whoever serves it).
 */
export function createSupplier(spec: string, knobs: SimKnobs, seeds: SubscriptionSeed[], policy: Partial<RetryPolicy> = {}): Supplier {
  if (spec === 'sim') return createSimSupplier(knobs, seeds, policy);
  if (/^https?:\/\//i.test(spec)) return createHttpSupplier(spec, policy);
  throw new RangeError(`--supplier must be "sim" or an http(s) URL, got "${spec}"`);
}
