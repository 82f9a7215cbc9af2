/** Domain types in the portal's words (glossary of domain.md). Pure: no I/O here. */
import { STAGE_LABEL, ORDER_STATUS_LABEL, ORDER_KIND_LABEL, LINKAGE_STATUS_LABEL, CONTRACT_STATUS_LABEL, ROW_RESULT_LABEL } from '../messages/index.js';

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

const LINKAGE_RANK: Record<LinkageStatus, number> = { failed: 0, unlinked: 1, pending: 2, linked: 3 };
/** A row that covers several lines shows the least advanced of them (cli.md). */
export function leastAdvancedLinkage(statuses: readonly LinkageStatus[]): LinkageStatus | null {
  let least: LinkageStatus | null = null;
  for (const s of statuses) if (least === null || LINKAGE_RANK[s] < LINKAGE_RANK[least]) least = s;
  return least;
}

/** What a row of a cancellation file came to (the result file's `result`). */
export type RowResult = 'completed' | 'valid' | 'pending' | 'already_done' | 'refused' | 'failed';

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

export { STAGE_LABEL, ORDER_STATUS_LABEL, ORDER_KIND_LABEL, LINKAGE_STATUS_LABEL, CONTRACT_STATUS_LABEL, ROW_RESULT_LABEL };

/**
 * How far an advance took its orders, line by line and order by order: what the summaries
 * of a file, of `orders resume` and of the night say. (A type, not an interface, so that it
 * is a message's parameters as it is.)
 */
export type AdvanceCounts = {
  accepted: number;
  sent: number;
  settled: number;
  pending: number;
  rejected: number;
  unavailable: number;
  /** Lines the supplier settled at a quantity other than the one sent (counted in `settled` too when confirmed). */
  quantityDiffers: number;
  /** Lines another run was linking: left to it, neither sent nor polled by this one. */
  heldElsewhere: number;
  confirmed: number;
};

/** What a contract import did, counted: the totals its summary says. (A type, so that it is a message's parameters.) */
export type ImportCounts = {
  contractsCreated: number;
  contractsUpdated: number;
  contractsUnchanged: number;
  linesCreated: number;
  linesUpdated: number;
  linesUnchanged: number;
  linesRefused: number;
  linesNotInFile: number;
  serialsAdded: number;
  serialsRemoved: number;
  serialsMoved: number;
  /** Values the store kept against the file because a cancellation decided them. */
  keptFromCancellation: number;
};
