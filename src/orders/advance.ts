import { confirm, type ReleaseRefused } from '../domain/orderState.js';
import type { AdvanceCounts, LinkageStatus, Stage } from '../domain/types.js';
import { chunk } from '../store/index.js';
import { stageAtLeast, writeContext, type PipelineDeps } from '../pipeline/context.js';
import { linkOrders } from './linkOrders.js';

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
  /** For tests: how long linkage claims are held without renewal (default 2 minutes). */
  linkLeaseMs?: number;
}

/**
 * Orders accepted or confirmed per transaction. Each statement names them by one bound
 * list, so a larger chunk costs no more bindings, only fewer round trips to the store.
 */
const ADVANCE_CHUNK = 5000;

/** Counts of an advance that did nothing (yet). */
export function noAdvance(): AdvanceCounts {
  return { accepted: 0, sent: 0, settled: 0, pending: 0, rejected: 0, unavailable: 0, quantityDiffers: 0, heldElsewhere: 0, confirmed: 0 };
}

/**
 * Takes orders as far as `until` allows: accept (one statement per few hundred orders),
 * link (linkOrders.ts: only the lines this run claims), confirm (set-based). Every
 * step is guarded on the state it read, so running it twice, or after a kill, or beside
 * another run, does each thing once.
 */
export async function advanceOrders(deps: PipelineDeps, orderIds: readonly number[], options: AdvanceOptions): Promise<AdvanceCounts> {
  const counts = noAdvance();
  if (orderIds.length === 0) return counts;
  const file = options.label ?? '';
  if (stageAtLeast(options.until, 'accepted')) {
    for (const ids of chunk(orderIds, ADVANCE_CHUNK)) {
      const moved = await deps.store.transact((trx) => trx.orders.transitionOrders(ids, 'requested', 'accepted', writeContext(deps), 'accept'));
      counts.accepted += moved.length;
    }
    deps.log({ kind: 'progress', file, phase: 'accept', done: counts.accepted, total: orderIds.length });
  }
  if (stageAtLeast(options.until, 'linked') && !options.skipLinkage) {
    await linkOrders(
      deps,
      orderIds,
      {
        concurrency: options.concurrency,
        ...(options.label !== undefined ? { label: options.label } : {}),
        ...(options.linkLeaseMs !== undefined ? { leaseMs: options.linkLeaseMs } : {}),
      },
      counts,
    );
  }
  if (stageAtLeast(options.until, 'completed')) {
    const release = options.releaseRefused ?? 'none';
    for (const ids of chunk(orderIds, ADVANCE_CHUNK)) {
      const byEndDate = new Map<string, number[]>();
      for (const [orderId, o] of await deps.store.orders.loadConfirmable(ids)) {
        const endDate = options.endDateOverride ?? o.endDate;
        const step = confirm(
          { status: 'accepted', appliedOn: o.appliedOn, lines: o.lines },
          { endDate, contractStartDate: o.contractStartDate, confirmUnsettled: options.confirmUnsettled, releaseRefused: release },
        );
        if (step.ok) {
          const key = options.endDateOverride ?? '';
          const list = byEndDate.get(key);
          if (list) list.push(orderId);
          else byEndDate.set(key, [orderId]);
        }
      }
      for (const [endDate, eligible] of byEndDate) {
        const done = await deps.store.transact((trx) => trx.orders.confirmOrders(eligible, endDate === '' ? null : endDate, writeContext(deps), release));
        counts.confirmed += done.length;
      }
      deps.log({ kind: 'progress', file, phase: 'confirm', done: counts.confirmed, total: orderIds.length });
    }
  }
  return counts;
}

export type { LinkageStatus };
