import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { expect } from 'vitest';
import { DEFAULT_CANCEL_OPTIONS, type CancelOptions, type PipelineDeps, type PipelineEvent } from '../../src/pipeline/context.js';
import { importContractFile } from '../../src/contracts/importContracts.js';
import { openStore, type Store } from '../../src/store/connect.js';
import { createSupplierClient, SupplierSimulator, type RetryPolicy, type SimKnobs, type Supplier, type SubscriptionSeed } from '../../src/supplier/index.js';
import { createSimTransport } from '../../src/supplier/sim/transport.js';
import type { Transport } from '../../src/supplier/transport.js';
import { generate, type Generated } from '../support/setup.js';
import { knexOf } from '../../src/store/store.js';
import { linkageWords } from '../../src/store/orderRepository.js';

/** Small delays so that a test with 20 % failures does not sleep for seconds. */
export const FAST_RETRY: Partial<RetryPolicy> = { timeoutMs: 3_000, maxAttempts: 8, baseDelayMs: 1, maxDelayMs: 5 };

export function contractNo(i: number): string {
  return `NCN202401-${String(i).padStart(10, '0')}`;
}

/** The target quantity generate.mjs asks for contract i (quantity 5). */
export function expectedTarget(i: number): number {
  return i % 3 === 0 ? 0 : 5 - (1 + (i % 4));
}

export interface TestDeps extends PipelineDeps {
  events: PipelineEvent[];
  /** The supplier the next `deps.supplier()` returns; swap it to point at another server. */
  setSupplier(make: () => Supplier): void;
  close(): Promise<void>;
}

/** PipelineDeps by hand: a temp SQLite store, operator `test`, the real clock, a cached supplier. */
export async function makeDeps(dbFile: string): Promise<TestDeps> {
  const store: Store = await openStore(dbFile);
  const events: PipelineEvent[] = [];
  let factory: (() => Supplier) | null = null;
  let current: Supplier | null = null;
  const opened: Supplier[] = [];
  return {
    store,
    operator: 'test',
    supplierName: 'sim',
    clock: () => new Date(),
    log: (event) => {
      events.push(event);
    },
    events,
    supplier: async () => {
      if (!current) {
        if (!factory) throw new Error('no supplier set for this test');
        current = factory();
        opened.push(current);
      }
      return current;
    },
    setSupplier(make) {
      factory = make;
      current = null;
    },
    async close() {
      for (const s of opened) await s.close();
      await store.close();
    },
  };
}

export async function importGenerated(deps: PipelineDeps, gen: Generated): Promise<void> {
  await importContractFile(deps, gen.contracts, 'auto');
}

/**
 * Generates `rows` contracts and their cancellation file in `dir`, imports them into a
 * fresh store there and runs `body`. The store, and every supplier it opened, are closed
 * afterwards whatever happens; a failure to close never hides the body's own error.
 */
export async function withImportedStore<T>(
  dir: string,
  o: { rows: number; late?: number; slow?: number; prefix?: string },
  body: (s: { deps: TestDeps; gen: Generated }) => Promise<T>,
): Promise<T> {
  const gen = await generate({ ...o, out: dir });
  const deps = await makeDeps(path.join(dir, 'store.db'));
  let failed = true;
  try {
    await importGenerated(deps, gen);
    const result = await body({ deps, gen });
    failed = false;
    return result;
  } finally {
    await deps.close().catch((error: unknown) => {
      if (!failed) throw error;
    });
  }
}

export function cancelOptions(overrides: Partial<CancelOptions> = {}): CancelOptions {
  return { ...DEFAULT_CANCEL_OPTIONS, lang: 'en', reportEncoding: 'utf8', concurrency: 16, ...overrides };
}

export interface ResultRow {
  row: string;
  contract_no: string;
  result: string;
  order_no: string;
  order_status: string;
  linkage_status: string;
  error_code: string;
  error_message: string;
}

export function readResult(file: string): ResultRow[] {
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  return parse(text, { columns: true, skip_empty_lines: true }) as ResultRow[];
}

export interface LineState {
  orderLineId: number;
  orderNo: string;
  orderStatus: string;
  contractNo: string;
  subscriptionId: string;
  linkageStatus: string;
  linkageCode: string | null;
  linkageMessage: string | null;
  sentAt: string | null;
  quantityAfter: number;
  /** The Idempotency-Key the line is sent with (null until it is first prepared, for lines inserted without one). */
  idempotencyKey: string | null;
}

/** Every order line with its order and contract line, by order line id. */
export async function lineStates(store: Store): Promise<LineState[]> {
  const rows = await knexOf(store)('order_lines as ol')
    .join('change_orders as o', 'o.id', 'ol.order_id')
    .join('contract_lines as cl', 'cl.id', 'ol.contract_line_id')
    .join('contracts as c', 'c.id', 'cl.contract_id')
    .orderBy('ol.id')
    .select(
      'ol.id',
      'o.order_no',
      'o.status',
      'c.contract_no',
      'cl.subscription_id',
      'ol.linkage_status',
      'ol.linkage_code',
      'ol.linkage_message',
      'ol.linkage_message_ja',
      'ol.linkage_detail',
      'ol.sent_at',
      'ol.quantity_after',
      'ol.idempotency_key',
    );
  return rows.map((r: Record<string, unknown>) => ({
    orderLineId: Number(r['id']),
    orderNo: String(r['order_no']),
    orderStatus: String(r['status']),
    contractNo: String(r['contract_no']),
    subscriptionId: String(r['subscription_id']),
    linkageStatus: String(r['linkage_status']),
    linkageCode: (r['linkage_code'] as string | null) ?? null,
    linkageMessage: linkageWords((r['linkage_message'] as string | null) ?? null, null, (r['linkage_detail'] as string | null) ?? null).linkageMessage,
    sentAt: (r['sent_at'] as string | null) ?? null,
    quantityAfter: Number(r['quantity_after']),
    idempotencyKey: (r['idempotency_key'] as string | null) ?? null,
  }));
}

/** subscription id → { quantity, status } as the store holds the contract line. */
export async function storeLines(store: Store): Promise<Map<string, { quantity: number; status: string; contractNo: string }>> {
  const rows = await knexOf(store)('contract_lines as cl')
    .join('contracts as c', 'c.id', 'cl.contract_id')
    .where('cl.subscription_id', '<>', '')
    .select('cl.subscription_id', 'cl.quantity', 'cl.status', 'c.contract_no');
  return new Map(
    rows.map((r: Record<string, unknown>) => [
      String(r['subscription_id']),
      { quantity: Number(r['quantity']), status: String(r['status']), contractNo: String(r['contract_no']) },
    ]),
  );
}

/**
 * The end state every linkage test wants: each order completed with its lines linked, each
 * contract line at the quantity its row asked for, and the supplier holding the same.
 */
export async function expectAllSettledAndAgreed(store: Store, supplierSubscriptions: Record<string, { quantity: number }>): Promise<void> {
  const lines = await lineStates(store);
  expect(lines.every((l) => l.orderStatus === 'completed' && l.linkageStatus === 'linked')).toBe(true);
  for (const [sub, l] of await storeLines(store)) {
    expect(l.quantity).toBe(expectedTarget(Number(l.contractNo.slice(-10))));
    expect(supplierSubscriptions[sub]?.quantity).toBe(l.quantity);
  }
}

export function isLate(sub: string): boolean {
  return sub.startsWith('NCE-LATE-');
}
export function isSlow(sub: string): boolean {
  return sub.startsWith('SLOW-');
}

/**
 * A supplier that can be read but not changed: GETs are answered by an in-process
 * simulator, every change (PATCH) is answered 503 and its key written down. A line then
 * leaves (the GET before it is answered) and its sending is never answered.
 */
export function changesFailing(
  knobs: SimKnobs,
  seeds: SubscriptionSeed[],
  policy: Partial<RetryPolicy>,
): Supplier & { simulator: SupplierSimulator; patches: { subscriptionId: string; key: string | undefined }[] } {
  const simulator = new SupplierSimulator(knobs, seeds);
  const read = createSimTransport(simulator);
  const patches: { subscriptionId: string; key: string | undefined }[] = [];
  const transport: Transport = async (req, signal) => {
    if (req.method === 'GET') return read(req, signal);
    patches.push({ subscriptionId: decodeURIComponent(req.path.split('/').pop() ?? ''), key: req.headers['idempotency-key'] });
    return { status: 503, headers: {}, body: { code: 'SERVICE_UNAVAILABLE', description: 'the service is temporarily unavailable' } };
  };
  return Object.assign(createSupplierClient(transport, policy), { simulator, patches });
}
