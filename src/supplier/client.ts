import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_RETRY_POLICY,
  type CircuitState,
  type LinkOutcome,
  type LinkRequest,
  type RetryPolicy,
  type SettlementOutcome,
  type SimKnobs,
  type Supplier,
  type SupplierStats,
  type SubscriptionSeed,
} from './port.js';
import { SupplierSimulator } from './simulator.js';
import {
  createHttpTransport,
  createSimTransport,
  TransportError,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from './transport.js';

type Unavailable = Extract<LinkOutcome, { kind: 'unavailable' }>;

/**
 * A request answered 429 waits and goes again without spending one of its attempts:
 * the supplier said when to come back, and under a low rate limit with high concurrency
 * one request can lose the race for tokens several times in a row. This bound only stops
 * a supplier that throttles for ever from hanging the run.
 */
const THROTTLES_PER_ATTEMPT = 10;
/** When a 429 carries no usable Retry-After. */
const DEFAULT_THROTTLE_MS = 1_000;

export interface ClientOptions {
  /** Called once by `close()`, after which the supplier must not be used. */
  onClose?: () => void | Promise<void>;
  /** For tests: the jitter source, [0, 1). */
  random?: () => number;
}

/**
 * The retrying client of supplier-api.md, written once over a transport: the in-process
 * simulator and the HTTP API get exactly the same retry, throttle and mapping logic.
 */
export function createSupplierClient(transport: Transport, policy: Partial<RetryPolicy> = {}, options: ClientOptions = {}): Supplier {
  const settings = resolvePolicy(policy);
  const random = options.random ?? Math.random;
  const counters: SupplierStats = { calls: 0, retries: 0, throttled: 0, failures: 0 };
  const gate = new ThrottleGate();
  let closed = false;

  const breaker = new CircuitBreaker(settings.circuitThreshold);

  type Sent =
    | { kind: 'answered'; response: TransportResponse }
    | { kind: 'exhausted'; message: string; circuitOpen?: true; unsent?: true };

  async function send(req: TransportRequest): Promise<Sent> {
    let failedAttempts = 0;
    let throttles = 0;
    let lastProblem: string | null = null;
    const giveUp = (): Sent => {
      counters.failures += 1;
      // An attempt that got no answer may have reached the supplier; a 429 was turned away unread.
      return failedAttempts > 0
        ? { kind: 'exhausted', circuitOpen: true, message: `supplier unavailable after ${failedAttempts} attempts; last: ${lastProblem ?? ''}; not retried: ${breaker.describe()}` }
        : { kind: 'exhausted', circuitOpen: true, unsent: true, message: `supplier unavailable, not sent: ${breaker.describe()}` };
    };
    for (let call = 1; ; call++) {
      if (closed) throw new Error('the supplier client is closed');
      if (breaker.isOpen) return giveUp();
      await gate.pass();
      // A Retry-After may have held the call while the circuit opened.
      if (breaker.isOpen) return giveUp();
      counters.calls += 1;
      if (call > 1) counters.retries += 1;
      let problem: string;
      try {
        const response = await callWithTimeout(transport, req, settings.timeoutMs);
        if (response.status === 429) {
          breaker.answered();
          counters.throttled += 1;
          throttles += 1;
          gate.holdUntil(Date.now() + retryAfterMs(response.headers['retry-after']));
          if (throttles >= settings.maxAttempts * THROTTLES_PER_ATTEMPT) {
            counters.failures += 1;
            return { kind: 'exhausted', message: `supplier kept throttling (HTTP 429 ${throttles} times)` };
          }
          continue;
        }
        problem = `HTTP ${response.status}${describeBody(response.body)}`;
        if (isGatewayFailure(response.status)) breaker.failed(problem);
        else if (!isTransient(response.status) || response.status === 409) breaker.answered();
        if (!isTransient(response.status)) return { kind: 'answered', response };
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        problem = error.message;
        breaker.failed(problem);
      }
      failedAttempts += 1;
      lastProblem = problem;
      if (failedAttempts >= settings.maxAttempts) {
        counters.failures += 1;
        return { kind: 'exhausted', message: `supplier unavailable after ${failedAttempts} attempts; last: ${problem}` };
      }
      if (breaker.isOpen) return giveUp();
      const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (failedAttempts - 1));
      // The circuit opening ends the wait: a retry would not be sent anyway.
      await sleep(random() * ceiling, undefined, { signal: breaker.opened }).catch(() => undefined);
    }
  }

  return {
    async setQuantity(req: LinkRequest): Promise<LinkOutcome> {
      if (!Number.isSafeInteger(req.targetQuantity) || req.targetQuantity < 0) {
        throw new RangeError(`target quantity must be a whole number ≥ 0, got ${req.targetQuantity}`);
      }
      if (req.idempotencyKey === '') throw new RangeError('a change needs an idempotency key');
      const sent = await send({
        method: 'PATCH',
        path: subscriptionPath(req.customer, req.subscriptionId),
        headers: { 'idempotency-key': req.idempotencyKey },
        body: req.targetQuantity === 0 ? { status: 'deleted' } : { quantity: req.targetQuantity },
      });
      if (sent.kind === 'exhausted') return unavailable(sent);
      const { status, body } = sent.response;
      if (status === 202) return { kind: 'accepted' };
      if (status >= 200 && status < 300) return { kind: 'settled' };
      return { kind: 'rejected', ...refusalOf(status, body) };
    },

    async checkSettlement(q: { customer: string; subscriptionId: string }): Promise<SettlementOutcome> {
      const sent = await send({ method: 'GET', path: subscriptionPath(q.customer, q.subscriptionId), headers: {} });
      if (sent.kind === 'exhausted') return unavailable(sent);
      const { status, body } = sent.response;
      if (status !== 200) return { kind: 'rejected', ...refusalOf(status, body) };
      const resource = readResource(body);
      if (resource === null) {
        return { kind: 'rejected', code: 'BAD_RESPONSE', message: `unexpected subscription body: ${truncate(JSON.stringify(body) ?? '')}` };
      }
      return resource.pending ? { kind: 'pending' } : { kind: 'settled', quantity: resource.quantity, status: resource.status };
    },

    stats: () => ({ ...counters }),

    circuit: () => breaker.state(),

    resetCircuit: () => breaker.reset(),

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await options.onClose?.();
    },
  };
}

export function createSimSupplier(
  knobs: SimKnobs,
  seeds: SubscriptionSeed[],
  policy: Partial<RetryPolicy> = {},
): Supplier & { simulator: SupplierSimulator } {
  const simulator = new SupplierSimulator(knobs, seeds);
  return Object.assign(createSupplierClient(createSimTransport(simulator), policy), {
    simulator,
    prepare: (subscriptions: readonly SubscriptionSeed[]) => simulator.seedMissing(subscriptions),
  });
}

export function createHttpSupplier(baseUrl: string, policy: Partial<RetryPolicy> = {}): Supplier {
  const http = createHttpTransport(baseUrl);
  return createSupplierClient(http.transport, policy, { onClose: () => http.close() });
}

export function resolvePolicy(policy: Partial<RetryPolicy>): RetryPolicy {
  const settings = { ...DEFAULT_RETRY_POLICY, ...policy };
  if (!(settings.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${settings.timeoutMs}`);
  if (!Number.isSafeInteger(settings.maxAttempts) || settings.maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a whole number ≥ 1, got ${settings.maxAttempts}`);
  }
  if (!(settings.baseDelayMs >= 0) || !(settings.maxDelayMs >= 0)) throw new RangeError('retry delays must be ≥ 0');
  if (!Number.isSafeInteger(settings.circuitThreshold) || settings.circuitThreshold < 0) {
    throw new RangeError(`circuitThreshold must be a whole number ≥ 0, got ${settings.circuitThreshold}`);
  }
  return settings;
}

export function subscriptionPath(customer: string, subscriptionId: string): string {
  // A contract registered without a customer still needs a path segment; '-' keeps the URL well formed.
  return `/v1/customers/${encodeURIComponent(customer === '' ? '-' : customer)}/subscriptions/${encodeURIComponent(subscriptionId)}`;
}

/**
 * The earliest time any call of this supplier may be sent. A 429 is about the caller as a
 * whole, not one request: if only the throttled request waited, the other requests in
 * flight would keep hitting the limit and earn more 429s.
 */
class ThrottleGate {
  private notBefore = 0;

  holdUntil(time: number): void {
    this.notBefore = Math.max(this.notBefore, time);
  }

  async pass(): Promise<void> {
    // The gate may move further while we wait, so look again after each sleep.
    for (let wait = this.notBefore - Date.now(); wait > 0; wait = this.notBefore - Date.now()) {
      await sleep(wait);
    }
  }
}

/**
 * Opens after `threshold` calls in a row ended without an answer (see `CircuitState` in
 * port.ts for what counts); stays open until reset. One instance per client, so every
 * operation in flight sees it open at once.
 */
/**
 * Every retry's back-off waits on the breaker's one signal, so at --concurrency 16 more
 * than Node's default of 10 listeners is the normal case, not a leak: each wait removes
 * its listener when it ends.
 */
function sharedController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

class CircuitBreaker {
  private failuresInRow = 0;
  private lastFailure: string | null = null;
  private openedAt: number | null = null;
  private controller = sharedController();

  constructor(private readonly threshold: number) {}

  get isOpen(): boolean {
    return this.openedAt !== null;
  }

  /** Aborted when the circuit opens: what waits to retry stops waiting. */
  get opened(): AbortSignal {
    return this.controller.signal;
  }

  /** The supplier answered: it is there. */
  answered(): void {
    if (!this.isOpen) this.failuresInRow = 0;
  }

  /** A call got no answer. */
  failed(problem: string): void {
    if (this.isOpen || this.threshold === 0) return;
    this.failuresInRow += 1;
    this.lastFailure = problem;
    if (this.failuresInRow >= this.threshold) {
      this.openedAt = Date.now();
      this.controller.abort(new Error('circuit open'));
    }
  }

  reset(): void {
    this.failuresInRow = 0;
    this.lastFailure = null;
    this.openedAt = null;
    // Waits of the previous opening are over; a new opening needs a signal of its own.
    if (this.controller.signal.aborted) this.controller = sharedController();
  }

  describe(): string {
    return `the circuit is open after ${this.failuresInRow} calls in a row without an answer (last: ${this.lastFailure ?? 'none'})`;
  }

  state(): CircuitState {
    return {
      open: this.isOpen,
      failuresInRow: this.failuresInRow,
      threshold: this.threshold,
      lastFailure: this.lastFailure,
      openedAt: this.openedAt === null ? null : new Date(this.openedAt).toISOString(),
    };
  }
}

function unavailable(sent: { message: string; circuitOpen?: true; unsent?: true }): Unavailable {
  return { kind: 'unavailable', message: sent.message, ...(sent.circuitOpen ? { circuitOpen: true as const } : {}), ...(sent.unsent ? { unsent: true as const } : {}) };
}

async function callWithTimeout(transport: Transport, req: TransportRequest, timeoutMs: number): Promise<TransportResponse> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  // Raced here rather than left to the transport, so that a transport that ignores the
  // signal (the in-process simulator) still times out.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TransportError('timeout', `timeout after ${timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([transport(req, controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function isTransient(status: number): boolean {
  return status === 409 || status >= 500;
}

/** A gateway in front of the supplier could not reach it (502) or gave up waiting (504): no answer from the supplier. */
function isGatewayFailure(status: number): boolean {
  return status === 502 || status === 504;
}

/** Retry-After is seconds or an HTTP date. */
function retryAfterMs(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_THROTTLE_MS;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? DEFAULT_THROTTLE_MS : Math.max(0, date - Date.now());
}

function refusalOf(status: number, body: unknown): { code: string; message: string } {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const code = fields['code'];
  const description = fields['description'] ?? fields['message'];
  const words = typeof description === 'string' ? description : typeof body === 'string' ? truncate(body) : `HTTP ${status}`;
  if (status === 404) return { code: 'NOT_FOUND', message: words };
  return {
    code: typeof code === 'string' || typeof code === 'number' ? String(code) : `HTTP_${status}`,
    message: words,
  };
}

function readResource(body: unknown): { quantity: number; status: 'active' | 'deleted'; pending: boolean } | null {
  if (typeof body !== 'object' || body === null) return null;
  const fields = body as Record<string, unknown>;
  const quantity = fields['quantity'];
  const status = fields['status'];
  if (typeof quantity !== 'number' || (status !== 'active' && status !== 'deleted')) return null;
  return { quantity, status, pending: fields['provisioning'] === 'pending' };
}

function describeBody(body: unknown): string {
  if (typeof body === 'object' && body !== null) {
    const description = (body as Record<string, unknown>)['description'];
    if (typeof description === 'string') return ` (${description})`;
  }
  return '';
}

function truncate(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
