import path from 'node:path';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resumeOpenOrders } from '../../src/orders/orderSteps.js';
import { runCancelFile, type CancelRunSummary } from '../../src/cancel/runCancel.js';
import { loadSubscriptionSeeds } from '../../src/store/supplierSeeds.js';
import { createHttpSupplier, createSimSupplier, startSupplierServer, type SimKnobs, type SimStats } from '../../src/supplier/index.js';
import { useTempDir } from '../support/setup.js';
import {
  cancelOptions,
  expectAllSettledAndAgreed,
  expectedTarget,
  FAST_RETRY,
  isLate,
  isSlow,
  type LineState,
  lineStates,
  readResult,
  type ResultRow,
  storeLines,
  withImportedStore,
} from './harness.js';
import { knexOf } from '../../src/store/store.js';

const KNOBS: SimKnobs = { latencyMs: 3, failRate: 0.2, rateLimit: 400, asyncRate: 0.3, seed: 11 };
const ROWS = 150;
const LATE = 3;
const SLOW = 4;
const tmp = useTempDir();

interface ScenarioOutcome {
  first: CancelRunSummary;
  firstRows: ResultRow[];
  /** Line states after the first run and after each resume. */
  history: LineState[][];
  /** How many resumes ran; the last one changed nothing. */
  resumes: number;
  final: LineState[];
  finalSim: SimStats;
  store: Map<string, { quantity: number; status: string; contractNo: string }>;
  rerun: CancelRunSummary;
  rerunRows: ResultRow[];
}

/** Generate, import, cancel, resume until nothing changes, then run the same file again. */
async function scenario(kind: 'http' | 'sim'): Promise<ScenarioOutcome> {
  return withImportedStore(tmp.make(kind), { rows: ROWS, late: LATE, slow: SLOW, prefix: 'LNK' }, async ({ deps, gen }) => {
    let stats: () => SimStats;
    let stop = async (): Promise<void> => undefined;
    try {
      const seeds = await loadSubscriptionSeeds(knexOf(deps.store));
      expect(seeds).toHaveLength(ROWS);
      if (kind === 'http') {
        const server = await startSupplierServer({ port: 0, knobs: KNOBS, seeds });
        stop = () => server.close();
        stats = () => server.simulator.stats();
        deps.setSupplier(() => createHttpSupplier(server.url, FAST_RETRY));
      } else {
        const sim = createSimSupplier(KNOBS, seeds, FAST_RETRY);
        stats = () => sim.simulator.stats();
        deps.setSupplier(() => sim);
      }

      const first = await runCancelFile(deps, gen.cancel, cancelOptions());
      const firstRows = readResult(first.resultPath);
      const history = [await lineStates(deps.store)];
      let resumes = 0;
      while (resumes < 10) {
        resumes++;
        await resumeOpenOrders(deps, { until: 'completed', concurrency: 16, confirmUnsettled: false });
        const now = await lineStates(deps.store);
        const before = history[history.length - 1]!;
        history.push(now);
        // A resume may change nothing visible while the supplier counts polls (a 202 settles on
        // the second GET, SLOW- on the third), so stop only once nothing is waiting either.
        const waiting = now.some((l) => l.orderStatus === 'accepted' && (l.linkageStatus === 'pending' || l.linkageStatus === 'unlinked'));
        if (!waiting && JSON.stringify(strip(now)) === JSON.stringify(strip(before))) break;
      }
      const final = history[history.length - 1]!;
      const finalSim = stats();
      const store = await storeLines(deps.store);
      const ordersBefore = final.length;
      const rerun = await runCancelFile(deps, gen.cancel, cancelOptions());
      const rerunRows = readResult(rerun.resultPath);
      expect((await lineStates(deps.store)).length).toBe(ordersBefore);
      return { first, firstRows, history, resumes, final, finalSim, store, rerun, rerunRows };
    } finally {
      await stop();
    }
  });
}

/** What may change from one resume to the next (not timestamps). */
function strip(lines: LineState[]) {
  return lines.map((l) => [l.orderLineId, l.orderStatus, l.linkageStatus, l.linkageCode]);
}

function indexOf(row: ResultRow): number {
  return Number(row.contract_no.slice('NCN202401-'.length));
}
const subOf = (i: number): string => (i <= LATE ? `NCE-LATE-LNK-${i}` : i <= LATE + SLOW ? `SLOW-LNK-${i}` : `LNK-SUB-${String(i).padStart(8, '0')}`);

function checkOutcome(o: ScenarioOutcome, kind: string): void {
  // First run: every row reported, LATE refused by the supplier, SLOW waiting.
  expect(o.firstRows).toHaveLength(ROWS);
  expect(o.first.exitCode).toBe(1);
  for (const row of o.firstRows) {
    const i = indexOf(row);
    const sub = subOf(i);
    if (isLate(sub)) {
      expect(row.result, `${kind} row ${i}`).toBe('failed');
      expect(row.error_code).toBe('SUPPLIER_REJECTED');
      expect(row.order_status).toBe('accepted');
      expect(row.linkage_status).toBe('failed');
      expect(row.error_message).toContain(expectedTarget(i) === 0 ? '900117' : '900214');
    } else if (isSlow(sub)) {
      expect(row.result, `${kind} row ${i}`).toBe('pending');
      expect(row.linkage_status).toBe('pending');
      expect(row.order_status).toBe('accepted');
    } else {
      // With 20 % 503s and 8 attempts nothing is exhausted; 30 % of changes answer 202.
      expect(['completed', 'pending'], `${kind} row ${i}: ${row.error_code} ${row.error_message}`).toContain(row.result);
      expect(row.error_code).toBe('');
    }
  }
  const firstPending = o.firstRows.filter((r) => r.result === 'pending' && !isSlow(subOf(indexOf(r))));
  expect(firstPending.length, 'some ordinary lines answered 202').toBeGreaterThan(10);

  // SLOW settles on the third GET: pending after one resume, completed by the end.
  const afterOne = o.history[1]!;
  for (const l of afterOne.filter((l) => isSlow(l.subscriptionId))) expect(l.linkageStatus).toBe('pending');
  const afterTwo = o.history[2]!;
  for (const l of afterTwo.filter((l) => isSlow(l.subscriptionId))) expect(l.linkageStatus).toBe('pending');
  const afterThree = o.history[3]!;
  for (const l of afterThree.filter((l) => isSlow(l.subscriptionId))) expect([l.linkageStatus, l.orderStatus]).toEqual(['linked', 'completed']);
  expect(o.resumes).toBeGreaterThanOrEqual(4);
  expect(o.resumes).toBeLessThan(10);

  // Final state: everything completed except the NCE-LATE orders.
  for (const l of o.final) {
    if (isLate(l.subscriptionId)) {
      expect(l.orderStatus).toBe('accepted');
      expect(l.linkageStatus).toBe('failed');
      expect(l.linkageCode).toBe(l.quantityAfter === 0 ? '900117' : '900214');
    } else {
      expect(l.orderStatus, `${kind} ${l.subscriptionId}`).toBe('completed');
      expect(l.linkageStatus).toBe('linked');
      expect(l.linkageCode).toBeNull();
    }
  }

  // Supplier and store agree on every subscription.
  expect(Object.keys(o.finalSim.subscriptions)).toHaveLength(ROWS);
  for (const [sub, line] of o.store) {
    const at = o.finalSim.subscriptions[sub];
    expect(at, sub).toBeDefined();
    expect(at!.quantity, `${kind} ${sub}`).toBe(line.quantity);
    expect(at!.pending, sub).toBe(false);
    const i = Number(line.contractNo.slice('NCN202401-'.length));
    if (isLate(sub)) {
      expect(line.quantity).toBe(5);
      expect(line.status).toBe('active');
    } else {
      expect(line.quantity).toBe(expectedTarget(i));
      expect(line.status).toBe(expectedTarget(i) === 0 ? 'cancelled' : 'active');
      expect(at!.status).toBe(expectedTarget(i) === 0 ? 'deleted' : 'active');
    }
  }

  // The same bytes again: no new orders, done rows already_done, refused ones still failed.
  expect(o.rerun.repeated).toBe(true);
  expect(o.rerun.exitCode).toBe(1);
  for (const row of o.rerunRows) {
    const sub = subOf(indexOf(row));
    if (isLate(sub)) {
      expect(row.result).toBe('failed');
      expect(row.error_code).toBe('SUPPLIER_REJECTED');
    } else expect(row.result).toBe('already_done');
  }
}

describe('linkage through the whole pipeline', () => {
  it('HTTP and in-process suppliers: cancel, resume until settled, same per-row results and quantities', async () => {
    const [viaHttp, viaSim] = await Promise.all([scenario('http'), scenario('sim')]);
    checkOutcome(viaHttp, 'http');
    checkOutcome(viaSim, 'sim');

    const pick = (rows: ResultRow[]) => rows.map((r) => [r.row, r.result, r.error_code, r.linkage_status]);
    expect(pick(viaSim.firstRows)).toEqual(pick(viaHttp.firstRows));
    expect(pick(viaSim.rerunRows)).toEqual(pick(viaHttp.rerunRows));
    expect(viaSim.resumes).toBe(viaHttp.resumes);
    expect(viaSim.history.map(strip)).toEqual(viaHttp.history.map(strip));
    expect(viaSim.finalSim.subscriptions).toEqual(viaHttp.finalSim.subscriptions);
    console.log(
      `[linkage] ${ROWS} rows: first run ${JSON.stringify(viaHttp.first.counts)}, ${viaHttp.resumes} resumes (the last changed nothing); ` +
        `http supplier calls ${viaHttp.finalSim.total} ${JSON.stringify(viaHttp.finalSim.byStatus)}, sim ${viaSim.finalSim.total} ${JSON.stringify(viaSim.finalSim.byStatus)}`,
    );
  });
});

describe('the same bytes again, over several judge pages', () => {
  it('rows without request ids find the orders their earlier run created, page by page, in a real run and a dry run', async () => {
    const dir = tmp.make('repeat-pages');
    const rows = 1_100; // three judge pages of 500 contracts
    await withImportedStore(dir, { rows, prefix: 'REP' }, async ({ deps, gen }) => {
      // Without the request id column, only the earlier run of the same bytes can say a row was done.
      const lines = fs.readFileSync(gen.cancel, 'utf8').trimEnd().split('\n');
      const noRequestIds = path.join(dir, 'no-request-ids.csv');
      fs.writeFileSync(noRequestIds, `${lines.map((l) => l.slice(0, l.lastIndexOf(','))).join('\n')}\n`);
      deps.setSupplier(() => createSimSupplier({ latencyMs: 0, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 3 }, []));
      const first = await runCancelFile(deps, noRequestIds, cancelOptions());
      expect(first.counts.completed).toBe(rows);
      const orders = (await lineStates(deps.store)).length;

      for (const dryRun of [true, false]) {
        const again = await runCancelFile(deps, noRequestIds, cancelOptions({ dryRun }));
        expect(again.repeated, `dry run ${dryRun}`).toBe(true);
        const result = readResult(again.resultPath);
        expect(
          result.map((r) => r.result),
          `dry run ${dryRun}`,
        ).toEqual(Array(rows).fill('already_done'));
        // Each row names the order its first run created.
        expect(result.map((r) => r.order_no)).toEqual(readResult(first.resultPath).map((r) => r.order_no));
      }
      expect((await lineStates(deps.store)).length).toBe(orders);
    });
  });
});

describe('linkage across chunks of orders', () => {
  it('queues the next 2,000 orders before the last calls of the previous ones are answered: the supplier is never left idle mid-run', async () => {
    const rows = 2_100; // two chunks of linkage
    await withImportedStore(tmp.make('chunks'), { rows, prefix: 'CHK' }, async ({ deps, gen }) => {
      const sim = createSimSupplier({ latencyMs: 20, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 4 }, []);
      deps.setSupplier(() => sim);
      const run = await runCancelFile(deps, gen.cancel, cancelOptions({ until: 'linked', concurrency: 64 }));
      expect(run.advance?.settled).toBe(rows);
      // Walk the calls in the order they arrived: each must arrive before every earlier call
      // was answered. Before, the calls of the second chunk began only after the first chunk's
      // last answer and the time it took to plan the next chunk.
      const calls = sim.simulator.callLog().toSorted((a, b) => a.at - b.at);
      // A GET, then the PATCH, of each line.
      expect(calls).toHaveLength(2 * rows);
      let answeredBy = calls[0]!.doneAt;
      const idle: number[] = [];
      for (const call of calls.slice(1)) {
        if (call.at > answeredBy) idle.push(call.at - answeredBy);
        answeredBy = Math.max(answeredBy, call.doneAt);
      }
      expect(idle, 'ms the supplier had nothing to answer').toEqual([]);
    });
  });

  it('stops sending once an outcome cannot be written, and a resume then finishes with every change applied once', async () => {
    const rows = 2_100;
    await withImportedStore(tmp.make('write-fails'), { rows, prefix: 'WRF' }, async ({ deps, gen }) => {
      const sim = createSimSupplier({ latencyMs: 2, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 6 }, []);
      deps.setSupplier(() => sim);
      // The store refuses linkage outcomes once 100 lines are linked, as a full disk would (a
      // batch that crosses the mark is refused whole).
      await knexOf(deps.store).raw(`create trigger refuse_outcomes before update of linkage_status on order_lines
        when (select count(*) from order_lines where linkage_status = 'linked') >= 100
        begin select raise(abort, 'disk full (test)'); end`);
      await expect(runCancelFile(deps, gen.cancel, cancelOptions({ concurrency: 16 }))).rejects.toThrow(/disk full/);
      // Calls made after the failed write are only those already in flight or in the batch
      // being written; before, every queued call of the chunk was still sent (2,000 and more).
      const sentBeforeStop = sim.simulator.stats().total;
      expect(sentBeforeStop).toBeLessThan(1_000); // 260–330 here

      const recorded = (await lineStates(deps.store)).filter((l) => l.linkageStatus === 'linked').length;

      await knexOf(deps.store).raw('drop trigger refuse_outcomes');
      await resumeOpenOrders(deps, { until: 'completed', concurrency: 16, confirmUnsettled: false });
      await expectAllSettledAndAgreed(deps.store, sim.simulator.stats().subscriptions);
      // The resume asks the supplier about every line whose outcome was not recorded, and only
      // those; the ones whose change landed before the stop are not sent again (the supplier
      // holds their target already). Every change went out exactly once in all.
      const log = sim.simulator.callLog();
      expect(log.slice(sentBeforeStop).filter((c) => c.method === 'GET')).toHaveLength(rows - recorded);
      const patches = new Map<string, number>();
      for (const c of log) if (c.method === 'PATCH') patches.set(c.subscriptionId!, (patches.get(c.subscriptionId!) ?? 0) + 1);
      expect(patches.size).toBe(rows);
      expect([...patches.values()].every((n) => n === 1)).toBe(true);
    });
  });
});
