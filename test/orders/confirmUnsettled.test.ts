import { describe, expect, it } from 'vitest';
import { resumeOpenOrders } from '../../src/orders/orderSteps.js';
import { runCancelFile } from '../../src/cancel/runCancel.js';
import { loadSubscriptionSeeds } from '../../src/store/supplierSeeds.js';
import { createSimSupplier } from '../../src/supplier/index.js';
import { type Generated, useTempDir } from '../support/setup.js';
import { cancelOptions, expectedTarget, FAST_RETRY, isSlow, lineStates, readResult, storeLines, type TestDeps, withImportedStore } from './harness.js';
import { knexOf } from '../../src/store/store.js';

const tmp = useTempDir();
const ROWS = 20;
const SLOW = 4;

/** A store with ROWS contracts, SLOW of them on SLOW- subscriptions, and the simulator that holds them. */
async function withSlowLines(
  name: string,
  work: (o: { gen: Generated; deps: TestDeps; sim: ReturnType<typeof createSimSupplier> }) => Promise<void>,
): Promise<void> {
  await withImportedStore(tmp.make(name), { rows: ROWS, slow: SLOW, prefix: 'UNS' }, async ({ gen, deps }) => {
    const sim = createSimSupplier(
      { latencyMs: 2, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 5 },
      await loadSubscriptionSeeds(knexOf(deps.store)),
      FAST_RETRY,
    );
    deps.setSupplier(() => sim);
    await work({ gen, deps, sim });
  });
}

describe('--confirm-unsettled', () => {
  it('confirms orders whose SLOW- lines the supplier has not settled: the contract line takes the new quantity', async () => {
    await withSlowLines('unsettled', async ({ gen, deps, sim }) => {
      const first = await runCancelFile(deps, gen.cancel, cancelOptions({ confirmUnsettled: true }));
      expect(first.exitCode).toBe(0);
      expect(first.counts.completed).toBe(ROWS);
      expect(first.advance).toMatchObject({ sent: ROWS, settled: ROWS - SLOW, pending: SLOW, confirmed: ROWS });

      const rows = readResult(first.resultPath);
      const slowRows = rows.filter((r) => Number(r.contract_no.slice(-10)) <= SLOW);
      expect(slowRows).toHaveLength(SLOW);
      for (const r of slowRows) expect([r.result, r.order_status, r.linkage_status, r.error_code]).toEqual(['completed', 'completed', 'pending', '']);

      // The order is completed, the line keeps saying what the supplier said (pending).
      const lines = await lineStates(deps.store);
      for (const l of lines) {
        expect(l.orderStatus).toBe('completed');
        expect(l.linkageStatus).toBe(isSlow(l.subscriptionId) ? 'pending' : 'linked');
      }
      const store = await storeLines(deps.store);
      const atSupplier = sim.simulator.stats().subscriptions;
      for (const [sub, line] of store) {
        const target = expectedTarget(Number(line.contractNo.slice(-10)));
        expect(line.quantity, sub).toBe(target);
        expect(line.status).toBe(target === 0 ? 'cancelled' : 'active');
        // The change was applied at the supplier when it answered 202; only settling is left.
        expect(atSupplier[sub]?.quantity).toBe(target);
        expect(atSupplier[sub]?.pending).toBe(isSlow(sub));
      }
      const cancelledContracts = await knexOf(deps.store)('contracts').where({ status: 'cancelled' }).count({ n: '*' }).first();
      expect(Number(cancelledContracts?.['n'])).toBe([...store.values()].filter((l) => l.quantity === 0).length);

      // Resume keeps asking the supplier about lines confirmed unsettled until it has settled
      // (SLOW- settles on the third GET); then they are linked and nothing is left to follow.
      for (let i = 0; i < 3; i++) {
        const resumed = await resumeOpenOrders(deps, { until: 'completed', concurrency: 16, confirmUnsettled: false });
        expect(resumed.orders).toBe(SLOW);
        expect(resumed.counts.sent).toBe(0);
      }
      for (const l of await lineStates(deps.store)) expect([l.orderStatus, l.linkageStatus]).toEqual(['completed', 'linked']);
      expect((await resumeOpenOrders(deps, { until: 'completed', concurrency: 16, confirmUnsettled: false })).orders).toBe(0);
      // A new supplier seeded from the store starts where the confirmed quantities are.
      const seeds = new Map((await loadSubscriptionSeeds(knexOf(deps.store))).map((s) => [s.subscriptionId, s.quantity]));
      for (const [sub, line] of store) expect(seeds.get(sub)).toBe(line.quantity);

      const again = await runCancelFile(deps, gen.cancel, cancelOptions({ confirmUnsettled: true }));
      expect(again.counts.already_done).toBe(ROWS);
      expect(again.exitCode).toBe(0);
    });
  });

  it('without it, the same SLOW- orders wait accepted and the rows are pending', async () => {
    await withSlowLines('settled', async ({ gen, deps }) => {
      const first = await runCancelFile(deps, gen.cancel, cancelOptions());
      expect(first.exitCode).toBe(1);
      expect(first.counts).toMatchObject({ completed: ROWS - SLOW, pending: SLOW });
      const store = await storeLines(deps.store);
      for (const [sub, line] of store) {
        // Not confirmed: the contract line keeps its quantity while the supplier already holds the target.
        if (isSlow(sub)) expect(line.quantity).toBe(5);
      }
    });
  });
});
