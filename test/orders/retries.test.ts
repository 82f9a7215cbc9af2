import { describe, expect, it } from 'vitest';
import { resumeOpenOrders } from '../../src/orders/orderSteps.js';
import { runCancelFile } from '../../src/cancel/runCancel.js';
import { loadSubscriptionSeeds } from '../../src/store/supplierSeeds.js';
import { createSupplierClient, startSupplierServer, type SimKnobs, type Supplier } from '../../src/supplier/index.js';
import { createHttpTransport, type Transport } from '../../src/supplier/transport.js';
import { useTempDir } from '../support/setup.js';
import { cancelOptions, expectAllSettledAndAgreed, lineStates, readResult, withImportedStore } from './harness.js';
import { knexOf } from '../../src/store/store.js';

const tmp = useTempDir();
const ROWS = 40;

interface Sent {
  method: string;
  subscriptionId: string;
  key: string | undefined;
  body: unknown;
  status: number | 'no answer';
}

/**
 * An HTTP supplier whose every request and answer is written down. With `failChanges`, every
 * change (PATCH) is answered 503 on the way, as by a gateway in front of a supplier that can
 * be read but not changed: the GET before each change is answered, so the changes leave.
 */
function recordingSupplier(url: string, log: Sent[], policy: { maxAttempts: number }, failChanges = false): Supplier {
  const http = createHttpTransport(url);
  const transport: Transport = async (req, signal) => {
    const entry: Sent = {
      method: req.method,
      subscriptionId: decodeURIComponent(req.path.split('/').pop() ?? ''),
      key: req.headers['idempotency-key'],
      body: req.body,
      status: 'no answer',
    };
    log.push(entry);
    if (failChanges && req.method === 'PATCH') {
      entry.status = 503;
      return { status: 503, headers: {}, body: { code: 'SERVICE_UNAVAILABLE', description: 'the service is temporarily unavailable' } };
    }
    const res = await http.transport(req, signal);
    entry.status = res.status;
    return res;
  };
  return createSupplierClient(transport, { timeoutMs: 3_000, baseDelayMs: 1, maxDelayMs: 3, ...policy }, { onClose: () => http.close() });
}

const knobs = (failRate: number): SimKnobs => ({ latencyMs: 2, failRate, rateLimit: 0, asyncRate: 0, seed: 3 });

describe('supplier unreachable until retries are exhausted', () => {
  it('leaves rows pending with SUPPLIER_UNAVAILABLE, and a later resume against a healthy supplier completes them with the same keys and targets', async () => {
    let up: Awaited<ReturnType<typeof startSupplierServer>> | null = null;
    await withImportedStore(tmp.make('exhausted'), { rows: ROWS, prefix: 'RTY' }, async ({ deps, gen }) => {
      const broken = await startSupplierServer({ port: 0, knobs: knobs(0), seeds: await loadSubscriptionSeeds(knexOf(deps.store)) });
      const firstLog: Sent[] = [];
      deps.setSupplier(() => recordingSupplier(broken.url, firstLog, { maxAttempts: 3 }, true));
      const first = await runCancelFile(deps, gen.cancel, cancelOptions()).finally(() => broken.close());

      expect(first.exitCode).toBe(1);
      expect(first.counts.pending).toBe(ROWS);
      expect(first.advance).toMatchObject({ accepted: ROWS, sent: ROWS, unavailable: ROWS, confirmed: 0 });
      for (const row of readResult(first.resultPath)) {
        expect(row.result).toBe('pending');
        expect(row.error_code).toBe('SUPPLIER_UNAVAILABLE');
        expect(row.order_status).toBe('accepted');
        expect(row.linkage_status).toBe('unlinked');
        expect(row.error_message).toMatch(/after 3 attempts/);
      }
      const stuck = await lineStates(deps.store);
      expect(stuck).toHaveLength(ROWS);
      for (const l of stuck) {
        expect(l.orderStatus).toBe('accepted');
        expect(l.linkageStatus).toBe('unlinked');
        expect(l.linkageCode).toBe('SUPPLIER_UNAVAILABLE');
        expect(l.sentAt).not.toBeNull();
      }
      // Each line: one GET (the supplier holds the quantity before), then three PATCHes answered 503.
      expect(firstLog.filter((c) => c.method === 'GET' && c.status === 200)).toHaveLength(ROWS);
      expect(firstLog.filter((c) => c.method === 'PATCH' && c.status === 503)).toHaveLength(ROWS * 3);
      expect(firstLog).toHaveLength(ROWS * 4);

      // Nothing landed: the new supplier is seeded from the store with the original quantities.
      const seeds = await loadSubscriptionSeeds(knexOf(deps.store));
      expect(seeds.every((s) => s.quantity === 5)).toBe(true);
      up = await startSupplierServer({ port: 0, knobs: knobs(0), seeds });
      const secondLog: Sent[] = [];
      deps.setSupplier(() => recordingSupplier(up!.url, secondLog, { maxAttempts: 3 }));
      const resumed = await resumeOpenOrders(deps, { until: 'completed', concurrency: 16, confirmUnsettled: false });
      expect(resumed.orders).toBe(ROWS);
      expect(resumed.counts).toMatchObject({ sent: ROWS, settled: ROWS, confirmed: ROWS, unavailable: 0, rejected: 0 });

      const done = await lineStates(deps.store);
      for (const l of done) expect([l.orderStatus, l.linkageStatus, l.linkageCode]).toEqual(['completed', 'linked', null]);

      // The same line went out with the same key and the same target in both runs.
      const meaning = (log: Sent[]) => {
        const out = new Map<string, Set<string>>();
        for (const c of log) if (c.method === 'PATCH') out.set(c.subscriptionId, (out.get(c.subscriptionId) ?? new Set()).add(JSON.stringify([c.key, c.body])));
        return out;
      };
      const before = meaning(firstLog);
      const after = meaning(secondLog);
      expect(after.size).toBe(ROWS);
      for (const l of done) {
        // The line's own key, stored when it was created: a UUID, not derived from its id.
        expect(l.idempotencyKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        const expected = JSON.stringify([l.idempotencyKey, l.quantityAfter === 0 ? { status: 'deleted' } : { quantity: l.quantityAfter }]);
        expect([...before.get(l.subscriptionId)!]).toEqual([expected]);
        expect([...after.get(l.subscriptionId)!]).toEqual([expected]);
      }
      // The simulator saw the same keys too (its own call log).
      const simKeys = new Map(
        up.simulator
          .callLog()
          .filter((c) => c.method === 'PATCH')
          .map((c) => [c.subscriptionId, c.idempotencyKey]),
      );
      for (const l of done) expect(simKeys.get(l.subscriptionId)).toBe(l.idempotencyKey);

      // Supplier and store agree.
      await expectAllSettledAndAgreed(deps.store, up.simulator.stats().subscriptions);
    }).finally(() => up?.close());
  });
});
