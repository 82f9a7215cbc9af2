import {
  ORDER_REFUSAL,
  accept,
  confirm,
  isFinalRefusal,
  link,
  resumeVerdict,
  withdraw,
  withdrawAcceptance,
  type OperatorAction,
  type OrderRefusalCode,
  type StepResult,
} from '../domain/orderState.js';
import { STAGE_LABEL, orderReached, type AdvanceCounts, type OrderStatus, type Stage } from '../domain/types.js';
import { KaiyakuError, type Words } from '../errors.js';
import { type Store, type OrderState, type OrderWithLines, type TxRepositories } from '../store/index.js';
import { advanceOrders } from './advance.js';
import { stageAtLeast, writeContext, type PipelineDeps } from '../pipeline/context.js';
import { advanceWithinHolds, isParked, targetOf } from './parked.js';
import { say } from '../messages/index.js';

/**
 * A step the portal would refuse, in the portal's words; the code is kept as the error's
 * detail. `then` says what the operator can do instead, when we know.
 */
function refused(code: OrderRefusalCode, orderNo: string, then: Words | null = null): KaiyakuError {
  const refusal = ORDER_REFUSAL[code];
  return new KaiyakuError('STEP_REFUSED', then ? say('orders.refusedWithNext', { orderNo, refusal, then }) : say('orders.refused', { orderNo, refusal }), {
    detail: code,
  });
}

/**
 * The way out of an accepted order the supplier refused in whole or in part, named when
 * another button is pressed on it: confirm it for what the supplier took (the refused lines
 * are released), or, when it took nothing, withdraw the acceptance and then the order.
 */
function wayOut(o: OrderWithLines): Words | null {
  const no = o.order.orderNo;
  if (o.order.status !== 'accepted' || !o.lines.some((l) => l.linkageStatus === 'failed')) return null;
  // Lines still to send, or to ask about again (a refusal that is not final): linkage (解約連携) comes first.
  if (o.lines.some((l) => l.linkageStatus === 'unlinked' || (l.linkageStatus === 'failed' && !isFinalRefusal(l)))) return null;
  if (o.lines.every((l) => l.linkageStatus === 'failed')) {
    return say('orders.supplierTookNothing', { no });
  }
  const unsettled = o.lines.some((l) => l.linkageStatus === 'pending');
  return say('orders.supplierTookSome', { no, options: unsettled ? ' --confirm-unsettled' : '' });
}

function changedMeanwhile(orderNo: string): KaiyakuError {
  return new KaiyakuError('CHANGED_MEANWHILE', say('orders.changedMeanwhile', { orderNo }));
}

/** The order with this number; ORDER_NOT_FOUND (nothing done) when there is none. */
export async function requireOrder(store: Store, orderNo: string): Promise<OrderWithLines> {
  const found = await store.orders.findOrderByNo(orderNo);
  if (!found) throw new KaiyakuError('ORDER_NOT_FOUND', say('orders.noOrder', { orderNo }));
  return found;
}

/** For library callers: the order with this number (ORDER_NOT_FOUND when none), from a store. */
export function findOrder(store: Store, orderNo: string): Promise<OrderWithLines> {
  return requireOrder(store, orderNo);
}

/** For library callers: the ids of the orders with these numbers (those that exist). */
export function orderIdsByNo(store: Store, orderNos: readonly string[]): Promise<Map<string, number>> {
  return store.orders.findOrderIdsByNo(orderNos);
}

/** For library callers: how many orders are open (受付待ち or 受付済). */
export function openOrderCount(store: Store): Promise<number> {
  return store.orders.countOpenOrders();
}

/** The sent-but-unanswered line counts as ordered too: it may have reached the supplier. A failed line keeps its code: only a final refusal rules the supplier out. */
function snapshot(o: OrderWithLines) {
  return {
    status: o.order.status,
    appliedOn: o.order.appliedOn,
    lines: o.lines.map((l) => ({
      linkageStatus: l.sentAt !== null && l.linkageStatus === 'unlinked' ? ('pending' as const) : l.linkageStatus,
      linkageCode: l.linkageCode,
    })),
  };
}

function check(step: StepResult, orderNo: string, o: OrderWithLines | null = null): OrderStatus {
  if (!step.ok) throw refused(step.refusal, orderNo, o ? wayOut(o) : null);
  return step.next;
}

async function move(
  deps: PipelineDeps,
  o: OrderWithLines,
  to: OrderStatus,
  action: string,
  afterwards?: (trx: TxRepositories, ids: number[]) => Promise<void>,
): Promise<void> {
  await deps.store.transact(async (trx) => {
    const moved = await trx.orders.transitionOrders([o.order.id], o.order.status, to, writeContext(deps), action);
    if (moved.length === 0) throw changedMeanwhile(o.order.orderNo);
    if (afterwards) await afterwards(trx, moved);
  });
}

export async function acceptOrder(deps: PipelineDeps, orderNo: string): Promise<void> {
  const o = await requireOrder(deps.store, orderNo);
  // 受付 by an operator releases the order's stop: a night carries it on from here.
  await move(deps, o, check(accept(snapshot(o)), orderNo), 'accept', (trx, ids) => trx.orders.raiseOrderHolds(ids, 'completed'));
}

export async function withdrawOrderAcceptance(deps: PipelineDeps, orderNo: string): Promise<void> {
  const o = await requireOrder(deps.store, orderNo);
  check(withdrawAcceptance(snapshot(o)), orderNo, o);
  // Guarded in SQL too: a linkage that starts between our read and this update wins.
  const moved = await deps.store.transact((trx) => trx.orders.withdrawAcceptanceIfUnsent(o.order.id, writeContext(deps)));
  if (!moved) {
    const again = await requireOrder(deps.store, orderNo);
    check(withdrawAcceptance(snapshot(again)), orderNo, again);
    throw changedMeanwhile(orderNo);
  }
}

export async function withdrawOrder(deps: PipelineDeps, orderNo: string): Promise<void> {
  const o = await requireOrder(deps.store, orderNo);
  const next = check(withdraw(snapshot(o)), orderNo, o);
  await deps.store.transact(async (trx) => {
    const moved = await trx.orders.transitionOrders([o.order.id], 'requested', next, writeContext(deps), 'withdraw');
    if (moved.length === 0) throw changedMeanwhile(orderNo);
    await trx.orders.releaseClaims(moved);
  });
}

export async function linkOrder(deps: PipelineDeps, orderNo: string, options: { concurrency: number }): Promise<AdvanceCounts> {
  const o = await requireOrder(deps.store, orderNo);
  // Pending lines, and failed ones without a final refusal, are asked about again.
  const pending = o.lines.some((l) => l.linkageStatus === 'pending' || (l.linkageStatus === 'failed' && !isFinalRefusal(l)));
  // Linkage looks at the stored statuses: a line sent without an answer (unlinked, sent_at
  // set) is exactly what this button sends again, with the same key and target.
  const stored = { status: o.order.status, appliedOn: o.order.appliedOn, lines: o.lines };
  // Pending lines are polled, which the state machine's "something unlinked" rule would refuse.
  if (!pending || o.order.status !== 'accepted') check(link(stored), orderNo, o);
  // 解約連携 by an operator releases the order's stop: a night confirms it once linked.
  await deps.store.transact((trx) => trx.orders.raiseOrderHolds([o.order.id], 'completed'));
  const counts = await advanceOrders(deps, [o.order.id], { until: 'linked', concurrency: options.concurrency, confirmUnsettled: false });
  return counts;
}

/**
 * 解約確定 by an operator. Lines the supplier refused, whatever its code, are released: the
 * order is completed for what the supplier took (the portal lets an operator finish what
 * the supplier did). An order it took nothing of is refused (NOTHING_TAKEN).
 */
export async function confirmOrder(deps: PipelineDeps, orderNo: string, options: { endDate: string | null; confirmUnsettled: boolean }): Promise<void> {
  const o = await requireOrder(deps.store, orderNo);
  const contract = (await deps.store.orders.loadContractsById([o.order.contractId])).get(o.order.contractId);
  // Stored statuses, as the confirm step itself judges them: a line sent without an answer
  // is not linked (send it again with `orders link`), not merely unsettled.
  check(
    confirm(
      { status: o.order.status, appliedOn: o.order.appliedOn, lines: o.lines },
      { endDate: options.endDate, contractStartDate: contract?.start_date ?? '0000-00-00', confirmUnsettled: options.confirmUnsettled, releaseRefused: 'any' },
    ),
    orderNo,
  );
  const counts = await advanceOrders(deps, [o.order.id], {
    until: 'completed',
    concurrency: 1,
    confirmUnsettled: options.confirmUnsettled,
    endDateOverride: options.endDate,
    skipLinkage: true,
    releaseRefused: 'any',
  });
  if (counts.confirmed === 0) throw changedMeanwhile(orderNo);
}

/** An order resume cannot take further, and what an operator must do with it. */
export interface OrderNeedingOperator {
  orderNo: string;
  action: OperatorAction;
  /** One sentence naming the order, why, and the command to run. */
  words: Words;
}

/** An order left where its run asked it to stop, until an operator moves it. */
export interface ParkedOrder {
  orderNo: string;
  /** The stage its run was asked to stop at (`--until`). */
  stage: Stage;
  status: OrderStatus;
}

export interface ResumeOptions {
  until: Stage;
  concurrency: number;
  confirmUnsettled: boolean;
  /** Log each order needing an operator as event `order.needs_operator` (default true). */
  announce?: boolean;
  /** `orders resume --order NO`: only these orders, moved on by an operator (their stop is released up to `until`). */
  orderIds?: readonly number[];
  /** `orders resume --include-parked`: every open order, parked ones too, moved on up to `until`. */
  includeParked?: boolean;
}

export interface ResumeSummary {
  /** Orders taken up: the open ones, and completed ones with lines the supplier has not settled. */
  orders: number;
  counts: AdvanceCounts;
  /** Orders a later resume can still move (waiting on the supplier, say): the run did not finish them. */
  waiting: number;
  /** Orders only an operator can move, oldest first. */
  needsOperator: OrderNeedingOperator[];
  /** Orders left at the stage their run asked for, oldest first: an operator moves them on. */
  parked: ParkedOrder[];
  /** Orders named with `--order` that are neither open nor waiting for the supplier: nothing to resume. */
  closed: { orderNo: string; status: OrderStatus }[];
}

/**
 * Advances the open orders left by earlier runs (the nightly job runs this before new
 * files), each as far as `until` and the stop its run chose allow: an order standing where
 * its run asked it to stop is parked and left alone, unless an operator names it
 * (`orderIds`) or asks for every one (`includeParked`), which moves its stop on to `until`.
 * An order the supplier took in part is completed for what it took when every refusal is
 * final (ReleaseRefused `final`). What is left is sorted: orders a later run can still move
 * (`waiting`), orders only an operator can (`needsOperator`, each also logged as event
 * `order.needs_operator` unless `announce` is false), and parked ones (`parked`).
 */
export async function resumeOpenOrders(deps: PipelineDeps, options: ResumeOptions): Promise<ResumeSummary> {
  const store = deps.store;
  const resumable = await store.orders.listOpenOrderIds();
  const named = options.orderIds;
  let ids = resumable;
  const closed: ResumeSummary['closed'] = [];
  if (named !== undefined) {
    const open = new Set(resumable);
    ids = named.filter((id) => open.has(id));
    const others = await store.orders.loadOrders(named.filter((id) => !open.has(id)));
    for (const o of others.values()) closed.push({ orderNo: o.order.orderNo, status: o.order.status });
  }
  // The operator moves these on by hand: their stop goes to this resume's --until.
  if (named !== undefined || options.includeParked === true) await deps.store.transact((trx) => trx.orders.raiseOrderHolds(ids, options.until));
  // An order an operator sent back (受付取消) after the supplier refused it is not accepted
  // again: that would only repeat the refusal. It is the operator's to withdraw.
  const sentBack = new Set<number>();
  for (const [id, o] of await store.orders.loadOrderStates(ids, ['requested'])) if (o.lines.some((l) => l.linkageStatus === 'failed')) sentBack.add(id);
  const movable = ids.filter((id) => !sentBack.has(id));
  const { counts, parked: leftParked } = await advanceWithinHolds(deps, movable, {
    until: options.until,
    concurrency: options.concurrency,
    confirmUnsettled: options.confirmUnsettled,
    label: 'resume',
    releaseRefused: 'final',
  });

  let waiting = 0;
  const needsOperator: OrderNeedingOperator[] = [];
  const parked: ParkedOrder[] = [];
  const stillOpen = new Set(await store.orders.listOpenOrderIds());
  const left = ids.filter((id) => stillOpen.has(id));
  const states = await store.orders.loadOrderStates(left);
  for (const id of left) {
    const o = states.get(id);
    if (!o) continue;
    const standing = whereOrderStands(o, options);
    if (standing.kind === 'operator') needsOperator.push({ orderNo: o.orderNo, action: standing.action, words: standing.words });
    else if (standing.kind === 'parked') parked.push({ orderNo: o.orderNo, stage: o.holdStage!, status: o.status });
    else if (standing.kind === 'waiting') waiting += 1;
  }
  if (options.announce !== false) {
    for (const n of needsOperator) deps.log({ kind: 'event', name: 'order.needs_operator', message: n.words, data: { orderNo: n.orderNo, action: n.action } });
    if (parked.length > 0) {
      const message = say('orders.parkedCount', { length: parked.length });
      deps.log({
        kind: 'event',
        name: 'orders.parked',
        message,
        data: { count: parked.length, orderNos: parked.slice(0, PARKED_LISTED).map((p) => p.orderNo) },
      });
    }
  }
  return { orders: movable.length - leftParked.length, counts, waiting, needsOperator, parked, closed };
}

/** How many parked orders a summary names; the rest are counted. */
export const PARKED_LISTED = 100;

type Standing = { kind: 'done' | 'waiting' | 'parked' } | { kind: 'operator'; action: OperatorAction; words: Words };

/** Where an order resume leaves open stands: done for this resume, waiting on a later one, parked, or an operator's. */
function whereOrderStands(o: OrderState, options: Pick<ResumeOptions, 'until' | 'confirmUnsettled'>): Standing {
  const target = targetOf(o, options.until);
  const verdict = resumeVerdict(o, { confirmUnsettled: options.confirmUnsettled });
  // Confirmation refused matters only to a resume asked to confirm.
  if (verdict.kind === 'operator' && !(verdict.action === 'confirm' && target !== 'completed')) {
    return { kind: 'operator', action: verdict.action, words: operatorWords(o, verdict.action, verdict.refusal) };
  }
  if (isParked(o)) return { kind: 'parked' };
  const linkages = o.lines.map((l) => l.linkageStatus);
  // A completed order is here only while a line waits for the supplier to settle.
  if (o.status === 'completed') return stageAtLeast(options.until, 'linked') ? { kind: 'waiting' } : { kind: 'done' };
  if (orderReached(target, o.status, linkages)) return { kind: 'done' };
  // Short of its stop with nothing left to send or ask about: the supplier refused some of it.
  if (o.status === 'accepted' && linkages.includes('failed') && !linkages.some((l) => l === 'unlinked' || l === 'pending')) {
    return { kind: 'operator', action: 'confirm', words: stoppedShortWords(o, target) };
  }
  return { kind: 'waiting' };
}

/** The supplier's code and words on the first line it refused, for a sentence. */
function supplierSaid(o: OrderState): Words {
  const refusedLine = o.lines.find((l) => l.linkageStatus === 'failed');
  // The supplier's own words stand for both languages; ours (a quantity mismatch) have their Japanese.
  const saidIn = (message: string | null | undefined): string =>
    refusedLine ? [refusedLine.linkageCode, message].filter((v) => v !== null && v !== undefined && v !== '').join(' ') : '';
  const en = saidIn(refusedLine?.linkageMessage);
  const ja = saidIn(refusedLine?.linkageMessageJa ?? refusedLine?.linkageMessage);
  return say('orders.supplierSaidAfter', { said: { en, ja } });
}

/** An order that cannot reach the stage it was to stop at, because the supplier refused lines. */
function stoppedShortWords(o: OrderState, target: Stage): Words {
  const no = o.orderNo;
  const said = supplierSaid(o);
  return say('orders.someRefusedBeforeHold', { no, said, stageLabel: STAGE_LABEL[target] });
}

/** What an operator must do with an order resume leaves alone, naming the command. */
function operatorWords(o: OrderState, action: OperatorAction, refusal: OrderRefusalCode): Words {
  const no = o.orderNo;
  const { en: said, ja: saidJa } = supplierSaid(o);
  switch (action) {
    case 'withdrawAcceptance':
      return say('orders.allRefused', { no, said, saidJa });
    case 'withdraw':
      return say('orders.allRefusedAcceptanceWithdrawn', { no, said, saidJa });
    case 'confirm':
      // A refusal that is not final never gets here: resume asks the supplier again (resumeVerdict).
      return say('orders.confirmWithEndDate', {
        no,
        orderRefusal: ORDER_REFUSAL[refusal],
        endDate: o.endDate ?? '',
      });
  }
}
