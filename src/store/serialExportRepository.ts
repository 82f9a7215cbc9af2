import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAudit } from './audit.js';
import { transact, type Store } from './connect.js';
import { describeSelf, holderIsDead } from './lockRepository.js';

type Db = Knex | Knex.Transaction;

/**
 * The cancelled-serial rows finance is notified of, and the claims that keep two exports
 * from writing the same row. An export that marks what it writes first claims the
 * unnotified rows (a guarded update: only rows no live export holds), writes its file from
 * what it claimed, and marks those rows notified once the file is complete. A claim whose
 * export died is freed: at once when its process is gone from this host, otherwise once it
 * has not been renewed for the lease.
 */

/** Which cancelled serials: by cancellation date (JST), inclusive. */
export interface SerialRange {
  from?: string | undefined;
  to?: string | undefined;
}

/** One export's claim: the holder it writes on the rows it takes. */
export function newClaimHolder(): string {
  // The process (host and pid, so a dead one is known at once on this host) and a nonce, so
  // that two exports of one process never share a claim.
  return `${describeSelf()}:${randomBytes(6).toString('hex')}`;
}

function inRange(q: Knex.QueryBuilder, range: SerialRange, column = 'cancelled_on'): Knex.QueryBuilder {
  if (range.from) q.where(column, '>=', range.from);
  if (range.to) q.where(column, '<=', range.to);
  return q;
}

/**
 * Frees the claims of exports that died: the holder's process is gone from this host, or
 * it has not renewed its claim since `lapsedBefore` (ISO time). Guarded on what was read, so
 * a claim renewed meanwhile stays.
 */
export async function freeDeadClaims(store: Store, lapsedBefore: string): Promise<number> {
  const holders = (await store.db('cancelled_serials').whereNotNull('claimed_by').whereNull('notified_at').groupBy('claimed_by').select('claimed_by', store.db.raw('max(claimed_at) as renewed'))) as { claimed_by: string; renewed: string }[];
  let freed = 0;
  for (const h of holders) {
    const dead = holderIsDead(h.claimed_by);
    if (!dead && h.renewed >= lapsedBefore) continue;
    freed += await transact(store, async (trx) => {
      const q = trx('cancelled_serials').where('claimed_by', h.claimed_by);
      if (!dead) q.where('claimed_at', '<', lapsedBefore);
      return (await q.update({ claimed_by: null, claimed_at: null }, ['id'])).length;
    });
  }
  return freed;
}

/** Claims the unnotified rows of the range that no export holds; returns how many it took. */
export async function claimUnnotifiedSerials(store: Store, holder: string, range: SerialRange, now: string): Promise<number> {
  return transact(store, async (trx) => {
    const q = trx('cancelled_serials').whereNull('notified_at').whereNull('claimed_by');
    return (await inRange(q, range).update({ claimed_by: holder, claimed_at: now }, ['id'])).length;
  });
}

/** Renews a claim (its export is alive); returns how many rows it still holds. */
export async function renewClaim(db: Db, holder: string, now: string): Promise<number> {
  return (await db('cancelled_serials').where('claimed_by', holder).update({ claimed_at: now }, ['id'])).length;
}

/** Gives the rows back (the file could not be written): the next export takes them. */
export async function releaseClaim(store: Store, holder: string): Promise<void> {
  await transact(store, (trx) => trx('cancelled_serials').where('claimed_by', holder).update({ claimed_by: null, claimed_at: null }));
}

/**
 * Marks the claimed rows notified (when, by whom) and ends the claim, with an audit row, in
 * one transaction. Returns how many rows were marked.
 */
export async function markClaimedNotified(store: Store, holder: string, mark: { by: string; at: string }, detail: Record<string, unknown>): Promise<number> {
  return transact(store, async (trx) => {
    const marked = (await trx('cancelled_serials').where('claimed_by', holder).update({ notified_at: mark.at, notified_by: mark.by, claimed_by: null, claimed_at: null }, ['id'])).length;
    await recordAudit(trx, { at: mark.at, actor: mark.by, entity: 'serial_export', entityId: marked, action: 'mark-notified', detail: { rows: marked, ...detail } });
    return marked;
  });
}

/** Unnotified rows of the range that other exports hold now: they write and mark them. */
export async function countClaimedByOthers(db: Db, holder: string, range: SerialRange): Promise<number> {
  const row = await inRange(db('cancelled_serials').whereNull('notified_at').whereNotNull('claimed_by').whereNot('claimed_by', holder), range).count({ n: '*' }).first();
  return Number(row?.['n'] ?? 0);
}

export interface SerialExportRow {
  id: number;
  cancelled_on: string;
  contract_no: string;
  order_no: string;
  customer: string;
  end_user: string;
  supplier: string;
  product_code: string;
  product_name: string;
  subscription_id: string;
  serial_no: string;
  cancel_quantity: number;
  end_date: string;
}

/**
 * Which rows an export writes:
 * - `all`: every row of the range;
 * - `unnotified`: those not yet marked notified;
 * - `claimed`: those `holder` claimed, and with `notified` also those already notified
 *   (an export that marks what it writes: the rows another export holds are never written).
 */
export type SerialSelection = { kind: 'all' } | { kind: 'unnotified' } | { kind: 'claimed'; holder: string; notified: boolean };

/** The export's rows in id order, a page at a time (keyset), so a list of any length streams. */
export async function* pagesOfSerialRows(db: Db, range: SerialRange, selection: SerialSelection, pageSize = 1000): AsyncGenerator<SerialExportRow[]> {
  let after = 0;
  for (;;) {
    const q = db('cancelled_serials as cs')
      .join('order_lines as ol', 'ol.id', 'cs.order_line_id')
      .join('change_orders as o', 'o.id', 'ol.order_id')
      .join('contracts as c', 'c.id', 'o.contract_id')
      .join('contract_lines as cl', 'cl.id', 'ol.contract_line_id')
      .where('cs.id', '>', after)
      .orderBy('cs.id')
      .limit(pageSize)
      .select('cs.id', 'cs.cancelled_on', 'c.contract_no', 'o.order_no', 'c.customer', 'c.end_user', 'cl.supplier', 'cl.product_code', 'cl.product_name', 'cl.subscription_id', 'cs.serial_no', 'cs.cancel_quantity', 'cs.end_date');
    inRange(q, range, 'cs.cancelled_on');
    if (selection.kind === 'unnotified') q.whereNull('cs.notified_at');
    if (selection.kind === 'claimed') {
      const { holder, notified } = selection;
      q.where((w) => {
        w.where('cs.claimed_by', holder);
        if (notified) w.orWhereNotNull('cs.notified_at');
      });
    }
    const page = (await q) as SerialExportRow[];
    if (page.length === 0) return;
    yield page;
    after = Number(page[page.length - 1]!.id);
  }
}
