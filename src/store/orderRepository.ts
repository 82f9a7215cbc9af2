import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { GroupPlan } from '../domain/cancelRules.js';
import { NOT_FINAL_REFUSAL_CODES, type ReleaseRefused } from '../domain/orderState.js';
import { formatOrderNo } from '../domain/numbering.js';
import { STAGES, type LinkageStatus, type OrderStatus, type Stage } from '../domain/types.js';
import { fromStored, say, toStored, type Said } from '../messages/index.js';
import { recordAudit } from './audit.js';
import { liveClaimColumn } from './linkClaims.js';
import { chunk, dialectOf, idList, idsOf, insertRows, insertRowsSharing, rawRows, selectPacked } from './sql.js';
import { toChangeOrder, toOrderLine, type DbChangeOrder, type DbContract, type DbOrderLine } from './rows.js';

type Db = Knex | Knex.Transaction;

export interface WriteContext {
  actor: string;
  /** 更新日時, JST `YYYY-MM-DD HH:MM:SS`. */
  now: string;
  /** Today's business day (JST): application and cancellation dates. */
  today: string;
}

/** Takes n numbers from the one order sequence; inside the caller's transaction, so they never repeat. */
export async function allocateOrderNumbers(trx: Knex.Transaction, n: number): Promise<number> {
  const [row] = rawRows<{ value: number | string }>(await trx.raw(`update sequences set value = value + ? where name = 'order_no' returning value`, [n]));
  return Number(row!.value) - n + 1;
}

export interface CreatedOrder {
  contractId: number;
  orderId: number;
  orderNo: string;
}

/**
 * Creates one requested cancellation order per plan, with its lines, serials and line
 * claims. Plans whose lines another order claimed meanwhile (an overlapping run) are
 * returned in `lost` and nothing of them is written. When a line changed since the plans
 * were judged (a master import, a confirmation: its quantity, price, status or serials),
 * nothing at all is written and those plans come back in `changed`: the caller judges
 * them again against what the line has now. `holdStage`: the stage the run was asked to
 * stop at (its `--until`, null for `completed`), recorded on each order in the same
 * statement, so that no night can take up an order before it knows where to stop.
 */
export async function createCancelOrders(
  trx: Knex.Transaction,
  plans: readonly GroupPlan[],
  ctx: WriteContext & { runId: number | null; holdStage?: Stage | null },
): Promise<{ created: CreatedOrder[]; lost: GroupPlan[]; changed: GroupPlan[] }> {
  const current = await lockLinesForOrders(trx, plans);
  const claimed = (p: GroupPlan) => p.lines.some((l) => (current.lines.get(l.lineId)?.claimedBy ?? null) !== null);
  const changed = plans.filter((p) => !claimed(p) && p.lines.some((l) => lineChanged(l, current)));
  if (changed.length > 0) return { created: [], lost: [], changed };
  const lost = plans.filter(claimed);
  const winners = plans.filter((p) => !claimed(p));
  if (winners.length === 0) return { created: [], lost, changed: [] };

  const first = await allocateOrderNumbers(trx, winners.length);
  const orderNos = winners.map((_, i) => formatOrderNo(ctx.today, first + i));
  const idByNo = new Map<string, number>();
  const inserted = await insertRowsSharing<{ id: number; order_no: string }>(
    trx,
    'change_orders',
    winners.map((p, i) => ({ order_no: orderNos[i], contract_id: p.contractId, end_date: p.endDate, note: p.note })),
    {
      kind: 'cancel',
      status: 'requested',
      applied_on: ctx.today,
      run_id: ctx.runId,
      hold_stage: ctx.holdStage ?? null,
      created_at: ctx.now,
      updated_at: ctx.now,
      updated_by: ctx.actor,
    },
    ['id', 'order_no'],
  );
  for (const r of inserted) idByNo.set(r.order_no, Number(r.id));
  const created = winners.map((p, i) => ({ contractId: p.contractId, orderNo: orderNos[i]!, orderId: idByNo.get(orderNos[i]!)! }));

  const lineRows = winners.flatMap((p, i) =>
    p.lines.map((l) => ({
      order_id: created[i]!.orderId,
      contract_line_id: l.lineId,
      quantity_before: l.quantityBefore,
      cancel_quantity: l.cancelQuantity,
      quantity_after: l.quantityBefore - l.cancelQuantity,
      unit_price: l.unitPrice,
      // Its own key for ever: ids repeat after a store is restored from a backup, keys do not.
      idempotency_key: randomUUID(),
    })),
  );
  // The new lines' ids are needed only to name the serials they cancel.
  const withSerials = winners.some((p) => p.lines.some((l) => l.serialIds.length > 0));
  const insertedLines = await insertRowsSharing<{ id: number; order_id: number; contract_line_id: number }>(
    trx,
    'order_lines',
    lineRows,
    { linkage_status: 'unlinked' },
    withSerials ? ['id', 'order_id', 'contract_line_id'] : [],
  );
  if (withSerials) {
    const orderLineIds = new Map(insertedLines.map((r) => [`${r.order_id}:${r.contract_line_id}`, Number(r.id)]));
    const serialRows = winners.flatMap((p, i) =>
      p.lines.flatMap((l) => l.serialIds.map((serialId) => ({ order_line_id: orderLineIds.get(`${created[i]!.orderId}:${l.lineId}`)!, serial_id: serialId }))),
    );
    await insertRows(trx, 'order_line_serials', serialRows);
  }
  const orderIds = created.map((c) => c.orderId);
  for (const ids of chunk(orderIds)) {
    const list = idList(trx, ids);
    await trx.raw(`insert into line_claims (contract_line_id, order_id) select contract_line_id, order_id from order_lines where order_id in (${list.sql})`, [
      list.binding,
    ]);
  }
  await auditOrders(trx, orderIds, 'create', ctx);
  return { created, lost, changed: [] };
}

interface LinesNow {
  lines: Map<number, { status: string; quantity: number; unitPrice: number; claimedBy: number | null }>;
  /** The serials the plans name: the line each is on, and its status. */
  serials: Map<number, { lineId: number; status: string }>;
}

/**
 * What the plans' lines hold now, read inside the transaction that writes the orders. On
 * PostgreSQL the lines are locked first (FOR UPDATE, in id order, as the master import
 * locks them), and only then read by a statement of its own: under READ COMMITTED that
 * read sees whatever a transaction holding them committed, so an import cannot change a
 * quantity between this read and the orders' insert, and an import waiting for them sees
 * the new claims. SQLite has one writer: a transaction that read before another one's
 * commit cannot write (SQLITE_BUSY_SNAPSHOT) and is retried whole.
 */
async function lockLinesForOrders(trx: Knex.Transaction, plans: readonly GroupPlan[]): Promise<LinesNow> {
  const lineIds = [...new Set(plans.flatMap((p) => p.lines.map((l) => l.lineId)))].sort((a, b) => a - b);
  const serialIds = [...new Set(plans.flatMap((p) => p.lines.flatMap((l) => l.serialIds)))];
  const now: LinesNow = { lines: new Map(), serials: new Map() };
  const locking = dialectOf(trx) === 'postgres';
  for (const ids of chunk(lineIds)) {
    if (locking) await trx('contract_lines').whereIn('id', idsOf(trx, ids)).orderBy('id').forUpdate().select('id');
    const rows = await trx('contract_lines as cl')
      .leftJoin('line_claims as lc', 'lc.contract_line_id', 'cl.id')
      .whereIn('cl.id', idsOf(trx, ids))
      .select('cl.id', 'cl.status', 'cl.quantity', 'cl.unit_price', 'lc.order_id as claimed_by');
    for (const l of rows)
      now.lines.set(Number(l.id), {
        status: l.status,
        quantity: Number(l.quantity),
        unitPrice: Number(l.unit_price),
        claimedBy: l.claimed_by === null ? null : Number(l.claimed_by),
      });
  }
  for (const ids of chunk(serialIds)) {
    for (const s of await trx('serials').whereIn('id', idsOf(trx, ids)).select('id', 'line_id', 'status'))
      now.serials.set(Number(s.id), { lineId: Number(s.line_id), status: s.status });
  }
  return now;
}

/** The line is not what the plan read: gone, no longer active, another quantity or price, or a named serial moved or removed. */
function lineChanged(l: GroupPlan['lines'][number], now: LinesNow): boolean {
  const line = now.lines.get(l.lineId);
  if (!line || line.status !== 'active' || line.quantity !== l.quantityBefore || line.unitPrice !== l.unitPrice) return true;
  return l.serialIds.some((id) => {
    const serial = now.serials.get(id);
    return !serial || serial.lineId !== l.lineId || serial.status !== 'active';
  });
}

async function auditOrders(db: Db, orderIds: readonly number[], action: string, ctx: WriteContext): Promise<void> {
  for (const ids of chunk(orderIds)) {
    const list = idList(db, ids);
    await db.raw(`insert into audit_log (at, actor, entity, entity_id, action) select ?, ?, 'order', id, ? from change_orders where id in (${list.sql})`, [
      ctx.now,
      ctx.actor,
      action,
      list.binding,
    ]);
  }
}

/**
 * Moves many orders from one status to the next in one statement per chunk, guarded on
 * the status read: an order another run already moved is left alone. Returns the ids moved.
 */
export async function transitionOrders(
  trx: Knex.Transaction,
  orderIds: readonly number[],
  from: OrderStatus,
  to: OrderStatus,
  ctx: WriteContext,
  action: string,
): Promise<number[]> {
  const moved: number[] = [];
  for (const ids of chunk(orderIds)) {
    // RETURNING gives the rows this statement changed, not the ones read before it, so an
    // order another run moved meanwhile is never counted (or audited) twice.
    const changed = await trx('change_orders')
      .whereIn('id', idsOf(trx, ids))
      .andWhere({ status: from })
      .update({ status: to, updated_at: ctx.now, updated_by: ctx.actor }, ['id']);
    moved.push(...changed.map((r: { id: number }) => Number(r.id)));
  }
  await auditOrders(trx, moved, action, ctx);
  return moved;
}

/** 受付取消 as one guarded statement: only while the supplier cannot have taken any line (domain/orderState.ts, withdrawAcceptance). */
export async function withdrawAcceptanceIfUnsent(trx: Knex.Transaction, orderId: number, ctx: WriteContext): Promise<boolean> {
  const sent = trx('order_lines')
    .where('order_id', orderId)
    // A line the supplier refused for good changed nothing there; one sent without an answer
    // may have, and so may one whose refusal is not final (an answer that could not be read).
    .andWhere((q) =>
      q
        .whereIn('linkage_status', ['pending', 'linked'])
        .orWhere((u) => u.where('linkage_status', 'unlinked').whereNotNull('sent_at'))
        .orWhere((f) =>
          f.where('linkage_status', 'failed').andWhere((c) => c.whereNull('linkage_code').orWhereIn('linkage_code', [...NOT_FINAL_REFUSAL_CODES])),
        ),
    )
    .select(trx.raw('1'));
  // Sent back by an operator on purpose: it stays requested until an operator moves it (a
  // night accepting it again would undo the 受付取消).
  const changed = await trx('change_orders')
    .where({ id: orderId, status: 'accepted' })
    .whereNotExists(sent)
    .update({ status: 'requested', hold_stage: 'requested', updated_at: ctx.now, updated_by: ctx.actor }, ['id']);
  if (changed.length === 0) return false;
  await auditOrders(trx, [orderId], 'withdraw-acceptance', ctx);
  return true;
}

/**
 * A later request moves the stop of open orders on: those stopping before `until` now stop
 * at `until`, or nowhere (null) when it is `completed`. A stop is never moved earlier here
 * (only 受付取消 does that): an order carried on to completion stays so. Guarded on the
 * order being open; a completed or withdrawn order has no stop to keep.
 */
export async function raiseOrderHolds(trx: Knex.Transaction, orderIds: readonly number[], until: Stage): Promise<void> {
  const earlier = STAGES.slice(0, STAGES.indexOf(until));
  if (earlier.length === 0) return;
  for (const ids of chunk(orderIds)) {
    await trx('change_orders')
      .whereIn('id', idsOf(trx, ids))
      .whereIn('status', ['requested', 'accepted'])
      .whereIn('hold_stage', earlier)
      .update({ hold_stage: until === 'completed' ? null : until });
  }
}

/** The ids of orders by number, for the numbers that name one. */
export async function findOrderIdsByNo(db: Db, orderNos: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const part of chunk([...new Set(orderNos)], 500))
    for (const r of await db('change_orders').whereIn('order_no', part).select('id', 'order_no')) out.set(r.order_no, Number(r.id));
  return out;
}

export interface OrderWithLines {
  order: ReturnType<typeof toChangeOrder> & { completedOn: string | null; updatedAt: string; updatedBy: string; note: string; runId: number | null };
  lines: (ReturnType<typeof toOrderLine> & { sentAt: string | null; linkageCode: string | null; linkageMessage: string | null })[];
}

export async function loadOrders(db: Db, orderIds: readonly number[]): Promise<Map<number, OrderWithLines>> {
  const out = new Map<number, OrderWithLines>();
  for (const ids of chunk([...new Set(orderIds)])) {
    const orders = await db<DbChangeOrder>('change_orders').whereIn('id', idsOf(db, ids));
    for (const o of orders) {
      out.set(o.id, {
        order: { ...toChangeOrder(o), completedOn: o.completed_on, updatedAt: o.updated_at, updatedBy: o.updated_by, note: o.note, runId: o.run_id },
        lines: [],
      });
    }
    const lines = await db<DbOrderLine>('order_lines').whereIn('order_id', idsOf(db, ids)).orderBy('id');
    for (const l of lines)
      out.get(l.order_id)?.lines.push({
        ...toOrderLine(l),
        sentAt: l.sent_at,
        linkageCode: l.linkage_code,
        linkageMessage: linkageWords(l.linkage_message, null, l.linkage_detail).linkageMessage,
      });
  }
  return out;
}

export async function findOrderByNo(db: Db, orderNo: string): Promise<OrderWithLines | undefined> {
  const row = await db<DbChangeOrder>('change_orders').where({ order_no: orderNo }).first('id');
  if (!row) return undefined;
  return (await loadOrders(db, [row.id])).get(row.id);
}

/**
 * Before the calls of a batch leave, in one transaction: each line gets its idempotency key
 * if it has none yet (a line inserted without one, or one created before keys were stored
 * and never sent), and sent_at is recorded on the lines not marked before. A run killed
 * mid-call then sends the same target with the same key again. Returns every line's key
 * and the lines this call marked (the others were marked by an earlier run). With
 * `mark: false` (nothing will leave: the circuit is open) it only gives the keys.
 */
export async function prepareLinesToSend(
  trx: Knex.Transaction,
  lineIds: readonly number[],
  now: string,
  options: { mark: boolean } = { mark: true },
): Promise<{ keys: Map<number, string>; marked: number[] }> {
  const keys = new Map<number, string>();
  const marked: number[] = [];
  type KeyRow = { id: number; idempotency_key: string | null };
  for (const ids of chunk(lineIds)) {
    // The keys read once: nearly every line has had its key since it was created.
    const keyless: number[] = [];
    for (const r of (await trx('order_lines').whereIn('id', idsOf(trx, ids)).select('id', 'idempotency_key')) as KeyRow[]) {
      if (r.idempotency_key === null) keyless.push(Number(r.id));
      else keys.set(Number(r.id), r.idempotency_key);
    }
    for (const part of chunk(keyless, 5000)) {
      // Guarded on the key still missing: a run that filled it meanwhile keeps its key.
      await trx.raw(
        `update order_lines set idempotency_key = v.column2 from (values ${part.map(() => '(?, ?)').join(', ')}) as v
         where order_lines.id = cast(v.column1 as integer) and order_lines.idempotency_key is null`,
        part.flatMap((id) => [id, randomUUID()]),
      );
      // Read back: the key this statement wrote, or the one another run wrote first.
      for (const r of (await trx('order_lines').whereIn('id', idsOf(trx, part)).select('id', 'idempotency_key')) as KeyRow[])
        if (r.idempotency_key !== null) keys.set(Number(r.id), r.idempotency_key);
    }
    if (!options.mark) continue;
    const changed = await trx('order_lines').whereIn('id', idsOf(trx, ids)).whereNull('sent_at').update({ sent_at: now }, ['id']);
    marked.push(...changed.map((r: { id: number }) => Number(r.id)));
  }
  return { keys, marked };
}

/**
 * Records the supplier that answered for these order lines on their orders, where none is
 * recorded yet (guarded: the first supplier that answered stays).
 */
export async function recordLinkedWith(trx: Knex.Transaction, orderLineIds: readonly number[], supplier: string): Promise<void> {
  for (const ids of chunk(orderLineIds)) {
    await trx('change_orders')
      .whereIn('id', trx('order_lines').whereIn('id', idsOf(trx, ids)).select('order_id'))
      .whereNull('linked_with')
      .update({ linked_with: supplier });
  }
}

/**
 * Takes back sent_at from lines prepareLinesToSend marked that were not sent after all (the
 * circuit opened first): they look exactly like lines never sent, and a later run sends
 * them with the same key and target.
 */
export async function unmarkLinesSent(trx: Knex.Transaction, lineIds: readonly number[], holder: string): Promise<void> {
  for (const ids of chunk(lineIds))
    await trx('order_lines').whereIn('id', idsOf(trx, ids)).where({ linkage_status: 'unlinked', link_claim: holder }).update({ sent_at: null });
}

export interface LinkageUpdate {
  lineId: number;
  status: LinkageStatus;
  code: string | null;
  /** The supplier's own words (a refusal's), kept as they came. */
  message: string | null;
  /** Our own words about the line, from the book: the store keeps their key and parameters, not a sentence. */
  said?: Said | null;
  /**
   * The supplier settled the line at this quantity, not at its target, and the store follows
   * it: on a completed order (confirmed unsettled) the contract line takes it; on an accepted
   * one the order line does (its cancel quantity and quantity after), and confirmation
   * applies it (followSupplierQuantity).
   */
  supplierQuantity?: number;
  /** What the supplier holds, where it differs from the target and the store does not follow it (said in the event only). */
  supplierHolds?: number;
  /**
   * Something at the supplier's address answered, though the line keeps SUPPLIER_UNAVAILABLE
   * (a 2xx that said nothing, a 404 after sending): the order is linked with that supplier.
   */
  answered?: true;
  /**
   * The change did not land: it is sent again under a new idempotency key (the supplier
   * answers a key it has seen with the answer it remembers, so the same key would only
   * replay "did not land" for ever). Absolute target quantities make a new key safe.
   */
  sendAfresh?: true;
}

/**
 * Writes many linkage outcomes at once: one statement per status, one per line only where a
 * line carries words. With `holder`, only lines it still claims are written, and their claim
 * is given back with the outcome (linkClaims.ts): a run whose claim was taken over leaves the
 * line to the run that took it.
 */
export async function recordLinkage(trx: Knex.Transaction, updates: readonly LinkageUpdate[], ctx: WriteContext, holder: string | null = null): Promise<void> {
  const plain = new Map<LinkageStatus, number[]>();
  const claimed = (q: Knex.QueryBuilder): Knex.QueryBuilder => (holder === null ? q : q.andWhere('link_claim', holder));
  const release = holder === null ? {} : { link_claim: null, link_claimed_until: null };
  for (const u of updates) {
    if (u.supplierQuantity !== undefined) {
      // Once: a run that polled the same line meanwhile finds it linked and changes nothing.
      const changed = await claimed(trx('order_lines').where({ id: u.lineId }).whereNot('linkage_status', 'linked')).update(
        { linkage_status: u.status, linkage_code: u.code, ...linkageWordsColumns(u), linked_at: ctx.now, ...release },
        ['id'],
      );
      if (changed.length > 0) await followSupplierQuantity(trx, u.lineId, u.supplierQuantity, ctx);
      continue;
    }
    if (u.code !== null || u.message !== null || u.said) {
      await claimed(trx('order_lines').where({ id: u.lineId })).update({
        linkage_status: u.status,
        linkage_code: u.code,
        ...linkageWordsColumns(u),
        linked_at: u.status === 'linked' ? ctx.now : null,
        // A new key is drawn when the line is next sent (prepareLinesToSend).
        ...(u.sendAfresh ? { idempotency_key: null } : {}),
        ...release,
      });
      continue;
    }
    const list = plain.get(u.status);
    if (list) list.push(u.lineId);
    else plain.set(u.status, [u.lineId]);
  }
  for (const [status, allIds] of plain) {
    for (const ids of chunk(allIds)) {
      await claimed(trx('order_lines').whereIn('id', idsOf(trx, ids))).update({
        linkage_status: status,
        linkage_code: null,
        linkage_message: null,
        linkage_message_ja: null,
        linkage_detail: null,
        linked_at: status === 'linked' ? ctx.now : null,
        ...release,
      });
    }
  }
}

/**
 * A line confirmed before the supplier settled (--confirm-unsettled) that the supplier
 * settled at another quantity: the store follows the supplier. The contract line takes the
 * supplier's quantity (cancelled at 0 with the order's end date; active again above 0), its
 * contract is cancelled when no active line is left, or active again when a line is, and an
 * audit row keeps both quantities. A line another open order holds since is left to that
 * order (its quantity before was read from the store): the audit row says so.
 */
async function followSupplierQuantity(trx: Knex.Transaction, orderLineId: number, supplierQuantity: number, ctx: WriteContext): Promise<void> {
  const row = (await trx('order_lines as ol')
    .join('change_orders as o', 'o.id', 'ol.order_id')
    .join('contract_lines as cl', 'cl.id', 'ol.contract_line_id')
    .leftJoin('line_claims as lc', 'lc.contract_line_id', 'cl.id')
    .where('ol.id', orderLineId)
    .first(
      'ol.quantity_after',
      'o.order_no',
      'o.status as order_status',
      'o.end_date as order_end_date',
      'cl.id as line_id',
      'cl.contract_id',
      'cl.quantity',
      'cl.end_date as line_end_date',
      'cl.subscription_id',
      'lc.order_id as claimed_by',
    )) as
    | {
        quantity_after: number;
        order_no: string;
        order_status: string;
        order_end_date: string | null;
        line_id: number;
        contract_id: number;
        quantity: number;
        line_end_date: string | null;
        subscription_id: string;
        claimed_by: number | null;
      }
    | undefined;
  if (row?.order_status === 'accepted') {
    await followOnOpenOrder(trx, orderLineId, row, supplierQuantity, ctx);
    return;
  }
  if (!row || row.order_status !== 'completed') return;
  const storeHad = Number(row.quantity);
  const heldByOpenOrder = row.claimed_by !== null;
  const apply = !heldByOpenOrder && storeHad !== supplierQuantity;
  if (apply) {
    const cancelled = supplierQuantity === 0;
    await trx('contract_lines')
      .where({ id: row.line_id })
      .update({
        quantity: supplierQuantity,
        status: cancelled ? 'cancelled' : 'active',
        end_date: cancelled ? (row.line_end_date ?? row.order_end_date) : null,
        updated_at: ctx.now,
        updated_by: ctx.actor,
      });
    if (cancelled) {
      await trx('contracts')
        .where({ id: row.contract_id, status: 'active' })
        .whereNotExists(trx('contract_lines').where({ contract_id: row.contract_id, status: 'active' }).select(trx.raw('1')))
        .update({ status: 'cancelled', end_date: row.order_end_date, cancelled_on: ctx.today, updated_at: ctx.now, updated_by: ctx.actor });
    } else {
      // Seats still billed at the supplier: the contract is not cancelled (its end and cancellation dates were this order's).
      await trx('contracts')
        .where({ id: row.contract_id, status: 'cancelled' })
        .update({ status: 'active', end_date: null, cancelled_on: null, updated_at: ctx.now, updated_by: ctx.actor });
    }
  }
  const finance = apply ? await followOnCompletedOrderLine(trx, orderLineId, supplierQuantity) : null;
  if (heldByOpenOrder) {
    const line = (await trx('order_lines').where({ id: orderLineId }).first('linkage_detail')) as Pick<DbOrderLine, 'linkage_detail'> | undefined;
    const reason = line?.linkage_detail ? (JSON.parse(line.linkage_detail) as unknown) : null;
    if (reason !== null) {
      // The line's words with the store's after them, by key: the store keeps the reason's key and parameters inside.
      await trx('order_lines')
        .where({ id: orderLineId })
        .update({ linkage_detail: JSON.stringify({ key: 'store.lineHeldAfterReason', params: { reason } }) });
    } else {
      // A line written by an earlier version keeps its sentences: the store's are added to them.
      const held = say('store.lineHeldByOpenOrder');
      await trx('order_lines')
        .where({ id: orderLineId })
        .update({
          linkage_message: trx.raw(`coalesce(linkage_message, '') || ?`, [`; ${held.en}`]),
          linkage_message_ja: trx.raw(`coalesce(linkage_message_ja, '') || ?`, [`。${held.ja}`]),
        });
    }
  }
  await recordAudit(trx, {
    at: ctx.now,
    actor: ctx.actor,
    entity: 'contract_line',
    entityId: Number(row.line_id),
    action: 'supplier-settled-other-quantity',
    detail: {
      orderNo: row.order_no,
      orderLineId,
      subscriptionId: row.subscription_id,
      confirmedQuantity: Number(row.quantity_after),
      storeHad,
      supplierQuantity,
      applied: apply,
      cancelledSerialRow: finance,
    },
  });
}

/**
 * The order line of a completed order, and finance's cancelled-serial row of it, follow
 * what the supplier settled at, as the contract line did: the order's amounts and the
 * notification CSV then say what was really cancelled (before − what the supplier holds),
 * not what was asked. A row finance was already notified of stays as it was (the audit row
 * says so); serial-managed lines name their serials and are left as confirmed.
 */
async function followOnCompletedOrderLine(
  trx: Knex.Transaction,
  orderLineId: number,
  supplierQuantity: number,
): Promise<'updated' | 'removed' | 'already notified' | 'none'> {
  const line = (await trx('order_lines').where({ id: orderLineId }).first('quantity_before')) as { quantity_before: number } | undefined;
  if (!line) return 'none';
  const cancelled = Math.max(0, Number(line.quantity_before) - supplierQuantity);
  await trx('order_lines').where({ id: orderLineId }).update({ quantity_after: supplierQuantity, cancel_quantity: cancelled });
  const serialManaged = await trx('order_line_serials').where({ order_line_id: orderLineId }).first('serial_id');
  if (serialManaged) return 'none';
  const rows = (await trx('cancelled_serials').where({ order_line_id: orderLineId }).select('id', 'notified_at')) as {
    id: number;
    notified_at: string | null;
  }[];
  if (rows.length === 0) return 'none';
  if (rows.some((r) => r.notified_at !== null)) return 'already notified';
  if (cancelled === 0) {
    await trx('cancelled_serials').where({ order_line_id: orderLineId }).delete();
    return 'removed';
  }
  await trx('cancelled_serials').where({ order_line_id: orderLineId }).update({ cancel_quantity: cancelled });
  return 'updated';
}

/**
 * A line of an order not yet confirmed that the supplier settled at fewer seats than before,
 * not at the target (linkOutcomes.ts decides when): the order line follows the supplier, its
 * quantity after becoming what the supplier holds and its cancel quantity what the supplier
 * took, so that confirmation applies to the contract line, the serial export and the amounts
 * what the supplier did. An audit row keeps what was asked and what the supplier holds.
 */
async function followOnOpenOrder(
  trx: Knex.Transaction,
  orderLineId: number,
  row: { quantity_after: number; order_no: string; line_id: number; subscription_id: string },
  supplierQuantity: number,
  ctx: WriteContext,
): Promise<void> {
  const asked = (await trx('order_lines').where({ id: orderLineId }).first('quantity_before', 'cancel_quantity')) as {
    quantity_before: number;
    cancel_quantity: number;
  };
  const before = Number(asked.quantity_before);
  await trx('order_lines')
    .where({ id: orderLineId })
    .update({ quantity_after: supplierQuantity, cancel_quantity: before - supplierQuantity });
  await recordAudit(trx, {
    at: ctx.now,
    actor: ctx.actor,
    entity: 'order_line',
    entityId: orderLineId,
    action: 'supplier-settled-other-quantity',
    detail: {
      orderNo: row.order_no,
      contractLineId: Number(row.line_id),
      subscriptionId: row.subscription_id,
      quantityBefore: before,
      askedCancelQuantity: Number(asked.cancel_quantity),
      askedQuantityAfter: Number(row.quantity_after),
      supplierQuantity,
    },
  });
}

/**
 * 解約確定 for many orders with set-based statements: the orders become completed, the
 * contract lines take their new quantities (a line at 0 becomes cancelled with the end
 * date), serials are cancelled, the cancelled-serial rows are written, the line claims
 * are released, and a contract with no active line left becomes cancelled.
 * Lines the supplier refused (failed) are released instead (the caller confirms only
 * orders whose refused lines may be: domain/orderState.ts, ReleaseRefused): their contract
 * line keeps its quantity, no serial or cancelled-serial row is written for them, their
 * claim goes with the order's, and the order line records that nothing changed (cancel 0,
 * after = before) while keeping the supplier's code and words; what was asked is kept in
 * an audit row per released line.
 * Every statement is guarded so that applying it twice changes nothing.
 */
export async function confirmOrders(
  trx: Knex.Transaction,
  orderIds: readonly number[],
  endDateOverride: string | null,
  ctx: WriteContext,
  release: ReleaseRefused = 'none',
): Promise<number[]> {
  const done: number[] = [];
  for (const candidates of chunk(orderIds, 5000)) {
    const query = trx('change_orders').whereIn('id', idsOf(trx, candidates)).andWhere({ status: 'accepted' });
    // Guarded on the refusals the caller judged releasable: a line refused since it read
    // the order (a poll of another run, say) keeps the order accepted.
    if (release !== 'any') {
      query.whereNotExists(function blocking() {
        this.select(trx.raw('1')).from('order_lines as g').whereRaw('g.order_id = change_orders.id').andWhere('g.linkage_status', 'failed');
        if (release === 'final') this.andWhere((q) => q.whereNull('g.linkage_code').orWhereIn('g.linkage_code', [...NOT_FINAL_REFUSAL_CODES]));
      });
    }
    const changed = await query.update(
      {
        status: 'completed',
        completed_on: ctx.today,
        updated_at: ctx.now,
        updated_by: ctx.actor,
        ...(endDateOverride !== null ? { end_date: endDateOverride } : {}),
      },
      ['id'],
    );
    const ids = changed.map((r: { id: number }) => Number(r.id));
    if (ids.length === 0) continue;
    // Every statement below names the orders by one bound list.
    const { sql: inList, binding: listed } = idList(trx, ids);
    await releaseRefusedLines(trx, ids, ctx);
    // Released lines are failed lines: every statement below leaves them out.
    const orderLines = `select ol.id from order_lines ol where ol.order_id in (${inList}) and ol.linkage_status <> 'failed'`;
    // UPDATE … FROM (SQLite 3.33+, PostgreSQL): the id list is read once, not once per
    // updated row as a correlated subquery would (that cost seconds at 20,000 orders).
    await trx.raw(
      `update contract_lines set
         quantity = ol.quantity_after,
         status = case when ol.quantity_after = 0 then 'cancelled' else contract_lines.status end,
         end_date = case when ol.quantity_after = 0 then o.end_date else contract_lines.end_date end,
         updated_at = ?, updated_by = ?
       from order_lines ol join change_orders o on o.id = ol.order_id
       where ol.contract_line_id = contract_lines.id and ol.order_id in (${inList}) and ol.linkage_status <> 'failed'`,
      [ctx.now, ctx.actor, listed],
    );
    await trx.raw(
      `update serials set status = 'cancelled' where id in (select s.serial_id from order_line_serials s where s.order_line_id in (${orderLines}))`,
      [listed],
    );
    // Serial-managed lines yield one row per named serial; subscription products one row
    // with the subscription id standing as the serial and the cancelled quantity.
    await trx.raw(
      `insert into cancelled_serials (order_line_id, serial_no, cancel_quantity, cancelled_on, end_date)
       select ol.id, s.serial_no, 1, ?, o.end_date
       from order_lines ol join change_orders o on o.id = ol.order_id
       join order_line_serials ols on ols.order_line_id = ol.id join serials s on s.id = ols.serial_id
       where ol.order_id in (${inList}) and ol.linkage_status <> 'failed'`,
      [ctx.today, listed],
    );
    await trx.raw(
      `insert into cancelled_serials (order_line_id, serial_no, cancel_quantity, cancelled_on, end_date)
       select ol.id, case when cl.subscription_id <> '' then cl.subscription_id else cl.product_code end, ol.cancel_quantity, ?, o.end_date
       from order_lines ol join change_orders o on o.id = ol.order_id join contract_lines cl on cl.id = ol.contract_line_id
       where ol.order_id in (${inList}) and ol.linkage_status <> 'failed' and not exists (select 1 from order_line_serials ols where ols.order_line_id = ol.id)`,
      [ctx.today, listed],
    );
    await trx('line_claims').whereIn('order_id', idsOf(trx, ids)).delete();
    await trx.raw(
      `update contracts set status = 'cancelled', end_date = x.end_date, cancelled_on = ?, updated_at = ?, updated_by = ?
       from (select o.contract_id, max(o.end_date) as end_date from change_orders o where o.id in (${inList}) group by o.contract_id) x
       where contracts.id = x.contract_id and contracts.status = 'active'
         and not exists (select 1 from contract_lines cl where cl.contract_id = contracts.id and cl.status = 'active')`,
      [ctx.today, ctx.now, ctx.actor, listed],
    );
    await auditOrders(trx, ids, 'confirm', ctx);
    done.push(...ids);
  }
  return done;
}

/**
 * The lines of orders being confirmed that the supplier refused: each keeps its linkage
 * status, code and words, and now says that the order changed nothing on it. An audit row
 * keeps what was asked and the supplier's answer.
 */
async function releaseRefusedLines(trx: Knex.Transaction, orderIds: readonly number[], ctx: WriteContext): Promise<void> {
  const refused = (await trx('order_lines')
    .whereIn('order_id', idsOf(trx, orderIds))
    .andWhere('linkage_status', 'failed')
    .select(
      'id',
      'order_id',
      'contract_line_id',
      'quantity_before',
      'cancel_quantity',
      'quantity_after',
      'linkage_code',
      'linkage_message',
      'linkage_detail',
    )) as Pick<
    DbOrderLine,
    'id' | 'order_id' | 'contract_line_id' | 'quantity_before' | 'cancel_quantity' | 'quantity_after' | 'linkage_code' | 'linkage_message' | 'linkage_detail'
  >[];
  if (refused.length === 0) return;
  for (const ids of chunk(refused.map((r) => Number(r.id)))) {
    await trx('order_lines')
      .whereIn('id', idsOf(trx, ids))
      .update({ cancel_quantity: 0, quantity_after: trx.raw('quantity_before') });
  }
  await recordAudit(
    trx,
    ...refused.map((r) => ({
      at: ctx.now,
      actor: ctx.actor,
      entity: 'order_line' as const,
      entityId: Number(r.id),
      action: 'release',
      detail: {
        orderId: Number(r.order_id),
        contractLineId: Number(r.contract_line_id),
        quantityBefore: Number(r.quantity_before),
        askedCancelQuantity: Number(r.cancel_quantity),
        askedQuantityAfter: Number(r.quantity_after),
        supplierCode: r.linkage_code,
        supplierMessage: linkageWords(r.linkage_message, null, r.linkage_detail).linkageMessage,
      },
    })),
  );
}

/** Withdrawn orders give their lines back. */
export async function releaseClaims(trx: Knex.Transaction, orderIds: readonly number[]): Promise<void> {
  for (const ids of chunk(orderIds)) await trx('line_claims').whereIn('order_id', idsOf(trx, ids)).delete();
}

/**
 * Orders `orders resume` advances, oldest first: the open ones, and completed ones whose
 * lines were confirmed before the supplier settled (they are polled until it has). A
 * completed order's line is never unlinked now; one an earlier version left so (the supplier
 * settled elsewhere) is polled like a pending one.
 */
export async function listOpenOrderIds(db: Db): Promise<number[]> {
  const unsettled = db('order_lines').whereIn('linkage_status', ['pending', 'unlinked']).select('order_id');
  return (
    await db('change_orders')
      .whereIn('status', ['requested', 'accepted'])
      .orWhere((q) => q.where('status', 'completed').whereIn('id', unsettled))
      .orderBy('id')
      .select('id')
  ).map((r) => Number(r.id));
}

/** Orders requested or accepted, parked ones included. */
export async function countOpenOrders(db: Db): Promise<number> {
  const row = await db('change_orders').whereIn('status', ['requested', 'accepted']).count({ n: '*' }).first();
  return Number(row?.['n'] ?? 0);
}

export async function loadContractsById(db: Db, ids: readonly number[]): Promise<Map<number, DbContract>> {
  const out = new Map<number, DbContract>();
  for (const part of chunk([...new Set(ids)])) for (const c of await db<DbContract>('contracts').whereIn('id', part)) out.set(c.id, c);
  return out;
}

/** What linkage needs of a line, in one join: a few columns instead of four whole tables. */
export interface LinkableLine {
  lineId: number;
  orderId: number;
  /** The supplier the order was linked with, null before its first linkage. */
  linkedWith: string | null;
  orderStatus: OrderStatus;
  linkageStatus: LinkageStatus;
  quantityBefore: number;
  quantityAfter: number;
  subscriptionId: string;
  customer: string;
  /** A change of it left before (sent_at is set). */
  sent: boolean;
  /** It cancels named serials (order_line_serials). */
  namesSerials: boolean;
}

/**
 * Lines waiting for linkage (unlinked) or settlement (pending) of the given orders, in line
 * order; and, of accepted orders, lines failed without a final refusal (an answer that could
 * not be read, left by an earlier version): the supplier may have taken them, so they are
 * asked again, never taken for refused.
 */
export async function loadLinkableLines(db: Db, orderIds: readonly number[]): Promise<LinkableLine[]> {
  const out: LinkableLine[] = [];
  for (const ids of chunk(orderIds)) {
    const query = db('order_lines as ol')
      .join('change_orders as o', 'o.id', 'ol.order_id')
      .join('contract_lines as cl', 'cl.id', 'ol.contract_line_id')
      .join('contracts as c', 'c.id', 'o.contract_id')
      .whereIn('ol.order_id', idsOf(db, ids))
      .where((open) =>
        open
          .where((w) => w.whereIn('ol.linkage_status', ['unlinked', 'pending']).whereIn('o.status', ['accepted', 'completed']))
          .orWhere((f) =>
            f
              .where('ol.linkage_status', 'failed')
              .where('o.status', 'accepted')
              .where((c) => c.whereNull('ol.linkage_code').orWhereIn('ol.linkage_code', [...NOT_FINAL_REFUSAL_CODES])),
          ),
      )
      .orderBy('ol.id');
    type Row = [number, number, string | null, OrderStatus, LinkageStatus, number, number, string, string, number, number];
    const columns = [
      'ol.id',
      'ol.order_id',
      'o.linked_with',
      'o.status',
      'ol.linkage_status',
      'ol.quantity_before',
      'ol.quantity_after',
      'cl.subscription_id',
      'c.customer',
      'case when ol.sent_at is not null then 1 else 0 end',
      'case when exists (select 1 from order_line_serials s where s.order_line_id = ol.id) then 1 else 0 end',
    ];
    for (const [
      lineId,
      orderId,
      linkedWith,
      orderStatus,
      linkageStatus,
      before,
      after,
      subscriptionId,
      customer,
      sent,
      namesSerials,
    ] of await selectPacked<Row>(db, query, columns)) {
      out.push({
        lineId: Number(lineId),
        orderId: Number(orderId),
        linkedWith,
        orderStatus,
        linkageStatus,
        quantityBefore: Number(before),
        quantityAfter: Number(after),
        subscriptionId,
        customer,
        sent: Number(sent) === 1,
        namesSerials: Number(namesSerials) === 1,
      });
    }
  }
  return out;
}

/** What confirmation needs of accepted orders, in one join: status, dates, contract start, line states. */
export async function loadConfirmable(
  db: Db,
  orderIds: readonly number[],
): Promise<
  Map<number, { appliedOn: string; endDate: string | null; contractStartDate: string; lines: { linkageStatus: LinkageStatus; linkageCode: string | null }[] }>
> {
  const states = await loadOrderStates(db, orderIds, ['accepted']);
  return new Map([...states].map(([id, o]) => [id, { appliedOn: o.appliedOn, endDate: o.endDate, contractStartDate: o.contractStartDate, lines: o.lines }]));
}

export interface OrderState {
  orderNo: string;
  status: OrderStatus;
  /** Where its run asked it to stop (`--until`); null: carried on to completion. */
  holdStage: Stage | null;
  appliedOn: string;
  endDate: string | null;
  contractStartDate: string;
  /** In line order; the supplier's code and words of each line (a refusal's, say), and our own words in Japanese where the line has them. */
  lines: { linkageStatus: LinkageStatus; linkageCode: string | null; linkageMessage: string | null; linkageMessageJa: string | null }[];
}

/** Orders with their line states, in one join per chunk: what confirmation and resume judge. */
export async function loadOrderStates(db: Db, orderIds: readonly number[], statuses?: readonly OrderStatus[]): Promise<Map<number, OrderState>> {
  const out = new Map<number, OrderState>();
  for (const ids of chunk(orderIds)) {
    const query = db('change_orders as o')
      .join('contracts as c', 'c.id', 'o.contract_id')
      .join('order_lines as ol', 'ol.order_id', 'o.id')
      .whereIn('o.id', idsOf(db, ids))
      .orderBy('ol.id');
    if (statuses) query.whereIn('o.status', [...statuses]);
    type Row = [
      number,
      string,
      OrderStatus,
      Stage | null,
      string,
      string | null,
      string,
      LinkageStatus,
      string | null,
      string | null,
      string | null,
      string | null,
    ];
    const columns = [
      'o.id',
      'o.order_no',
      'o.status',
      'o.hold_stage',
      'o.applied_on',
      'o.end_date',
      'c.start_date',
      'ol.linkage_status',
      'ol.linkage_code',
      'ol.linkage_message',
      'ol.linkage_message_ja',
      'ol.linkage_detail',
    ];
    for (const [
      rawId,
      orderNo,
      status,
      holdStage,
      appliedOn,
      endDate,
      contractStartDate,
      linkageStatus,
      linkageCode,
      linkageMessage,
      linkageMessageJa,
      linkageDetail,
    ] of await selectPacked<Row>(db, query, columns)) {
      const id = Number(rawId);
      const entry = out.get(id) ?? { orderNo, status, holdStage, appliedOn, endDate, contractStartDate, lines: [] };
      entry.lines.push({
        linkageStatus,
        linkageCode: linkageCode === null ? null : String(linkageCode),
        ...linkageWords(linkageMessage, linkageMessageJa, linkageDetail),
      });
      out.set(id, entry);
    }
  }
  return out;
}

export interface OrderView {
  orderNo: string;
  status: OrderStatus;
  holdStage: Stage | null;
  lines: {
    contractLineId: number;
    linkageStatus: LinkageStatus;
    linkageCode: string | null;
    linkageMessage: string | null;
    /** Our own words in Japanese, where the line has them (else linkageMessage stands for both). */
    linkageMessageJa: string | null;
    /** A run is linking the line now (a live claim): when a report is written, another run than the reporting one. */
    linkingElsewhere: boolean;
  }[];
}

/** What a result row shows of its order, in one join per chunk. */
export async function loadOrderViews(db: Db, orderIds: readonly number[]): Promise<Map<number, OrderView>> {
  const out = new Map<number, OrderView>();
  for (const ids of chunk([...new Set(orderIds)])) {
    const query = db('change_orders as o').join('order_lines as ol', 'ol.order_id', 'o.id').whereIn('o.id', idsOf(db, ids)).orderBy('ol.id');
    type Row = [number, string, OrderStatus, Stage | null, number, LinkageStatus, string | null, string | null, string | null, string | null, number];
    const columns = [
      'o.id',
      'o.order_no',
      'o.status',
      'o.hold_stage',
      'ol.contract_line_id',
      'ol.linkage_status',
      'ol.linkage_code',
      'ol.linkage_message',
      'ol.linkage_message_ja',
      'ol.linkage_detail',
      liveClaimColumn(db, 'ol'),
    ];
    for (const [
      rawId,
      orderNo,
      status,
      holdStage,
      contractLineId,
      linkageStatus,
      linkageCode,
      linkageMessage,
      linkageMessageJa,
      linkageDetail,
      claimed,
    ] of await selectPacked<Row>(db, query, columns)) {
      const id = Number(rawId);
      const view = out.get(id) ?? { orderNo, status, holdStage, lines: [] as OrderView['lines'] };
      view.lines.push({
        contractLineId: Number(contractLineId),
        linkageStatus,
        linkageCode,
        ...linkageWords(linkageMessage, linkageMessageJa, linkageDetail),
        linkingElsewhere: Number(claimed) === 1,
      });
      out.set(id, view);
    }
  }
  return out;
}

/** How many orders are in each status (the night's summary). */
export async function countOrdersByStatus(db: Db): Promise<Record<OrderStatus, number>> {
  const out: Record<OrderStatus, number> = { requested: 0, accepted: 0, completed: 0, withdrawn: 0 };
  const rows = await db('change_orders').select('status').count({ n: '*' }).groupBy('status');
  for (const r of rows as { status: OrderStatus; n: number | string }[]) out[r.status] = Number(r.n);
  return out;
}

/** The columns a linkage update writes its words to: the supplier's own words as data, ours by key and parameters. */
function linkageWordsColumns(u: LinkageUpdate): { linkage_message: string | null; linkage_message_ja: null; linkage_detail: string | null } {
  return { linkage_message: u.message, linkage_message_ja: null, linkage_detail: u.said ? toStored(u.said) : null };
}

/**
 * A line's words in both languages: ours rendered from the key and parameters the store
 * keeps, else (a line written before 014, or a key this version does not know) the
 * sentences it kept; the supplier's own words stand for both languages.
 */
export function linkageWords(
  message: string | null,
  messageJa: string | null,
  detail: string | null,
): { linkageMessage: string | null; linkageMessageJa: string | null } {
  const said = fromStored(detail);
  return said === null ? { linkageMessage: message, linkageMessageJa: messageJa } : { linkageMessage: said.en, linkageMessageJa: said.ja };
}
