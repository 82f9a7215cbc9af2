/**
 * Every wait of the client is bounded, and an answer that cannot be read is never taken for
 * one: a Retry-After beyond the cap, a supplier that serves nothing but 429s, and the time
 * budget each stop the client for good (`halted()`), after which nothing more is sent; a 200
 * to a GET that is not a subscription, garbage or an HTML page is retried like a failure,
 * then reported unavailable (never a refusal). A 2xx to a change is judged for what it says:
 * done only with the subscription at the target. A gateway's 401/403/407 stops the client; a
 * Retry-After of 0 is floored by the back-off.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHttpSupplier,
  createSupplierClient,
  DEFAULT_RETRY_POLICY,
  type Supplier,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from '../../src/supplier/index.js';

const fast = { baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 1_000 };
const link = (subscriptionId: string, targetQuantity = 1) => ({ customer: 'Contoso', subscriptionId, targetQuantity, idempotencyKey: `key-${subscriptionId}` });
const read = (subscriptionId: string) => ({ customer: 'Contoso', subscriptionId });
const answer = (status: number, body?: unknown, headers: Record<string, string> = {}): TransportResponse => ({
  status,
  headers,
  ...(body === undefined ? {} : { body }),
});
const SUBSCRIPTION = { id: 'S', quantity: 8, status: 'active', provisioning: 'succeeded' };
/** The supplier's 200 to a change: the subscription the request names, settled at the quantity it asks for. */
const changed = (req: TransportRequest): TransportResponse =>
  answer(200, {
    id: decodeURIComponent(req.path.split('/').pop() ?? ''),
    quantity: (req.body as { quantity: number }).quantity,
    status: 'active',
    provisioning: 'succeeded',
  });

/** Plays `next(request number)` for each request and records what was sent, with when. */
function playing(next: (n: number, req: TransportRequest) => TransportResponse): Transport & { sent: (TransportRequest & { at: number })[] } {
  const sent: (TransportRequest & { at: number })[] = [];
  const transport = async (req: TransportRequest): Promise<TransportResponse> => {
    sent.push({ ...req, at: Date.now() });
    return next(sent.length, req);
  };
  return Object.assign(transport, { sent });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** A hostile supplier over real HTTP: a tiny node:http server answering as `handler` says. */
async function hostile(handler: http.RequestListener): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests += 1;
    req.resume();
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

function client(url: string, policy = {}): Supplier {
  const supplier = createHttpSupplier(url, { ...fast, ...policy });
  cleanups.push(() => supplier.close());
  return supplier;
}

describe('bounded waits', () => {
  it('defaults: a Retry-After is waited for up to 60 s, a supplier serving only 429s for 60 s, and a command spends at most an hour on the supplier', () => {
    expect(DEFAULT_RETRY_POLICY).toMatchObject({ maxRetryAfterMs: 60_000, throttlePatienceMs: 60_000, budgetMs: 3_600_000 });
    expect(() =>
      createSupplierClient(
        playing(() => answer(200)),
        { budgetMs: 0 },
      ),
    ).toThrow(/budgetMs/);
  });

  it('a 429 asking for 100000 s stops the client at once: that operation and every later one give up unsent, and nothing more is sent', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(429, { 'retry-after': '100000', 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'TOO_MANY_REQUESTS' }));
    });
    const supplier = client(server.url);
    const first = await supplier.setQuantity(link('A'));
    expect(first).toEqual({
      kind: 'unavailable',
      unsent: true,
      said: expect.objectContaining({
        en: 'supplier unavailable, not sent: the supplier asked to wait 100000 s (HTTP 429 Retry-After), longer than the 60 s a command waits',
        ja: '送信していません: 仕入元が 100000 秒の待機を求めました（HTTP 429 Retry-After）。1 つのコマンドで待つ上限の 60 秒を超えています',
      }) as unknown,
    });
    for (const id of ['B', 'C']) expect(await supplier.setQuantity(link(id))).toMatchObject({ kind: 'unavailable', unsent: true });
    expect(await supplier.readSubscription(read('D'))).toMatchObject({ kind: 'unavailable', unsent: true });
    expect(server.requests()).toBe(1);
    expect(supplier.halted?.()).toMatchObject({ reason: 'retry_after' });
    // A new run of the same client (the next file of a night) does not call it again either.
    supplier.resetCircuit?.();
    expect(await supplier.setQuantity(link('E'))).toMatchObject({ kind: 'unavailable', unsent: true });
    expect(server.requests()).toBe(1);
  });

  it('a supplier answering nothing but 429 stops the client once it has served no call for the patience', async () => {
    const transport = playing(() => answer(429, undefined, { 'retry-after': '0.05' }));
    const supplier = createSupplierClient(transport, { ...fast, throttlePatienceMs: 300 });
    const started = Date.now();
    const outcomes = await Promise.all(['A', 'B', 'C', 'D'].map((id) => supplier.setQuantity(link(id))));
    const took = Date.now() - started;
    expect(outcomes.every((o) => o.kind === 'unavailable' && o.unsent === true)).toBe(true);
    expect(outcomes[0]).toMatchObject({
      said: {
        en: expect.stringMatching(
          /^supplier unavailable, not sent: the supplier has served no call for 0\.[3-9] s|^supplier unavailable, not sent: the supplier has served no call for 1(\.\d)? s/,
        ) as string,
      },
    });
    // Not before the patience ran out (a floor a loaded machine cannot shorten).
    expect(took).toBeGreaterThanOrEqual(250);
    expect(supplier.halted?.()).toMatchObject({ reason: 'throttled' });
    const calls = transport.sent.length;
    expect(await supplier.setQuantity(link('E'))).toMatchObject({ kind: 'unavailable', unsent: true });
    expect(transport.sent).toHaveLength(calls);
  });

  it('under an ordinary rate limit (some calls served every Retry-After) it goes on', async () => {
    // Every third call served, the others throttled for 20 ms: far from 300 ms without a served call.
    const transport = playing((n, req) => (n % 3 === 0 ? changed(req) : answer(429, undefined, { 'retry-after': '0.02' })));
    const supplier = createSupplierClient(transport, { ...fast, throttlePatienceMs: 300 });
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => supplier.setQuantity(link(`S${i}`))));
    expect(outcomes.every((o) => o.kind === 'settled')).toBe(true);
    expect(supplier.halted?.()).toBeNull();
  });

  it('the time budget: once spent, what is not sent yet is not sent; a call held by the throttle gate past it gives up at once', async () => {
    const transport = playing(() => answer(429, undefined, { 'retry-after': '0.2' }));
    const supplier = createSupplierClient(transport, { ...fast, budgetMs: 300 });
    const outcome = await supplier.setQuantity(link('A'));
    expect(outcome).toMatchObject({
      kind: 'unavailable',
      unsent: true,
      said: {
        en: 'supplier unavailable, not sent: the supplier time budget of this command (--supplier-budget-seconds 0.3) is spent',
        ja: '送信していません: このコマンドで仕入元に使える時間（--supplier-budget-seconds 0.3）を使い切りました',
      },
    });
    expect(supplier.halted?.()).toMatchObject({ reason: 'budget' });
    const calls = transport.sent.length;
    expect(await supplier.checkSettlement(read('B'))).toMatchObject({ kind: 'unavailable', unsent: true });
    expect(transport.sent).toHaveLength(calls);
  });

  it('the budget counts time spent on the supplier, and the patience time turned away: not the time between runs', async () => {
    // Each call takes 150 ms; between the runs the client sits idle for longer than both bounds.
    let calls = 0;
    const transport: Transport = async (req) => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 150));
      // The third call (the second run's first) is turned away once, as under a rate limit.
      return calls === 3 ? answer(429, undefined, { 'retry-after': '0.05' }) : changed(req);
    };
    const supplier = createSupplierClient(transport, { ...fast, budgetMs: 760, throttlePatienceMs: 250 });
    expect(await supplier.setQuantity(link('A'))).toEqual({ kind: 'settled' });
    expect(await supplier.setQuantity(link('B'))).toEqual({ kind: 'settled' });
    await new Promise((r) => setTimeout(r, 900));
    supplier.resetCircuit?.();
    // A second run: its first call is turned away once, a second after the last one served.
    expect(await supplier.setQuantity(link('C'))).toEqual({ kind: 'settled' });
    expect(await supplier.setQuantity(link('D'))).toEqual({ kind: 'settled' });
    expect(supplier.halted?.()).toBeNull();
    // 150 ms × 5 calls and the 429's wait: the budget is spent now.
    expect(await supplier.setQuantity(link('E'))).toMatchObject({ kind: 'unavailable', unsent: true });
    expect(supplier.halted?.()).toMatchObject({ reason: 'budget' });
  });

  it('an operation some attempt of which may have reached the supplier is not reported unsent when the client stops', async () => {
    const transport = playing((n) => (n === 1 ? answer(503) : answer(429, undefined, { 'retry-after': '100000' })));
    const supplier = createSupplierClient(transport, fast);
    const outcome = await supplier.setQuantity(link('A'));
    expect(outcome).toMatchObject({
      kind: 'unavailable',
      said: { en: expect.stringMatching(/^supplier unavailable after 1 attempts; last: HTTP 503; not retried: the supplier asked to wait 100000 s/) as string },
    });
    expect(outcome).not.toHaveProperty('unsent');
  });
});

describe('answers that cannot be read', () => {
  it.each([
    ['a 200 that is not a subscription', answer(200, { hello: 'world' })],
    ['garbage JSON (read as text)', answer(200, '{"quantity": 8, "status":')],
    ['an HTML page', answer(200, '<html><body>Service Temporarily Unavailable</body></html>')],
    ['a redirect', answer(302, undefined, { location: '/login' })],
    ['a 204 without a body', answer(204)],
  ])('%s is retried like a failure and never taken for an answer', async (_what, unreadable) => {
    const transport = playing((n) => (n === 1 ? unreadable : answer(200, SUBSCRIPTION)));
    const supplier = createSupplierClient(transport, fast);
    expect(await supplier.readSubscription(read('S'))).toEqual({ kind: 'found', quantity: 8, status: 'active', pending: false });
    expect(supplier.stats()).toMatchObject({ calls: 2, retries: 1, failures: 0 });
  });

  it('an answer that stays unreadable is unavailable with both languages: never a refusal', async () => {
    const transport = playing(() => answer(200, '<html>maintenance</html>'));
    const supplier = createSupplierClient(transport, { ...fast, maxAttempts: 3 });
    expect(await supplier.checkSettlement(read('S'))).toEqual({
      kind: 'unavailable',
      said: expect.objectContaining({
        en: 'supplier unavailable after 3 attempts; last: an answer that could not be read (HTTP 200: <html>maintenance</html>)',
        ja: '仕入元から 3 回とも有効な応答がありませんでした（最後: 読み取れない応答（HTTP 200: <html>maintenance</html>））',
      }) as unknown,
    });
    expect(await supplier.readSubscription(read('S'))).toMatchObject({ kind: 'unavailable' });
  });

  it('a GET answers with the quantity the supplier holds (0 once deleted) and whether a change is provisioning; a 404 is NOT_FOUND', async () => {
    const transport = playing((n) =>
      n === 1
        ? answer(200, { ...SUBSCRIPTION, provisioning: 'pending' })
        : n === 2
          ? answer(200, { ...SUBSCRIPTION, quantity: 3, status: 'deleted' })
          : answer(404, { code: 'NOT_FOUND', description: 'subscription S not found' }),
    );
    const supplier = createSupplierClient(transport, fast);
    expect(await supplier.readSubscription(read('S'))).toEqual({ kind: 'found', quantity: 8, status: 'active', pending: true });
    expect(await supplier.readSubscription(read('S'))).toEqual({ kind: 'found', quantity: 0, status: 'deleted', pending: false });
    expect(await supplier.readSubscription(read('S'))).toEqual({ kind: 'rejected', code: 'NOT_FOUND', message: 'subscription S not found' });
  });
});

describe('what an answer to a change says, and no more', () => {
  const body = (quantity: number, extra: Record<string, unknown> = {}) => ({ id: 'S', quantity, status: quantity === 0 ? 'deleted' : 'active', ...extra });
  it.each<[string, TransportResponse, unknown]>([
    ['the subscription at the target', answer(200, body(2)), { kind: 'settled' }],
    ['the subscription still provisioning', answer(200, body(2, { provisioning: 'pending' })), { kind: 'accepted' }],
    ['a 202', answer(202, {}, { location: '/v1/customers/C/subscriptions/S' }), { kind: 'accepted' }],
    ['the subscription at another quantity', answer(200, body(7)), { kind: 'settledOther', quantity: 7, status: 'active' }],
    ['the subscription deleted for a reduction', answer(200, body(0)), { kind: 'settledOther', quantity: 0, status: 'deleted' }],
    [
      '{}',
      answer(200, {}),
      expect.objectContaining({ kind: 'unread', said: expect.objectContaining({ en: expect.stringContaining('HTTP 200: {}') as string }) as unknown }),
    ],
    ['garbage', answer(200, '{"quantity": '), expect.objectContaining({ kind: 'unread' })],
    [
      'an HTML page',
      answer(200, '<html>Maintenance</html>'),
      expect.objectContaining({
        kind: 'unread',
        said: expect.objectContaining({ ja: expect.stringContaining('読み取れない応答（HTTP 200: <html>Maintenance</html>）') as string }) as unknown,
      }),
    ],
    ['no body (204)', answer(204), expect.objectContaining({ kind: 'unread' })],
    ['another subscription', answer(200, { ...body(2), id: 'OTHER' }), expect.objectContaining({ kind: 'unread' })],
    ['the subscription, its id in another case', answer(200, { ...body(2), id: 's' }), { kind: 'settled' }],
    ['a quantity that is no count of seats', answer(200, body(-1)), expect.objectContaining({ kind: 'unread' })],
  ])('%s', async (_what, reply, outcome) => {
    const transport = playing(() => reply);
    const supplier = createSupplierClient(transport, fast);
    expect(await supplier.setQuantity(link('S', 2))).toEqual(outcome);
    // Never sent twice: the answer is judged, not retried.
    expect(transport.sent).toHaveLength(1);
  });

  it('a 401, 403 or 407 stops the client: nothing more is sent, and nothing is refused', async () => {
    for (const status of [401, 403, 407]) {
      const transport = playing(() => answer(status, { error: 'no' }));
      const supplier = createSupplierClient(transport, fast);
      const outcome = await supplier.setQuantity(link('A'));
      expect(outcome).toMatchObject({
        kind: 'unavailable',
        unsent: true,
        said: { en: expect.stringContaining(`the supplier's gateway refused access (HTTP ${status})`) as string },
      });
      expect(supplier.halted?.()).toMatchObject({ reason: 'access_refused' });
      expect(await supplier.readSubscription(read('B'))).toMatchObject({ kind: 'unavailable', unsent: true });
      expect(transport.sent).toHaveLength(1);
    }
  });

  it('a Retry-After of 0 is floored by the back-off (equal jitter), and noticed once', async () => {
    const transport = playing((n, req) => (n <= 4 ? answer(429, undefined, { 'retry-after': '0' }) : changed(req)));
    const supplier = createSupplierClient(transport, { baseDelayMs: 40, maxDelayMs: 100, timeoutMs: 1_000 }, { random: () => 0 });
    expect(await supplier.setQuantity(link('A'))).toEqual({ kind: 'settled' });
    const gaps = transport.sent.slice(1).map((r, i) => r.at - transport.sent[i]!.at);
    // Half of 40, 80, 100 (capped), 100 ms: timers fire late, never early.
    [20, 40, 50, 50].forEach((floor, i) => expect(gaps[i]).toBeGreaterThanOrEqual(floor - 2));
    expect(supplier.notices?.()).toEqual([
      expect.objectContaining({
        reason: 'retry_after_unusable',
        said: expect.objectContaining({ en: expect.stringContaining('Retry-After: "0"') as string }) as unknown,
      }),
    ]);
  });

  it('one attempt without a usable answer is said without 「とも」', async () => {
    const transport = playing((n) => (n === 1 ? answer(503) : answer(429, undefined, { 'retry-after': '100000' })));
    const supplier = createSupplierClient(transport, fast);
    const outcome = await supplier.setQuantity(link('A'));
    expect(outcome).toMatchObject({
      kind: 'unavailable',
      said: { ja: expect.stringMatching(/^仕入元から有効な応答がありませんでした（1 回: HTTP 503）。再試行しません: /) as string },
    });
  });
});
