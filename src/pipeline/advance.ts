import pLimit from 'p-limit';
import { confirm, type ReleaseRefused } from '../domain/orderState.js';
import type { LinkageStatus, Stage } from '../domain/types.js';
import { chunk, transact } from '../store/connect.js';
import {
  confirmOrders,
  loadConfirmable,
  loadLinkableLines,
  prepareLinesToSend,
  recordLinkedWith,
  recordLinkage,
  transitionOrders,
  unmarkLinesSent,
  type LinkageUpdate,
} from '../store/orderRepository.js';
import type { LinkOutcome, SettlementOutcome, Supplier } from '../supplier/port.js';
import { stageAtLeast, writeContext, type PipelineDeps } from './context.js';

export interface AdvanceOptions {
  until: Stage;
  concurrency: number;
  confirmUnsettled: boolean;
  /** Confirm with this end date instead of the one each order carries (`orders confirm --end-date`). */
  endDateOverride?: string | null;
  /** Progress label, for logs. */
  label?: string;
  /** `orders confirm`: the operator confirms what is there; linkage is its own button. */
  skipLinkage?: boolean;
  /** Which lines the supplier refused are released at confirmation (default `none`: they block it). */
  releaseRefused?: ReleaseRefused;
}

export interface AdvanceCounts {
  accepted: number;
  sent: number;
  settled: number;
  pending: number;
  rejected: number;
  unavailable: number;
  /** Lines the supplier settled at a quantity other than the one sent (counted in `settled` too when confirmed). */
  quantityDiffers: number;
  confirmed: number;
}

/**
 * Takes orders as far as `until` allows: accept (one statement per few hundred orders),
 * link (p-limit across orders, one line after another within an order; outcomes written
 * in batches so the supplier never waits on the database), confirm (set-based). Every
 * step is guarded on the state it read, so running it twice, or after a kill, or beside
 * another run, does each thing once.
 */
export async function advanceOrders(deps: PipelineDeps, orderIds: readonly number[], options: AdvanceOptions): Promise<AdvanceCounts> {
  const counts: AdvanceCounts = { accepted: 0, sent: 0, settled: 0, pending: 0, rejected: 0, unavailable: 0, quantityDiffers: 0, confirmed: 0 };
  if (orderIds.length === 0) return counts;
  const file = options.label ?? '';
  if (stageAtLeast(options.until, 'accepted')) {
    for (const ids of chunk(orderIds, 2000)) {
      const moved = await transact(deps.store, (trx) => transitionOrders(trx, ids, 'requested', 'accepted', writeContext(deps), 'accept'));
      counts.accepted += moved.length;
    }
    deps.log({ kind: 'progress', file, phase: 'accept', done: counts.accepted, total: orderIds.length });
  }
  if (stageAtLeast(options.until, 'linked') && !options.skipLinkage) await linkOrders(deps, orderIds, options, counts);
  if (stageAtLeast(options.until, 'completed')) {
    const release = options.releaseRefused ?? 'none';
    for (const ids of chunk(orderIds, 2000)) {
      const byEndDate = new Map<string, number[]>();
      for (const [orderId, o] of await loadConfirmable(deps.store.db, ids)) {
        const endDate = options.endDateOverride ?? o.endDate;
        const step = confirm({ status: 'accepted', appliedOn: o.appliedOn, lines: o.lines }, { endDate, contractStartDate: o.contractStartDate, confirmUnsettled: options.confirmUnsettled, releaseRefused: release });
        if (step.ok) {
          const key = options.endDateOverride ?? '';
          const list = byEndDate.get(key);
          if (list) list.push(orderId);
          else byEndDate.set(key, [orderId]);
        }
      }
      for (const [endDate, eligible] of byEndDate) {
        const done = await transact(deps.store, (trx) => confirmOrders(trx, eligible, endDate === '' ? null : endDate, writeContext(deps), release));
        counts.confirmed += done.length;
      }
      deps.log({ kind: 'progress', file, phase: 'confirm', done: counts.confirmed, total: orderIds.length });
    }
  }
  return counts;
}

interface LinkTask {
  lineId: number;
  customer: string;
  subscriptionId: string;
  target: number;
  /** The quantity before this order, what the supplier holds until the line is sent. */
  before: number;
  /** Pending lines were sent before: ask whether they settled instead of sending again. */
  poll: boolean;
  /** Its order is completed (confirmed before the supplier settled): the store follows what the supplier settles at. */
  confirmed: boolean;
}

async function linkOrders(deps: PipelineDeps, orderIds: readonly number[], options: AdvanceOptions, counts: AdvanceCounts): Promise<void> {
  const writer = createLinkageWriter(deps);
  const limit = pLimit(Math.max(1, options.concurrency));
  const file = options.label ?? '';
  const circuit = watchCircuit(deps, file);
  // Lines this run marked sent: those the open circuit then kept from leaving are unmarked.
  const markedNow = new Set<number>();
  let done = 0;
  let total = 0;
  // The calls of each chunk, as queued. The next chunk is planned, marked sent and queued
  // behind the one in flight before that one is awaited, so the limiter never runs dry at
  // a chunk's end: the last calls of a chunk (a retry backing off, say) would otherwise
  // hold every other slot idle. At most two chunks are held.
  const chunks: Promise<unknown>[] = [];
  try {
    for (const ids of chunk(orderIds, 2000)) {
      const tasksByOrder = await planLinkTasks(deps, ids);
      if (tasksByOrder.size === 0) continue;
      const allTasks = [...tasksByOrder.values()].flat();
      total += allTasks.length;
      const supplier = await circuit.supplier();
      // Keys come from the store, filled there first if a line has none. While the circuit
      // is open nothing leaves, so nothing is marked sent.
      const sendIds = allTasks.filter((t) => !t.poll).map((t) => t.lineId);
      const { keys, marked } = await transact(deps.store, (trx) => prepareLinesToSend(trx, sendIds, writeContext(deps).now, { mark: !circuit.isOpen() }));
      for (const id of marked) markedNow.add(id);
      const keyOf = (lineId: number): string => {
        const key = keys.get(lineId);
        if (key === undefined) throw new Error(`order line ${lineId} has no idempotency key`);
        return key;
      };
      // The supplier holds the old quantity until a line is sent, and the target once it was (pending).
      supplier.prepare?.(allTasks.map((t) => ({ customer: t.customer, subscriptionId: t.subscriptionId, quantity: t.poll ? t.target : t.before })));
      const queued = Promise.all(
        [...tasksByOrder.values()].map((tasks) =>
          limit(async () => {
            for (const task of tasks) {
              writer.throwIfFailed();
              let update: LinkageUpdate;
              let unsent = false;
              if (task.poll) {
                const outcome = await supplier.checkSettlement({ customer: task.customer, subscriptionId: task.subscriptionId });
                circuit.saw(outcome);
                update = settlementUpdate(task, outcome);
              } else {
                const outcome = await supplier.setQuantity({ customer: task.customer, subscriptionId: task.subscriptionId, targetQuantity: task.target, idempotencyKey: keyOf(task.lineId) });
                circuit.saw(outcome);
                // Kept back by the open circuit: pending like any unreachable line, but never sent.
                unsent = outcome.kind === 'unavailable' && outcome.unsent === true;
                if (!unsent) counts.sent++;
                update = linkUpdate(task, outcome);
              }
              tally(counts, update);
              if (update.supplierQuantity !== undefined) deps.log({ kind: 'event', name: 'linkage.quantity_differs', message: `${task.subscriptionId}: ${update.message ?? ''}`, data: { orderLineId: task.lineId, subscriptionId: task.subscriptionId, confirmed: task.target, supplier: update.supplierQuantity } });
              await writer.push(update, unsent && markedNow.has(task.lineId));
              done++;
              if (done % 200 === 0) deps.log({ kind: 'progress', file, phase: 'link', done, total });
            }
          }),
        ),
      );
      // Awaited by the next round or below; until then a failure must not count as unhandled.
      queued.catch(() => undefined);
      chunks.push(queued);
      if (chunks.length > 1) await chunks[chunks.length - 2];
    }
    await Promise.all(chunks);
  } finally {
    // Whatever failed, the queued chunks settle before the writer closes; after a failed
    // write, queued calls stop before they are sent.
    await Promise.allSettled(chunks);
    await writer.close();
    // Opened by the run's last calls, with nothing left to keep back: still worth saying.
    circuit.sayIfOpen();
  }
  if (total > 0) deps.log({ kind: 'progress', file, phase: 'link', done, total });
}

/**
 * The run's view of the supplier's circuit breaker (supplier/port.ts, CircuitState): closed
 * when the run first asks for the supplier, so a later run gives it a new chance, and said
 * once (event `supplier.circuit_open`) when it opens.
 */
function watchCircuit(deps: PipelineDeps, file: string) {
  let supplier: Supplier | null = null;
  let said = false;
  const say = (): void => {
    const state = supplier?.circuit?.();
    if (said || !state?.open) return;
    said = true;
    deps.log({
      kind: 'event',
      name: 'supplier.circuit_open',
      message: `${file === '' ? '' : `${file}: `}the supplier did not answer ${state.failuresInRow} calls in a row (last: ${state.lastFailure ?? 'none'}); this run stops calling it, and lines not sent yet stay pending for a later run`,
      data: { ...state },
    });
  };
  return {
    async supplier(): Promise<Supplier> {
      if (!supplier) {
        supplier = await deps.supplier();
        supplier.resetCircuit?.();
      }
      return supplier;
    },
    isOpen: (): boolean => supplier?.circuit?.().open === true,
    saw(outcome: LinkOutcome | SettlementOutcome): void {
      if (outcome.kind === 'unavailable' && outcome.circuitOpen) say();
    },
    sayIfOpen: say,
  };
}

function tally(counts: AdvanceCounts, update: LinkageUpdate): void {
  if (update.code === QUANTITY_DIFFERS) counts.quantityDiffers++;
  if (update.status === 'linked') counts.settled++;
  else if (update.status === 'pending') counts.pending++;
  else if (update.status === 'failed') counts.rejected++;
  // The supplier answered (settled elsewhere, so sent again): not unreachable.
  else if (update.code !== QUANTITY_DIFFERS) counts.unavailable++;
}

/**
 * Lines to send (unlinked) or to poll (pending), grouped by order, in line order. Lines of
 * completed orders take part only when they were confirmed unsettled: they are polled until
 * the supplier has settled. (An unlinked line of a completed order, which an earlier version
 * left when the supplier settled elsewhere, is polled too: it was sent, and the store must
 * learn where the supplier stands.)
 */
async function planLinkTasks(deps: PipelineDeps, orderIds: readonly number[]): Promise<Map<number, LinkTask[]>> {
  const out = new Map<number, LinkTask[]>();
  const nothingToSend: LinkageUpdate[] = [];
  const supplier = supplierOf(deps);
  /** Orders linked with another supplier: this run neither sends nor asks about them. */
  const elsewhere = new Map<string, Set<string>>();
  for (const line of await loadLinkableLines(deps.store.db, orderIds)) {
    if (line.linkedWith !== null && line.linkedWith !== supplier) {
      const orders = elsewhere.get(line.linkedWith) ?? new Set<string>();
      orders.add(String(line.orderId));
      elsewhere.set(line.linkedWith, orders);
      continue;
    }
    const confirmed = line.orderStatus === 'completed';
    // A product with no subscription at the supplier has nothing to tell it: linked at once.
    if (line.subscriptionId === '') {
      nothingToSend.push({ lineId: line.lineId, status: 'linked', code: null, message: null });
      continue;
    }
    const tasks = out.get(line.orderId) ?? [];
    tasks.push({ lineId: line.lineId, customer: line.customer, subscriptionId: line.subscriptionId, target: line.quantityAfter, before: line.quantityBefore, poll: line.linkageStatus === 'pending' || confirmed, confirmed });
    out.set(line.orderId, tasks);
  }
  if (nothingToSend.length > 0) await transact(deps.store, (trx) => recordLinkage(trx, nothingToSend, writeContext(deps)));
  for (const [other, orders] of elsewhere) {
    deps.log({
      kind: 'event',
      name: 'linkage.other_supplier',
      message: `${orders.size} order(s) were linked with ${other}, not ${supplier}: left as they are; link them with --supplier ${other}`,
      data: { linkedWith: other, supplier, orders: orders.size },
    });
  }
  return out;
}

/** The supplier this run links with; commands refuse to link without one (cli/shared.ts resolveSupplierSpec). */
function supplierOf(deps: PipelineDeps): string {
  if (deps.supplierName === null) throw new Error('linkage needs a supplier, and none was named');
  return deps.supplierName;
}

function linkUpdate(task: LinkTask, outcome: LinkOutcome): LinkageUpdate {
  switch (outcome.kind) {
    case 'settled':
      return { lineId: task.lineId, status: 'linked', code: null, message: null };
    case 'accepted':
      return { lineId: task.lineId, status: 'pending', code: null, message: null };
    case 'rejected':
      return { lineId: task.lineId, status: 'failed', code: outcome.code, message: outcome.message };
    case 'unavailable':
      return { lineId: task.lineId, status: 'unlinked', code: 'SUPPLIER_UNAVAILABLE', message: outcome.message };
  }
}

/** The code a line carries when the supplier settled it at a quantity other than the one sent. */
const QUANTITY_DIFFERS = 'SUPPLIER_QUANTITY_MISMATCH';

function settlementUpdate(task: LinkTask, outcome: SettlementOutcome): LinkageUpdate {
  switch (outcome.kind) {
    case 'settled': {
      const held = outcome.status === 'deleted' ? 0 : outcome.quantity;
      if (held === task.target) return { lineId: task.lineId, status: 'linked', code: null, message: null };
      const said = `the supplier settled at ${held}, not ${task.target}`;
      // Confirmed already (--confirm-unsettled): the supplier's quantity is the truth, and the
      // store follows it (recordLinkage); the line says what happened, for good.
      if (task.confirmed) return { lineId: task.lineId, status: 'linked', code: QUANTITY_DIFFERS, message: `${said} as confirmed; the contract line follows the supplier`, supplierQuantity: held };
      // Not confirmed yet: our change never landed; send it again next time.
      return { lineId: task.lineId, status: 'unlinked', code: QUANTITY_DIFFERS, message: `${said}; sent again by a later run` };
    }
    case 'pending':
      return { lineId: task.lineId, status: 'pending', code: null, message: null };
    case 'rejected':
      return { lineId: task.lineId, status: 'failed', code: outcome.code, message: outcome.message };
    case 'unavailable':
      return { lineId: task.lineId, status: 'pending', code: 'SUPPLIER_UNAVAILABLE', message: outcome.message };
  }
}

/**
 * Buffers linkage outcomes and writes them a batch at a time, so that 64 calls in flight
 * do not queue behind 64 single-row transactions. A batch is written when it is full or
 * a few milliseconds old; a kill loses at most the unwritten batch, whose lines are
 * already marked sent and are sent again with the same target and key.
 */
function createLinkageWriter(deps: PipelineDeps, maxBatch = 1000, maxDelayMs = 25) {
  let buffer: LinkageUpdate[] = [];
  /** Lines marked sent that were not sent after all: unmarked with their outcome. */
  let unsent: number[] = [];
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    const batch = buffer;
    const unmark = unsent;
    buffer = [];
    unsent = [];
    if (batch.length === 0) return flushing;
    // The lines a supplier answered for: their orders are linked with it from now on.
    const answered = batch.filter((u) => u.code !== 'SUPPLIER_UNAVAILABLE' && (u.status !== 'unlinked' || u.code !== null)).map((u) => u.lineId);
    flushing = flushing.then(() =>
      transact(deps.store, async (trx) => {
        await recordLinkage(trx, batch, writeContext(deps));
        if (answered.length > 0) await recordLinkedWith(trx, answered, supplierOf(deps));
        if (unmark.length > 0) await unmarkLinesSent(trx, unmark);
      }),
    );
    flushing.catch((error: unknown) => {
      failure ??= error;
    });
    return flushing;
  };
  const throwIfFailed = (): void => {
    // A write that failed stops the linkage at once: sending more whose outcome cannot be recorded helps nobody.
    if (failure) throw failure;
  };
  return {
    throwIfFailed,
    /** `unmark`: the line was marked sent by this run but did not leave; take the mark back. */
    async push(update: LinkageUpdate, unmark = false): Promise<void> {
      throwIfFailed();
      buffer.push(update);
      if (unmark) unsent.push(update.lineId);
      if (buffer.length >= maxBatch) await flush();
      else if (!timer) timer = setTimeout(() => void flush().catch(() => undefined), maxDelayMs);
    },
    async close(): Promise<void> {
      await flush();
    },
  };
}

export type { LinkageStatus };
