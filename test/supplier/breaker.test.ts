import { describe, expect, it } from 'vitest';
import {
  createSimSupplier,
  createSupplierClient,
  DEFAULT_RETRY_POLICY,
  TransportError,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from '../../src/supplier/index.js';
import { knobs, seeds } from './builders.js';

const fast = { baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 1_000 };
const link = (subscriptionId: string, targetQuantity = 1) => ({ customer: 'Contoso', subscriptionId, targetQuantity, idempotencyKey: `key-${subscriptionId}` });
const answer = (status: number, body?: unknown, headers: Record<string, string> = {}): TransportResponse => ({
  status,
  headers,
  ...(body === undefined ? {} : { body }),
});
const dropped = () => new TransportError('dropped', 'connection dropped (ECONNREFUSED)');
const timedOut = () => new TransportError('timeout', 'timeout after 200 ms');

/** Plays `next(request number)` for each request and records what was sent. */
function playing(next: (n: number, req: TransportRequest) => TransportResponse | Error): Transport & { sent: TransportRequest[] } {
  const sent: TransportRequest[] = [];
  const transport = async (req: TransportRequest): Promise<TransportResponse> => {
    sent.push(req);
    const out = next(sent.length, req);
    if (out instanceof Error) throw out;
    return out;
  };
  return Object.assign(transport, { sent });
}

describe('circuit breaker of the supplier client', () => {
  it('is on by default: 8 calls in a row without an answer open it', () => {
    expect(DEFAULT_RETRY_POLICY.circuitThreshold).toBe(8);
    expect(DEFAULT_RETRY_POLICY.timeoutMs).toBe(10_000);
    expect(
      createSupplierClient(
        playing(() => answer(200)),
        {},
      ).circuit?.(),
    ).toEqual({ open: false, failuresInRow: 0, threshold: 8, lastFailure: null, openedAt: null });
    expect(() =>
      createSupplierClient(
        playing(() => answer(200)),
        { circuitThreshold: -1 },
      ),
    ).toThrow(/circuitThreshold/);
  });

  it('opens after N failed calls in a row; then nothing leaves and operations give up at once, marked unsent', async () => {
    const transport = playing(() => dropped());
    const supplier = createSupplierClient(transport, { ...fast, maxAttempts: 3, circuitThreshold: 5 });
    // 3 + 2 calls: the second operation's second call opens the circuit, and it gives up
    // instead of its third attempt.
    expect(await supplier.setQuantity(link('A'))).toEqual({
      kind: 'unavailable',
      said: expect.objectContaining({
        en: 'supplier unavailable after 3 attempts; last: connection dropped (ECONNREFUSED)',
        ja: '仕入元から 3 回とも有効な応答がありませんでした（最後: 接続できませんでした（ECONNREFUSED））',
      }) as unknown,
    });
    expect(await supplier.setQuantity(link('B'))).toEqual({
      kind: 'unavailable',
      circuitOpen: true,
      said: expect.objectContaining({
        en: 'supplier unavailable after 2 attempts; last: connection dropped (ECONNREFUSED); not retried: the circuit is open after 5 calls in a row without an answer (last: connection dropped (ECONNREFUSED))',
        ja: '仕入元から 2 回とも有効な応答がありませんでした（最後: 接続できませんでした（ECONNREFUSED））。再試行しません: 5 回続けて仕入元から応答がなかったため、呼び出しを止めています（最後: 接続できませんでした（ECONNREFUSED））',
      }) as unknown,
    });
    expect(transport.sent).toHaveLength(5);
    for (const id of ['C', 'D', 'E']) {
      expect(await supplier.setQuantity(link(id))).toEqual({
        kind: 'unavailable',
        circuitOpen: true,
        unsent: true,
        said: expect.objectContaining({
          en: 'supplier unavailable, not sent: the circuit is open after 5 calls in a row without an answer (last: connection dropped (ECONNREFUSED))',
          ja: '送信していません: 5 回続けて仕入元から応答がなかったため、呼び出しを止めています（最後: 接続できませんでした（ECONNREFUSED））',
        }) as unknown,
      });
    }
    expect(await supplier.checkSettlement({ customer: 'C', subscriptionId: 'F' })).toMatchObject({ kind: 'unavailable', circuitOpen: true, unsent: true });
    expect(transport.sent).toHaveLength(5);
    expect(supplier.circuit?.()).toMatchObject({ open: true, failuresInRow: 5, threshold: 5, lastFailure: 'connection dropped (ECONNREFUSED)' });
    expect(supplier.stats()).toEqual({ calls: 5, retries: 3, throttled: 0, failures: 6 });

    // A reset (a new run) closes it: calls leave again.
    supplier.resetCircuit?.();
    expect(supplier.circuit?.()).toMatchObject({ open: false, failuresInRow: 0, lastFailure: null, openedAt: null });
    await supplier.setQuantity(link('G'));
    expect(transport.sent.length).toBeGreaterThan(5);
  });

  it('counts timeouts, dropped connections, 502 and 504; 500 and 503 neither count nor reset; any other answer resets', async () => {
    // Each operation gets one attempt, so each call is one operation and the count is easy to follow.
    const script: Array<TransportResponse | Error> = [
      timedOut(),
      dropped(),
      answer(502), // 3 in a row
      answer(503),
      answer(500), // neutral: still 3
      answer(404, { code: 'NOT_FOUND' }), // an answer: 0
      answer(504),
      timedOut(),
      answer(503),
      dropped(), // 3 (503 does not break the row)
      answer(409), // an answer: 0
      timedOut(),
      timedOut(),
      answer(400, { code: 900214, description: 'too late' }), // 0
      timedOut(),
      timedOut(),
      answer(200, { quantity: 1, status: 'active' }), // 0
      timedOut(),
      timedOut(),
      answer(429, undefined, { 'retry-after': '0' }), // 0, then the 429's retry:
      timedOut(),
      timedOut(),
      timedOut(),
      dropped(), // 4 in a row: open
    ];
    const transport = playing((n) => script[n - 1] ?? answer(200, { quantity: 1, status: 'active' }));
    const supplier = createSupplierClient(transport, { ...fast, maxAttempts: 1, circuitThreshold: 4 });
    const rows: Array<[number, boolean]> = [];
    for (let i = 0; transport.sent.length < script.length; i++) {
      await supplier.setQuantity(link(`S${i}`));
      const state = supplier.circuit!();
      rows.push([state.failuresInRow, state.open]);
    }
    // The 429 takes no attempt: its operation goes on to the next call (a timeout), so 24 calls are 23 operations.
    expect(rows.map(([n]) => n)).toEqual([1, 2, 3, 3, 3, 0, 1, 2, 2, 3, 0, 1, 2, 0, 1, 2, 0, 1, 2, 1, 2, 3, 4]);
    expect(rows.map(([, open]) => open)).toEqual([...Array<boolean>(22).fill(false), true]);
    expect(await supplier.setQuantity(link('after'))).toMatchObject({ kind: 'unavailable', unsent: true });
    expect(transport.sent).toHaveLength(script.length);
  });

  it('an operation waiting to retry gives up when the circuit opens, without waiting out its back-off', async () => {
    // The first operation fails once and backs off for a minute; the other calls open the
    // circuit meanwhile. Were the back-off waited out, this test would time out.
    let n = 0;
    const transport: Transport = async (req) => {
      n += 1;
      if (req.path.endsWith('/SLOWPOKE') && n > 1) throw new Error('the waiting operation must not be retried');
      throw dropped();
    };
    const supplier = createSupplierClient(
      transport,
      { baseDelayMs: 60_000, maxDelayMs: 60_000, timeoutMs: 1_000, maxAttempts: 5, circuitThreshold: 3 },
      { random: () => 0.999 },
    );
    const waiting = supplier.setQuantity(link('SLOWPOKE'));
    while (n === 0) await new Promise((r) => setImmediate(r));
    // Two more failures (their own back-offs are a minute too, so they hang on the open circuit as well).
    const others = [supplier.setQuantity(link('X')), supplier.setQuantity(link('Y'))];
    expect(await waiting).toMatchObject({
      kind: 'unavailable',
      circuitOpen: true,
      said: { en: expect.stringMatching(/^supplier unavailable after 1 attempts; .*; not retried: the circuit is open/) as string },
    });
    for (const o of await Promise.all(others)) expect(o).toMatchObject({ kind: 'unavailable', circuitOpen: true });
    expect(n).toBe(3);
  });

  it('threshold 0 never opens', async () => {
    const transport = playing(() => timedOut());
    const supplier = createSupplierClient(transport, { ...fast, maxAttempts: 2, circuitThreshold: 0 });
    for (let i = 0; i < 10; i++)
      expect(await supplier.setQuantity(link(`S${i}`))).toMatchObject({
        kind: 'unavailable',
        said: { en: 'supplier unavailable after 2 attempts; last: timeout after 200 ms' },
      });
    expect(transport.sent).toHaveLength(20);
    expect(supplier.circuit?.().open).toBe(false);
  });

  it('works the same over the in-process simulator: calls that time out open it', async () => {
    // 200–600 ms per call against a 10 ms timeout: every call times out.
    const sim = createSimSupplier(knobs({ latencyMs: 400 }), seeds(50, 10), { ...fast, timeoutMs: 10, maxAttempts: 3, circuitThreshold: 6 });
    const outcomes = await Promise.all(seeds(50, 10).map((s) => sim.setQuantity(link(s.subscriptionId, 2))));
    expect(outcomes.every((o) => o.kind === 'unavailable' && o.circuitOpen === true)).toBe(true);
    // All 50 leave at once (their first attempts) and the circuit opens on the 6th timeout:
    // a retry or two may leave before it does, not the 100 that 3 attempts each would send.
    expect(sim.stats().calls).toBeGreaterThanOrEqual(50);
    expect(sim.stats().calls).toBeLessThan(60);
    expect(sim.circuit?.().open).toBe(true);
    await sim.close();
  });
});
