/**
 * For the operator cases run through the real CLI: a folder with a store of hand-written
 * contracts, the built CLI as a child process (asynchronously, so that a simulator served
 * by this test process keeps answering while the child runs), and the store read back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { openStore, type Store } from '../../src/store/connect.js';
import { startSupplierServer, type SupplierServer } from '../../src/supplier/index.js';
import type { Ran } from '../support/cli.js';
import { importContractsOn, kaiyakuOn, type ContractRow } from '../support/stores.js';
import { knexOf } from '../../src/store/store.js';
import { linkageWords } from '../../src/store/orderRepository.js';

export type { ContractRow, Ran };

/** The folder's store: `store.db` in it. */
const storeIn = (cwd: string) => ({ spec: path.join(cwd, 'store.db') });

/** `kaiyaku …` in `cwd` with the folder's store, operator `test` where the command records one. */
export function kaiyaku(cwd: string, args: readonly string[]): Promise<Ran> {
  return kaiyakuOn(storeIn(cwd), cwd, args);
}

/** Writes contracts.csv (one row per line, 870 円 a seat, started 2024-01-05) and imports it. */
export function importContracts(dir: string, lines: readonly ContractRow[]): Promise<void> {
  return importContractsOn(storeIn(dir), dir, lines);
}

/** A cancellation file: one row per entry, columns 契約番号, 商品コード, サブスクリプションID, 解約数, 依頼番号. */
export function writeCancelFile(
  dir: string,
  name: string,
  rows: readonly { contractNo: string; productCode?: string; subscriptionId?: string; quantity?: number; requestId?: string }[],
): string {
  const body = rows.map((r) => [r.contractNo, r.productCode ?? '', r.subscriptionId ?? '', r.quantity ?? '', r.requestId ?? ''].join(','));
  fs.writeFileSync(path.join(dir, name), `契約番号,商品コード,サブスクリプションID,解約数,依頼番号\n${body.join('\n')}\n`);
  return name;
}

export function readCsv(file: string): Record<string, string>[] {
  return parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, ''), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

/** Reads the folder's store in this process, and closes it afterwards. */
export async function withStore<T>(dir: string, read: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(path.join(dir, 'store.db'), { access: 'read' });
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

export interface LineRecord {
  orderNo: string;
  orderStatus: string;
  subscriptionId: string;
  quantityBefore: number;
  cancelQuantity: number;
  quantityAfter: number;
  linkageStatus: string;
  linkageCode: string | null;
  linkageMessage: string | null;
}

export async function orderLines(dir: string): Promise<LineRecord[]> {
  return withStore(dir, async (store) =>
    (
      await knexOf(store)('order_lines as ol')
        .join('change_orders as o', 'o.id', 'ol.order_id')
        .join('contract_lines as cl', 'cl.id', 'ol.contract_line_id')
        .orderBy('ol.id')
        .select(
          'o.order_no',
          'o.status',
          'cl.subscription_id',
          'ol.quantity_before',
          'ol.cancel_quantity',
          'ol.quantity_after',
          'ol.linkage_status',
          'ol.linkage_code',
          'ol.linkage_message',
          'ol.linkage_message_ja',
          'ol.linkage_detail',
          'ol.linkage_message_ja',
          'ol.linkage_detail',
        )
    ).map((r: Record<string, unknown>) => ({
      orderNo: String(r['order_no']),
      orderStatus: String(r['status']),
      subscriptionId: String(r['subscription_id']),
      quantityBefore: Number(r['quantity_before']),
      cancelQuantity: Number(r['cancel_quantity']),
      quantityAfter: Number(r['quantity_after']),
      linkageStatus: String(r['linkage_status']),
      linkageCode: (r['linkage_code'] as string | null) ?? null,
      linkageMessage: linkageWords((r['linkage_message'] as string | null) ?? null, null, (r['linkage_detail'] as string | null) ?? null).linkageMessage,
    })),
  );
}

/** subscription id → the contract line as the store holds it. */
export async function contractLines(dir: string): Promise<Map<string, { quantity: number; status: string; contractStatus: string }>> {
  return withStore(dir, async (store) => {
    const rows = await knexOf(store)('contract_lines as cl')
      .join('contracts as c', 'c.id', 'cl.contract_id')
      .select('cl.subscription_id', 'cl.quantity', 'cl.status', 'c.status as contract_status');
    return new Map(
      rows.map((r: Record<string, unknown>) => [
        String(r['subscription_id']),
        { quantity: Number(r['quantity']), status: String(r['status']), contractStatus: String(r['contract_status']) },
      ]),
    );
  });
}

export async function claimedLines(dir: string): Promise<string[]> {
  return withStore(dir, async (store) =>
    (await knexOf(store)('line_claims as lc').join('contract_lines as cl', 'cl.id', 'lc.contract_line_id').select('cl.subscription_id')).map(
      (r: { subscription_id: string }) => r.subscription_id,
    ),
  );
}

/**
 * The supplier simulator served over HTTP by this test process, so that a test can look at
 * it, and change it, between two commands (`supplier serve` runs in a process of its own).
 */
export async function serveSimulator(seeds: readonly { subscriptionId: string; quantity: number }[]): Promise<SupplierServer> {
  return startSupplierServer({
    port: 0,
    knobs: { latencyMs: 0, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 1 },
    seeds: seeds.map((s) => ({ customer: '顧客株式会社', subscriptionId: s.subscriptionId, quantity: s.quantity })),
  });
}

/** PATCHes the simulator received (changes sent), by subscription id. */
export function patchesBySubscription(server: SupplierServer): Map<string, number> {
  const out = new Map<string, number>();
  for (const call of server.simulator.callLog())
    if (call.method === 'PATCH' && call.subscriptionId) out.set(call.subscriptionId, (out.get(call.subscriptionId) ?? 0) + 1);
  return out;
}
