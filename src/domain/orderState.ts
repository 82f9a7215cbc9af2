import type { IsoDate, LinkageStatus, OrderStatus } from './types.js';

/**
 * The change-order state machine of the portal's 契約変更 screen:
 * requested →(受付) accepted →(解約確定) completed; requested →(キャンセル) withdrawn;
 * accepted →(受付取消) requested while nothing has been sent to the supplier.
 * Linkage (解約連携) moves lines, not the order. Pure: the caller persists the result
 * with a guarded update on the status it read.
 */
export type OrderAction = 'accept' | 'withdrawAcceptance' | 'link' | 'confirm' | 'withdraw';

export interface OrderSnapshot {
  status: OrderStatus;
  appliedOn: IsoDate;
  lines: readonly { linkageStatus: LinkageStatus }[];
}

export const ORDER_REFUSAL = {
  NOT_REQUESTED: { en: 'Only a requested order can take this step', ja: '申請中の注文ではないため実行できません' },
  NOT_ACCEPTED: { en: 'Only an accepted order can take this step', ja: '受付済の注文ではないため実行できません' },
  ALREADY_ORDERED: {
    en: 'Already ordered at the supplier: acceptance cannot be withdrawn',
    ja: '発注済みの為、受付取消はできません',
  },
  END_DATE_REQUIRED: { en: 'The contract end date is required to confirm', ja: '契約終了日は必須です' },
  END_DATE_BEFORE_APPLIED: { en: 'The end date is before the application date', ja: '契約終了日が申込日より前です' },
  END_DATE_BEFORE_START: { en: 'The end date is before the contract start date', ja: '契約終了日が契約開始日より前です' },
  NOT_LINKED: { en: 'Some lines have not been sent to the supplier (解約連携) yet', ja: '解約連携されていない明細があります' },
  LINKAGE_FAILED: { en: 'The supplier refused some lines; withdraw the acceptance or fix them first', ja: '仕入元が解約を受け付けなかった明細があります' },
  UNSETTLED: {
    en: 'The supplier has not settled the cancellation yet (use --confirm-unsettled to confirm anyway)',
    ja: '仕入元で解約処理が確定されていません（--confirm-unsettled で解約確定できます）',
  },
  NOTHING_TO_LINK: { en: 'No line is waiting for linkage', ja: '解約連携する明細がありません' },
} as const;
export type OrderRefusalCode = keyof typeof ORDER_REFUSAL;

export type StepResult = { ok: true; next: OrderStatus } | { ok: false; refusal: OrderRefusalCode };

const refuse = (refusal: OrderRefusalCode): StepResult => ({ ok: false, refusal });

/** A line counts as sent once anything went to the supplier, even if it has not settled. */
export function anyLineSent(order: OrderSnapshot): boolean {
  return order.lines.some((l) => l.linkageStatus === 'pending' || l.linkageStatus === 'linked');
}

export function accept(order: OrderSnapshot): StepResult {
  return order.status === 'requested' ? { ok: true, next: 'accepted' } : refuse('NOT_REQUESTED');
}

export function withdrawAcceptance(order: OrderSnapshot): StepResult {
  if (order.status !== 'accepted') return refuse('NOT_ACCEPTED');
  if (anyLineSent(order)) return refuse('ALREADY_ORDERED');
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

export interface ConfirmInput {
  endDate: IsoDate | null;
  contractStartDate: IsoDate;
  /** The portal's 「解約確定してもよろしいですか？」 answered yes. */
  confirmUnsettled: boolean;
}

export function confirm(order: OrderSnapshot, input: ConfirmInput): StepResult {
  if (order.status !== 'accepted') return refuse('NOT_ACCEPTED');
  if (!input.endDate) return refuse('END_DATE_REQUIRED');
  if (input.endDate < input.contractStartDate) return refuse('END_DATE_BEFORE_START');
  if (input.endDate < order.appliedOn) return refuse('END_DATE_BEFORE_APPLIED');
  for (const line of order.lines) {
    switch (line.linkageStatus) {
      case 'linked':
        break;
      case 'pending':
        if (!input.confirmUnsettled) return refuse('UNSETTLED');
        break;
      case 'unlinked':
        return refuse('NOT_LINKED');
      case 'failed':
        return refuse('LINKAGE_FAILED');
      default:
        return assertNever(line.linkageStatus);
    }
  }
  return { ok: true, next: 'completed' };
}

export function isOpen(status: OrderStatus): boolean {
  return status === 'requested' || status === 'accepted';
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
