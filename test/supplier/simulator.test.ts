import { describe, expect, it } from 'vitest';
import { SupplierSimulator } from '../../src/supplier/sim/simulator.js';
import { get, knobs, patch, seeds, subscriptionUrlPath } from './builders.js';

function bodyOf(response: { body?: unknown }): Record<string, unknown> {
  return response.body as Record<string, unknown>;
}

describe('SupplierSimulator: the resource', () => {
  it('answers GET with the subscription and 404 for an unknown id', async () => {
    const sim = new SupplierSimulator(knobs(), seeds(1, 5));
    const found = await get(sim, 'SUB-1');
    expect(found.status).toBe(200);
    expect(bodyOf(found)).toMatchObject({ id: 'SUB-1', quantity: 5, status: 'active', provisioning: 'succeeded', refundableQuantity: 5 });
    expect((await get(sim, 'SUB-404')).status).toBe(404);
  });

  it('decodes URL-encoded path segments and ignores the customer spelling', async () => {
    const sim = new SupplierSimulator(knobs(), [{ customer: '株式会社テスト', subscriptionId: 'a/b c?ä', quantity: 3 }]);
    const path = subscriptionUrlPath('a/b c?ä', '株式会社 テスト（東京）');
    const response = await sim.handle({ method: 'GET', path, headers: {} });
    expect(response.status).toBe(200);
    expect(bodyOf(response)).toMatchObject({ id: 'a/b c?ä', customer: '株式会社テスト' });
    expect((await sim.handle({ method: 'GET', path: '/v1/customers/x/subscriptions/%E0%A4%A', headers: {} })).status).toBe(400);
  });

  it('reduces to an absolute quantity and cancels with status deleted', async () => {
    const sim = new SupplierSimulator(knobs(), seeds(1, 10));
    const reduced = await patch(sim, 'SUB-1', { quantity: 4 }, 'line-1');
    expect(reduced.status).toBe(200);
    expect(bodyOf(reduced)).toMatchObject({ quantity: 4, status: 'active' });
    const cancelled = await patch(sim, 'SUB-1', { status: 'deleted' }, 'line-2');
    expect(cancelled.status).toBe(200);
    expect(bodyOf(cancelled)).toMatchObject({ quantity: 0, status: 'deleted' });
    expect(sim.stats().subscriptions['SUB-1']).toMatchObject({ quantity: 0, status: 'deleted', lastTarget: 0 });
  });

  it('refuses increases, changes to a deleted subscription and malformed changes', async () => {
    const sim = new SupplierSimulator(knobs(), [...seeds(1, 10), { customer: 'C', subscriptionId: 'GONE', quantity: 0 }]);
    expect(bodyOf(await patch(sim, 'SUB-1', { quantity: 11 }, 'k1'))).toMatchObject({ code: 800090 });
    expect(bodyOf(await patch(sim, 'GONE', { quantity: 1 }, 'k2'))).toMatchObject({ code: 800091 });
    for (const body of [{ quantity: 0 }, { quantity: 2.5 }, { status: 'active' }, { quantity: 2, status: 'deleted' }, null, 'x']) {
      const response = await patch(sim, 'SUB-1', body, `bad-${JSON.stringify(body)}`);
      expect(response.status).toBe(400);
      expect(bodyOf(response)).toMatchObject({ code: 'INVALID_BODY' });
    }
    const noKey = await sim.handle({ method: 'PATCH', path: subscriptionUrlPath('SUB-1'), headers: {}, body: { quantity: 1 } });
    expect(bodyOf(noKey)).toMatchObject({ code: 'IDEMPOTENCY_KEY_REQUIRED' });
    expect(sim.stats().subscriptions['SUB-1']?.quantity).toBe(10);
  });
});

describe('SupplierSimulator: fixed rules', () => {
  it('NCE-LATE- refuses a reduction with 900214 and a cancellation with 900117', async () => {
    const sim = new SupplierSimulator(knobs(), [{ customer: 'C', subscriptionId: 'NCE-LATE-1', quantity: 5 }]);
    const reduction = await patch(sim, 'NCE-LATE-1', { quantity: 2 }, 'k1');
    expect(reduction.status).toBe(400);
    expect(bodyOf(reduction)).toMatchObject({ code: 900214 });
    expect(bodyOf(reduction)['description']).toEqual(expect.stringContaining('reduction'));
    const cancellation = await patch(sim, 'NCE-LATE-1', { status: 'deleted' }, 'k2');
    expect(cancellation.status).toBe(400);
    expect(bodyOf(cancellation)).toMatchObject({ code: 900117 });
    expect(bodyOf(await get(sim, 'NCE-LATE-1'))).toMatchObject({ quantity: 5, status: 'active', refundableQuantity: 0 });
  });

  it('SLOW- answers 202 with Location and settles on the third GET after the change', async () => {
    const sim = new SupplierSimulator(knobs(), [{ customer: 'C', subscriptionId: 'SLOW-1', quantity: 5 }]);
    const accepted = await patch(sim, 'SLOW-1', { status: 'deleted' }, 'k1');
    expect(accepted.status).toBe(202);
    expect(accepted.headers['location']).toBe(subscriptionUrlPath('SLOW-1'));
    const provisioning = [];
    for (let i = 0; i < 4; i++) provisioning.push(bodyOf(await get(sim, 'SLOW-1'))['provisioning']);
    expect(provisioning).toEqual(['pending', 'pending', 'succeeded', 'succeeded']);
  });

  it('a change answered 202 under async-rate settles on the second GET after it', async () => {
    const sim = new SupplierSimulator(knobs({ asyncRate: 1 }), seeds(1, 5));
    expect((await patch(sim, 'SUB-1', { quantity: 3 }, 'k1')).status).toBe(202);
    expect(bodyOf(await get(sim, 'SUB-1'))).toMatchObject({ provisioning: 'pending', quantity: 3 });
    expect(bodyOf(await get(sim, 'SUB-1'))).toMatchObject({ provisioning: 'succeeded', quantity: 3 });
  });
});

describe('SupplierSimulator: idempotency', () => {
  it('the same key with the same body returns the same answer and applies once', async () => {
    const sim = new SupplierSimulator(knobs({ asyncRate: 0.5 }), seeds(1, 10));
    const first = await patch(sim, 'SUB-1', { quantity: 6 }, 'line-1');
    const again = await patch(sim, 'SUB-1', { quantity: 6 }, 'line-1');
    expect(again).toEqual(first);
    const resource = bodyOf(await get(sim, 'SUB-1'));
    expect(resource).toMatchObject({ quantity: 6, etag: 'W/"2"' });
  });

  it('the same target with a new key changes nothing', async () => {
    const sim = new SupplierSimulator(knobs(), seeds(1, 10));
    await patch(sim, 'SUB-1', { quantity: 6 }, 'line-1');
    const repeat = await patch(sim, 'SUB-1', { quantity: 6 }, 'line-1-resent');
    expect(repeat.status).toBe(200);
    expect(bodyOf(repeat)).toMatchObject({ quantity: 6, etag: 'W/"2"' });
  });

  it('the same key with a different body is refused with 422', async () => {
    const sim = new SupplierSimulator(knobs(), seeds(1, 10));
    await patch(sim, 'SUB-1', { quantity: 6 }, 'line-1');
    const reused = await patch(sim, 'SUB-1', { quantity: 5 }, 'line-1');
    expect(reused.status).toBe(422);
    expect(sim.stats().subscriptions['SUB-1']?.quantity).toBe(6);
  });

  it('answers 409 while a change with the same key is still in flight', async () => {
    const sim = new SupplierSimulator(knobs({ latencyMs: 40 }), seeds(1, 10));
    const first = patch(sim, 'SUB-1', { quantity: 6 }, 'line-1');
    const concurrent = await patch(sim, 'SUB-1', { quantity: 6 }, 'line-1');
    expect(concurrent.status).toBe(409);
    expect((await first).status).toBe(200);
    const afterwards = await patch(sim, 'SUB-1', { quantity: 6 }, 'line-1');
    expect(afterwards).toEqual(await first);
    expect(sim.stats().byMethod['PATCH']).toEqual({ '200': 2, '409': 1 });
  });
});

describe('SupplierSimulator: knobs', () => {
  it('draws failures and 202s from the seed, not from the order of calls', async () => {
    const settings = knobs({ failRate: 0.4, asyncRate: 0.4, latencyMs: 3, seed: 42 });
    const ids = seeds(60, 10).map((s) => s.subscriptionId);
    const forward = new SupplierSimulator(settings, seeds(60, 10));
    const backward = new SupplierSimulator(settings, seeds(60, 10));
    const statusesOf = async (sim: SupplierSimulator, order: string[]): Promise<Record<string, number[]>> => {
      const out: Record<string, number[]> = {};
      await Promise.all(
        order.map(async (id) => {
          const statuses: number[] = [];
          for (let i = 0; i < 4; i++) statuses.push((await patch(sim, id, { quantity: 3 }, `line-${id}`)).status);
          out[id] = statuses;
        }),
      );
      return out;
    };
    const a = await statusesOf(forward, ids);
    const b = await statusesOf(backward, [...ids].reverse());
    expect(b).toEqual(a);
    const all = Object.values(a).flat();
    expect(all).toContain(503);
    expect(all).toContain(202);
    expect(all).toContain(200);

    const otherSeed = await statusesOf(new SupplierSimulator({ ...settings, seed: 43 }, seeds(60, 10)), ids);
    expect(otherSeed).not.toEqual(a);
  });

  it('varies latency around the mean, deterministically', async () => {
    const sim = new SupplierSimulator(knobs({ latencyMs: 20 }), seeds(20, 10));
    const started = Date.now();
    await Promise.all(seeds(20, 10).map((s) => get(sim, s.subscriptionId)));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(10);
  });

  it('rate-limits with a token bucket and answers 429 with Retry-After', async () => {
    let now = 1_000_000;
    const sim = new SupplierSimulator(knobs({ rateLimit: 2 }), seeds(1, 10), () => now);
    expect((await get(sim, 'SUB-1')).status).toBe(200);
    expect((await get(sim, 'SUB-1')).status).toBe(200);
    const throttled = await get(sim, 'SUB-1');
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('1');
    now += 500;
    expect((await get(sim, 'SUB-1')).status).toBe(200);
    expect((await get(sim, 'SUB-1')).status).toBe(429);
    expect(sim.stats().byStatus).toEqual({ '200': 3, '429': 2 });
  });

  it('counts calls by method and status, and /_sim/stats is not counted', async () => {
    const sim = new SupplierSimulator(knobs(), seeds(2, 10));
    await get(sim, 'SUB-1');
    await get(sim, 'NOPE');
    await patch(sim, 'SUB-2', { status: 'deleted' }, 'k');
    const response = await sim.handle({ method: 'GET', path: '/_sim/stats', headers: {} });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      total: 3,
      byMethod: { GET: { '200': 1, '404': 1 }, PATCH: { '200': 1 } },
      subscriptions: { 'SUB-2': { lastTarget: 0, status: 'deleted' }, 'SUB-1': { lastTarget: null } },
    });
    expect(sim.callLog().map((c) => [c.method, c.subscriptionId, c.status])).toEqual([
      ['GET', 'SUB-1', 200],
      ['GET', 'NOPE', 404],
      ['PATCH', 'SUB-2', 200],
    ]);
  });

  it('rejects impossible knobs', () => {
    expect(() => new SupplierSimulator(knobs({ failRate: 2 }), [])).toThrow(/failRate/);
    expect(() => new SupplierSimulator(knobs({ latencyMs: -1 }), [])).toThrow(/latencyMs/);
  });
});
