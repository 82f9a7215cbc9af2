import { describe, expect, it } from 'vitest';
import { confirmOrder, linkOrder, resumeOpenOrders, withdrawOrderAcceptance } from '../../src/orders/orderSteps.js';
import { runCancelFile } from '../../src/cancel/runCancel.js';
import { loadSubscriptionSeeds } from '../../src/store/supplierSeeds.js';
import { createHttpSupplier, createSimSupplier, startSupplierServer } from '../../src/supplier/index.js';
import { useTempDir } from '../support/setup.js';
import { cancelOptions, changesFailing, expectAllSettledAndAgreed, lineStates, readResult, withImportedStore } from './harness.js';
import { knexOf } from '../../src/store/store.js';

const tmp = useTempDir();

describe('one order at a time after the supplier was unreachable', () => {
  it('`orders link` sends again a line whose earlier send was never answered, with the same key', async () => {
    await withImportedStore(tmp.make('link-again'), { rows: 3, prefix: 'ONE' }, async ({ deps, gen }) => {
      const seeds = await loadSubscriptionSeeds(knexOf(deps.store));
      const down = changesFailing({ latencyMs: 1, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 1 }, seeds, { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 });
      deps.setSupplier(() => down);
      const first = await runCancelFile(deps, gen.cancel, cancelOptions());
      expect(readResult(first.resultPath).map((r) => r.error_code)).toEqual(['SUPPLIER_UNAVAILABLE', 'SUPPLIER_UNAVAILABLE', 'SUPPLIER_UNAVAILABLE']);
      const [line] = await lineStates(deps.store);
      expect(line).toMatchObject({ orderStatus: 'accepted', linkageStatus: 'unlinked', linkageCode: 'SUPPLIER_UNAVAILABLE' });

      // It may have reached the supplier: acceptance can no longer be withdrawn.
      await expect(withdrawOrderAcceptance(deps, line!.orderNo)).rejects.toMatchObject({ detail: 'ALREADY_ORDERED' });
      // Nor can it be confirmed, not even unsettled: nothing says the supplier took it. The
      // refusal names the reason (not linked) rather than a race that did not happen.
      const endDate = new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10);
      for (const confirmUnsettled of [false, true]) {
        await expect(confirmOrder(deps, line!.orderNo, { endDate, confirmUnsettled })).rejects.toMatchObject({ detail: 'NOT_LINKED' });
      }
      expect((await lineStates(deps.store)).find((l) => l.orderLineId === line!.orderLineId)).toMatchObject({
        orderStatus: 'accepted',
        linkageStatus: 'unlinked',
      });

      const server = await startSupplierServer({
        port: 0,
        knobs: { latencyMs: 1, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 1 },
        seeds: await loadSubscriptionSeeds(knexOf(deps.store)),
      });
      try {
        deps.setSupplier(() => createHttpSupplier(server.url, { baseDelayMs: 1, maxDelayMs: 2 }));
        const counts = await linkOrder(deps, line!.orderNo, { concurrency: 4 });
        expect(counts).toMatchObject({ sent: 1, settled: 1 });
        const after = (await lineStates(deps.store)).find((l) => l.orderLineId === line!.orderLineId);
        expect(after).toMatchObject({ orderStatus: 'accepted', linkageStatus: 'linked', linkageCode: null });
        // The key it was first sent with (to the supplier that was down), stored with the line.
        expect(line!.idempotencyKey).not.toBeNull();
        expect(new Set(down.patches.filter((c) => c.subscriptionId === line!.subscriptionId).map((c) => c.key))).toEqual(new Set([line!.idempotencyKey]));
        // A GET (the supplier still holds the quantity before), then the change with the same key.
        expect(server.simulator.callLog().map((c) => [c.method, c.idempotencyKey])).toEqual([
          ['GET', null],
          ['PATCH', line!.idempotencyKey],
        ]);

        // The rest goes on with resume; supplier and store agree at the end.
        await resumeOpenOrders(deps, { until: 'completed', concurrency: 4, confirmUnsettled: false });
        await expectAllSettledAndAgreed(deps.store, server.simulator.stats().subscriptions);
      } finally {
        await server.close();
      }
    });
  });

  it('calls that time out while the supplier is still working are retried with the same key; each change applies once', async () => {
    const rows = 60;
    await withImportedStore(tmp.make('timeouts'), { rows, prefix: 'TMO' }, async ({ deps, gen }) => {
      // In process, so that timing is the simulator's and not a loaded box's HTTP stack:
      // latency is 20–60 ms and a 45 ms timeout abandons about 40 % of the calls mid-flight.
      // Timeouts that often, several in a row, would open the circuit breaker: this is about
      // the retries, so it is off (circuit.test.ts is about the breaker).
      const sim = createSimSupplier({ latencyMs: 40, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 4 }, await loadSubscriptionSeeds(knexOf(deps.store)), {
        timeoutMs: 45,
        maxAttempts: 12,
        baseDelayMs: 2,
        maxDelayMs: 10,
        circuitThreshold: 0,
      });
      const server = { simulator: sim.simulator };
      deps.setSupplier(() => sim);
      const first = await runCancelFile(deps, gen.cancel, cancelOptions());
      // A line whose calls kept timing out is left for a later run (409s count as attempts).
      for (let i = 0; i < 3 && (await resumeOpenOrders(deps, { until: 'completed', concurrency: 16, confirmUnsettled: false })).orders > 0; i++);
      const log = server.simulator.callLog();
      const statuses = new Map<number, number>();
      for (const c of log) statuses.set(c.status, (statuses.get(c.status) ?? 0) + 1);
      console.log(`[linkage timeouts] first run ${JSON.stringify(first.counts)}; supplier answers ${JSON.stringify(Object.fromEntries(statuses))}`);
      expect(log.length).toBeGreaterThan(rows);
      // Every key stays on one subscription, and one subscription sees one key.
      const keysBySub = new Map<string, Set<string>>();
      for (const c of log) if (c.idempotencyKey) keysBySub.set(c.subscriptionId!, (keysBySub.get(c.subscriptionId!) ?? new Set()).add(c.idempotencyKey));
      expect([...keysBySub.values()].every((k) => k.size === 1)).toBe(true);
      await expectAllSettledAndAgreed(deps.store, server.simulator.stats().subscriptions);
      expect(first.counts.completed).toBeGreaterThan(rows / 2);
    });
  });
});
