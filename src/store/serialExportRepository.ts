import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAudit } from './audit.js';
import type { StoreCore } from './store.js';
import { transact } from './retry.js';
import { describeSelf, holderIsDead } from './lockRepository.js';
import { knexOf } from './store.js';

type Db = Knex | Knex.Transaction;

/**
 * The cancelled-serial rows finance is notified of, the claims that keep two exports from
 * writing the same row, and the record each marking export keeps of its file. An export
 * that marks what it writes first claims the unnotified rows (a guarded update: only rows
 * no live export holds) and records itself (serial_exports, state 'writing'), writes its
 * file from what it claimed, then marks those rows notified and its record 'marked' in one
 * transaction, keeping the claim; once the file is under its final name it ends the claim
 * and the record. A claim whose export died is freed: at once when its process is gone
 * from this host, otherwise once it has not been renewed for the lease. What a dead
 * export's record means is decided in serials/serialExportRecovery.ts.
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
export async function freeDeadClaims(store: StoreCore, lapsedBefore: string): Promise<number> {
  const holders = (await knexOf(store)('cancelled_serials')
    .whereNotNull('claimed_by')
    .whereNull('notified_at')
    .groupBy('claimed_by')
    .select('claimed_by', knexOf(store).raw('max(claimed_at) as renewed'))) as { claimed_by: string; renewed: string }[];
  let freed = 0;
  for (const h of holders) {
    const dead = holderIsDead(h.claimed_by);
    if (!dead && h.renewed >= lapsedBefore) continue;
    freed += await transact(store, async (trx) => {
      // Marked rows keep their claim until their file is in place: only a record's recovery ends it.
      const q = trx('cancelled_serials').where('claimed_by', h.claimed_by).whereNull('notified_at');
      if (!dead) q.where('claimed_at', '<', lapsedBefore);
      return (await q.update({ claimed_by: null, claimed_at: null }, ['id'])).length;
    });
  }
  return freed;
}

/** The file a marking export writes: its temporary and final names (absolute); null for stdout. */
export interface ExportFile {
  tempPath: string;
  finalPath: string;
}

/**
 * Claims the unnotified rows of the range that no export holds and records the export
 * (state 'writing'), in one transaction; returns how many rows it took, or null when
 * another export is writing the same file (nothing is claimed then).
 */
export async function claimUnnotifiedSerials(
  store: StoreCore,
  holder: string,
  range: SerialRange,
  now: string,
  file: ExportFile | null,
): Promise<number | null> {
  try {
    return await transact(store, async (trx) => {
      if (file && (await trx('serial_exports').where('final_path', file.finalPath).first('holder'))) return null;
      const q = trx('cancelled_serials').whereNull('notified_at').whereNull('claimed_by');
      const claimed = (await inRange(q, range).update({ claimed_by: holder, claimed_at: now }, ['id'])).length;
      // The unique final path settles two exports that checked at the same moment.
      await trx('serial_exports').insert({ holder, state: 'writing', temp_path: file?.tempPath ?? null, final_path: file?.finalPath ?? null, renewed_at: now });
      return claimed;
    });
  } catch (error) {
    if (file && isUniqueViolation(error)) return null;
    throw error;
  }
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e?.code === '23505' || (e?.code === 'SQLITE_CONSTRAINT' && typeof e.message === 'string' && e.message.includes('UNIQUE'));
}

/** Renews a claim and its export's record (its export is alive); returns how many rows it still holds. */
export async function renewClaim(db: Db, holder: string, now: string): Promise<number> {
  await db('serial_exports').where({ holder }).update({ renewed_at: now });
  return (await db('cancelled_serials').where('claimed_by', holder).update({ claimed_at: now }, ['id'])).length;
}

/** The claim was taken back meanwhile (its lease lapsed): what the export wrote may be another export's now. */
class ClaimLost extends Error {}

/**
 * Marks the claimed rows notified (when, by whom) and the export's record 'marked' (the
 * file's sha256 and rows), with an audit row, in one transaction. The rows keep their
 * claim: it ends, with the record, once the file is in place (finishExport). Returns how
 * many rows were marked, or null when the claim is no longer whole (the transaction is
 * rolled back and nothing is marked).
 */
export async function markClaimedNotified(
  store: StoreCore,
  holder: string,
  expected: number,
  mark: { by: string; at: string; sha256: string | null; rowsWritten: number },
  detail: Record<string, unknown>,
): Promise<number | null> {
  try {
    return await transact(store, async (trx) => {
      const record = (await trx('serial_exports').where({ holder }).first()) as { state: string; rows_marked: number | null } | undefined;
      if (!record) throw new ClaimLost();
      // Retried after a lost connection whose commit had gone through: our own marks.
      if (record.state === 'marked') return Number(record.rows_marked);
      const marked = (
        await trx('cancelled_serials').where('claimed_by', holder).whereNull('notified_at').update({ notified_at: mark.at, notified_by: mark.by }, ['id'])
      ).length;
      if (marked !== expected) throw new ClaimLost();
      const turned = await trx('serial_exports')
        .where({ holder, state: 'writing' })
        .update({ state: 'marked', sha256: mark.sha256, rows_written: mark.rowsWritten, rows_marked: marked, marked_at: mark.at, notified_by: mark.by }, [
          'holder',
        ]);
      if (turned.length !== 1) throw new ClaimLost();
      await recordAudit(trx, {
        at: mark.at,
        actor: mark.by,
        entity: 'serial_export',
        entityId: marked,
        action: 'mark-notified',
        detail: { rows: marked, ...detail },
      });
      return marked;
    });
  } catch (error) {
    if (error instanceof ClaimLost) return null;
    throw error;
  }
}

/**
 * Ends a marked export whose file is in place: the rows' claim and the record, in one
 * transaction guarded on the record still being 'marked'. Returns whether it was.
 */
export async function finishExport(store: StoreCore, holder: string): Promise<boolean> {
  return transact(store, async (trx) => {
    const ended = await trx('serial_exports').where({ holder, state: 'marked' }).delete(['holder']);
    if (ended.length === 0) return false;
    await trx('cancelled_serials').where('claimed_by', holder).update({ claimed_by: null, claimed_at: null });
    return true;
  });
}

/**
 * Gives an export's rows back (its file never reached its final name): rows it marked are
 * unmarked (they were unnotified when it claimed them), every claim of it is freed, and
 * its record goes back to 'writing', so that its temporary, removed next, is known to be
 * no one's. Returns how many marked rows were unmarked.
 */
export async function giveBackExport(store: StoreCore, holder: string, audit: { at: string; actor: string }): Promise<number> {
  return transact(store, async (trx) => {
    const turned = await trx('serial_exports').where({ holder, state: 'marked' }).update({ state: 'writing' }, ['holder']);
    const unmarked =
      turned.length === 0
        ? 0
        : (
            await trx('cancelled_serials')
              .where('claimed_by', holder)
              .whereNotNull('notified_at')
              .update({ notified_at: null, notified_by: null, claimed_by: null, claimed_at: null }, ['id'])
          ).length;
    await trx('cancelled_serials').where('claimed_by', holder).whereNull('notified_at').update({ claimed_by: null, claimed_at: null });
    if (unmarked > 0)
      await recordAudit(trx, {
        at: audit.at,
        actor: audit.actor,
        entity: 'serial_export',
        entityId: unmarked,
        action: 'unmark-notified',
        detail: { rows: unmarked, holder },
      });
    return unmarked;
  });
}

/** Ends the record of an export that marked nothing (its temporary is gone): its claims are freed with it. */
export async function dropExportRecord(store: StoreCore, holder: string): Promise<void> {
  await transact(store, async (trx) => {
    await trx('cancelled_serials').where('claimed_by', holder).whereNull('notified_at').update({ claimed_by: null, claimed_at: null });
    await trx('serial_exports').where({ holder, state: 'writing' }).delete();
  });
}

/**
 * Ends the record of an export that has not renewed it since `lapsedBefore` while still
 * writing (its process may live on, on another host or hung), freeing its claims; guarded
 * on what was read, so a record renewed meanwhile stays. Its temporary is left: the
 * export, should it go on, finds its claim gone and removes it.
 */
export async function dropLapsedExportRecord(store: StoreCore, holder: string, lapsedBefore: string): Promise<boolean> {
  return transact(store, async (trx) => {
    const dropped = await trx('serial_exports').where({ holder, state: 'writing' }).where('renewed_at', '<', lapsedBefore).delete(['holder']);
    if (dropped.length === 0) return false;
    await trx('cancelled_serials').where('claimed_by', holder).whereNull('notified_at').update({ claimed_by: null, claimed_at: null });
    return true;
  });
}

/** An export's record as the store keeps it. */
export interface ExportRecord {
  holder: string;
  state: 'writing' | 'marked';
  /** Null for an export to stdout. */
  tempPath: string | null;
  finalPath: string | null;
  renewedAt: string;
  sha256: string | null;
  rowsMarked: number;
}

/** Every export's record: those of running exports and those left by exports that stopped. */
export async function listExportRecords(db: Db): Promise<ExportRecord[]> {
  const rows = (await db('serial_exports').orderBy('holder').select('*')) as {
    holder: string;
    state: 'writing' | 'marked';
    temp_path: string | null;
    final_path: string | null;
    renewed_at: string;
    sha256: string | null;
    rows_marked: number | null;
  }[];
  return rows.map((r) => ({
    holder: r.holder,
    state: r.state,
    tempPath: r.temp_path,
    finalPath: r.final_path,
    renewedAt: r.renewed_at,
    sha256: r.sha256,
    rowsMarked: Number(r.rows_marked ?? 0),
  }));
}

/** Unnotified rows of the range that other exports hold now: they write and mark them. */
export async function countClaimedByOthers(db: Db, holder: string, range: SerialRange): Promise<number> {
  const row = await inRange(db('cancelled_serials').whereNull('notified_at').whereNotNull('claimed_by').whereNot('claimed_by', holder), range)
    .count({ n: '*' })
    .first();
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
  // Finance's file is the same whatever order the orders were confirmed in (several at once,
  // or a run killed and taken up): by day, then order number, then the order's rows as it wrote them.
  let after: { cancelledOn: string; orderNo: string; id: number } | null = null;
  for (;;) {
    const q = db('cancelled_serials as cs')
      .join('order_lines as ol', 'ol.id', 'cs.order_line_id')
      .join('change_orders as o', 'o.id', 'ol.order_id')
      .join('contracts as c', 'c.id', 'o.contract_id')
      .join('contract_lines as cl', 'cl.id', 'ol.contract_line_id')
      .orderBy([{ column: 'cs.cancelled_on' }, { column: 'o.order_no' }, { column: 'cs.id' }])
      .limit(pageSize)
      .select(
        'cs.id',
        'cs.cancelled_on',
        'c.contract_no',
        'o.order_no',
        'c.customer',
        'c.end_user',
        'cl.supplier',
        'cl.product_code',
        'cl.product_name',
        'cl.subscription_id',
        'cs.serial_no',
        'cs.cancel_quantity',
        'cs.end_date',
      );
    if (after !== null) q.whereRaw('(cs.cancelled_on, o.order_no, cs.id) > (?, ?, ?)', [after.cancelledOn, after.orderNo, after.id]);
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
    const last = page[page.length - 1]!;
    after = { cancelledOn: last.cancelled_on, orderNo: last.order_no, id: Number(last.id) };
  }
}
