import { entry } from './entry.js';
import type { Words } from './words.js';
/** What the orders room says. */
export const ORDERS_WORDS = {
  'orders.claimsTakenOver': entry<{ where: string; lost: number }>(
    (p) => `${p.where}another run took over ${p.lost} lines this run had claimed (its lease had lapsed); this run does not send them`,
    (p) => `${p.where}この実行が確保していた明細 ${p.lost} 件を別の実行が引き継ぎました（確保の期限切れ）。この実行ではそれらを送信しません`,
  ),
  'orders.claimsNotRenewed': entry<{ where: string; reason: string }>(
    (p) => `${p.where}could not renew this run's linkage claims (${p.reason}); trying again`,
    (p) => `${p.where}解約連携の明細の確保を延長できませんでした（${p.reason}）。もう一度試みます`,
  ),
  'orders.linkedWithOtherSupplier': entry<{ orders: number; other: string; supplier: string }>(
    (p) => `${p.orders} order(s) were linked with ${p.other}, not ${p.supplier}: left as they are; link them with --supplier ${p.other}`,
    (p) => `${p.orders} 件の注文は ${p.supplier} ではなく ${p.other} と解約連携済みのため、そのままにします。--supplier ${p.other} で解約連携してください`,
  ),
  'orders.linesLinkedByOtherRun': entry<{ where: string; lines: number }>(
    (p) => `${p.where}another run is linking ${p.lines} lines of these orders; they are left to it`,
    (p) => `${p.where}これらの注文の明細 ${p.lines} 件は別の実行が解約連携中のため、その実行に任せます`,
  ),
  /** What the supplier said of a refused line, in brackets after a sentence; nothing when it said nothing. */
  'orders.supplierSaidAfter': entry<{ said: Words }>(
    (p) => (p.said.en === '' ? '' : ` (${p.said.en})`),
    (p) => (p.said.ja === '' ? '' : `（${p.said.ja}）`),
  ),
  'orders.supplierSaidOfLine': entry<{ subscriptionId: string; said: Words }>(
    (p) => `${p.subscriptionId}: ${p.said.en}`,
    (p) => `${p.subscriptionId}: ${p.said.ja}`,
  ),
  'orders.supplierHalted': entry<{ where: string; why: Words }>(
    (p) => `${p.where}${p.why.en}; this command stops calling the supplier, and lines not sent yet stay pending for a later run`,
    (p) => `${p.where}${p.why.ja}。このコマンドでは仕入元の呼び出しを止めます。まだ送信していない明細は保留のまま、次回の実行で続行します`,
  ),
  'orders.supplierNotice': entry<{ where: string; notice: Words }>(
    (p) => `${p.where}${p.notice.en}`,
    (p) => `${p.where}${p.notice.ja}`,
  ),
  'orders.refused': entry<{ orderNo: string; refusal: Words }>(
    (p) => `${p.orderNo}: ${p.refusal.en}`,
    (p) => `${p.orderNo}: ${p.refusal.ja}`,
  ),
  'orders.refusedWithNext': entry<{ orderNo: string; refusal: Words; then: Words }>(
    (p) => `${p.orderNo}: ${p.refusal.en} — ${p.then.en}`,
    (p) => `${p.orderNo}: ${p.refusal.ja}。${p.then.ja}`,
  ),
  'orders.supplierTookNothing': entry<{ no: string }>(
    (p) => `the supplier took nothing: withdraw the acceptance (kaiyaku orders withdraw-acceptance ${p.no}), then the order (kaiyaku orders withdraw ${p.no})`,
    (p) =>
      `仕入元は何も受け付けていません。受付取消（kaiyaku orders withdraw-acceptance ${p.no}）してからキャンセル（kaiyaku orders withdraw ${p.no}）してください`,
  ),
  'orders.changedMeanwhile': entry<{ orderNo: string }>(
    (p) => `${p.orderNo}: the order was changed by another run meanwhile; look again`,
    (p) => `注文 ${p.orderNo} は他の処理で更新されました。もう一度確認してください`,
  ),
  'orders.noOrder': entry<{ orderNo: string }>(
    (p) => `no order ${p.orderNo}`,
    (p) => `注文番号 ${p.orderNo} の注文はありません`,
  ),
  'orders.parkedCount': entry<{ length: number }>(
    (p) => `${p.length} orders left where their run asked them to stop`,
    (p) => `実行で指定された段階で止めてある注文 ${p.length} 件はそのままにしました`,
  ),
  'orders.someRefusedBeforeHold': entry<{ no: string; said: Words; stageLabel: Words }>(
    (p) =>
      `${p.no}: the supplier refused some lines${p.said.en}, so the order cannot reach ${p.stageLabel.en}, where its run asked it to stop; confirm it for what the supplier took (the refused lines are released): kaiyaku orders confirm ${p.no} --end-date YYYY-MM-DD`,
    (p) =>
      `${p.no}: 仕入元が受け付けなかった明細があるため${p.said.ja}、実行で指定された段階（${p.stageLabel.ja}）まで進められません。受け付けられた明細を解約確定してください（拒否された明細は解約対象から外れます）: kaiyaku orders confirm ${p.no} --end-date YYYY-MM-DD`,
  ),
  'orders.allRefused': entry<{ no: string; said: string; saidJa: string }>(
    (p) =>
      `${p.no}: the supplier refused every line${p.said}; nothing was taken. Withdraw the acceptance, then the order: kaiyaku orders withdraw-acceptance ${p.no}, then kaiyaku orders withdraw ${p.no}`,
    (p) =>
      `${p.no}: 仕入元がすべての明細を受け付けませんでした${p.saidJa}。解約された明細はありません。受付取消してからキャンセルしてください: kaiyaku orders withdraw-acceptance ${p.no} の後 kaiyaku orders withdraw ${p.no}`,
  ),
  'orders.allRefusedAcceptanceWithdrawn': entry<{ no: string; said: string; saidJa: string }>(
    (p) => `${p.no}: the supplier refused every line${p.said} and the acceptance was withdrawn; withdraw the order: kaiyaku orders withdraw ${p.no}`,
    (p) => `${p.no}: 仕入元がすべての明細を受け付けず${p.saidJa}、受付取消済みです。キャンセルしてください: kaiyaku orders withdraw ${p.no}`,
  ),
  'orders.confirmWithEndDate': entry<{ no: string; orderRefusal: Words; endDate: string }>(
    (p) =>
      `${p.no}: ${p.orderRefusal.en}${p.endDate ? ` (${p.endDate})` : ''}; confirm it with an end date: kaiyaku orders confirm ${p.no} --end-date YYYY-MM-DD`,
    (p) =>
      `${p.no}: ${p.orderRefusal.ja}${p.endDate ? `（${p.endDate}）` : ''}。契約終了日を指定して解約確定してください: kaiyaku orders confirm ${p.no} --end-date YYYY-MM-DD`,
  ),
  'orders.supplierHoldsOtherNothingSent': entry<{ supplier: number; store: number }>(
    (p) =>
      `the supplier holds ${p.supplier} seats, the store ${p.store}; nothing was sent. Check the subscription at the supplier, correct the contract master (kaiyaku contracts import), and ask for the cancellation again`,
    (p) =>
      `仕入元の数量は ${p.supplier}、システムの数量は ${p.store} です。仕入元には何も送信していません。仕入元でサブスクリプションを確認し、契約マスタを修正（kaiyaku contracts import）してから、もう一度解約を依頼してください`,
  ),
  'orders.settledOtherThanConfirmed': entry<{ held: number; target: number }>(
    (p) => `the supplier settled at ${p.held}, not ${p.target} as confirmed; the contract line follows the supplier`,
    (p) => `仕入元は解約確定した ${p.target} ではなく ${p.held} で確定しました。契約明細は仕入元の数量に合わせます`,
  ),
  'orders.settledAtQuantityBefore': entry<{ held: number; target: number }>(
    (p) => `the supplier settled at ${p.held}, the quantity before the change, not ${p.target}: the change did not land; a later run sends it again`,
    (p) => `仕入元は ${p.target} ではなく変更前の ${p.held} で確定しました。変更は反映されていません。次回の実行で改めて送信します`,
  ),
  'orders.settledBelowTarget': entry<{ held: number; target: number; cancels: number; asked: number }>(
    (p) =>
      `a change to ${p.target} was sent and the supplier settled at ${p.held}: the order line follows the supplier (it cancels ${p.cancels}, not ${p.asked})`,
    (p) => `${p.target} への変更を送信し、仕入元は ${p.held} で確定しました。注文明細は仕入元の数量に合わせます（解約数は ${p.asked} ではなく ${p.cancels}）`,
  ),
  'orders.sentButHoldsMore': entry<{ target: number; held: number; before: number }>(
    (p) =>
      `a change to ${p.target} was sent, but the supplier now holds ${p.held}, more than the ${p.before} before this order: something else changed the subscription too. Check the subscription at the supplier; a later run asks it again`,
    (p) =>
      `${p.target} への変更を送信しましたが、仕入元の数量は ${p.held} です。この注文の前の ${p.before} より多く、別の変更も加わっています。仕入元でサブスクリプションを確認してください。次回の実行で改めて確認します`,
  ),
  'orders.sentButSerialsUnknown': entry<{ target: number; held: number }>(
    (p) =>
      `a change to ${p.target} was sent, but the supplier now holds ${p.held}, and the line names its serials, so the store cannot tell which of them the supplier kept. Check the subscription at the supplier; a later run asks it again`,
    (p) =>
      `${p.target} への変更を送信しましたが、仕入元の数量は ${p.held} です。シリアル番号を指定した明細のため、仕入元がどのシリアルを残したか分かりません。仕入元でサブスクリプションを確認してください。次回の実行で改めて確認します`,
  ),
  'orders.refusedAfterSending': entry<{ code: string; supplierWords: string }>(
    (p) =>
      `the change was sent, then the supplier answered ${p.code} (${p.supplierWords}) when asked about the subscription: it may have taken the change. Ask the supplier about it; a later run asks again`,
    (p) =>
      `変更は送信済みですが、その後の確認に仕入元が ${p.code}（${p.supplierWords}）と応答しました。変更が反映されている可能性があります。仕入元に確認してください。次回の実行で改めて確認します`,
  ),
  'orders.supplierUnavailable': entry<{ reason: Words }>(
    (p) => p.reason.en,
    (p) => p.reason.ja,
  ),
  'orders.supplierTookSome': entry<{ no: string; options: string }>(
    (p) =>
      `the supplier took some lines and refused others: confirm the order for what it took (kaiyaku orders confirm ${p.no} --end-date YYYY-MM-DD${p.options}); the refused lines are released`,
    (p) =>
      `仕入元は一部の明細だけを受け付けました。受け付けられた明細を解約確定してください（kaiyaku orders confirm ${p.no} --end-date YYYY-MM-DD${p.options}）。拒否された明細は解約対象から外れます`,
  ),
  'orders.circuitOpened': entry<{ where: string; failures: number; last: string }>(
    (p) =>
      `${p.where}the supplier did not answer ${p.failures} calls in a row (last: ${p.last}); this run stops calling it, and lines not sent yet stay pending for a later run`,
    (p) =>
      `${p.where}仕入元が ${p.failures} 回続けて応答しませんでした。この実行では仕入元の呼び出しを止めます。まだ送信していない明細は保留のまま、次回の実行で続行します`,
  ),
} as const;
