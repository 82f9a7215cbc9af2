/**
 * The linkage port: what the pipeline needs from the supplier (解約連携先), whatever
 * stands behind it (the in-process simulator or the HTTP API of supplier-api.md).
 */
import type { Said } from '../messages/index.js';

export interface LinkRequest {
  customer: string;
  subscriptionId: string;
  /** Absolute target quantity; 0 means cancel (status `deleted`). */
  targetQuantity: number;
  /**
   * The order line's own key, stored with the line (a random UUID; `order-line-<id>` for
   * lines created before keys were stored): the same key always means the same change.
   */
  idempotencyKey: string;
}

/**
 * What a change's answer says, and no more. A 200 is "done and settled" only with the
 * subscription at the target in its body; anything else a 2xx carries is said as it is.
 */
export type LinkOutcome =
  /** 200 with the subscription at the target (deleted for 0), settled: done. */
  | { kind: 'settled' }
  /** 200 with the subscription settled at another quantity than the target (the change did not land, or not as asked). */
  | { kind: 'settledOther'; quantity: number; status: 'active' | 'deleted' }
  /** 202, or a 200 whose subscription is still provisioning: accepted, settling later; poll with `checkSettlement`. */
  | { kind: 'accepted' }
  /**
   * A 2xx whose body is not the subscription (empty, `{}`, garbage, an HTML page, another
   * subscription): the change may or may not have happened. Like a 202, a later GET tells.
   */
  | { kind: 'unread'; said: Said }
  /** 400 business refusal (supplier code and words), 404 (code `NOT_FOUND`) or another permanent 4xx, each in the supplier's JSON. */
  | { kind: 'rejected'; code: string; message: string }
  /** Retries exhausted (5xx, dropped connections, timeouts, 409 or 429 kept coming), or the circuit is open. */
  | Unavailable;

export type SettlementOutcome =
  { kind: 'settled'; quantity: number; status: 'active' | 'deleted' } | { kind: 'pending' } | { kind: 'rejected'; code: string; message: string } | Unavailable;

/** A GET of the subscription: what the supplier holds now. */
export type SubscriptionOutcome =
  /** The resource, read: its quantity (0 once deleted), and whether a change is still provisioning. */
  | { kind: 'found'; quantity: number; status: 'active' | 'deleted'; pending: boolean }
  /** 404 (code `NOT_FOUND`) or another permanent 4xx. */
  | { kind: 'rejected'; code: string; message: string }
  | Unavailable;

export interface Unavailable {
  kind: 'unavailable';
  /** Why, said from the book (the supplier's own words inside stay as they came). */
  said: Said;
  /** Given up because the circuit breaker is open (present only then). */
  circuitOpen?: true;
  /**
   * Nothing of this operation left: the breaker was open or the client had stopped (see
   * `SupplierHalt`) before its first attempt, or every attempt was turned away with a 429
   * (present only then). Without it, some attempt was sent and may have reached the supplier.
   */
  unsent?: true;
}

/**
 * Why a client stopped calling the supplier for the rest of its life (one command): every
 * wait is bounded. `retry_after`: a 429 asked for a longer wait than `maxRetryAfterMs`;
 * `throttled`: nothing but 429s (and failures) for `throttlePatienceMs`; `budget`:
 * `budgetMs` spent on the supplier (while any operation is under way); `access_refused`:
 * a 401, 403 or 407 (a gateway refused us: an expired token, a missing permission), which
 * says nothing about any subscription and which no later call of the command would get
 * past. Operations not yet sent are then given up at once (`unsent`), as with an open circuit.
 */
export interface SupplierHalt {
  reason: 'retry_after' | 'throttled' | 'budget' | 'access_refused';
  /** Why, said from the book. */
  said: Said;
  at: string;
}

/**
 * The circuit breaker of a client. It opens after `threshold` calls in a row ended without
 * an answer: a timeout, a dropped or refused connection, or a gateway's 502/504 (the
 * gateway could not reach the supplier or gave up waiting for it). Any other answer (2xx,
 * 4xx, 409, 429) shows the supplier is there and starts the count again; a 500 or 503 is
 * an answer from a supplier that is up but failing for now: it neither counts nor resets.
 * While open, no call leaves: operations not yet sent are given up at once (`unsent`),
 * and operations between attempts give up instead of retrying (calls already in flight
 * run to their answer or timeout). It stays open until `resetCircuit()`, which linkage
 * calls at the start of each run.
 */
export interface CircuitState {
  open: boolean;
  /** Calls in a row that got no answer, since the last answer or reset. */
  failuresInRow: number;
  /** Failures in a row that open it; 0 = never opens. */
  threshold: number;
  /** What the last failure was, e.g. `timeout after 10000 ms`; null if none since the reset. */
  lastFailure: string | null;
  /** When it opened (ISO), null while closed. */
  openedAt: string | null;
}

/**
 * Something the client did on its own that the command should say once, without stopping:
 * `retry_after_unusable`, a 429 whose Retry-After asked for no wait (0, negative, a past
 * date) or could not be read, so the client's back-off spaced the calls instead.
 */
export interface SupplierNotice {
  reason: 'retry_after_unusable';
  /** Why, said from the book. */
  said: Said;
  at: string;
}

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
  /** GET: what the supplier holds, before a change is sent. An answer that cannot be read is retried, then `unavailable`. */
  readSubscription(q: { customer: string; subscriptionId: string }): Promise<SubscriptionOutcome>;
  stats(): SupplierStats;
  close(): Promise<void>;
  /** The circuit breaker's state (clients that have one). */
  circuit?(): CircuitState;
  /** Closes the circuit breaker and clears its count: a new run gives the supplier a new chance. */
  resetCircuit?(): void;
  /** Why the client stopped calling the supplier for good, or null while it goes on. */
  halted?(): SupplierHalt | null;
  /** What the client did on its own that is worth saying once, oldest first (each reason once). */
  notices?(): readonly SupplierNotice[];
  /**
   * Tells an in-process simulator where the supplier stands for subscriptions about to be
   * linked, so it need not be seeded with the whole store up front. Subscriptions it
   * already knows keep their state. A real supplier knows its own state and has no such method.
   */
  prepare?(subscriptions: readonly SubscriptionSeed[]): void;
}

export interface RetryPolicy {
  /** Per call; a call that takes longer is abandoned and retried. */
  timeoutMs: number;
  /** Attempts per operation, counting the first, for 5xx, 409, dropped connections and timeouts. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * Calls in a row without an answer (timeouts, dropped connections, 502/504) after which
   * the circuit opens and the client stops calling the supplier (see `CircuitState`);
   * 0 = never.
   */
  circuitThreshold: number;
  /**
   * The longest Retry-After the client waits for. A 429 asking for longer stops the client
   * (`SupplierHalt` `retry_after`): the supplier will not serve this run.
   */
  maxRetryAfterMs: number;
  /** How long the client keeps calling while the supplier serves nothing (only 429s and failures) before it stops (`throttled`). */
  throttlePatienceMs: number;
  /** The time the client may spend on the supplier (while any of its operations is under way); then it stops (`budget`). */
  budgetMs: number;
}

export interface SubscriptionSeed {
  customer: string;
  subscriptionId: string;
  quantity: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  timeoutMs: 10_000,
  maxAttempts: 6,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
  circuitThreshold: 8,
  maxRetryAfterMs: 60_000,
  throttlePatienceMs: 60_000,
  budgetMs: 3_600_000,
};
