import type { ChangeOrder, LinkageStatus, OrderLine, OrderStatus, Serial } from '../domain/types.js';

/** Row shapes as stored, kept apart from the domain types and converted here only. */
export interface DbContract {
  id: number;
  contract_no: string;
  contract_date: string | null;
  start_date: string;
  end_date: string | null;
  cancelled_on: string | null;
  status: string;
  subject: string;
  customer: string;
  end_user: string;
  bill_to: string;
  ship_to: string;
  updated_at: string;
  updated_by: string;
}

export interface DbContractLine {
  id: number;
  contract_id: number;
  line_no: number;
  supplier: string;
  product_code: string;
  product_name: string;
  subscription_id: string;
  quantity: number;
  unit_price: number;
  plan: string;
  billing_model: string;
  is_trial: number | boolean;
  status: string;
  end_date: string | null;
  /** The quantity the master and the store last agreed on (migration 010); null when not known. */
  master_quantity: number | null;
}

export interface DbSerial {
  id: number;
  line_id: number;
  serial_no: string;
  /**
   * 'active', 'cancelled' (a confirmed order cancelled it), or 'removed': the master file
   * no longer lists it for this line (`contracts import`). A removed serial is kept, not
   * deleted, because an order may name it; it is not the line's, and readers leave it out.
   */
  status: string;
}

export interface DbChangeOrder {
  id: number;
  order_no: string;
  contract_id: number;
  kind: string;
  status: string;
  applied_on: string;
  end_date: string | null;
  note: string;
  run_id: number | null;
  /** The stage the order stops at until an operator moves it (migration 008); null: none. */
  hold_stage: string | null;
  completed_on: string | null;
  updated_at: string;
  updated_by: string;
}

export interface DbOrderLine {
  id: number;
  order_id: number;
  contract_line_id: number;
  quantity_before: number;
  cancel_quantity: number;
  quantity_after: number;
  unit_price: number;
  linkage_status: string;
  linkage_code: string | null;
  linkage_message: string | null;
  /** Our words about the line: the book's key and parameters (messages/book.ts toStored); null on lines written before 014. */
  linkage_detail: string | null;
  sent_at: string | null;
}

export function toSerial(r: DbSerial): Serial {
  return { id: r.id, lineId: r.line_id, serialNo: r.serial_no, status: r.status === 'cancelled' ? 'cancelled' : 'active' };
}

export function toChangeOrder(r: DbChangeOrder): ChangeOrder {
  return {
    id: r.id,
    orderNo: r.order_no,
    contractId: r.contract_id,
    kind: r.kind === 'add' ? 'add' : 'cancel',
    status: r.status as OrderStatus,
    appliedOn: r.applied_on,
    endDate: r.end_date,
  };
}

export function toOrderLine(r: DbOrderLine): OrderLine {
  return {
    id: r.id,
    orderId: r.order_id,
    contractLineId: r.contract_line_id,
    quantityBefore: Number(r.quantity_before),
    cancelQuantity: Number(r.cancel_quantity),
    quantityAfter: Number(r.quantity_after),
    unitPrice: Number(r.unit_price),
    linkageStatus: r.linkage_status as LinkageStatus,
  };
}
