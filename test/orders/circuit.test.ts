import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../src/pipeline/context.js';
import { resumeOpenOrders } from '../../src/orders/orderSteps.js';
import { runCancelFile } from '../../src/cancel/runCancel.js';
import { loadSubscriptionSeeds } from '../../src/store/supplierSeeds.js';
import {
  createHttpSupplier,
  createSupplierClient,
  startSupplierServer,
  SupplierSimulator,
  TransportError,
  type RetryPolicy,
  type SimKnobs,
  type Transport,
} from '../../src/supplier/index.js';
import { createSimTransport } from '../../src/supplier/sim/transport.js';
import { useTempDir } from '../support/setup.js';
import { cancelOptions, expectAllSettledAndAgreed, lineStates, readResult, withImportedStore, type LineState, type TestDeps } from './harness.js';
import { knexOf } from '../../src/store/store.js';

const tmp = useTempDir();
const ROWS = 200;
const THRESHOLD = 8;
const CONCURRENCY = 4;
const ATTEMPTS = 3;
/** Short timeouts through the options; the assertions are on call counts, never on time. */
const POLICY: Partial<RetryPolicy> = { timeoutMs: 200, maxAttempts: ATTEMPTS, baseDelayMs: 1, maxDelayMs: 5, circuitThreshold: THRESHOLD };
const HEALTHY: SimKnobs = { latencyMs: 1, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 5 };

interface DeadServer {
  url: string;
  /** Requests (or, for a server that resets, connections) that reached it. */
  calls(): number;
  /** Idempotency-Key of each PATCH it read, by subscription (none: a change waits for the GET before it). */
  keys: Map<string, Set<string>>;
  close(): Promise<void>;
}

async function listening(server: net.Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Accepts connections and reads each request whole, and never answers. */
async function silentServer(): Promise<DeadServer> {
  const keys = new Map<string, Set<string>>();
  let requests = 0;
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req) => {
    requests++;
    const sub = decodeURIComponent((req.url ?? '').split('/').pop() ?? '');
    const key = req.headers['idempotency-key'];
    if (typeof key === 'string') keys.set(sub, (keys.get(sub) ?? new Set()).add(key));
    req.resume();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const url = await listening(server);
  return {
    url,
    calls: () => requests,
    keys,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts each connection and resets it at once (TCP RST): the client sees ECONNRESET. */
async function resettingServer(): Promise<DeadServer> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.resetAndDestroy();
  });
  const url = await listening(server);
  return { url, calls: () => connections, keys: new Map(), close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function circuitEvents(events: PipelineEvent[]): Extract<PipelineEvent, { kind: 'event' }>[] {
  return events.filter((e): e is Extract<PipelineEvent, { kind: 'event' }> => e.kind === 'event' && e.name === 'supplier.circuit_open');
}

/** The first run against a supplier that is down: what every test here checks of it. */
async function expectStoppedEarly(deps: TestDeps, run: Awaited<ReturnType<typeof runCancelFile>>, dead: DeadServer): Promise<LineState[]> {
  // The circuit opened after THRESHOLD calls without an answer; only calls already in
  // flight then (at most CONCURRENCY - 1) went out besides. Without the breaker: ROWS × ATTEMPTS.
  expect(dead.calls()).toBeGreaterThanOrEqual(THRESHOLD);
  expect(dead.calls()).toBeLessThanOrEqual(THRESHOLD + CONCURRENCY - 1);

  expect(run.exitCode).toBe(1);
  expect(run.counts.pending).toBe(ROWS);
  expect(run.advance).toMatchObject({ accepted: ROWS, settled: 0, pending: 0, rejected: 0, unavailable: ROWS, confirmed: 0 });
  for (const row of readResult(run.resultPath)) {
    expect([row.result, row.error_code, row.order_status, row.linkage_status]).toEqual(['pending', 'SUPPLIER_UNAVAILABLE', 'accepted', 'unlinked']);
  }

  const lines = await lineStates(deps.store);
  expect(lines).toHaveLength(ROWS);
  for (const l of lines) expect([l.orderStatus, l.linkageStatus, l.linkageCode]).toEqual(['accepted', 'unlinked', 'SUPPLIER_UNAVAILABLE']);
  // The supplier is asked what it holds (GET) before a change is sent, and it never said:
  // no change went out, and every line looks exactly like a line never sent.
  expect(run.advance?.sent).toBe(0);
  expect(lines.filter((l) => l.sentAt !== null)).toEqual([]);
  expect(dead.keys.size).toBe(0);
  const keptBack = lines.filter((l) => /^supplier unavailable, not sent: the circuit is open after 8 calls in a row/.test(l.linkageMessage ?? ''));
  expect(keptBack.length).toBeGreaterThanOrEqual(ROWS - dead.calls());

  const said = circuitEvents(deps.events);
  expect(said).toHaveLength(1);
  expect(said[0]?.message.en).toMatch(
    /the supplier did not answer 8 calls in a row \(last: .+\); this run stops calling it, and lines not sent yet stay pending for a later run/,
  );
  // After the file's name, as the English words are.
  expect(said[0]?.message.ja).toMatch(/^(\S+: )?仕入元が 8 回続けて応答しませんでした。/);
  return lines;
}

/** A resume against a healthy simulator sends every line once, with its stored key and target. */
async function expectResumeCompletes(deps: TestDeps, before: LineState[], dead: DeadServer): Promise<void> {
  const up = await startSupplierServer({ port: 0, knobs: HEALTHY, seeds: await loadSubscriptionSeeds(knexOf(deps.store)) });
  try {
    // A healthy supplier gets the client's usual patience: 200 ms (for the dead ones) is less
    // than a loaded machine may take to answer, and a retry would count a call twice.
    deps.setSupplier(() => createHttpSupplier(up.url, { ...POLICY, timeoutMs: 30_000 }));
    const resumed = await resumeOpenOrders(deps, { until: 'completed', concurrency: 16, confirmUnsettled: false });
    expect(resumed.counts).toMatchObject({ sent: ROWS, settled: ROWS, confirmed: ROWS, unavailable: 0 });
    expect(circuitEvents(deps.events)).toHaveLength(1);

    const patches = up.simulator.callLog().filter((c) => c.method === 'PATCH');
    expect(patches).toHaveLength(ROWS);
    // One GET per line before its change: the supplier held the quantity the order started from.
    expect(up.simulator.callLog().filter((c) => c.method === 'GET')).toHaveLength(ROWS);
    const bySub = new Map(patches.map((c) => [c.subscriptionId!, c]));
    expect(bySub.size).toBe(ROWS);
    const subs = up.simulator.stats().subscriptions;
    for (const l of before) {
      expect(l.idempotencyKey).not.toBeNull();
      expect(bySub.get(l.subscriptionId)?.idempotencyKey).toBe(l.idempotencyKey);
      expect(subs[l.subscriptionId]?.lastTarget).toBe(l.quantityAfter);
      // What the dead supplier read of it, if anything, was the same key.
      for (const key of dead.keys.get(l.subscriptionId) ?? []) expect(key).toBe(l.idempotencyKey);
    }
    const after = await lineStates(deps.store);
    expect(after.map((l) => [l.orderLineId, l.idempotencyKey, l.quantityAfter])).toEqual(before.map((l) => [l.orderLineId, l.idempotencyKey, l.quantityAfter]));
    await expectAllSettledAndAgreed(deps.store, subs);
  } finally {
    await up.close();
  }
}

describe('circuit breaker: a supplier that is down stops the run after a few calls', () => {
  it('a supplier that accepts connections and never answers: about THRESHOLD calls, not ROWS × attempts; a resume completes every line once', async () => {
    await withImportedStore(tmp.make('silent'), { rows: ROWS, prefix: 'SIL' }, async ({ deps, gen }) => {
      const dead = await silentServer();
      deps.setSupplier(() => createHttpSupplier(dead.url, POLICY));
      const run = await runCancelFile(deps, gen.cancel, cancelOptions({ concurrency: CONCURRENCY })).finally(() => dead.close());
      console.log(
        `[circuit] silent supplier: ${dead.calls()} requests for ${ROWS} lines (threshold ${THRESHOLD}, concurrency ${CONCURRENCY}, ${ATTEMPTS} attempts)`,
      );
      const lines = await expectStoppedEarly(deps, run, dead);
      await expectResumeCompletes(deps, lines, dead);
    });
  });

  it('a supplier that resets every connection: the same', async () => {
    await withImportedStore(tmp.make('reset'), { rows: ROWS, prefix: 'RST' }, async ({ deps, gen }) => {
      const dead = await resettingServer();
      deps.setSupplier(() => createHttpSupplier(dead.url, POLICY));
      const run = await runCancelFile(deps, gen.cancel, cancelOptions({ concurrency: CONCURRENCY })).finally(() => dead.close());
      console.log(`[circuit] resetting supplier: ${dead.calls()} connections for ${ROWS} lines`);
      const lines = await expectStoppedEarly(deps, run, dead);
      expect(lines.every((l) => /ECONNRESET|socket hang up/.test(l.linkageMessage ?? ''))).toBe(true);
      await expectResumeCompletes(deps, lines, dead);
    });
  });

  it('the next run on the same client starts with the circuit closed', async () => {
    const rows = 30;
    await withImportedStore(tmp.make('same-client'), { rows, prefix: 'SMC' }, async ({ deps, gen }) => {
      const simulator = new SupplierSimulator(HEALTHY, await loadSubscriptionSeeds(knexOf(deps.store)));
      const sim = createSimTransport(simulator);
      let down = true;
      let refused = 0;
      const transport: Transport = async (req, signal) => {
        if (!down) return sim(req, signal);
        refused++;
        throw new TransportError('dropped', 'connection dropped (ECONNREFUSED)');
      };
      const client = createSupplierClient(transport, { ...POLICY, circuitThreshold: 5 });
      deps.setSupplier(() => client);
      const first = await runCancelFile(deps, gen.cancel, cancelOptions({ concurrency: CONCURRENCY }));
      expect(refused).toBeGreaterThanOrEqual(5);
      expect(refused).toBeLessThanOrEqual(5 + CONCURRENCY - 1);
      expect(first.counts.pending).toBe(rows);
      expect(client.circuit?.().open).toBe(true);

      down = false;
      const resumed = await resumeOpenOrders(deps, { until: 'completed', concurrency: CONCURRENCY, confirmUnsettled: false });
      expect(resumed.counts).toMatchObject({ sent: rows, settled: rows, confirmed: rows });
      expect(client.circuit?.()).toMatchObject({ open: false, failuresInRow: 0 });
      expect(simulator.callLog().filter((c) => c.method === 'PATCH')).toHaveLength(rows);
      await expectAllSettledAndAgreed(deps.store, simulator.stats().subscriptions);
    });
  });
});
