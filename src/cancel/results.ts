import { describeRowError, type Lang, type RowErrorCode } from '../domain/codes.js';
import { STAGE_LABEL, leastAdvancedLinkage, orderReached, type LinkageStatus, type OrderStatus, type RowResult, type Stage } from '../domain/types.js';
import { say } from '../messages/index.js';

export { ROW_RESULT_LABEL, orderReached, type RowResult } from '../domain/types.js';

export interface RowView {
  result: RowResult;
  linkage: LinkageStatus | null;
  errorCode: RowErrorCode | null;
  message: string;
}

export interface OrderLineView {
  contractLineId: number;
  linkageStatus: LinkageStatus;
  linkageCode: string | null;
  linkageMessage: string | null;
  /** Our own words in Japanese; absent or null where linkageMessage stands for both (the supplier's words). */
  linkageMessageJa?: string | null;
  /** Another run is linking the line right now. */
  linkingElsewhere?: boolean;
}

/** A line's words in the report's language. */
function lineWords(line: OrderLineView): { en: string; ja: string } {
  const en = line.linkageMessage ?? '';
  return { en, ja: line.linkageMessageJa ?? en };
}

/**
 * A row done, where the supplier settled a line at another quantity than asked and the store
 * followed it: the code and the line's words say so (the row is done, for what the supplier did).
 */
function settledOtherWords(lines: readonly OrderLineView[], lang: Lang): { errorCode: RowErrorCode | null; message: string } {
  const followed = lines.find((l) => l.linkageStatus === 'linked' && l.linkageCode === 'SUPPLIER_QUANTITY_MISMATCH');
  if (!followed) return { errorCode: null, message: '' };
  return { errorCode: 'SUPPLIER_QUANTITY_MISMATCH', message: describeRowError({ code: 'SUPPLIER_QUANTITY_MISMATCH', detail: lineWords(followed) }, lang) };
}

/**
 * A judged row's result from its order as it stands now: the state in the store is the
 * truth, so a run taken over after a kill reports exactly what an uninterrupted one would.
 */
export function rowResult(
  outcome: string,
  until: Stage,
  order: { orderNo?: string; status: OrderStatus; holdStage?: Stage | null; lines: readonly OrderLineView[] } | undefined,
  rowLineIds: readonly number[] | null,
  lang: Lang,
): RowView {
  if (outcome === 'valid') return { result: 'valid', linkage: null, errorCode: null, message: '' };
  if (!order) return { result: 'refused', linkage: null, errorCode: null, message: '' };
  const lines = rowLineIds ? order.lines.filter((l) => rowLineIds.includes(l.contractLineId)) : order.lines;
  const linkage = leastAdvancedLinkage(lines.map((l) => l.linkageStatus));
  // A line the supplier refused stays refused when its order was completed for the other
  // lines (released): the row is not done, however often it is reported.
  const refused = order.status === 'withdrawn' ? undefined : lines.find((l) => l.linkageStatus === 'failed');
  if (!refused && outcome === 'already_done') return { result: 'already_done', linkage, errorCode: null, message: '' };
  if (
    !refused &&
    orderReached(
      until,
      order.status,
      order.lines.map((l) => l.linkageStatus),
    )
  )
    return { result: 'completed', linkage, ...settledOtherWords(lines, lang) };
  if (order.status === 'withdrawn') {
    const no = order.orderNo ?? '';
    return {
      result: 'failed',
      linkage,
      errorCode: 'ORDER_WITHDRAWN',
      message: describeRowError({ code: 'ORDER_WITHDRAWN', ...(no ? { detail: { en: no, ja: no } } : {}) }, lang),
    };
  }
  if (refused) {
    // Nothing was sent: the supplier holds another quantity than the store (its own code, our own words).
    if (refused.linkageCode === 'SUPPLIER_QUANTITY_MISMATCH') {
      return {
        result: 'failed',
        linkage,
        errorCode: 'SUPPLIER_QUANTITY_MISMATCH',
        message: describeRowError({ code: 'SUPPLIER_QUANTITY_MISMATCH', detail: lineWords(refused) }, lang),
      };
    }
    const said = lineWords(refused);
    const code = refused.linkageCode ?? '';
    const detail = { en: [code, said.en].filter(Boolean).join(' '), ja: [code, said.ja].filter(Boolean).join(' ') };
    return { result: 'failed', linkage, errorCode: 'SUPPLIER_REJECTED', message: describeRowError({ code: 'SUPPLIER_REJECTED', detail }, lang) };
  }
  if (lines.some((l) => l.linkingElsewhere === true && (l.linkageStatus === 'unlinked' || l.linkageStatus === 'pending'))) {
    return {
      result: 'pending',
      linkage,
      errorCode: null,
      message: say('cancel.lineLinkedByOtherRun')[lang],
    };
  }
  const hold = order.holdStage ?? null;
  if (
    hold !== null &&
    order.status !== 'completed' &&
    orderReached(
      hold,
      order.status,
      order.lines.map((l) => l.linkageStatus),
    )
  ) {
    // Parked by an earlier run (a night's file goes on with it): only an operator moves it on.
    const how = `kaiyaku orders resume --order ${order.orderNo ?? ''}`.trimEnd();
    return {
      result: 'pending',
      linkage,
      errorCode: null,
      message: say('cancel.orderHeldOnPurpose', { stageLabel: STAGE_LABEL[hold], hold, how })[lang],
    };
  }
  // Sent, and the supplier holds another quantity than asked: its words say what and what happens next.
  const differs = lines.find((l) => l.linkageCode === 'SUPPLIER_QUANTITY_MISMATCH');
  if (differs) {
    return {
      result: 'pending',
      linkage,
      errorCode: 'SUPPLIER_QUANTITY_MISMATCH',
      message: describeRowError({ code: 'SUPPLIER_QUANTITY_MISMATCH', detail: lineWords(differs) }, lang),
    };
  }
  const unreachable = lines.find((l) => l.linkageCode === 'SUPPLIER_UNAVAILABLE');
  if (unreachable) {
    const said = lineWords(unreachable);
    return {
      result: 'pending',
      linkage,
      errorCode: 'SUPPLIER_UNAVAILABLE',
      message: describeRowError({ code: 'SUPPLIER_UNAVAILABLE', ...(said.en ? { detail: said } : {}) }, lang),
    };
  }
  const waiting = lines.some((l) => l.linkageStatus === 'pending');
  return {
    result: 'pending',
    linkage,
    errorCode: null,
    message: waiting ? say('cancel.supplierNotSettled')[lang] : say('cancel.laterRunGoesOn')[lang],
  };
}
