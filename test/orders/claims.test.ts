/**
 * Linkage claims (store/linkClaims.ts), in process: a run sends only the lines it claimed.
 * A line another live run holds is left to it (and its row says so); a claim whose lease
 * lapsed, or whose holder's process is gone from this host, is taken over at once; and a
 * run whose claim was taken over while it linked (its lease had lapsed) stops sending those
 * lines. On SQLite, and on PostgreSQL when KAIYAKU_TEST_PG_URL is set.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { advanceOrders } from '../../src/orders/advance.js';
import { resumeOpenOrders } from '../../src/orders/orderSteps.js';
import { runCancelFile } from '../../src/cancel/runCancel.js';
import { createSimSupplier } from '../../src/supplier/index.js';
import { aPgSchema, PG_URL } from '../store/pgSchema.js';
import { generate, useTempDir } from '../support/setup.js';
import { cancelOptions, importGenerated, lineStates, makeDeps, readResult, type TestDeps } from './harness.js';
import { knexOf } from '../../src/store/store.js';

const tmp = useTempDir('kaiyaku-claims-');
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const d of drops) await d();
});

const KINDS = PG_URL ? (['SQLite', 'PostgreSQL'] as const) : (['SQLite'] as const);

/** A pid that was just used and is gone. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

async function acceptedOrders(kind: (typeof KINDS)[number], name: string, rows: number): Promise<{ deps: TestDeps; cancel: string }> {
  const dir = tmp.make(`${kind}-${name}`);
  let spec = path.join(dir, 'store.db');
  if (kind === 'PostgreSQL') {
    const schema = await aPgSchema(PG_URL!, 'claims');
    drops.push(() => schema.drop());
    spec = schema.url;
  }
  const gen = await generate({ rows, out: dir, prefix: name.toUpperCase().slice(0, 3) });
  const deps = await makeDeps(spec);
  drops.unshift(() => deps.close());
  await importGenerated(deps, gen);
  const first = await runCancelFile(deps, gen.cancel, cancelOptions({ until: 'accepted' }));
  expect(first.counts.completed).toBe(rows);
  return { deps, cancel: gen.cancel };
}

async function claim(deps: TestDeps, lineIds: number[], holder: string, untilMs: number): Promise<void> {
  await knexOf(deps.store)('order_lines').whereIn('id', lineIds).update({ link_claim: holder, link_claimed_until: untilMs });
}

function patchedSubscriptions(sim: ReturnType<typeof createSimSupplier>): string[] {
  return sim.simulator
    .callLog()
    .filter((c) => c.method === 'PATCH')
    .map((c) => c.subscriptionId!)
    .sort();
}

describe.each(KINDS)('linkage claims (%s)', (kind) => {
  it('a live claim of another run is left to it; a lapsed lease and a holder gone from this host are taken over at once', async () => {
    const { deps, cancel } = await acceptedOrders(kind, 'takeover', 10);
    const lines = await lineStates(deps.store);
    const ids = lines.map((l) => l.orderLineId);
    await claim(deps, ids.slice(0, 3), 'other-host:4242:live', Date.now() + 600_000);
    await claim(deps, ids.slice(3, 5), 'other-host:4243:lapsed', Date.now() - 1_000);
    await claim(deps, ids.slice(5, 7), `${os.hostname()}:${deadPid()}:killed`, Date.now() + 600_000);
    const sim = createSimSupplier({ latencyMs: 0, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 2 }, []);
    deps.setSupplier(() => sim);

    // The orders were parked at 受付 by their run: the operator moves them on (--include-parked).
    const resumed = await resumeOpenOrders(deps, { until: 'completed', concurrency: 4, confirmUnsettled: false, includeParked: true });
    expect(resumed.counts).toMatchObject({ heldElsewhere: 3, sent: 7, settled: 7, confirmed: 7 });
    expect(patchedSubscriptions(sim)).toEqual(
      lines
        .slice(3)
        .map((l) => l.subscriptionId)
        .sort(),
    );
    expect(deps.events.some((e) => e.kind === 'event' && e.name === 'linkage.held_elsewhere')).toBe(true);
    const after = await lineStates(deps.store);
    expect(after.slice(0, 3).map((l) => [l.orderStatus, l.linkageStatus])).toEqual(Array(3).fill(['accepted', 'unlinked']));
    expect(after.slice(3).every((l) => l.orderStatus === 'completed' && l.linkageStatus === 'linked')).toBe(true);
    const claims = await knexOf(deps.store)('order_lines').whereNotNull('link_claim').orderBy('id').pluck('link_claim');
    expect(claims).toEqual(Array(3).fill('other-host:4242:live'));

    // The rows of the lines another run holds say so; the others are done.
    const report = await runCancelFile(deps, cancel, cancelOptions());
    const rows = readResult(report.resultPath);
    expect(rows.slice(0, 3).map((r) => [r.result, r.error_message])).toEqual(
      Array(3).fill(['pending', 'another run is linking this line; that run records the outcome']),
    );
    expect(rows.slice(3).every((r) => r.result === 'completed' || r.result === 'already_done')).toBe(true);
    expect(patchedSubscriptions(sim)).toHaveLength(7);
  });

  it('a run whose claims were taken over while it linked (its lease had lapsed) stops sending those lines', async () => {
    const { deps } = await acceptedOrders(kind, 'heartbeat', 8);
    const lines = await lineStates(deps.store);
    // One call after another, 60–180 ms each: the last lines leave well after the takeover below.
    const sim = createSimSupplier({ latencyMs: 120, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 2 }, []);
    deps.setSupplier(() => sim);
    const orderIds = (await knexOf(deps.store)('change_orders').orderBy('id').pluck('id')).map(Number);
    const running = advanceOrders(deps, orderIds, { until: 'linked', concurrency: 1, confirmUnsettled: false, linkLeaseMs: 200 });
    // Another run takes over the last three lines, as it would once the lease had lapsed.
    const lastThree = lines.slice(-3).map((l) => l.orderLineId);
    while (Number((await knexOf(deps.store)('order_lines').whereNotNull('link_claim').count({ n: '*' }).first())?.n ?? 0) === 0)
      await new Promise((r) => setTimeout(r, 5));
    await claim(deps, lastThree, 'other-host:4244:taker', Date.now() + 600_000);
    const counts = await running;

    expect(counts.heldElsewhere).toBe(3);
    expect(patchedSubscriptions(sim)).toEqual(
      lines
        .slice(0, 5)
        .map((l) => l.subscriptionId)
        .sort(),
    );
    expect(deps.events.some((e) => e.kind === 'event' && e.name === 'linkage.claims_lost')).toBe(true);
    const after = await lineStates(deps.store);
    expect(after.slice(0, 5).every((l) => l.linkageStatus === 'linked')).toBe(true);
    expect(after.slice(-3).every((l) => l.linkageStatus === 'unlinked')).toBe(true);
    expect(await knexOf(deps.store)('order_lines').whereIn('id', lastThree).pluck('link_claim')).toEqual(Array(3).fill('other-host:4244:taker'));
    // What this run held is given back.
    expect(await knexOf(deps.store)('order_lines').whereNotIn('id', lastThree).whereNotNull('link_claim').pluck('id')).toEqual([]);
  });
});
