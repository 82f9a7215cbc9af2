/**
 * The two stores a CLI linkage test runs on: a SQLite file in the test's folder, and, when
 * KAIYAKU_TEST_PG_URL is set, a PostgreSQL schema of its own (dropped afterwards). The CLI is
 * given the store with `--db`, and the test reads it back in this process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { openStore, type Store } from '../../src/store/connect.js';
import { runCli, startCli, type Running } from '../crash/helpers.js';
import { aPgSchema, PG_URL } from '../store/pgSchema.js';
import type { ContractRow, Ran } from './operatorCli.js';
import { knexOf } from '../../src/store/store.js';
import { linkageWords } from '../../src/store/orderRepository.js';

export interface TestStore {
  kind: 'SQLite' | 'PostgreSQL';
  /** What `--db` is given. */
  spec: string;
  drop(): Promise<void>;
}

/** The store kinds to run on: SQLite always, PostgreSQL when a server is given. */
export const STORE_KINDS: TestStore['kind'][] = PG_URL ? ['SQLite', 'PostgreSQL'] : ['SQLite'];

export async function aTestStore(kind: TestStore['kind'], dir: string, label: string): Promise<TestStore> {
  if (kind === 'SQLite') return { kind, spec: path.join(dir, 'store.db'), drop: async () => undefined };
  const schema = await aPgSchema(PG_URL!, label);
  return { kind, spec: schema.url, drop: () => schema.drop() };
}

/** `kaiyaku …` on the store, in `cwd`, operator `test` where the command records one. */
export function kaiyakuOn(store: TestStore, cwd: string, args: readonly string[]): Promise<Ran> {
  return runCli(withStore(store, args), cwd);
}

/** The same, started and left running: for runs at once. */
export function startKaiyakuOn(store: TestStore, cwd: string, args: readonly string[]): Running {
  return startCli(withStore(store, args), cwd);
}

function withStore(store: TestStore, args: readonly string[]): string[] {
  const operator = args[1] === 'list' || args[0] === 'supplier' ? [] : ['--operator', 'test'];
  return [...args, '--db', store.spec, ...operator];
}

const CONTRACT_HEADER =
  'contract_no,contract_date,start_date,end_date,subject,customer,end_user,bill_to,ship_to,supplier,product_code,product_name,subscription_id,quantity,unit_price,plan,billing_model,is_trial,serials';

/** Writes contracts.csv (one row per line, 870 円 a seat, started 2024-01-05) into `dir` and imports it. */
export async function importContractsOn(store: TestStore, dir: string, lines: readonly ContractRow[]): Promise<void> {
  const body = lines.map(
    (l) =>
      `${l.contractNo},2024-01-05,2024-01-05,,件名,顧客株式会社,顧客株式会社,顧客株式会社,顧客株式会社,Microsoft,${l.productCode},${l.productCode},${l.subscriptionId},${l.quantity},870,標準月額プラン,標準月額モデル,0,`,
  );
  fs.writeFileSync(path.join(dir, 'contracts.csv'), `${CONTRACT_HEADER}\n${body.join('\n')}\n`);
  const r = await kaiyakuOn(store, dir, ['contracts', 'import', 'contracts.csv', '--quiet']);
  expect(r.code, r.stderr).toBe(0);
}

/** Reads the store in this process, and closes it afterwards. */
export async function readStore<T>(store: TestStore, read: (s: Store) => Promise<T>): Promise<T> {
  const opened = await openStore(store.spec, { access: 'read' });
  try {
    return await read(opened);
  } finally {
    await opened.close();
  }
}

/** Changes the store by hand (what a crash or an earlier version left), and closes it afterwards. */
export async function writeStore<T>(store: TestStore, write: (s: Store) => Promise<T>): Promise<T> {
  const opened = await openStore(store.spec);
  try {
    return await write(opened);
  } finally {
    await opened.close();
  }
}

export interface LineRow {
  orderNo: string;
  orderStatus: string;
  subscriptionId: string;
  quantityAfter: number;
  linkageStatus: string;
  linkageCode: string | null;
  linkageMessage: string | null;
  linkageMessageJa: string | null;
  sentAt: string | null;
  linkClaim: string | null;
  idempotencyKey: string | null;
}

export async function lineRows(store: TestStore): Promise<LineRow[]> {
  return readStore(store, async (s) =>
    (
      await knexOf(s)('order_lines as ol')
        .join('change_orders as o', 'o.id', 'ol.order_id')
        .join('contract_lines as cl', 'cl.id', 'ol.contract_line_id')
        .orderBy('ol.id')
        .select('ol.*', 'o.order_no', 'o.status', 'cl.subscription_id')
    ).map((r: Record<string, unknown>) => ({
      orderNo: String(r['order_no']),
      orderStatus: String(r['status']),
      subscriptionId: String(r['subscription_id']),
      quantityAfter: Number(r['quantity_after']),
      linkageStatus: String(r['linkage_status']),
      linkageCode: (r['linkage_code'] as string | null) ?? null,
      // What a reader is told: our words rendered from their key, the supplier's as they came (store/orderRepository.ts).
      ...linkageWords(
        (r['linkage_message'] as string | null) ?? null,
        (r['linkage_message_ja'] as string | null) ?? null,
        (r['linkage_detail'] as string | null) ?? null,
      ),
      sentAt: (r['sent_at'] as string | null) ?? null,
      linkClaim: (r['link_claim'] as string | null) ?? null,
      idempotencyKey: (r['idempotency_key'] as string | null) ?? null,
    })),
  );
}

/** subscription id → the contract line's quantity in the store. */
export async function seatsInStore(store: TestStore): Promise<Map<string, number>> {
  return readStore(
    store,
    async (s) =>
      new Map(
        (await knexOf(s)('contract_lines').select('subscription_id', 'quantity')).map((r: { subscription_id: string; quantity: number }) => [
          r.subscription_id,
          Number(r.quantity),
        ]),
      ),
  );
}
