import type { IsoDate, LinkageStatus, OrderStatus } from './types.js';
import { ORDER_REFUSAL } from '../messages/index.js';

/**
 * The change-order state machine of the portal's 契約変更 screen:
 * requested →(受付) accepted →(解約確定) completed; requested →(キャンセル) withdrawn;
 * accepted →(受付取消) requested while the supplier cannot have taken anything (every line
 * sent was refused for good, or none was sent). An order the supplier took in part is confirmed for
 * what it took; the lines it refused are released (see ReleaseRefused).
 * Linkage (解約連携) moves lines, not the order. Pure: the caller persists the result
 * with a guarded update on the status it read.
 */
export type OrderAction = 'accept' | 'withdrawAcceptance' | 'link' | 'confirm' | 'withdraw';

export interface OrderLineSnapshot {
  linkageStatus: LinkageStatus;
  /** The supplier's code of a failed line (900117, NOT_FOUND…); absent where it does not matter. */
  linkageCode?: string | null;
}

export interface OrderSnapshot {
  status: OrderStatus;
  appliedOn: IsoDate;
  lines: readonly OrderLineSnapshot[];
}

export { ORDER_REFUSAL };
export type OrderRefusalCode = keyof typeof ORDER_REFUSAL;

export type StepResult = { ok: true; next: OrderStatus } | { ok: false; refusal: OrderRefusalCode };

const refuse = (refusal: OrderRefusalCode): StepResult => ({ ok: false, refusal });

/**
 * Whether the supplier may have taken some line: one sent (pending, linked), or one whose
 * refusal is not final (an answer that could not be read says nothing of what the supplier
 * did). Only a final refusal, or a line never sent, rules it out.
 */
export function supplierMayHaveTaken(order: OrderSnapshot): boolean {
  return order.lines.some((l) => l.linkageStatus === 'pending' || l.linkageStatus === 'linked' || (l.linkageStatus === 'failed' && !isFinalRefusal(l)));
}

export function accept(order: OrderSnapshot): StepResult {
  return order.status === 'requested' ? { ok: true, next: 'accepted' } : refuse('NOT_REQUESTED');
}

export function withdrawAcceptance(order: OrderSnapshot): StepResult {
  if (order.status !== 'accepted') return refuse('NOT_ACCEPTED');
  if (supplierMayHaveTaken(order)) return refuse('ALREADY_ORDERED');
  return { ok: true, next: 'requested' };
}

export function withdraw(order: OrderSnapshot): StepResult {
  return order.status === 'requested' ? { ok: true, next: 'withdrawn' } : refuse('NOT_REQUESTED');
}

/** Linkage keeps the order accepted; it is allowed while some line is still unlinked. */
export function link(order: OrderSnapshot): StepResult {
  if (order.status !== 'accepted') return refuse('NOT_ACCEPTED');
  if (!order.lines.some((l) => l.linkageStatus === 'unlinked')) return refuse('NOTHING_TO_LINK');
  return { ok: true, next: 'accepted' };
}

/**
 * Which lines the supplier refused may be released at confirmation: the order is completed
 * for what the supplier took, and a released line keeps its contract quantity and goes back
 * to being a target for a later order.
 * - `none`: a refused line blocks confirmation (a `cancel` run: its row reports the refusal).
 * - `final`: only refusals that retrying cannot change (`orders resume`, the nightly run).
 * - `any`: every refused line (`orders confirm`: the operator has decided).
 */
export type ReleaseRefused = 'none' | 'final' | 'any';

export interface ConfirmInput {
  endDate: IsoDate | null;
  contractStartDate: IsoDate;
  /** The portal's 「解約確定してもよろしいですか？」 answered yes. */
  confirmUnsettled: boolean;
  /** Default `none`. */
  releaseRefused?: ReleaseRefused;
}

/**
 * Codes of failed lines that are not the supplier's last word: an answer that could not be
 * read, or no code at all. Every other failed line carries a 4xx refusal (900117, 900214,
 * 800091, NOT_FOUND…), which the same request will always get again, or
 * SUPPLIER_QUANTITY_MISMATCH (the supplier holds another quantity than the store: nothing
 * was sent, and the master must be fixed by a person). No line fails for these codes any
 * more (an unreadable answer is retried, then leaves the line pending or unlinked; being
 * unreachable never fails a line); lines an earlier version failed so are asked again.
 */
export const NOT_FINAL_REFUSAL_CODES = ['', 'BAD_RESPONSE', 'SUPPLIER_UNAVAILABLE'] as const;
const NOT_FINAL_REFUSALS: ReadonlySet<string> = new Set(NOT_FINAL_REFUSAL_CODES);

/** A failed line whose refusal retrying cannot change. */
export function isFinalRefusal(line: OrderLineSnapshot): boolean {
  return line.linkageStatus === 'failed' && !NOT_FINAL_REFUSALS.has(line.linkageCode ?? '');
}

function releasable(line: OrderLineSnapshot, release: ReleaseRefused): boolean {
  return release === 'any' || (release === 'final' && isFinalRefusal(line));
}

export function confirm(order: OrderSnapshot, input: ConfirmInput): StepResult {
  if (order.status !== 'accepted') return refuse('NOT_ACCEPTED');
  if (!input.endDate) return refuse('END_DATE_REQUIRED');
  if (input.endDate < input.contractStartDate) return refuse('END_DATE_BEFORE_START');
  if (input.endDate < order.appliedOn) return refuse('END_DATE_BEFORE_APPLIED');
  const release = input.releaseRefused ?? 'none';
  let taken = 0;
  for (const line of order.lines) {
    switch (line.linkageStatus) {
      case 'linked':
        taken += 1;
        break;
      case 'pending':
        if (!input.confirmUnsettled) return refuse('UNSETTLED');
        taken += 1;
        break;
      case 'unlinked':
        return refuse('NOT_LINKED');
      case 'failed':
        if (!releasable(line, release)) return refuse('LINKAGE_FAILED');
        break;
      default:
        return assertNever(line.linkageStatus);
    }
  }
  // Confirming an order the supplier took nothing of would complete a change that never happened.
  if (taken === 0) return refuse('NOTHING_TAKEN');
  return { ok: true, next: 'completed' };
}

/** What an operator has to do for an order `orders resume` cannot take further. */
export type OperatorAction = 'withdraw' | 'withdrawAcceptance' | 'confirm';

export type ResumeVerdict =
  /** Resume can still move it: a step to take, a line to send, or a supplier to ask again. */
  | { kind: 'advance' }
  /** Nothing a later run does changes it: an operator must take this step. */
  | { kind: 'operator'; action: OperatorAction; refusal: OrderRefusalCode };

export interface ResumeSnapshot extends OrderSnapshot {
  endDate: IsoDate | null;
  contractStartDate: IsoDate;
}

/**
 * Whether `orders resume` (and the nightly run) can still advance an order, or only an
 * operator can. Judged on the order as resume leaves it, with resume's release rule
 * (`final`): an order it could confirm it has confirmed.
 * - requested with a refused line: its acceptance was withdrawn after the supplier refused
 *   everything; accepting it again would only repeat the refusal. The operator withdraws it.
 * - accepted, every line refused for good: nothing was taken; the operator withdraws the
 *   acceptance, then the order. A refusal that is not final is asked again instead.
 * - accepted, nothing left to send or poll, and confirmation refused for another reason (an
 *   end date the rules refuse): the operator confirms it.
 */
export function resumeVerdict(order: ResumeSnapshot, options: { confirmUnsettled: boolean }): ResumeVerdict {
  const advance: ResumeVerdict = { kind: 'advance' };
  switch (order.status) {
    case 'requested':
      return order.lines.some((l) => l.linkageStatus === 'failed') ? { kind: 'operator', action: 'withdraw', refusal: 'REFUSED_AND_SENT_BACK' } : advance;
    case 'accepted': {
      // Lines to send (again) or to ask about (pending, or failed without a final refusal): the supplier decides, and a later run asks it.
      if (order.lines.some((l) => l.linkageStatus === 'unlinked' || l.linkageStatus === 'pending' || (l.linkageStatus === 'failed' && !isFinalRefusal(l))))
        return advance;
      if (order.lines.length > 0 && order.lines.every((l) => l.linkageStatus === 'failed'))
        return { kind: 'operator', action: 'withdrawAcceptance', refusal: 'NOTHING_TAKEN' };
      const step = confirm(order, {
        endDate: order.endDate,
        contractStartDate: order.contractStartDate,
        confirmUnsettled: options.confirmUnsettled,
        releaseRefused: 'final',
      });
      if (step.ok) return advance;
      return { kind: 'operator', action: step.refusal === 'NOTHING_TAKEN' ? 'withdrawAcceptance' : 'confirm', refusal: step.refusal };
    }
    case 'completed':
      // Kept in resume only while a line confirmed unsettled waits for the supplier.
      return advance;
    case 'withdrawn':
      return advance;
    default:
      return assertNever(order.status);
  }
}

export function isOpen(status: OrderStatus): boolean {
  return status === 'requested' || status === 'accepted';
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
