import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_RETRY_POLICY,
  type LinkOutcome,
  type LinkRequest,
  type RetryPolicy,
  type SettlementOutcome,
  type SubscriptionOutcome,
  type SupplierHalt,
  type SupplierNotice,
  type Supplier,
  type SupplierStats,
} from './port.js';
import {
  httpProblem,
  isAccessRefused,
  isGatewayFailure,
  isReadableAnswer,
  isSupplierRefusal,
  isTransient,
  readResource,
  refusalOf,
  retryAfter,
  transportProblem,
  unreadableProblem,
  type Problem,
} from './answers.js';
import { CircuitBreaker, sharedController } from './circuitBreaker.js';
import { createHttpTransport, TransportError, type Transport, type TransportRequest, type TransportResponse } from './transport.js';
import { say } from '../messages/index.js';

type Unavailable = Extract<LinkOutcome, { kind: 'unavailable' }>;

/**
 * A request answered 429 waits and goes again without spending one of its attempts:
 * the supplier said when to come back, and under a low rate limit with high concurrency
 * one request can lose the race for tokens several times in a row. Turned away this many
 * times per attempt, it gives up on its own, even while other calls are served (a
 * supplier serving none stops the whole client sooner: throttlePatienceMs).
 */
const THROTTLES_PER_ATTEMPT = 10;

export interface ClientOptions {
  /** Called once by `close()`, after which the supplier must not be used. */
  onClose?: () => void | Promise<void>;
  /** For tests: the jitter source, [0, 1). */
  random?: () => number;
}

/**
 * The retrying client of supplier-api.md, written once over a transport: the in-process
 * simulator and the HTTP API get exactly the same retry, throttle and mapping logic.
 *
 * Every wait is bounded: a back-off by `maxDelayMs`, a Retry-After by `maxRetryAfterMs`
 * (a longer one stops the client), a supplier that serves nothing but 429s by
 * `throttlePatienceMs`, and all of it by `budgetMs` of time spent on the supplier. A client that
 * stopped (`halted()`) gives up every operation not yet sent at once, like an open circuit,
 * and stays stopped: the command that owns it ends promptly and a later one goes on.
 */
export function createSupplierClient(transport: Transport, policy: Partial<RetryPolicy> = {}, options: ClientOptions = {}): Supplier {
  const settings = resolvePolicy(policy);
  const random = options.random ?? Math.random;
  const counters: SupplierStats = { calls: 0, retries: 0, throttled: 0, failures: 0 };
  const gate = new ThrottleGate();
  let closed = false;
  /** Aborted when the circuit opens or the client halts: whatever waits stops waiting. */
  let wake = sharedController();
  const breaker = new CircuitBreaker(settings.circuitThreshold, () => wake.abort(new Error('circuit open')));
  let halt: SupplierHalt | null = null;
  const notices: SupplierNotice[] = [];
  const budget = new BusyTime();
  /**
   * Since when the supplier has turned calls away with 429 without serving one (a 2xx or a
   * 4xx refusal serves a call; failures do not); null while it serves. A new run starts it again.
   */
  let throttledSince: number | null = null;

  const stop = (reason: SupplierHalt['reason'], why: Problem): void => {
    if (halt) return;
    halt = { reason, said: why, at: new Date().toISOString() };
    wake.abort(new Error(`supplier client stopped: ${reason}`));
  };
  const seconds = (ms: number): string => String(Math.round(ms / 100) / 10);
  const budgetSpent = (): boolean => budget.spentMs() >= settings.budgetMs;
  const stopForBudget = (): void => stop('budget', say('supplier.budgetSpent', { seconds: seconds(settings.budgetMs) }));
  /** Why nothing more may be sent now, if so. */
  const blocked = (): Problem | null => {
    if (breaker.isOpen) return breaker.describe();
    if (!halt && budgetSpent()) stopForBudget();
    return halt ? halt.said : null;
  };

  type Sent = { kind: 'answered'; response: TransportResponse } | { kind: 'exhausted'; problem: Problem; circuitOpen?: true; unsent?: true };

  /**
   * One operation: the request, retried on failures and throttling. `readable` says whether
   * a 200 answer is what the operation expects; one that is not is retried like a failure
   * and is never taken for an answer.
   */
  async function send(req: TransportRequest, readable: (response: TransportResponse) => boolean = () => true): Promise<Sent> {
    budget.begin();
    try {
      return await attempt(req, readable);
    } finally {
      budget.end();
    }
  }

  async function attempt(req: TransportRequest, readable: (response: TransportResponse) => boolean): Promise<Sent> {
    let failedAttempts = 0;
    let throttles = 0;
    let lastProblem: Problem | null = null;
    const giveUp = (why: Problem): Sent => {
      counters.failures += 1;
      const circuitOpen = breaker.isOpen ? { circuitOpen: true as const } : {};
      // An attempt that got no answer may have reached the supplier; a 429 was turned away unread.
      return failedAttempts > 0 && lastProblem
        ? {
            kind: 'exhausted',
            ...circuitOpen,
            problem: say('supplier.gaveUpAfterAttempts', { failedAttempts, lastProblem, why }),
          }
        : { kind: 'exhausted', ...circuitOpen, unsent: true, problem: say('supplier.gaveUpUnsent', { why }) };
    };
    for (let call = 1; ; call++) {
      if (closed) throw new Error('the supplier client is closed');
      const before = blocked();
      if (before) return giveUp(before);
      if (gate.waitMs() > 0) await passGate();
      // A Retry-After may have held the call while the circuit opened or the client stopped.
      const held = blocked();
      if (held) return giveUp(held);
      counters.calls += 1;
      if (call > 1) counters.retries += 1;
      let problem: Problem;
      try {
        const response = await callWithTimeout(transport, req, settings.timeoutMs);
        if (response.status === 429) {
          breaker.answered();
          counters.throttled += 1;
          throttles += 1;
          throttled(response, throttles);
          if (throttles >= settings.maxAttempts * THROTTLES_PER_ATTEMPT) {
            counters.failures += 1;
            // Every attempt turned away unread is nothing sent.
            return {
              kind: 'exhausted',
              ...(failedAttempts === 0 ? { unsent: true as const } : {}),
              problem: say('supplier.keptThrottling', { throttles }),
            };
          }
          continue;
        }
        problem = httpProblem(response);
        if (isAccessRefused(response.status)) {
          breaker.answered();
          refusedAccess(response);
          // The gateway refused it: this attempt never reached the supplier.
          return giveUp(blocked() ?? problem);
        }
        if (isGatewayFailure(response.status)) breaker.failed(problem);
        else if (!isTransient(response.status) || response.status === 409) breaker.answered();
        if (!isTransient(response.status)) {
          if (answers(response, readable)) {
            throttledSince = null;
            return { kind: 'answered', response };
          }
          // Never taken for an answer, and never final: retried like a failure.
          problem = unreadableProblem(response);
        }
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        problem = transportProblem(error);
        breaker.failed(problem);
      }
      failedAttempts += 1;
      lastProblem = problem;
      if (failedAttempts >= settings.maxAttempts) {
        counters.failures += 1;
        return {
          kind: 'exhausted',
          problem: say('supplier.noUsableAnswer', { attempts: failedAttempts, last: problem }),
        };
      }
      const stopped = blocked();
      if (stopped) return giveUp(stopped);
      const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (failedAttempts - 1));
      // The circuit opening or the client stopping ends the wait: a retry would not be sent anyway.
      await sleep(Math.min(random() * ceiling, timeLeft()), undefined, { signal: wake.signal }).catch(() => undefined);
    }
  }

  /** Milliseconds left of the budget. */
  function timeLeft(): number {
    return Math.max(0, settings.budgetMs - budget.spentMs());
  }

  /**
   * A 429: hold every call for its Retry-After, or stop when that is too long or nothing else
   * is served. The operation's own back-off (exponential in its `throttles`, with jitter) is
   * the floor under the wait: a Retry-After of 0 never brings a throttling supplier calls
   * back to back, and such a storm ends by the same bounds as any other.
   */
  function throttled(response: TransportResponse, throttles: number): void {
    const asked = retryAfter(response.headers['retry-after']);
    if (asked.unusable !== null) noticeUnusableRetryAfter(asked.unusable);
    const wait = Math.max(asked.ms, backOffFloor(throttles));
    if (wait > settings.maxRetryAfterMs) {
      stop('retry_after', say('supplier.retryAfterTooLong', { seconds: seconds(wait), seconds2: seconds(settings.maxRetryAfterMs) }));
      return;
    }
    throttledSince ??= Date.now();
    const throttledFor = Date.now() - throttledSince;
    if (throttledFor >= settings.throttlePatienceMs) {
      stop('throttled', say('supplier.throttledTooLong', { seconds: seconds(throttledFor) }));
      return;
    }
    gate.holdUntil(Date.now() + wait);
  }

  /** Equal jitter: between half and all of the back-off ceiling, so that it is never close to nothing. */
  function backOffFloor(throttles: number): number {
    const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (throttles - 1));
    return ceiling / 2 + (random() * ceiling) / 2;
  }

  function noticeUnusableRetryAfter(value: string): void {
    if (notices.some((n) => n.reason === 'retry_after_unusable')) return;
    const shown = truncated(value, 40);
    notices.push({
      reason: 'retry_after_unusable',
      said: say('supplier.retryAfterUnusable', { shown, maxSeconds: seconds(settings.maxDelayMs) }),
      at: new Date().toISOString(),
    });
  }

  /** A 401, 403 or 407: the gateway refused us; nothing more is sent in this command. */
  function refusedAccess(response: TransportResponse): void {
    stop('access_refused', say('supplier.accessRefused', { answer: httpProblem(response) }));
  }

  /** Waits for the throttle gate, no longer than the budget allows; the circuit or a stop ends the wait. */
  async function passGate(): Promise<void> {
    for (let wait = gate.waitMs(); wait > 0 && !wake.signal.aborted; wait = gate.waitMs()) {
      if (wait >= timeLeft()) {
        stopForBudget();
        return;
      }
      await sleep(wait, undefined, { signal: wake.signal }).catch(() => undefined);
    }
  }

  async function readSubscription(q: { customer: string; subscriptionId: string }): Promise<SubscriptionOutcome> {
    const sent = await send(
      { method: 'GET', path: subscriptionPath(q.customer, q.subscriptionId), headers: {} },
      (r) => r.status === 200 && readResource(r.body, q.subscriptionId) !== null,
    );
    if (sent.kind === 'exhausted') return unavailable(sent);
    const { status, body } = sent.response;
    const resource = status === 200 ? readResource(body, q.subscriptionId) : null;
    if (!resource) return { kind: 'rejected', ...refusalOf(status, body) };
    return { kind: 'found', quantity: resource.status === 'deleted' ? 0 : resource.quantity, status: resource.status, pending: resource.pending };
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
      const { response } = sent;
      if (response.status >= 300) return { kind: 'rejected', ...refusalOf(response.status, response.body) };
      return changeAnswer(response, req);
    },

    async checkSettlement(q: { customer: string; subscriptionId: string }): Promise<SettlementOutcome> {
      const read = await readSubscription(q);
      if (read.kind !== 'found') return read;
      return read.pending ? { kind: 'pending' } : { kind: 'settled', quantity: read.quantity, status: read.status };
    },

    readSubscription,

    stats: () => ({ ...counters }),

    circuit: () => breaker.state(),

    resetCircuit: () => {
      breaker.reset();
      throttledSince = null;
      // Waits of the previous opening are over; a new opening needs a signal of its own. A stop is for good.
      if (wake.signal.aborted && !halt) wake = sharedController();
    },

    halted: () => (halt ? { ...halt } : null),

    notices: () => notices.map((n) => ({ ...n })),

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await options.onClose?.();
    },
  };
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
  for (const name of ['maxRetryAfterMs', 'throttlePatienceMs', 'budgetMs'] as const) {
    if (!(settings[name] > 0) || !Number.isFinite(settings[name])) throw new RangeError(`${name} must be a number > 0, got ${settings[name]}`);
  }
  return settings;
}

export function subscriptionPath(customer: string, subscriptionId: string): string {
  // A contract registered without a customer still needs a path segment; '-' keeps the URL well formed.
  return `/v1/customers/${encodeURIComponent(customer === '' ? '-' : customer)}/subscriptions/${encodeURIComponent(subscriptionId)}`;
}

/**
 * The time a client has spent on the supplier: while at least one of its operations is
 * under way (calls, back-offs, throttle waits). A night's work on the store between its
 * runs of linkage does not count against the budget.
 */
class BusyTime {
  private running = 0;
  private since = 0;
  private spent = 0;

  begin(): void {
    if (this.running++ === 0) this.since = Date.now();
  }

  end(): void {
    if (--this.running === 0) this.spent += Date.now() - this.since;
  }

  spentMs(): number {
    return this.spent + (this.running > 0 ? Date.now() - this.since : 0);
  }
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

  /** How long a call must still wait; the gate may move further while it waits, so ask again after each sleep. */
  waitMs(): number {
    return Math.max(0, this.notBefore - Date.now());
  }
}

/**
 * What a 2xx to a change says, and no more (supplier-api.md: "200 with the resource: done
 * and settled"). Done only with the subscription at the target, settled; still provisioning
 * (or a 202) is accepted; settled at another quantity is said so; a body that is not the
 * subscription says nothing of what the supplier did.
 */
function changeAnswer(response: TransportResponse, req: LinkRequest): LinkOutcome {
  if (response.status === 202) return { kind: 'accepted' };
  const resource = response.status === 200 ? readResource(response.body, req.subscriptionId) : null;
  if (!resource) {
    return { kind: 'unread', said: say('supplier.changeAnswerUnread', { answer: unreadableProblem(response) }) };
  }
  if (resource.pending) return { kind: 'accepted' };
  const held = resource.status === 'deleted' ? 0 : resource.quantity;
  if (held === req.targetQuantity) return { kind: 'settled' };
  return { kind: 'settledOther', quantity: held, status: resource.status };
}

/** Whether a response is an answer the client hands on: a 4xx in the supplier's own words, or a 2xx the operation can read. 1xx and 3xx are not answers. */
function answers(response: TransportResponse, readable: (response: TransportResponse) => boolean): boolean {
  if (!isReadableAnswer(response)) return false;
  return response.status >= 400 ? isSupplierRefusal(response) : readable(response);
}

function truncated(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function unavailable(sent: { problem: Problem; circuitOpen?: true; unsent?: true }): Unavailable {
  return {
    kind: 'unavailable',
    said: sent.problem,
    ...(sent.circuitOpen ? { circuitOpen: true as const } : {}),
    ...(sent.unsent ? { unsent: true as const } : {}),
  };
}

/** Handed to a transport that never reads its signal: creating an AbortSignal per call is a good part of what a call to an in-process supplier costs. */
const NEVER_ABORTED = new AbortController().signal;

async function callWithTimeout(transport: Transport, req: TransportRequest, timeoutMs: number): Promise<TransportResponse> {
  const controller = transport.ignoresSignal ? null : new AbortController();
  let timer: NodeJS.Timeout | undefined;
  // Raced here rather than left to the transport, so that a transport that ignores the
  // signal (the in-process simulator) still times out.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TransportError('timeout', `timeout after ${timeoutMs} ms`);
      controller?.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([transport(req, controller?.signal ?? NEVER_ABORTED), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
