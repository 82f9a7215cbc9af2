/**
 * The linkage port: what the pipeline needs from the supplier (解約連携先), whatever
 * stands behind it (the in-process simulator or the HTTP API of supplier-api.md).
 */

export interface LinkRequest {
  customer: string;
  subscriptionId: string;
  /** Absolute target quantity; 0 means cancel (status `deleted`). */
  targetQuantity: number;
  /** The order line's id: the same key always means the same change. */
  idempotencyKey: string;
}

export type LinkOutcome =
  /** 200: done and settled. */
  | { kind: 'settled' }
  /** 202: accepted, settling later; poll with `checkSettlement`. */
  | { kind: 'accepted' }
  /** 400 business refusal (supplier code and words), 404 (code `NOT_FOUND`) or another permanent 4xx. */
  | { kind: 'rejected'; code: string; message: string }
  /** Retries exhausted: 5xx, dropped connections, timeouts, 409 or 429 kept coming. */
  | { kind: 'unavailable'; message: string };

export type SettlementOutcome =
  | { kind: 'settled'; quantity: number; status: 'active' | 'deleted' }
  | { kind: 'pending' }
  | { kind: 'rejected'; code: string; message: string }
  | { kind: 'unavailable'; message: string };

export interface SupplierStats {
  /** Every request sent, first attempts and retries alike. */
  calls: number;
  /** Requests sent again after a failed or throttled attempt. */
  retries: number;
  /** 429 answers received. */
  throttled: number;
  /** Operations given up as `unavailable`. */
  failures: number;
}

export interface Supplier {
  /** PATCH to an absolute target quantity, with the idempotency key; retries inside. */
  setQuantity(req: LinkRequest): Promise<LinkOutcome>;
  /** GET: has the last change settled? (pending while provisioning is pending) */
  checkSettlement(q: { customer: string; subscriptionId: string }): Promise<SettlementOutcome>;
  stats(): SupplierStats;
  close(): Promise<void>;
  /**
   * Tells an in-process simulator where the supplier stands for subscriptions about to be
   * linked, so it need not be seeded with the whole store up front. Subscriptions it
   * already knows keep their state. A real supplier knows its own state and has no such method.
   */
  prepare?(subscriptions: readonly SubscriptionSeed[]): void;
}

export interface SimKnobs {
  /** Mean latency per call; each call takes 0.5–1.5× this, chosen from the seed. */
  latencyMs: number;
  /** Share of calls answered 503. */
  failRate: number;
  /** Calls per second before 429; 0 = unlimited. */
  rateLimit: number;
  /** Share of changes answered 202 (settling on the second GET after). */
  asyncRate: number;
  seed: number;
}

export interface RetryPolicy {
  /** Per call; a call that takes longer is abandoned and retried. */
  timeoutMs: number;
  /** Attempts per operation, counting the first, for 5xx, 409, dropped connections and timeouts. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface SubscriptionSeed {
  customer: string;
  subscriptionId: string;
  quantity: number;
}

export const DEFAULT_SIM_KNOBS: SimKnobs = {
  latencyMs: 20,
  failRate: 0,
  rateLimit: 0,
  asyncRate: 0,
  seed: 1,
};

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  timeoutMs: 10_000,
  maxAttempts: 6,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
};
