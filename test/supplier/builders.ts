import type { SimKnobs, SubscriptionSeed } from '../../src/supplier/index.js';
import type { SimRequest, SimResponse, SupplierSimulator } from '../../src/supplier/sim/simulator.js';

export function knobs(overrides: Partial<SimKnobs> = {}): SimKnobs {
  return { latencyMs: 0, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 7, ...overrides };
}

export function seeds(count: number, quantity = 10, prefix = 'SUB-'): SubscriptionSeed[] {
  return Array.from({ length: count }, (_, i) => ({ customer: 'Contoso', subscriptionId: `${prefix}${i + 1}`, quantity }));
}

export function subscriptionUrlPath(subscriptionId: string, customer = 'Contoso'): string {
  return `/v1/customers/${encodeURIComponent(customer)}/subscriptions/${encodeURIComponent(subscriptionId)}`;
}

export function patch(sim: SupplierSimulator, subscriptionId: string, body: unknown, key: string): Promise<SimResponse> {
  const req: SimRequest = { method: 'PATCH', path: subscriptionUrlPath(subscriptionId), headers: { 'Idempotency-Key': key }, body };
  return sim.handle(req);
}

export function get(sim: SupplierSimulator, subscriptionId: string): Promise<SimResponse> {
  return sim.handle({ method: 'GET', path: subscriptionUrlPath(subscriptionId), headers: {} });
}

/** A small deterministic generator for test data (not the simulator's own draws). */
export function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
}
