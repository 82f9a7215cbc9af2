import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Knex } from 'knex';
import { NOT_FINAL_REFUSAL_CODES } from '../domain/orderState.js';
import { chunk, dialectOf, idsOf } from './sql.js';
import { holderIsDead } from './lockRepository.js';

type Db = Knex | Knex.Transaction;

/**
 * Linkage claims (order_lines.link_claim, link_claimed_until): a run sends or polls only
 * the lines it claimed, so two runs at once (two `orders resume`, a night beside a manual
 * `cancel`) never send one line twice. A claim is held under a lease on the database's
 * clock, renewed while the run links, and given back with the line's outcome. A claim is
 * taken over when its lease lapsed, or at once when its holder's process is gone from this
 * host (a run killed and started again goes on where it stopped).
 */

/** Who claims: host, process and a random part, so that two runs of one process differ too. */
export function newLinkClaimHolder(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** The database's clock in milliseconds since 1970, as SQL: one clock for every run, whatever its host. */
function dbNowMs(db: Db): string {
  return dialectOf(db) === 'postgres'
    ? 'cast(floor(extract(epoch from clock_timestamp()) * 1000) as bigint)'
    : "cast((julianday('now') - 2440587.5) * 86400000 as integer)";
}

/** Lines linkage may take up: waiting to be sent or polled, or failed without a final refusal (asked again). */
function whereLinkageOpen(q: Knex.QueryBuilder): Knex.QueryBuilder {
  return q.where((w) =>
    w
      .whereIn('linkage_status', ['unlinked', 'pending'])
      .orWhere((f) => f.where('linkage_status', 'failed').andWhere((c) => c.whereNull('linkage_code').orWhereIn('linkage_code', [...NOT_FINAL_REFUSAL_CODES]))),
  );
}

/**
 * Claims for `holder` the lines of these orders that linkage may take up and no live run
 * holds, until `leaseMs` from now. One guarded statement per chunk: what it returns is what
 * was taken; a line another run took meanwhile is not. Holders whose process is gone from
 * this host are looked up first and named in the guard.
 */
export async function claimLinesOfOrders(trx: Knex.Transaction, orderIds: readonly number[], holder: string, leaseMs: number): Promise<number[]> {
  const now = dbNowMs(trx);
  const claimed: number[] = [];
  for (const ids of chunk(orderIds)) {
    const others = (await whereLinkageOpen(trx('order_lines').whereIn('order_id', idsOf(trx, ids)))
      .whereNotNull('link_claim')
      .whereNot('link_claim', holder)
      .whereRaw(`link_claimed_until >= ${now}`)
      .distinct('link_claim')) as { link_claim: string }[];
    const gone = others.map((r) => r.link_claim).filter(holderIsDead);
    const changed = await whereLinkageOpen(trx('order_lines').whereIn('order_id', idsOf(trx, ids)))
      .where((free) => {
        free.whereNull('link_claim').orWhere('link_claim', holder).orWhereRaw(`link_claimed_until < ${now}`);
        if (gone.length > 0) free.orWhereIn('link_claim', gone);
      })
      .update({ link_claim: holder, link_claimed_until: trx.raw(`${now} + ?`, [leaseMs]) }, ['id']);
    claimed.push(...changed.map((r: { id: number }) => Number(r.id)));
  }
  return claimed;
}

/**
 * Extends the lease of the lines `holder` still holds; returns those. A line missing from
 * the answer was taken over (its lease had lapsed): the holder must not send it.
 */
export async function renewLinkClaims(db: Db, lineIds: readonly number[], holder: string, leaseMs: number): Promise<number[]> {
  const kept: number[] = [];
  for (const ids of chunk(lineIds)) {
    const changed = await db('order_lines')
      .whereIn('id', idsOf(db, ids))
      .andWhere('link_claim', holder)
      .update({ link_claimed_until: db.raw(`${dbNowMs(db)} + ?`, [leaseMs]) }, ['id']);
    kept.push(...changed.map((r: { id: number }) => Number(r.id)));
  }
  return kept;
}

/** Gives back what `holder` still holds of these lines. */
export async function releaseLinkClaims(db: Db, lineIds: readonly number[], holder: string): Promise<void> {
  for (const ids of chunk(lineIds)) {
    await db('order_lines').whereIn('id', idsOf(db, ids)).andWhere('link_claim', holder).update({ link_claim: null, link_claimed_until: null });
  }
}

/** Whether a live claim is on the line: SQL for a select list (1 or 0), for reports. */
export function liveClaimColumn(db: Db, alias: string): string {
  return `case when ${alias}.link_claim is not null and ${alias}.link_claimed_until >= ${dbNowMs(db)} then 1 else 0 end`;
}
