import { type LinkageUpdate } from '../store/index.js';
import { say, type Said } from '../messages/index.js';
import type { LinkOutcome, SettlementOutcome, SubscriptionOutcome, Unavailable } from '../supplier/port.js';

/**
 * What each answer of the supplier makes of an order line (pure): the linkage status, and
 * the code and words the line keeps. Our own words come in English and Japanese; the
 * supplier's refusals keep its own words. An answer is never taken for more than it says:
 * a change is linked only when the supplier holds its target.
 */

export interface LinkTask {
  lineId: number;
  customer: string;
  subscriptionId: string;
  target: number;
  /** The quantity before this order, what the supplier holds until the line is sent. */
  before: number;
  /** Sent before (pending, or failed without a final refusal): ask whether it settled instead of sending again. */
  poll: boolean;
  /** Its order is completed (confirmed before the supplier settled): the store follows what the supplier settles at. */
  confirmed: boolean;
  /** A change of it left before this run (sent_at was set): the supplier may have taken it, whatever it holds now. */
  sent: boolean;
  /** It cancels named serials: another quantity than asked cannot say which of them. */
  namesSerials: boolean;
}

/** The code a line carries when the supplier holds, or settled at, a quantity other than the one the store expects. */
export const QUANTITY_DIFFERS = 'SUPPLIER_QUANTITY_MISMATCH';

/**
 * Before a change of a line is sent: what the supplier holds decides whether it is sent.
 * - the quantity before the order: send the change (`null`);
 * - the target already: an earlier run's change landed (a crash after the PATCH); the line
 *   is sent, linked or pending as the supplier says;
 * - anything else, on a line never sent: nothing is sent. An absolute target computed from
 *   a quantity the supplier does not have would take away the wrong number of seats; the
 *   line fails with SUPPLIER_QUANTITY_MISMATCH, a final refusal: a person fixes the master,
 *   then asks again;
 * - anything else, on a line an earlier run sent (maybe without an answer): the supplier may
 *   have taken that change, so it is the same as a change settling at another quantity
 *   (`otherQuantityUpdate`), never "nothing was sent".
 * A 404 is the supplier's NOT_FOUND refusal for a line never sent; for one sent, the
 * supplier took a change and now does not know the subscription: the line waits (pending).
 * An unreadable or missing answer leaves the line unlinked, for a later run.
 */
export function readUpdate(task: LinkTask, read: SubscriptionOutcome): LinkageUpdate | null {
  switch (read.kind) {
    case 'found':
      if (read.quantity === task.before) return null;
      if (read.quantity === task.target) return { lineId: task.lineId, status: read.pending ? 'pending' : 'linked', code: null, message: null };
      if (task.sent) return read.pending ? { lineId: task.lineId, status: 'pending', code: null, message: null } : otherQuantityUpdate(task, read.quantity);
      return {
        lineId: task.lineId,
        status: 'failed',
        code: QUANTITY_DIFFERS,
        message: null,
        said: say('orders.supplierHoldsOtherNothingSent', { supplier: read.quantity, store: task.before }),
      };
    case 'rejected':
      return task.sent ? refusedAfterSending(task, read) : { lineId: task.lineId, status: 'failed', code: read.code, message: read.message };
    case 'unavailable':
      return unreachable(task, read, 'unlinked');
  }
}

export function linkUpdate(task: LinkTask, outcome: LinkOutcome): LinkageUpdate {
  switch (outcome.kind) {
    case 'settled':
      return { lineId: task.lineId, status: 'linked', code: null, message: null };
    case 'settledOther':
      return otherQuantityUpdate(task, outcome.status === 'deleted' ? 0 : outcome.quantity);
    case 'accepted':
      return { lineId: task.lineId, status: 'pending', code: null, message: null };
    case 'unread':
      // Sent, and what came back says nothing: like a 202, a later run asks the supplier.
      return { lineId: task.lineId, status: 'pending', code: 'SUPPLIER_UNAVAILABLE', message: null, said: unavailableSaid(outcome), answered: true };
    case 'rejected':
      return { lineId: task.lineId, status: 'failed', code: outcome.code, message: outcome.message };
    case 'unavailable':
      return unreachable(task, outcome, 'unlinked');
  }
}

export function settlementUpdate(task: LinkTask, outcome: SettlementOutcome): LinkageUpdate {
  switch (outcome.kind) {
    case 'settled': {
      const held = outcome.status === 'deleted' ? 0 : outcome.quantity;
      if (held === task.target) return { lineId: task.lineId, status: 'linked', code: null, message: null };
      return otherQuantityUpdate(task, held);
    }
    case 'pending':
      return { lineId: task.lineId, status: 'pending', code: null, message: null };
    case 'rejected':
      // Every line polled was sent: a refusal of the question is not a refusal of the change.
      return refusedAfterSending(task, outcome);
    case 'unavailable':
      // Sent before: the supplier may have taken it, so the line waits, pending, for a later run to ask.
      return unreachable(task, outcome, 'pending');
  }
}

/**
 * A line whose change was sent, which the supplier holds (settled) at `held`, not at its
 * target. The supplier's quantity is the truth; what the store does depends on what it can
 * follow (store/orderRepository.ts, followSupplierQuantity):
 * - confirmed already (--confirm-unsettled): the contract line follows the supplier;
 * - the quantity before the order: the change did not land. Unlinked: a later run asks
 *   again and sends it (the GET first then finds the quantity before);
 * - fewer seats than before, no serials named: the supplier took a change, not as asked. The
 *   order line follows it (its cancel quantity becomes before − held), linked with
 *   SUPPLIER_QUANTITY_MISMATCH, and confirmation applies what the supplier holds;
 * - more seats than before (something else changed the subscription too), or named serials
 *   (which of them the supplier kept cannot be told): pending with the words; a person checks
 *   at the supplier, and a later run asks again. Never "nothing was sent", and the order's
 *   acceptance cannot be withdrawn while it stands so.
 */
function otherQuantityUpdate(task: LinkTask, held: number): LinkageUpdate {
  const { lineId, target, before } = task;
  if (task.confirmed) {
    return {
      lineId,
      status: 'linked',
      code: QUANTITY_DIFFERS,
      message: null,
      said: say('orders.settledOtherThanConfirmed', { held, target }),
      supplierQuantity: held,
    };
  }
  if (held === before) {
    return {
      lineId,
      status: 'unlinked',
      code: QUANTITY_DIFFERS,
      message: null,
      said: say('orders.settledAtQuantityBefore', { held, target }),
      supplierHolds: held,
      sendAfresh: true,
    };
  }
  if (held < before && !task.namesSerials) {
    return {
      lineId,
      status: 'linked',
      code: QUANTITY_DIFFERS,
      message: null,
      said: say('orders.settledBelowTarget', { held, target, cancels: before - held, asked: before - target }),
      supplierQuantity: held,
    };
  }
  return {
    lineId,
    status: 'pending',
    code: QUANTITY_DIFFERS,
    message: null,
    said: held > before ? say('orders.sentButHoldsMore', { target, held, before }) : say('orders.sentButSerialsUnknown', { target, held }),
    supplierHolds: held,
  };
}

/**
 * A line whose change was sent, asked about, and refused (a 404: the supplier no longer knows
 * the subscription). The supplier may have taken the change, so it is no refusal of it: the
 * line waits, pending, with the supplier's words, and a person asks the supplier.
 */
function refusedAfterSending(task: LinkTask, refusal: { code: string; message: string }): LinkageUpdate {
  return {
    lineId: task.lineId,
    status: 'pending',
    code: 'SUPPLIER_UNAVAILABLE',
    // The supplier's own words stay as they came: in linkage_message, and as a parameter of ours.
    message: refusal.message,
    said: say('orders.refusedAfterSending', { code: refusal.code, supplierWords: refusal.message }),
    answered: true,
  };
}

function unreachable(task: LinkTask, outcome: Unavailable, status: 'unlinked' | 'pending'): LinkageUpdate {
  return { lineId: task.lineId, status, code: 'SUPPLIER_UNAVAILABLE', message: null, said: unavailableSaid(outcome) };
}

/** Why the supplier could not be asked, in our words. */
function unavailableSaid(outcome: { said: Said }): Said {
  return say('orders.supplierUnavailable', { reason: outcome.said });
}
