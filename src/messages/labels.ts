import type { ContractStatus, LinkageStatus, OrderKind, OrderStatus, RowResult, Stage } from '../domain/types.js';
import type { Words } from './words.js';

/** The words the portal shows for each state and kind, and the result file's for each row result. */
/** A stage as the portal names where an order stands once it got there. */
export const STAGE_LABEL: Record<Stage, Words> = {
  requested: { en: 'requested', ja: '申請' },
  accepted: { en: 'accepted', ja: '受付済' },
  linked: { en: 'linked', ja: '解約連携済' },
  completed: { en: 'completed', ja: '変更済' },
};

export const ORDER_STATUS_LABEL: Record<OrderStatus, Words> = {
  requested: { en: 'requested', ja: '申請' },
  accepted: { en: 'accepted', ja: '受付済' },
  completed: { en: 'completed', ja: '変更済' },
  withdrawn: { en: 'withdrawn', ja: 'キャンセル' },
};

export const ORDER_KIND_LABEL: Record<OrderKind, Words> = {
  cancel: { en: 'cancel', ja: '解約' },
  add: { en: 'add', ja: '追加' },
};

export const LINKAGE_STATUS_LABEL: Record<LinkageStatus, Words> = {
  unlinked: { en: 'unlinked', ja: '未連携' },
  pending: { en: 'pending', ja: '連携中' },
  linked: { en: 'linked', ja: '連携済' },
  failed: { en: 'failed', ja: '連携失敗' },
};

/** The contract list says 有効中 where the contract screen says 契約中 (manual, 契約一覧). */
export const CONTRACT_STATUS_LABEL: Record<ContractStatus, Words> = {
  active: { en: 'active', ja: '有効中' },
  cancelled: { en: 'cancelled', ja: '解約済' },
};

export const ROW_RESULT_LABEL: Record<RowResult, Words> = {
  completed: { en: 'completed', ja: '完了' },
  valid: { en: 'valid', ja: '検証OK' },
  pending: { en: 'pending', ja: '保留' },
  already_done: { en: 'already_done', ja: '処理済' },
  refused: { en: 'refused', ja: 'エラー' },
  failed: { en: 'failed', ja: '失敗' },
};
