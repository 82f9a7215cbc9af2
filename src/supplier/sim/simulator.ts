import { setTimeout as sleep } from 'node:timers/promises';
import type { SubscriptionSeed } from '../port.js';
import { drawUnit } from './draw.js';

/**
 * The supplier simulator: the HTTP API of supplier-api.md as one transport-level function,
 * so that the in-process supplier and `supplier serve` run exactly the same code.
 *
 * Subscriptions are keyed by subscription id alone. Partner Center subscription ids are
 * unique across customers, while customer names in the portal are free text that the
 * store and the seeds may spell differently (width, spaces); keying on them would turn a
 * spelling difference into a 404. The customer segment of the path is therefore read but
 * not matched.
 *
 * Only rate limiting depends on timing. Every other choice (latency, 503, 202) is drawn
 * from a hash of seed, subscription, the change asked for (target quantity, or `get`) and
 * the attempt number of that idempotency key (or of GETs), so the same calls get the same
 * answers whatever their interleaving, and whatever random keys the caller chose.
 */

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

export const DEFAULT_SIM_KNOBS: SimKnobs = {
  latencyMs: 20,
  failRate: 0,
  rateLimit: 0,
  asyncRate: 0,
  seed: 1,
};

export interface SimRequest {
  method: string;
  /** Path with URL-encoded segments, optionally with a query string. */
  path: string;
  headers: Record<string, string | undefined>;
  body?: unknown;
}

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** Business refusal codes, as Partner Center numbers them. */
export const SUPPLIER_REFUSAL = {
  REDUCTION_OUTSIDE_WINDOW: 900214,
  CANCELLATION_OUTSIDE_WINDOW: 900117,
  QUANTITY_CANNOT_INCREASE: 800090,
  SUBSCRIPTION_NOT_ACTIVE: 800091,
} as const;

/** Ids with these prefixes follow fixed rules, for exact tests (supplier-api.md). */
export const LATE_PREFIX = 'NCE-LATE-';
export const SLOW_PREFIX = 'SLOW-';

export interface SimSubscriptionView {
  customer: string;
  quantity: number;
  status: 'active' | 'deleted';
  pending: boolean;
  /** The last target asked for by a change with a new idempotency key; null if none. */
  lastTarget: number | null;
}

export interface SimStats {
  /** Calls to the API (`/_sim/stats` and `/_sim/calls` are not counted). */
  total: number;
  /** method → status → count */
  byMethod: Record<string, Record<string, number>>;
  byStatus: Record<string, number>;
  subscriptions: Record<string, SimSubscriptionView>;
}

export interface SimCall {
  /** Clock time the call arrived and was answered. */
  at: number;
  doneAt: number;
  method: string;
  subscriptionId: string | null;
  idempotencyKey: string | null;
  status: number;
}

interface SubscriptionState {
  id: string;
  customer: string;
  quantity: number;
  status: 'active' | 'deleted';
  version: number;
  cancellationAllowedUntil: string;
  refundableQuantity: number;
  /** GETs still to answer `pending` before the last change shows as settled. */
  pendingGets: number;
  lastTarget: number | null;
}

interface StoredAnswer {
  target: number;
  response: SimResponse;
}

const DAY_MS = 86_400_000;
const CALL_LOG_LIMIT = 100_000;
const SUBSCRIPTION_PATH = /^\/v1\/customers\/([^/]+)\/subscriptions\/([^/]+)\/?$/;

export class SupplierSimulator {
  private readonly knobs: SimKnobs;
  private readonly clock: () => number;
  private readonly bucket: TokenBucket | null;
  private readonly subscriptions = new Map<string, SubscriptionState>();
  /** Keyed by subscription id + idempotency key (or `get`). */
  private readonly attempts = new Map<string, number>();
  private readonly answers = new Map<string, StoredAnswer>();
  private readonly inFlight = new Set<string>();
  private readonly counts = { total: 0, byMethod: {} as Record<string, Record<string, number>>, byStatus: {} as Record<string, number> };
  private calls: SimCall[] = [];

  constructor(knobs: SimKnobs, seeds: SubscriptionSeed[], clock: () => number = Date.now) {
    checkKnobs(knobs);
    this.knobs = { ...knobs };
    this.clock = clock;
    this.bucket = knobs.rateLimit > 0 ? new TokenBucket(knobs.rateLimit, clock()) : null;
    this.seed(seeds);
  }

  /**
   * Adds subscriptions, replacing the state of any with the same id. Changes already
   * answered stay answered: a replayed idempotency key still gets its first answer.
   */
  /** Adds the subscriptions it does not know yet; those it knows keep their state. */
  seedMissing(subs: readonly SubscriptionSeed[]): void {
    this.seed(subs.filter((s) => !this.subscriptions.has(s.subscriptionId)));
  }

  seed(subs: readonly SubscriptionSeed[]): void {
    const now = this.clock();
    for (const sub of subs) {
      if (sub.subscriptionId === '') throw new RangeError('a seeded subscription needs an id');
      if (!Number.isSafeInteger(sub.quantity) || sub.quantity < 0) {
        throw new RangeError(`subscription ${sub.subscriptionId}: quantity must be a whole number ≥ 0, got ${sub.quantity}`);
      }
      const late = sub.subscriptionId.startsWith(LATE_PREFIX);
      this.subscriptions.set(sub.subscriptionId, {
        id: sub.subscriptionId,
        customer: sub.customer,
        quantity: sub.quantity,
        status: sub.quantity === 0 ? 'deleted' : 'active',
        version: 1,
        cancellationAllowedUntil: new Date(late ? now - DAY_MS : now + 7 * DAY_MS).toISOString(),
        refundableQuantity: late ? 0 : sub.quantity,
        pendingGets: 0,
        lastTarget: null,
      });
    }
  }

  async handle(req: SimRequest): Promise<SimResponse> {
    const at = this.clock();
    const path = req.path.split('?', 1)[0] ?? '';
    if (path === '/_sim/stats' || path === '/_sim/calls') {
      if (req.method !== 'GET') return methodNotAllowed('GET');
      return json(200, path === '/_sim/stats' ? this.stats() : this.callLog());
    }
    const headers = lowerCaseKeys(req.headers);
    const route = parseSubscriptionPath(path);
    const idempotencyKey = req.method === 'PATCH' ? (headers['idempotency-key'] ?? null) : null;
    let response: SimResponse;
    if (route === null) {
      response = refusal(404, 'NOT_FOUND', `no resource at ${path}`);
    } else if (route === 'malformed') {
      response = refusal(400, 'MALFORMED_PATH', `the path ${path} is not correctly URL-encoded`);
    } else if (req.method !== 'GET' && req.method !== 'PATCH') {
      response = methodNotAllowed('GET, PATCH');
    } else {
      const wait = this.bucket?.take(at) ?? 0;
      if (wait > 0) {
        response = {
          status: 429,
          headers: { 'retry-after': String(wait) },
          body: { code: 'TOO_MANY_REQUESTS', description: `rate limit of ${this.knobs.rateLimit} calls per second exceeded` },
        };
      } else if (req.method === 'GET') {
        response = await this.get(route);
      } else {
        response = await this.patch(route, idempotencyKey, req.body);
      }
    }
    this.record({
      at,
      doneAt: this.clock(),
      method: req.method,
      subscriptionId: typeof route === 'object' && route !== null ? route.subscriptionId : null,
      idempotencyKey,
      status: response.status,
    });
    return response;
  }

  stats(): SimStats {
    const subscriptions: Record<string, SimSubscriptionView> = {};
    for (const sub of this.subscriptions.values()) {
      subscriptions[sub.id] = { customer: sub.customer, quantity: sub.quantity, status: sub.status, pending: sub.pendingGets > 0, lastTarget: sub.lastTarget };
    }
    return {
      total: this.counts.total,
      byMethod: structuredClone(this.counts.byMethod),
      byStatus: { ...this.counts.byStatus },
      subscriptions,
    };
  }

  /** The calls received, oldest first (the latest 100 000 at most). */
  callLog(): SimCall[] {
    return this.calls.slice(-CALL_LOG_LIMIT);
  }

  private async get(route: Route): Promise<SimResponse> {
    const { subscriptionId } = route;
    const attempt = this.nextAttempt(subscriptionId, 'get');
    if (this.knobs.latencyMs > 0) await this.delay(subscriptionId, 'get', attempt);
    if (this.fails(subscriptionId, 'get', attempt)) return unavailable();
    const sub = this.subscriptions.get(subscriptionId);
    if (!sub) return notFound(subscriptionId);
    const pending = sub.pendingGets > 0;
    if (pending) sub.pendingGets -= 1;
    return json(200, view(sub, pending));
  }

  private async patch(route: Route, idempotencyKey: string | null, body: unknown): Promise<SimResponse> {
    const { subscriptionId } = route;
    if (idempotencyKey === null || idempotencyKey === '') {
      return refusal(400, 'IDEMPOTENCY_KEY_REQUIRED', 'a change needs an Idempotency-Key header');
    }
    const target = parseTarget(body);
    if (target === null) {
      return refusal(400, 'INVALID_BODY', 'expected {"quantity": N} with a whole N ≥ 1, or {"status": "deleted"}');
    }
    const tag = `key:${idempotencyKey}`;
    const slot = `${subscriptionId}\u0000${tag}`;
    // Choices are drawn from the change asked for, not from its key: keys are random per
    // order line, and two stores asking the same of the same seed must get the same answers.
    const draw = `change:${target}`;
    if (this.inFlight.has(slot)) {
      return refusal(409, 'REQUEST_IN_PROGRESS', `a change with Idempotency-Key ${idempotencyKey} is still being processed`);
    }
    const attempt = this.nextAttempt(subscriptionId, tag);
    this.inFlight.add(slot);
    try {
      await this.delay(subscriptionId, draw, attempt);
    } finally {
      this.inFlight.delete(slot);
    }
    if (this.fails(subscriptionId, draw, attempt)) return unavailable();
    const sub = this.subscriptions.get(subscriptionId);
    if (!sub) return notFound(subscriptionId);
    const stored = this.answers.get(slot);
    if (stored) {
      return stored.target === target
        ? copyOf(stored.response)
        : refusal(422, 'IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${idempotencyKey} was used for a different change`);
    }
    const response = this.applyChange(sub, target, draw, route.customerSegment);
    this.answers.set(slot, { target, response: copyOf(response) });
    return response;
  }

  private applyChange(sub: SubscriptionState, target: number, tag: string, customerSegment: string): SimResponse {
    sub.lastTarget = target;
    if (target === sub.quantity) return this.changeAnswer(sub, customerSegment);
    if (sub.status === 'deleted') {
      return refusal(400, SUPPLIER_REFUSAL.SUBSCRIPTION_NOT_ACTIVE, `subscription ${sub.id} is not active (deleted)`);
    }
    if (target > sub.quantity) {
      return refusal(400, SUPPLIER_REFUSAL.QUANTITY_CANNOT_INCREASE, `quantity cannot increase through this API (from ${sub.quantity} to ${target})`);
    }
    if (sub.id.startsWith(LATE_PREFIX)) {
      return target === 0
        ? refusal(400, SUPPLIER_REFUSAL.CANCELLATION_OUTSIDE_WINDOW, `cancellation is not allowed after ${sub.cancellationAllowedUntil}`)
        : refusal(400, SUPPLIER_REFUSAL.REDUCTION_OUTSIDE_WINDOW, `seat reduction is not allowed after ${sub.cancellationAllowedUntil}`);
    }
    sub.quantity = target;
    sub.status = target === 0 ? 'deleted' : 'active';
    sub.refundableQuantity = Math.min(sub.refundableQuantity, target);
    sub.version += 1;
    if (sub.id.startsWith(SLOW_PREFIX)) {
      sub.pendingGets = 2;
    } else {
      sub.pendingGets = drawUnit(this.knobs.seed, sub.id, tag, 'async') < this.knobs.asyncRate ? 1 : 0;
    }
    return this.changeAnswer(sub, customerSegment);
  }

  /** 200 when the subscription is settled, else 202 pointing at the resource to poll. */
  private changeAnswer(sub: SubscriptionState, customerSegment: string): SimResponse {
    if (sub.pendingGets === 0) return json(200, view(sub, false));
    return {
      status: 202,
      headers: { 'content-type': 'application/json', location: `/v1/customers/${customerSegment}/subscriptions/${encodeURIComponent(sub.id)}` },
      body: view(sub, true),
    };
  }

  private nextAttempt(subscriptionId: string, tag: string): number {
    const slot = `${subscriptionId}\u0000${tag}`;
    const attempt = (this.attempts.get(slot) ?? 0) + 1;
    this.attempts.set(slot, attempt);
    return attempt;
  }

  private async delay(subscriptionId: string, tag: string, attempt: number): Promise<void> {
    if (this.knobs.latencyMs <= 0) return;
    await sleep(this.knobs.latencyMs * (0.5 + drawUnit(this.knobs.seed, subscriptionId, tag, attempt, 'latency')));
  }

  private fails(subscriptionId: string, tag: string, attempt: number): boolean {
    return this.knobs.failRate > 0 && drawUnit(this.knobs.seed, subscriptionId, tag, attempt, 'fail') < this.knobs.failRate;
  }

  private record(call: SimCall): void {
    this.counts.total += 1;
    const status = String(call.status);
    const byStatus = (this.counts.byMethod[call.method] ??= {});
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    this.counts.byStatus[status] = (this.counts.byStatus[status] ?? 0) + 1;
    this.calls.push(call);
    if (this.calls.length > 2 * CALL_LOG_LIMIT) this.calls = this.calls.slice(-CALL_LOG_LIMIT);
  }
}

/** N calls per second with bursts of up to N. */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = perSecond;
    this.last = now;
  }

  /** 0 when a token was taken, else the whole seconds to wait (for Retry-After). */
  take(now: number): number {
    this.tokens = Math.min(this.perSecond, this.tokens + (Math.max(0, now - this.last) / 1000) * this.perSecond);
    this.last = Math.max(this.last, now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
  }
}

interface Route {
  /** As it came, still encoded: echoed back in Location. */
  customerSegment: string;
  customer: string;
  subscriptionId: string;
}

function parseSubscriptionPath(path: string): Route | 'malformed' | null {
  const match = SUBSCRIPTION_PATH.exec(path);
  if (!match || match[1] === undefined || match[2] === undefined) return null;
  try {
    return { customerSegment: match[1], customer: decodeURIComponent(match[1]), subscriptionId: decodeURIComponent(match[2]) };
  } catch {
    return 'malformed';
  }
}

/** `{quantity: N}` (N ≥ 1) → N, `{status: "deleted"}` → 0, anything else → null. */
function parseTarget(body: unknown): number | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const fields = body as Record<string, unknown>;
  const keys = Object.keys(fields);
  if (keys.length !== 1) return null;
  if (keys[0] === 'status') return fields['status'] === 'deleted' ? 0 : null;
  const quantity = fields['quantity'];
  return typeof quantity === 'number' && Number.isSafeInteger(quantity) && quantity >= 1 ? quantity : null;
}

function view(sub: SubscriptionState, pending: boolean): Record<string, unknown> {
  return {
    id: sub.id,
    customer: sub.customer,
    quantity: sub.quantity,
    status: sub.status,
    etag: `W/"${sub.version}"`,
    cancellationAllowedUntil: sub.cancellationAllowedUntil,
    refundableQuantity: sub.refundableQuantity,
    provisioning: pending ? 'pending' : 'succeeded',
  };
}

/**
 * A deep copy of an answer, as structuredClone gives it for plain objects, arrays and
 * primitives (all an answer holds), without its cost; anything else is structuredClone'd.
 */
function copyOf<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyOf) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, copyOf(v)])) as T;
}

function json(status: number, body: unknown): SimResponse {
  return { status, headers: { 'content-type': 'application/json' }, body };
}

function refusal(status: number, code: string | number, description: string): SimResponse {
  return json(status, { code, description });
}

function notFound(subscriptionId: string): SimResponse {
  return refusal(404, 'NOT_FOUND', `subscription ${subscriptionId} not found`);
}

function unavailable(): SimResponse {
  return refusal(503, 'SERVICE_UNAVAILABLE', 'the service is temporarily unavailable');
}

function methodNotAllowed(allow: string): SimResponse {
  return { status: 405, headers: { 'content-type': 'application/json', allow }, body: { code: 'METHOD_NOT_ALLOWED', description: `allowed: ${allow}` } };
}

function lowerCaseKeys(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

function checkKnobs(knobs: SimKnobs): void {
  const problems: string[] = [];
  if (!(knobs.latencyMs >= 0)) problems.push(`latencyMs must be ≥ 0 (got ${knobs.latencyMs})`);
  if (!(knobs.failRate >= 0 && knobs.failRate <= 1)) problems.push(`failRate must be within 0..1 (got ${knobs.failRate})`);
  if (!(knobs.asyncRate >= 0 && knobs.asyncRate <= 1)) problems.push(`asyncRate must be within 0..1 (got ${knobs.asyncRate})`);
  if (!(knobs.rateLimit >= 0)) problems.push(`rateLimit must be ≥ 0 (got ${knobs.rateLimit})`);
  if (!Number.isFinite(knobs.seed)) problems.push(`seed must be a number (got ${knobs.seed})`);
  if (problems.length > 0) throw new RangeError(`invalid simulator settings: ${problems.join('; ')}`);
}
