import type { LinkageUpdate } from '../store/orderRepository.js';
import type { LinkOutcome, SettlementOutcome, SubscriptionOutcome, Unavailable } from '../supplier/port.js';

/**
 * What each answer of the supplier makes of an order line (pure): the linkage status, and
 * the code and words the line keeps. Our own words come in English and Japanese; the
 * supplier's refusals keep its own words.
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
}

/** The code a line carries when the supplier holds, or settled at, a quantity other than the one the store expects. */
export const QUANTITY_DIFFERS = 'SUPPLIER_QUANTITY_MISMATCH';

/**
 * Before the first change of a line: what the supplier holds decides whether it is sent.
 * - the quantity before the order: send the change (`null`);
 * - the target already: an earlier run's change landed (a crash after the PATCH); the line
 *   is sent, linked or pending as the supplier says;
 * - anything else: nothing is sent. An absolute target computed from a quantity the
 *   supplier does not have would take away the wrong number of seats; the line fails with
 *   SUPPLIER_QUANTITY_MISMATCH, a final refusal: a person fixes the master, then asks again.
 * A 404 is the supplier's NOT_FOUND refusal. An unreadable or missing answer leaves the
 * line unlinked, for a later run.
 */
export function readUpdate(task: LinkTask, read: SubscriptionOutcome): LinkageUpdate | null {
  switch (read.kind) {
    case 'found':
      if (read.quantity === task.before) return null;
      if (read.quantity === task.target) return { lineId: task.lineId, status: read.pending ? 'pending' : 'linked', code: null, message: null };
      return {
        lineId: task.lineId,
        status: 'failed',
        code: QUANTITY_DIFFERS,
        message: `the supplier holds ${read.quantity} seats, the store ${task.before}; nothing was sent. Check the subscription at the supplier, correct the contract master (kaiyaku contracts import), and ask for the cancellation again`,
        messageJa: `仕入元の数量は ${read.quantity}、システムの数量は ${task.before} です。仕入元には何も送信していません。仕入元でサブスクリプションを確認し、契約マスタを修正（kaiyaku contracts import）してから、もう一度解約を依頼してください`,
      };
    case 'rejected':
      return { lineId: task.lineId, status: 'failed', code: read.code, message: read.message };
    case 'unavailable':
      return unreachable(task, read, 'unlinked');
  }
}

export function linkUpdate(task: LinkTask, outcome: LinkOutcome): LinkageUpdate {
  switch (outcome.kind) {
    case 'settled':
      return { lineId: task.lineId, status: 'linked', code: null, message: null };
    case 'accepted':
      return { lineId: task.lineId, status: 'pending', code: null, message: null };
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
      // Confirmed already (--confirm-unsettled): the supplier's quantity is the truth, and the
      // store follows it (recordLinkage); the line says what happened, for good.
      if (task.confirmed) {
        return {
          lineId: task.lineId,
          status: 'linked',
          code: QUANTITY_DIFFERS,
          message: `the supplier settled at ${held}, not ${task.target} as confirmed; the contract line follows the supplier`,
          messageJa: `仕入元は解約確定した ${task.target} ではなく ${held} で確定しました。契約明細は仕入元の数量に合わせます`,
          supplierQuantity: held,
        };
      }
      // Not confirmed yet: our change never landed. A later run asks the supplier again and
      // sends it if the supplier still holds the quantity before (readUpdate).
      return {
        lineId: task.lineId,
        status: 'unlinked',
        code: QUANTITY_DIFFERS,
        message: `the supplier settled at ${held}, not ${task.target}; a later run asks it again`,
        messageJa: `仕入元は ${task.target} ではなく ${held} で確定しました。次回の実行で改めて確認します`,
      };
    }
    case 'pending':
      return { lineId: task.lineId, status: 'pending', code: null, message: null };
    case 'rejected':
      return { lineId: task.lineId, status: 'failed', code: outcome.code, message: outcome.message };
    case 'unavailable':
      // Sent before: the supplier may have taken it, so the line waits, pending, for a later run to ask.
      return unreachable(task, outcome, 'pending');
  }
}

function unreachable(task: LinkTask, outcome: Unavailable, status: 'unlinked' | 'pending'): LinkageUpdate {
  return { lineId: task.lineId, status, code: 'SUPPLIER_UNAVAILABLE', message: outcome.message, messageJa: outcome.messageJa };
}
