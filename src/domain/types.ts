/** Domain types in the portal's words (glossary of domain.md). Pure: no I/O here. */

export type ContractStatus = 'active' | 'cancelled';
export type LineStatus = 'active' | 'cancelled';
export type OrderStatus = 'requested' | 'accepted' | 'completed' | 'withdrawn';
export type OrderKind = 'cancel' | 'add';
export type LinkageStatus = 'unlinked' | 'pending' | 'linked' | 'failed';
/** Business day in Japan time, `YYYY-MM-DD`. */
export type IsoDate = string;

export interface Contract {
  id: number;
  contractNo: string;
  contractDate: IsoDate | null;
  startDate: IsoDate;
  endDate: IsoDate | null;
  cancelledOn: IsoDate | null;
  status: ContractStatus;
  subject: string;
  customer: string;
  endUser: string;
  billTo: string;
  shipTo: string;
}

export interface ContractLine {
  id: number;
  contractId: number;
  supplier: string;
  productCode: string;
  productName: string;
  subscriptionId: string;
  quantity: number;
  unitPrice: number;
  plan: string;
  billingModel: string;
  isTrial: boolean;
  status: LineStatus;
  endDate: IsoDate | null;
}

export interface Serial {
  id: number;
  lineId: number;
  serialNo: string;
  status: LineStatus;
}

export interface OrderLine {
  id: number;
  orderId: number;
  contractLineId: number;
  quantityBefore: number;
  cancelQuantity: number;
  quantityAfter: number;
  unitPrice: number;
  linkageStatus: LinkageStatus;
}

export interface ChangeOrder {
  id: number;
  orderNo: string;
  contractId: number;
  kind: OrderKind;
  status: OrderStatus;
  appliedOn: IsoDate;
  endDate: IsoDate | null;
}

/** The stages a run can be asked to reach (`--until`). */
export const STAGES = ['requested', 'accepted', 'linked', 'completed'] as const;
export type Stage = (typeof STAGES)[number];
/** A stage as the portal names where an order stands once it got there. */
export const STAGE_LABEL: Record<Stage, { en: string; ja: string }> = {
  requested: { en: 'requested', ja: '申請' },
  accepted: { en: 'accepted', ja: '受付済' },
  linked: { en: 'linked', ja: '解約連携済' },
  completed: { en: 'completed', ja: '変更済' },
};

export const ORDER_STATUS_LABEL: Record<OrderStatus, { en: string; ja: string }> = {
  requested: { en: 'requested', ja: '申請' },
  accepted: { en: 'accepted', ja: '受付済' },
  completed: { en: 'completed', ja: '変更済' },
  withdrawn: { en: 'withdrawn', ja: 'キャンセル' },
};
export const ORDER_KIND_LABEL: Record<OrderKind, { en: string; ja: string }> = {
  cancel: { en: 'cancel', ja: '解約' },
  add: { en: 'add', ja: '追加' },
};
export const LINKAGE_STATUS_LABEL: Record<LinkageStatus, { en: string; ja: string }> = {
  unlinked: { en: 'unlinked', ja: '未連携' },
  pending: { en: 'pending', ja: '連携中' },
  linked: { en: 'linked', ja: '連携済' },
  failed: { en: 'failed', ja: '連携失敗' },
};
/** The contract list says 有効中 where the contract screen says 契約中 (manual, 契約一覧). */
export const CONTRACT_STATUS_LABEL: Record<ContractStatus, { en: string; ja: string }> = {
  active: { en: 'active', ja: '有効中' },
  cancelled: { en: 'cancelled', ja: '解約済' },
};

const LINKAGE_RANK: Record<LinkageStatus, number> = { failed: 0, unlinked: 1, pending: 2, linked: 3 };
/** A row that covers several lines shows the least advanced of them (cli.md). */
export function leastAdvancedLinkage(statuses: readonly LinkageStatus[]): LinkageStatus | null {
  let least: LinkageStatus | null = null;
  for (const s of statuses) if (least === null || LINKAGE_RANK[s] < LINKAGE_RANK[least]) least = s;
  return least;
}

/** What a row of a cancellation file came to (the result file's `result`). */
export type RowResult = 'completed' | 'valid' | 'pending' | 'already_done' | 'refused' | 'failed';
export const ROW_RESULT_LABEL: Record<RowResult, { en: string; ja: string }> = {
  completed: { en: 'completed', ja: '完了' },
  valid: { en: 'valid', ja: '検証OK' },
  pending: { en: 'pending', ja: '保留' },
  already_done: { en: 'already_done', ja: '処理済' },
  refused: { en: 'refused', ja: 'エラー' },
  failed: { en: 'failed', ja: '失敗' },
};

/** Whether an order has reached the stage a run was asked to reach. */
export function orderReached(until: Stage, status: OrderStatus, linkages: readonly LinkageStatus[]): boolean {
  switch (until) {
    case 'requested':
      return status !== 'withdrawn';
    case 'accepted':
      return status === 'accepted' || status === 'completed';
    case 'linked':
      return status === 'completed' || (status === 'accepted' && linkages.every((l) => l === 'linked'));
    case 'completed':
      return status === 'completed';
  }
}
