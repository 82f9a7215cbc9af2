import { describe, expect, it } from 'vitest';
import {
  createSimSupplier,
  createSupplier,
  createSupplierClient,
  TransportError,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from '../../src/supplier/index.js';
import { knobs, seeds } from './builders.js';

const fast = { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 1_000 };
const link = (subscriptionId: string, targetQuantity: number, idempotencyKey = `line-${subscriptionId}-${targetQuantity}`) => ({
  customer: 'Contoso',
  subscriptionId,
  targetQuantity,
  idempotencyKey,
});

/** A transport that plays the given answers in order and records what was sent. */
function scripted(answers: Array<TransportResponse | Error>): Transport & { sent: Array<TransportRequest & { at: number }> } {
  const sent: Array<TransportRequest & { at: number }> = [];
  const transport = async (req: TransportRequest): Promise<TransportResponse> => {
    sent.push({ ...req, at: Date.now() });
    const next = answers.shift() ?? { status: 200, headers: {}, body: { quantity: 1, status: 'active' } };
    if (next instanceof Error) throw next;
    return next;
  };
  return Object.assign(transport, { sent });
}

const answer = (status: number, body?: unknown, headers: Record<string, string> = {}): TransportResponse => ({
  status,
  headers,
  ...(body === undefined ? {} : { body }),
});

describe('supplier client over the in-process simulator', () => {
  it('maps the answers to outcomes', async () => {
    const supplier = createSimSupplier(
      knobs(),
      [...seeds(2, 10), { customer: 'C', subscriptionId: 'NCE-LATE-1', quantity: 5 }, { customer: 'C', subscriptionId: 'SLOW-1', quantity: 5 }],
      fast,
    );
    expect(await supplier.setQuantity(link('SUB-1', 4))).toEqual({ kind: 'settled' });
    expect(await supplier.setQuantity(link('SUB-2', 0))).toEqual({ kind: 'settled' });
    expect(await supplier.setQuantity(link('NCE-LATE-1', 2))).toEqual({
      kind: 'rejected',
      code: '900214',
      message: expect.stringContaining('reduction') as string,
    });
    expect(await supplier.setQuantity(link('NCE-LATE-1', 0))).toMatchObject({ kind: 'rejected', code: '900117' });
    expect(await supplier.setQuantity(link('SUB-1', 9))).toMatchObject({ kind: 'rejected', code: '800090' });
    expect(await supplier.setQuantity(link('NOPE', 0))).toMatchObject({ kind: 'rejected', code: 'NOT_FOUND' });
    expect(await supplier.setQuantity(link('SLOW-1', 0))).toEqual({ kind: 'accepted' });

    const check = () => supplier.checkSettlement({ customer: 'C', subscriptionId: 'SLOW-1' });
    expect([(await check()).kind, (await check()).kind]).toEqual(['pending', 'pending']);
    expect(await check()).toEqual({ kind: 'settled', quantity: 0, status: 'deleted' });
    expect(await supplier.checkSettlement({ customer: 'C', subscriptionId: 'SUB-1' })).toEqual({ kind: 'settled', quantity: 4, status: 'active' });
    expect(await supplier.checkSettlement({ customer: 'C', subscriptionId: 'NOPE' })).toMatchObject({ kind: 'rejected', code: 'NOT_FOUND' });
    expect(supplier.stats()).toEqual({ calls: 12, retries: 0, throttled: 0, failures: 0 });
    await supplier.close();
  });

  it('sends the same key twice and the change applies once', async () => {
    const supplier = createSimSupplier(knobs(), seeds(1, 10), fast);
    expect(await supplier.setQuantity(link('SUB-1', 3, 'line-7'))).toEqual({ kind: 'settled' });
    expect(await supplier.setQuantity(link('SUB-1', 3, 'line-7'))).toEqual({ kind: 'settled' });
    const resource = await supplier.simulator.handle({ method: 'GET', path: '/v1/customers/C/subscriptions/SUB-1', headers: {} });
    expect(resource.body).toMatchObject({ quantity: 3, etag: 'W/"2"' });
  });

  it('retries 503s until the change goes through', async () => {
    const supplier = createSimSupplier(knobs({ failRate: 0.5, seed: 3 }), seeds(30, 10), { ...fast, maxAttempts: 20 });
    const outcomes = await Promise.all(seeds(30, 10).map((s) => supplier.setQuantity(link(s.subscriptionId, 2))));
    expect(outcomes.every((o) => o.kind === 'settled')).toBe(true);
    const served = supplier.simulator.stats();
    expect(served.byStatus['503']).toBeGreaterThan(5);
    expect(supplier.stats()).toMatchObject({ calls: served.total, retries: served.byStatus['503'], failures: 0 });
  });

  it('times out a call that takes too long, even in process', async () => {
    const supplier = createSimSupplier(knobs({ latencyMs: 400 }), seeds(1, 10), { ...fast, timeoutMs: 20, maxAttempts: 2 });
    expect(await supplier.checkSettlement({ customer: 'C', subscriptionId: 'SUB-1' })).toEqual({
      kind: 'unavailable',
      said: expect.objectContaining({
        en: 'supplier unavailable after 2 attempts; last: timeout after 20 ms',
        ja: '仕入元から 2 回とも有効な応答がありませんでした（最後: 20 ms 以内に応答がありませんでした）',
      }) as unknown,
    });
    // The abandoned first PATCH is still being processed, so its retry meets 409.
    expect(await supplier.setQuantity(link('SUB-1', 2))).toMatchObject({
      kind: 'unavailable',
      said: { en: expect.stringMatching(/last: HTTP 409/) as string },
    });
    expect(supplier.stats()).toEqual({ calls: 4, retries: 2, throttled: 0, failures: 2 });
  });
});

describe('supplier client over a scripted transport', () => {
  it('sends {status: deleted} for 0, {quantity: N} otherwise, with the key', async () => {
    const transport = scripted([]);
    const supplier = createSupplierClient(transport, fast);
    await supplier.setQuantity({ customer: 'A&B 商事', subscriptionId: 'x/y', targetQuantity: 0, idempotencyKey: 'k0' });
    await supplier.setQuantity({ customer: 'A', subscriptionId: 'S', targetQuantity: 3, idempotencyKey: 'k3' });
    expect(transport.sent.map(({ at: _at, ...req }) => req)).toEqual([
      {
        method: 'PATCH',
        path: '/v1/customers/A%26B%20%E5%95%86%E4%BA%8B/subscriptions/x%2Fy',
        headers: { 'idempotency-key': 'k0' },
        body: { status: 'deleted' },
      },
      { method: 'PATCH', path: '/v1/customers/A/subscriptions/S', headers: { 'idempotency-key': 'k3' }, body: { quantity: 3 } },
    ]);
    await expect(supplier.setQuantity(link('S', -1))).rejects.toThrow(RangeError);
    await expect(supplier.setQuantity(link('S', 1.5))).rejects.toThrow(RangeError);
  });

  it('retries 409, 500 and dropped connections, then gives the answer', async () => {
    const transport = scripted([answer(409), answer(500), new TransportError('dropped', 'connection dropped (ECONNRESET)'), answer(202)]);
    const supplier = createSupplierClient(transport, fast);
    expect(await supplier.setQuantity(link('S', 1))).toEqual({ kind: 'accepted' });
    expect(supplier.stats()).toEqual({ calls: 4, retries: 3, throttled: 0, failures: 0 });
    expect(new Set(transport.sent.map((r) => r.headers['idempotency-key'])).size).toBe(1);
  });

  it('reports unavailable with the last status once attempts run out', async () => {
    const transport = scripted([answer(503), answer(503), answer(503, { code: 'X', description: 'maintenance' })]);
    const supplier = createSupplierClient(transport, { ...fast, maxAttempts: 3 });
    expect(await supplier.setQuantity(link('S', 1))).toEqual({
      kind: 'unavailable',
      said: expect.objectContaining({
        en: 'supplier unavailable after 3 attempts; last: HTTP 503 (maintenance)',
        ja: '仕入元から 3 回とも有効な応答がありませんでした（最後: HTTP 503（maintenance））',
      }) as unknown,
    });
    expect(supplier.stats()).toEqual({ calls: 3, retries: 2, throttled: 0, failures: 1 });
  });

  it('backs off exponentially with full jitter, capped', async () => {
    const transport = scripted([answer(503), answer(503), answer(503), answer(503), answer(200)]);
    const supplier = createSupplierClient(transport, { baseDelayMs: 20, maxDelayMs: 50, maxAttempts: 6 }, { random: () => 0.999 });
    await supplier.setQuantity(link('S', 1));
    const gaps = transport.sent.slice(1).map((r, i) => r.at - (transport.sent[i]?.at ?? 0));
    // ceilings 20, 40, 80→50, 160→50 ms, times ~1; timers may fire late, never early.
    [20, 40, 50, 50].forEach((ceiling, i) => expect(gaps[i]).toBeGreaterThanOrEqual(ceiling - 2));
    // Uncapped, the last wait would be ~160 ms; the cap holds it at 50 (a busy machine may add some).
    expect(gaps[3]).toBeLessThan(155);
  });

  it("maps permanent refusals in the supplier's words; a refusal without them is not taken for one", async () => {
    const transport = scripted([
      answer(400, { code: 900257, description: 'too late' }),
      answer(422, { code: 'IDEMPOTENCY_KEY_REUSED', description: 'other change' }),
      answer(404, { code: 'NOT_FOUND', description: 'gone' }),
      answer(404),
      // A refusal with no supplier body (empty, text): an answer that cannot be read, retried, then unavailable.
      answer(400),
      answer(422, 'nope'),
    ]);
    const supplier = createSupplierClient(transport, { ...fast, maxAttempts: 2 });
    expect(await supplier.setQuantity(link('S', 1))).toEqual({ kind: 'rejected', code: '900257', message: 'too late' });
    expect(await supplier.setQuantity(link('S', 1))).toEqual({ kind: 'rejected', code: 'IDEMPOTENCY_KEY_REUSED', message: 'other change' });
    expect(await supplier.checkSettlement({ customer: 'C', subscriptionId: 'S' })).toEqual({ kind: 'rejected', code: 'NOT_FOUND', message: 'gone' });
    expect(await supplier.checkSettlement({ customer: 'C', subscriptionId: 'S' })).toEqual({ kind: 'rejected', code: 'NOT_FOUND', message: 'HTTP 404' });
    expect(await supplier.setQuantity(link('S', 1))).toMatchObject({
      kind: 'unavailable',
      said: { en: 'supplier unavailable after 2 attempts; last: an answer that could not be read (HTTP 422: nope)' },
    });
  });

  it('holds every call of the instance until Retry-After has passed', async () => {
    const transport = scripted([answer(429, undefined, { 'retry-after': '0.3' })]);
    const supplier = createSupplierClient(transport, fast);
    const throttledCall = supplier.setQuantity(link('A', 1));
    while (supplier.stats().throttled === 0) await new Promise((r) => setImmediate(r));
    await Promise.all([throttledCall, ...['B', 'C', 'D'].map((id) => supplier.setQuantity(link(id, 1)))]);
    const [throttled, ...afterThrottle] = transport.sent;
    expect(afterThrottle).toHaveLength(4);
    for (const req of afterThrottle) expect(req.at).toBeGreaterThanOrEqual((throttled?.at ?? Infinity) + 295);
    expect(supplier.stats()).toEqual({ calls: 5, retries: 1, throttled: 1, failures: 0 });
  });

  it('does not spend attempts on 429 but gives up on a supplier that throttles for ever', async () => {
    const transport = scripted(Array.from({ length: 100 }, () => answer(429, undefined, { 'retry-after': '0' })));
    const supplier = createSupplierClient(transport, { ...fast, maxAttempts: 2 });
    // Every attempt was turned away unread: nothing was sent.
    expect(await supplier.setQuantity(link('S', 1))).toEqual({
      kind: 'unavailable',
      unsent: true,
      said: expect.objectContaining({ en: 'supplier kept throttling (HTTP 429 20 times)', ja: '仕入元が流量制限を続けました（HTTP 429 が 20 回）' }) as unknown,
    });
    expect(supplier.stats()).toMatchObject({ throttled: 20, failures: 1 });
  });

  it('refuses to work after close', async () => {
    const supplier = createSupplierClient(scripted([]), fast);
    await supplier.close();
    await expect(supplier.setQuantity(link('S', 1))).rejects.toThrow(/closed/);
  });
});

describe('createSupplier', () => {
  it('picks the simulator for "sim", HTTP for a URL, and refuses anything else', async () => {
    const sim = createSupplier('sim', knobs(), seeds(1, 2));
    expect(await sim.setQuantity(link('SUB-1', 1))).toEqual({ kind: 'settled' });
    await sim.close();
    const http = createSupplier('http://127.0.0.1:9', knobs(), []);
    await http.close();
    expect(() => createSupplier('ftp://x', knobs(), [])).toThrow(/sim.*URL/);
  });
});
