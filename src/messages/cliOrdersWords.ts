/**
 * What `kaiyaku orders` says: the summary of `orders resume` (and of the night's resume),
 * the orders it leaves to an operator or parked, and the answer of each button on one order.
 */
import type { AdvanceCounts, OrderStatus, Stage } from '../domain/types.js';
import { entry } from './entry.js';
import type { Words } from './words.js';
import { heldElsewhere } from './cliWords.js';
import { ORDER_STATUS_LABEL, STAGE_LABEL } from './labels.js';

/** A label by code, or the code itself for one this version does not know. */
const label = (table: Record<string, { en: string; ja: string }>, code: string, lang: 'en' | 'ja'): string => table[code]?.[lang] ?? code;

export const CLI_ORDERS_WORDS = {
  'cli.orderNoMissing': { en: '--order needs an order number (NOD…)', ja: '--order には注文番号（NOD…）を指定してください' },
  'cli.resumeSummary': entry<AdvanceCounts & { orders: number; open: number; waiting: number; needsOperator: number }>(
    (p) =>
      `resume: ${p.orders} open orders — accepted ${p.accepted}, sent ${p.sent}, settled ${p.settled}, pending ${p.pending}, refused by supplier ${p.rejected}, unreachable ${p.unavailable}${p.quantityDiffers > 0 ? `, settled at another quantity ${p.quantityDiffers}` : ''}${heldElsewhere(p.heldElsewhere, 'en')}, confirmed ${p.confirmed}; still open ${p.open} (waiting ${p.waiting}, need an operator ${p.needsOperator})`,
    (p) =>
      `再開: 未完了の注文 ${p.orders} 件 — 受付 ${p.accepted}、送信 ${p.sent}、連携済 ${p.settled}、応答待ち ${p.pending}、仕入元が拒否 ${p.rejected}、接続不可 ${p.unavailable}${p.quantityDiffers > 0 ? `、仕入元で数量が異なる ${p.quantityDiffers}` : ''}${heldElsewhere(p.heldElsewhere, 'ja')}、解約確定 ${p.confirmed}。未完了のまま ${p.open}（次回続行 ${p.waiting}、要対応 ${p.needsOperator}）`,
  ),
  /** Where the whole list of orders needing an operator is, when `orders resume` cuts it short. */
  'cli.resumeNeedsOperatorInEvents': {
    en: 'the events of kaiyaku orders resume --log-format json',
    ja: 'kaiyaku orders resume --log-format json のイベント',
  },
  /** An order an operator must act on; `what`: the order, why, and what to do. */
  'cli.actionNeeded': entry<{ what: Words }>(
    (p) => `action needed: ${p.what.en}`,
    (p) => `要対応: ${p.what.ja}`,
  ),
  /** `whereAll`: where the whole list is. */
  'cli.actionNeededMore': entry<{ more: number; whereAll: Words }>(
    (p) => `action needed: ${p.more} more (all of them in ${p.whereAll.en})`,
    (p) => `要対応: ほか ${p.more} 件（全件は ${p.whereAll.ja}）`,
  ),
  /** A parked order with the stage its run stopped it at. */
  'cli.parkedOrder': entry<{ orderNo: string; stage: Stage }>(
    (p) => `${p.orderNo} (${label(STAGE_LABEL, p.stage, 'en')})`,
    (p) => `${p.orderNo}（${label(STAGE_LABEL, p.stage, 'ja')}）`,
  ),
  /** After a list cut short. */
  'cli.andMore': entry<{ more: number }>(
    (p) => ` and ${p.more} more`,
    (p) => ` ほか ${p.more} 件`,
  ),
  /** `list`: the first of them (cli.parkedOrder), with how many more (cli.andMore). */
  'cli.parkedOrders': entry<{ count: number; list: Words }>(
    (p) =>
      `parked: ${p.count} orders left where their run asked them to stop (--until); move them on with kaiyaku orders resume --order NO, or --include-parked: ${p.list.en}`,
    (p) =>
      `止めたままの注文 ${p.count} 件（実行時の --until の指定どおり。進めるには kaiyaku orders resume --order 注文番号 または --include-parked）: ${p.list.ja}`,
  ),
  /** A named order that is neither open nor waiting for the supplier. */
  'cli.orderClosed': entry<{ orderNo: string; status: OrderStatus }>(
    (p) => `${p.orderNo}: ${label(ORDER_STATUS_LABEL, p.status, 'en')}; nothing to resume`,
    (p) => `${p.orderNo}: ${label(ORDER_STATUS_LABEL, p.status, 'ja')}のため、再開するものはありません`,
  ),

  // The buttons on one order
  'cli.orderAccepted': entry<{ orderNo: string }>(
    (p) => `${p.orderNo}: accepted`,
    (p) => `${p.orderNo}: 受付済`,
  ),
  'cli.orderAcceptanceWithdrawn': entry<{ orderNo: string }>(
    (p) => `${p.orderNo}: requested (acceptance withdrawn)`,
    (p) => `${p.orderNo}: 申請（受付取消しました）`,
  ),
  /** `complete`: 1 when every line was settled. */
  'cli.orderLinked': entry<{
    orderNo: string;
    settled: number;
    pending: number;
    rejected: number;
    unavailable: number;
    heldElsewhere: number;
    complete: 0 | 1;
  }>(
    (p) =>
      `${p.orderNo}: linkage — settled ${p.settled}, pending ${p.pending}, refused ${p.rejected}, unreachable ${p.unavailable}${heldElsewhere(p.heldElsewhere, 'en')}${p.complete ? ' — linkage complete' : ''}`,
    (p) =>
      `${p.orderNo}: 解約連携 — 連携済 ${p.settled}、応答待ち ${p.pending}、拒否 ${p.rejected}、接続不可 ${p.unavailable}${heldElsewhere(p.heldElsewhere, 'ja')}${p.complete ? ' — 解約連携が完了しました' : ''}`,
  ),
  'cli.confirmNeedsEndDate': {
    en: 'orders confirm needs --end-date (契約終了日), e.g. --end-date 2026-12-31',
    ja: 'orders confirm には --end-date（契約終了日）が必要です。例: --end-date 2026-12-31',
  },
  'cli.orderConfirmed': entry<{ orderNo: string; endDate: string }>(
    (p) => `${p.orderNo}: completed (confirmed), end date ${p.endDate}`,
    (p) => `${p.orderNo}: 変更済（解約確定）、契約終了日 ${p.endDate}`,
  ),
  'cli.orderWithdrawn': entry<{ orderNo: string }>(
    (p) => `${p.orderNo}: withdrawn`,
    (p) => `${p.orderNo}: キャンセル`,
  ),
} as const;
