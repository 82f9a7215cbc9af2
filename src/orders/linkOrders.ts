import pLimit from 'p-limit';
import type { AdvanceCounts } from '../domain/types.js';
import { chunk, newLinkClaimHolder, type LinkageUpdate } from '../store/index.js';
import type { LinkOutcome, SettlementOutcome, SubscriptionOutcome, Supplier } from '../supplier/port.js';
import { writeContext, type PipelineDeps } from '../pipeline/context.js';
import { holdLinkClaims, LINK_LEASE_MS } from './linkClaimLease.js';
import { createLinkageWriter } from './linkageWriter.js';
import { QUANTITY_DIFFERS, linkUpdate, readUpdate, settlementUpdate, type LinkTask } from './linkOutcomes.js';
import { say } from '../messages/index.js';

export interface LinkOptions {
  concurrency: number;
  label?: string;
  /** How long claims are held without renewal (default LINK_LEASE_MS); tests shorten it. */
  leaseMs?: number;
}

/**
 * 解約連携 of the given orders: p-limit across orders, one line after another within an
 * order, outcomes written in batches so the supplier never waits on the database.
 *
 * Only lines this run claimed are sent or polled (store/linkClaims.ts); lines another run
 * holds are left to it and counted in `heldElsewhere`. Before the first change of a line
 * the supplier is asked what it holds (linkOutcomes.ts, readUpdate); the GET and the PATCH
 * of a line go one after another in the same limiter slot.
 */
export async function linkOrders(deps: PipelineDeps, orderIds: readonly number[], options: LinkOptions, counts: AdvanceCounts): Promise<void> {
  const holder = newLinkClaimHolder();
  const file = options.label ?? '';
  const claims = holdLinkClaims(deps, holder, options.leaseMs ?? LINK_LEASE_MS, file);
  const writer = createLinkageWriter(deps, holder);
  const limit = pLimit(Math.max(1, options.concurrency));
  const watch = watchSupplier(deps, file);
  // Lines this run marked sent: those that then did not leave (the circuit opened, the
  // client stopped, the supplier's quantity could not be read or differed) are unmarked.
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
      const plan = await planLinkTasks(deps, ids, holder, options.leaseMs ?? LINK_LEASE_MS);
      claims.add(plan.claimed);
      await claims.giveBack(plan.notLinkable);
      if (plan.heldElsewhere > 0) {
        counts.heldElsewhere += plan.heldElsewhere;
        sayHeldElsewhere(deps, file, plan.heldElsewhere);
      }
      if (plan.tasksByOrder.size === 0) continue;
      const allTasks = [...plan.tasksByOrder.values()].flat();
      total += allTasks.length;
      const supplier = await watch.supplier();
      // Keys come from the store, filled there first if a line has none. While the supplier
      // is not called (circuit open, client stopped) nothing leaves, so nothing is marked sent.
      const sendIds = allTasks.filter((t) => !t.poll).map((t) => t.lineId);
      const { keys, marked } = await deps.store.transact((trx) => trx.orders.prepareLinesToSend(sendIds, writeContext(deps).now, { mark: !watch.blocked() }));
      for (const id of marked) markedNow.add(id);
      const keyOf = (lineId: number): string => {
        const key = keys.get(lineId);
        if (key === undefined) throw new Error(`order line ${lineId} has no idempotency key`);
        return key;
      };
      // The supplier holds the old quantity until a line is sent, and the target once it was (pending).
      supplier.prepare?.(allTasks.map((t) => ({ customer: t.customer, subscriptionId: t.subscriptionId, quantity: t.poll ? t.target : t.before })));
      const takeUp = async (task: LinkTask): Promise<void> => {
        writer.throwIfFailed();
        // Taken over by another run since (its lease lapsed): that run sends it.
        if (!claims.holds(task.lineId)) {
          counts.heldElsewhere++;
          return;
        }
        const { update, patched, leftUnsent } = task.poll ? await pollLine(supplier, task, watch) : await sendLine(supplier, task, keyOf(task.lineId), watch);
        if (patched) counts.sent++;
        tally(counts, update);
        const held = update.supplierQuantity ?? update.supplierHolds;
        if (held !== undefined) sayQuantityDiffers(deps, task, held, update);
        claims.done(task.lineId);
        await writer.push(update, leftUnsent && markedNow.has(task.lineId));
        done++;
        if (done % 200 === 0) deps.log({ kind: 'progress', file, phase: 'link', done, total });
      };
      const queued = Promise.all(
        [...plan.tasksByOrder.values()].map((tasks) =>
          limit(async () => {
            for (const task of tasks) await takeUp(task);
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
    // write, queued calls stop before they are sent. Claims still held are given back.
    await Promise.allSettled(chunks);
    try {
      await writer.close();
    } finally {
      await claims.close();
    }
    // Opened by the run's last calls, with nothing left to keep back: still worth saying.
    watch.sayIfStopped();
  }
  if (total > 0) deps.log({ kind: 'progress', file, phase: 'link', done, total });
}

function sayOtherSupplier(deps: PipelineDeps, other: string, supplier: string, orders: number): void {
  deps.log({
    kind: 'event',
    name: 'linkage.other_supplier',
    message: say('orders.linkedWithOtherSupplier', { orders, other, supplier }),
    data: { linkedWith: other, supplier, orders },
  });
}

/** The supplier this run links with; commands refuse to link without one (cli/shared.ts resolveSupplierSpec). */
export function supplierOf(deps: PipelineDeps): string {
  if (deps.supplierName === null) throw new Error('linkage needs a supplier, and none was named');
  return deps.supplierName;
}

function sayHeldElsewhere(deps: PipelineDeps, file: string, lines: number): void {
  const where = file === '' ? '' : `${file}: `;
  deps.log({
    kind: 'event',
    name: 'linkage.held_elsewhere',
    message: say('orders.linesLinkedByOtherRun', { where, lines }),
    data: { lines },
  });
}

function sayQuantityDiffers(deps: PipelineDeps, task: LinkTask, supplierQuantity: number, update: LinkageUpdate): void {
  deps.log({
    kind: 'event',
    name: 'linkage.quantity_differs',
    message: say('orders.supplierSaidOfLine', {
      subscriptionId: task.subscriptionId,
      said: update.said ?? { en: update.message ?? '', ja: update.message ?? '' },
    }),
    data: {
      orderLineId: task.lineId,
      subscriptionId: task.subscriptionId,
      before: task.before,
      target: task.target,
      confirmed: task.confirmed,
      supplier: supplierQuantity,
      status: update.status,
    },
  });
}

interface LineResult {
  update: LinkageUpdate;
  /** A change (PATCH) was sent. */
  patched: boolean;
  /** Nothing left for the supplier: a mark this run set on the line is taken back. */
  leftUnsent: boolean;
}

/** GET first: the change is sent only when the supplier holds the quantity the order started from. */
async function sendLine(supplier: Supplier, task: LinkTask, key: string, watch: SupplierWatch): Promise<LineResult> {
  const read = await supplier.readSubscription({ customer: task.customer, subscriptionId: task.subscriptionId });
  watch.saw(read);
  const decided = readUpdate(task, read);
  // Linked, pending, refused or mismatched on the GET alone: no change left.
  if (decided) return { update: decided, patched: false, leftUnsent: decided.status !== 'linked' && decided.status !== 'pending' };
  const outcome = await supplier.setQuantity({
    customer: task.customer,
    subscriptionId: task.subscriptionId,
    targetQuantity: task.target,
    idempotencyKey: key,
  });
  watch.saw(outcome);
  // Kept back (circuit open, client stopped, every attempt turned away with a 429): unlinked like any unreachable line, but never sent.
  const unsent = outcome.kind === 'unavailable' && outcome.unsent === true;
  return { update: linkUpdate(task, outcome), patched: !unsent, leftUnsent: unsent };
}

async function pollLine(supplier: Supplier, task: LinkTask, watch: SupplierWatch): Promise<LineResult> {
  const outcome = await supplier.checkSettlement({ customer: task.customer, subscriptionId: task.subscriptionId });
  watch.saw(outcome);
  return { update: settlementUpdate(task, outcome), patched: false, leftUnsent: false };
}

type SupplierWatch = ReturnType<typeof watchSupplier>;

/**
 * The run's view of the supplier's circuit breaker and of a client that stopped for good
 * (supplier/port.ts, CircuitState and SupplierHalt): the circuit is closed when the run
 * first asks for the supplier, so a later run gives it a new chance, and each is said once
 * (events `supplier.circuit_open`, `supplier.stopped`).
 */
function watchSupplier(deps: PipelineDeps, file: string) {
  let supplier: Supplier | null = null;
  let saidCircuit = false;
  let saidHalt = false;
  let saidNotices = 0;
  const where = file === '' ? '' : `${file}: `;
  const tell = (): void => {
    sayNotices();
    const state = supplier?.circuit?.();
    if (!saidCircuit && state?.open) {
      saidCircuit = true;
      deps.log({
        kind: 'event',
        name: 'supplier.circuit_open',
        message: say('orders.circuitOpened', { where, failures: state.failuresInRow, last: state.lastFailure ?? 'none' }),
        data: { ...state },
      });
    }
    const halt = supplier?.halted?.();
    if (!saidHalt && halt) {
      saidHalt = true;
      deps.log({
        kind: 'event',
        name: 'supplier.stopped',
        message: say('orders.supplierHalted', { where, why: halt.said }),
        data: { ...halt },
      });
    }
  };
  /** What the client did on its own (a Retry-After it could not use, say), each said once as it comes. */
  const sayNotices = (): void => {
    const notices = supplier?.notices?.() ?? [];
    for (const notice of notices.slice(saidNotices)) {
      deps.log({
        kind: 'event',
        name: `supplier.${notice.reason}`,
        message: say('orders.supplierNotice', { where, notice: notice.said }),
        data: { ...notice },
      });
    }
    saidNotices = Math.max(saidNotices, notices.length);
  };
  return {
    async supplier(): Promise<Supplier> {
      if (!supplier) {
        supplier = await deps.supplier();
        supplier.resetCircuit?.();
      }
      return supplier;
    },
    /** Whether nothing will leave now: the circuit is open or the client stopped. */
    blocked: (): boolean => supplier?.circuit?.().open === true || (supplier?.halted?.() ?? null) !== null,
    saw(outcome: LinkOutcome | SettlementOutcome | SubscriptionOutcome): void {
      if (outcome.kind === 'unavailable') tell();
      else sayNotices();
    },
    sayIfStopped: tell,
  };
}

function tally(counts: AdvanceCounts, update: LinkageUpdate): void {
  if (update.code === QUANTITY_DIFFERS && update.status !== 'failed') counts.quantityDiffers++;
  if (update.status === 'linked') counts.settled++;
  else if (update.status === 'pending') counts.pending++;
  else if (update.status === 'failed') counts.rejected++;
  // The supplier answered (settled elsewhere, so asked again): not unreachable.
  else if (update.code !== QUANTITY_DIFFERS) counts.unavailable++;
}

interface LinkPlan {
  /** Lines to send (unlinked) or to poll, grouped by order, in line order. */
  tasksByOrder: Map<number, LinkTask[]>;
  /** The claimed lines of the tasks. */
  claimed: number[];
  /** Claimed lines that are not linkage's to take up after all (their order is not accepted or completed). */
  notLinkable: number[];
  /** Linkable lines another run holds. */
  heldElsewhere: number;
}

/**
 * Claims the linkable lines of these orders (in one transaction with reading them), and
 * plans what to do with each claimed one. Lines of completed orders take part only when
 * they were confirmed unsettled: they are polled until the supplier has settled. (An
 * unlinked line of a completed order, which an earlier version left when the supplier
 * settled elsewhere, is polled too: it was sent, and the store must learn where the
 * supplier stands.)
 */
async function planLinkTasks(deps: PipelineDeps, orderIds: readonly number[], holder: string, leaseMs: number): Promise<LinkPlan> {
  const { claimed, lines } = await deps.store.transact(async (trx) => {
    const claimedIds = await trx.linkClaims.claimLinesOfOrders(orderIds, holder, leaseMs);
    return { claimed: claimedIds, lines: await trx.orders.loadLinkableLines(orderIds) };
  });
  const mine = new Set(claimed);
  const tasksByOrder = new Map<number, LinkTask[]>();
  const nothingToSend: LinkageUpdate[] = [];
  const supplier = supplierOf(deps);
  /** Orders linked with another supplier: this run neither sends nor asks about them (their claims go back). */
  const elsewhere = new Map<string, Set<number>>();
  let heldElsewhere = 0;
  for (const line of lines) {
    if (!mine.has(line.lineId)) {
      heldElsewhere++;
      continue;
    }
    if (line.linkedWith !== null && line.linkedWith !== supplier) {
      elsewhere.set(line.linkedWith, (elsewhere.get(line.linkedWith) ?? new Set<number>()).add(line.orderId));
      continue;
    }
    mine.delete(line.lineId);
    const confirmed = line.orderStatus === 'completed';
    // A product with no subscription at the supplier has nothing to tell it: linked at once.
    if (line.subscriptionId === '') {
      nothingToSend.push({ lineId: line.lineId, status: 'linked', code: null, message: null });
      continue;
    }
    const tasks = tasksByOrder.get(line.orderId) ?? [];
    const poll = line.linkageStatus !== 'unlinked' || confirmed;
    tasks.push({
      lineId: line.lineId,
      customer: line.customer,
      subscriptionId: line.subscriptionId,
      target: line.quantityAfter,
      before: line.quantityBefore,
      poll,
      confirmed,
      sent: poll || line.sent,
      namesSerials: line.namesSerials,
    });
    tasksByOrder.set(line.orderId, tasks);
  }
  if (nothingToSend.length > 0) await deps.store.transact((trx) => trx.orders.recordLinkage(nothingToSend, writeContext(deps), holder));
  for (const [other, orders] of elsewhere) sayOtherSupplier(deps, other, supplier, orders.size);
  const taken = [...tasksByOrder.values()].flat().map((t) => t.lineId);
  return { tasksByOrder, claimed: taken, notLinkable: [...mine], heldElsewhere };
}
