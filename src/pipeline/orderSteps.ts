import { ORDER_REFUSAL, accept, confirm, link, withdraw, withdrawAcceptance, type OrderRefusalCode, type StepResult } from '../domain/orderState.js';
import type { OrderStatus } from '../domain/types.js';
import { KaiyakuError, words } from '../errors.js';
import { transact } from '../store/connect.js';
import { findOrderByNo, listOpenOrderIds, loadContractsById, releaseClaims, transitionOrders, withdrawAcceptanceIfUnsent, type OrderWithLines } from '../store/orderRepository.js';
import { advanceOrders, type AdvanceCounts } from './advance.js';
import { writeContext, type PipelineDeps } from './context.js';

/** A step the portal would refuse, in the portal's words; the code is kept as the error's detail. */
function refused(code: OrderRefusalCode, orderNo: string): KaiyakuError {
  return new KaiyakuError('STEP_REFUSED', words(`${orderNo}: ${ORDER_REFUSAL[code].en}`, `${orderNo}: ${ORDER_REFUSAL[code].ja}`), { detail: code });
}

function changedMeanwhile(orderNo: string): KaiyakuError {
  return new KaiyakuError('CHANGED_MEANWHILE', words(`${orderNo}: the order was changed by another run meanwhile; look again`, `注文 ${orderNo} は他の処理で更新されました。もう一度確認してください`));
}

async function requireOrder(deps: PipelineDeps, orderNo: string): Promise<OrderWithLines> {
  const found = await findOrderByNo(deps.store.db, orderNo);
  if (!found) throw new KaiyakuError('ORDER_NOT_FOUND', words(`no order ${orderNo}`, `注文番号 ${orderNo} の注文はありません`));
  return found;
}

/** The sent-but-unanswered line counts as ordered too: it may have reached the supplier. */
function snapshot(o: OrderWithLines) {
  return { status: o.order.status, appliedOn: o.order.appliedOn, lines: o.lines.map((l) => ({ linkageStatus: l.sentAt !== null && l.linkageStatus === 'unlinked' ? ('pending' as const) : l.linkageStatus })) };
}

function check(step: StepResult, orderNo: string): OrderStatus {
  if (!step.ok) throw refused(step.refusal, orderNo);
  return step.next;
}

async function move(deps: PipelineDeps, o: OrderWithLines, to: OrderStatus, action: string, afterwards?: (ids: number[]) => Promise<void>): Promise<void> {
  await transact(deps.store, async (trx) => {
    const moved = await transitionOrders(trx, [o.order.id], o.order.status, to, writeContext(deps), action);
    if (moved.length === 0) throw changedMeanwhile(o.order.orderNo);
    if (afterwards) await afterwards(moved);
  });
}

export async function acceptOrder(deps: PipelineDeps, orderNo: string): Promise<void> {
  const o = await requireOrder(deps, orderNo);
  await move(deps, o, check(accept(snapshot(o)), orderNo), 'accept');
}

export async function withdrawOrderAcceptance(deps: PipelineDeps, orderNo: string): Promise<void> {
  const o = await requireOrder(deps, orderNo);
  check(withdrawAcceptance(snapshot(o)), orderNo);
  // Guarded in SQL too: a linkage that starts between our read and this update wins.
  const moved = await transact(deps.store, (trx) => withdrawAcceptanceIfUnsent(trx, o.order.id, writeContext(deps)));
  if (!moved) {
    const again = await requireOrder(deps, orderNo);
    check(withdrawAcceptance(snapshot(again)), orderNo);
    throw changedMeanwhile(orderNo);
  }
}

export async function withdrawOrder(deps: PipelineDeps, orderNo: string): Promise<void> {
  const o = await requireOrder(deps, orderNo);
  const next = check(withdraw(snapshot(o)), orderNo);
  await transact(deps.store, async (trx) => {
    const moved = await transitionOrders(trx, [o.order.id], 'requested', next, writeContext(deps), 'withdraw');
    if (moved.length === 0) throw changedMeanwhile(orderNo);
    await releaseClaims(trx, moved);
  });
}

export async function linkOrder(deps: PipelineDeps, orderNo: string, options: { concurrency: number }): Promise<AdvanceCounts> {
  const o = await requireOrder(deps, orderNo);
  const pending = o.lines.some((l) => l.linkageStatus === 'pending');
  // Linkage looks at the stored statuses: a line sent without an answer (unlinked, sent_at
  // set) is exactly what this button sends again, with the same key and target.
  const stored = { status: o.order.status, appliedOn: o.order.appliedOn, lines: o.lines };
  // Pending lines are polled, which the state machine's "something unlinked" rule would refuse.
  if (!pending || o.order.status !== 'accepted') check(link(stored), orderNo);
  const counts = await advanceOrders(deps, [o.order.id], { until: 'linked', concurrency: options.concurrency, confirmUnsettled: false });
  return counts;
}

export async function confirmOrder(deps: PipelineDeps, orderNo: string, options: { endDate: string | null; confirmUnsettled: boolean }): Promise<void> {
  const o = await requireOrder(deps, orderNo);
  const contract = (await loadContractsById(deps.store.db, [o.order.contractId])).get(o.order.contractId);
  // Stored statuses, as the confirm step itself judges them: a line sent without an answer
  // is not linked (send it again with `orders link`), not merely unsettled.
  check(confirm({ status: o.order.status, appliedOn: o.order.appliedOn, lines: o.lines }, { endDate: options.endDate, contractStartDate: contract?.start_date ?? '0000-00-00', confirmUnsettled: options.confirmUnsettled }), orderNo);
  const counts = await advanceOrders(deps, [o.order.id], { until: 'completed', concurrency: 1, confirmUnsettled: options.confirmUnsettled, endDateOverride: options.endDate, skipLinkage: true });
  if (counts.confirmed === 0) throw changedMeanwhile(orderNo);
}

/** Advances every open order left by earlier runs (the nightly job runs this after new files). */
export async function resumeOpenOrders(deps: PipelineDeps, options: { until: import('../domain/types.js').Stage; concurrency: number; confirmUnsettled: boolean }): Promise<{ orders: number; counts: AdvanceCounts }> {
  const ids = await listOpenOrderIds(deps.store.db);
  const counts = await advanceOrders(deps, ids, { ...options, label: 'resume' });
  return { orders: ids.length, counts };
}
