import { entry } from './entry.js';
import type { Words } from './words.js';
/** What the orders room says. */
export const ORDERS_WORDS = {
  'orders.anotherRunTookOverLines': entry<{ where: string; lost: number }>(
    (p) => `${p.where}another run took over ${p.lost} lines this run had claimed (its lease had lapsed); this run does not send them`,
    (p) => `${p.where}この実行が確保していた明細 ${p.lost} 件を別の実行が引き継ぎました（確保の期限切れ）。この実行ではそれらを送信しません`,
  ),
  'orders.couldNotRenewThisRun': entry<{ where: string; reason: string }>(
    (p) => `${p.where}could not renew this run's linkage claims (${p.reason}); trying again`,
    (p) => `${p.where}解約連携の明細の確保を延長できませんでした（${p.reason}）。もう一度試みます`,
  ),
  'orders.orderSWereLinkedWith': entry<{ orders: number; other: string; supplier: string }>(
    (p) => `${p.orders} order(s) were linked with ${p.other}, not ${p.supplier}: left as they are; link them with --supplier ${p.other}`,
    (p) => `${p.orders} 件の注文は ${p.supplier} ではなく ${p.other} と解約連携済みのため、そのままにします。--supplier ${p.other} で解約連携してください`,
  ),
  'orders.anotherRunIsLinkingLines': entry<{ where: string; lines: number }>(
    (p) => `${p.where}another run is linking ${p.lines} lines of these orders; they are left to it`,
    (p) => `${p.where}これらの注文の明細 ${p.lines} 件は別の実行が解約連携中のため、その実行に任せます`,
  ),
  'orders.supplierSaidOfLine': entry<{ subscriptionId: string; update: string; update2: string }>(
    (p) => `${p.subscriptionId}: ${p.update}`,
    (p) => `${p.subscriptionId}: ${p.update2}`,
  ),
  'orders.thisCommandStopsCallingThe': entry<{ where: string; message: string; messageJa: string }>(
    (p) => `${p.where}${p.message}; this command stops calling the supplier, and lines not sent yet stay pending for a later run`,
    (p) => `${p.where}${p.messageJa}。このコマンドでは仕入元の呼び出しを止めます。まだ送信していない明細は保留のまま、次回の実行で続行します`,
  ),
  'orders.supplierNotice': entry<{ where: string; message: string; messageJa: string }>(
    (p) => `${p.where}${p.message}`,
    (p) => `${p.where}${p.messageJa}`,
  ),
  'orders.moreThanTheBeforeThis': entry<{ before: number }>(
    (p) => `more than the ${p.before} before this order: something else changed the subscription too`,
    (p) => `この注文の前の ${p.before} より多く、別の変更も加わっています`,
  ),
  'orders.andTheLineNamesIts': {
    en: 'and the line names its serials, so the store cannot tell which of them the supplier kept',
    ja: 'シリアル番号を指定した明細のため、仕入元がどのシリアルを残したか分かりません',
  },
  'orders.refused': entry<{ orderNo: string; refusal: Words }>(
    (p) => `${p.orderNo}: ${p.refusal.en}`,
    (p) => `${p.orderNo}: ${p.refusal.ja}`,
  ),
  'orders.refusedWithNext': entry<{ orderNo: string; refusal: Words; then: Words }>(
    (p) => `${p.orderNo}: ${p.refusal.en} — ${p.then.en}`,
    (p) => `${p.orderNo}: ${p.refusal.ja}。${p.then.ja}`,
  ),
  'orders.theSupplierTookNothingWithdraw': entry<{ no: string }>(
    (p) => `the supplier took nothing: withdraw the acceptance (kaiyaku orders withdraw-acceptance ${p.no}), then the order (kaiyaku orders withdraw ${p.no})`,
    (p) =>
      `仕入元は何も受け付けていません。受付取消（kaiyaku orders withdraw-acceptance ${p.no}）してからキャンセル（kaiyaku orders withdraw ${p.no}）してください`,
  ),
  'orders.theOrderWasChangedBy': entry<{ orderNo: string }>(
    (p) => `${p.orderNo}: the order was changed by another run meanwhile; look again`,
    (p) => `注文 ${p.orderNo} は他の処理で更新されました。もう一度確認してください`,
  ),
  'orders.noOrder': entry<{ orderNo: string }>(
    (p) => `no order ${p.orderNo}`,
    (p) => `注文番号 ${p.orderNo} の注文はありません`,
  ),
  'orders.ordersLeftWhereTheirRun': entry<{ length: number }>(
    (p) => `${p.length} orders left where their run asked them to stop`,
    (p) => `実行で指定された段階で止めてある注文 ${p.length} 件はそのままにしました`,
  ),
  'orders.theSupplierRefusedSomeLines': entry<{ no: string; said: Words; stageLabel: Words }>(
    (p) =>
      `${p.no}: the supplier refused some lines${p.said.en}, so the order cannot reach ${p.stageLabel.en}, where its run asked it to stop; confirm it for what the supplier took (the refused lines are released): kaiyaku orders confirm ${p.no} --end-date YYYY-MM-DD`,
    (p) =>
      `${p.no}: 仕入元が受け付けなかった明細があるため${p.said.ja}、実行で指定された段階（${p.stageLabel.ja}）まで進められません。受け付けられた明細を解約確定してください（拒否された明細は解約対象から外れます）: kaiyaku orders confirm ${p.no} --end-date YYYY-MM-DD`,
  ),
  'orders.theSupplierRefusedEveryLine': entry<{ no: string; said: string; saidJa: string }>(
    (p) =>
      `${p.no}: the supplier refused every line${p.said}; nothing was taken. Withdraw the acceptance, then the order: kaiyaku orders withdraw-acceptance ${p.no}, then kaiyaku orders withdraw ${p.no}`,
    (p) =>
      `${p.no}: 仕入元がすべての明細を受け付けませんでした${p.saidJa}。解約された明細はありません。受付取消してからキャンセルしてください: kaiyaku orders withdraw-acceptance ${p.no} の後 kaiyaku orders withdraw ${p.no}`,
  ),
  'orders.theSupplierRefusedEveryLine2': entry<{ no: string; said: string; saidJa: string }>(
    (p) => `${p.no}: the supplier refused every line${p.said} and the acceptance was withdrawn; withdraw the order: kaiyaku orders withdraw ${p.no}`,
    (p) => `${p.no}: 仕入元がすべての明細を受け付けず${p.saidJa}、受付取消済みです。キャンセルしてください: kaiyaku orders withdraw ${p.no}`,
  ),
  'orders.confirmItWithAnEnd': entry<{ no: string; orderRefusal: Words; o: string; o2: string }>(
    (p) => `${p.no}: ${p.orderRefusal.en}${p.o}; confirm it with an end date: kaiyaku orders confirm ${p.no} --end-date YYYY-MM-DD`,
    (p) => `${p.no}: ${p.orderRefusal.ja}${p.o2}。契約終了日を指定して解約確定してください: kaiyaku orders confirm ${p.no} --end-date YYYY-MM-DD`,
  ),
} as const;
