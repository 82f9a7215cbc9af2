import { entry } from './entry.js';
import type { Words } from './words.js';
/** What the nightly room says. */
export const NIGHTLY_WORDS = {
  'nightly.inboxFolderNotFound': entry<{ inbox: string }>(
    (p) => `inbox folder not found: ${p.inbox}`,
    (p) => `受信フォルダーがありません: ${p.inbox}`,
  ),
  'nightly.lockHeld': entry<{ holder: string; acquiredAt: string; heartbeatAt: string }>(
    (p) => `another nightly run holds the lock on this store: ${p.holder}, since ${p.acquiredAt} (last beat ${p.heartbeatAt}); nothing was done`,
    (p) => `別の夜間実行がこのデータベースをロックしています: ${p.holder}、${p.acquiredAt} から（最終応答 ${p.heartbeatAt}）。何も行っていません`,
  ),
  'nightly.lockTaken': entry<{ holder: string }>(
    (p) => `nightly lock taken by ${p.holder}`,
    (p) => `夜間実行のロックを取得しました（${p.holder}）`,
  ),
  'nightly.resumedOpenOrders': entry<{ orders: number }>(
    (p) => `resumed ${p.orders} open orders`,
    (p) => `未完了の注文 ${p.orders} 件を再開しました`,
  ),
  'nightly.ordersNextNight': { en: 'the open orders are taken up again by the next night', ja: '未完了の注文は次回の夜間実行で再開します' },
  'nightly.codeAndReason': entry<{ code: string; error: Words }>(
    (p) => `${p.code}: ${p.error.en}`,
    (p) => `${p.code}: ${p.error.ja}`,
  ),
  'nightly.fileGone': entry<{ name: string }>(
    (p) => `${p.name}: no longer in the inbox; left alone`,
    (p) => `${p.name}: 受信フォルダーからなくなっていたため、何もしていません`,
  ),
  'nightly.goneBeforeReached': { en: 'taken out of the inbox before the night reached it', ja: '夜間実行が処理する前に受信フォルダーから取り出されました' },
  'nightly.fileStillGrowing': entry<{ name: string }>(
    (p) => `${p.name}: still being written, left for the next run`,
    (p) => `${p.name}: 書き込み中のため、次回の実行に持ち越します`,
  ),
  'nightly.stillGrowing': { en: 'changed too recently or still growing', ja: '変更されたばかりか、まだ書き込み中です' },
  'nightly.started': entry<{ name: string }>(
    (p) => `${p.name}: started`,
    (p) => `${p.name}: 処理を開始しました`,
  ),
  'nightly.fileGoneWhileProcessed': entry<{ name: string }>(
    (p) => `${p.name}: taken out of the inbox while it was processed; its rows were processed`,
    (p) => `${p.name}: 処理中に受信フォルダーから取り出されました。読み込んだ行は処理済みです`,
  ),
  'nightly.goneWhileProcessed': { en: 'taken out of the inbox while it was processed', ja: '処理中に受信フォルダーから取り出されました' },
  'nightly.fileChangedWhileProcessed': entry<{ name: string }>(
    (p) => `${p.name}: changed while being processed, left for the next run`,
    (p) => `${p.name}: 処理中に変更されたため、残りは次回の実行で処理します`,
  ),
  'nightly.changedWhileProcessed': { en: 'changed while being processed', ja: '処理中に変更されました' },
  'nightly.notArchived': entry<{ why: string }>(
    (p) => `processed, but it could not be moved to the archive: ${p.why}`,
    (p) => `処理しましたが、アーカイブに移動できませんでした: ${p.why}`,
  ),
  'nightly.fileNotMoved': entry<{ name: string; notMoved: Words }>(
    (p) => `${p.name}: ${p.notMoved.en}`,
    (p) => `${p.name}: ${p.notMoved.ja}`,
  ),
  'nightly.fileDone': entry<{ name: string; rows: number; exitCode: number }>(
    (p) => `${p.name}: ${p.rows} rows, exit ${p.exitCode}`,
    (p) => `${p.name}: ${p.rows} 行、終了コード ${p.exitCode}`,
  ),
  'nightly.fileStaysInInbox': {
    en: 'the file stays in the inbox, and the next night goes on where it stopped (what was done is not done twice)',
    ja: 'ファイルは受信フォルダーに残し、次回の夜間実行で続きから処理します（処理済みの行は二重に処理しません）',
  },
  'nightly.fileFailed': entry<{ name: string; error: Words }>(
    (p) => `${p.name}: ${p.error.en}`,
    (p) => `${p.name}: ${p.error.ja}`,
  ),
  'nightly.setAsideFailed': entry<{ error: Words; stuck: string }>(
    (p) => `${p.error.en}; it could not be set aside either: ${p.stuck}`,
    (p) => `${p.error.ja}。除外フォルダーにも移動できませんでした: ${p.stuck}`,
  ),
  'nightly.fileNotSetAside': entry<{ name: string; notSetAside: Words }>(
    (p) => `${p.name}: ${p.notSetAside.en}`,
    (p) => `${p.name}: ${p.notSetAside.ja}`,
  ),
  'nightly.setAsideNoteUnwritten': entry<{ note: Words }>(
    (p) => `the note of why it was set aside could not be written: ${p.note.en}`,
    (p) => `除外した理由のメモを書き込めませんでした: ${p.note.ja}`,
  ),
  'nightly.fileSetAside': entry<{ name: string; error: Words }>(
    (p) => `${p.name}: ${p.error.en}`,
    (p) => `${p.name}: ${p.error.ja}`,
  ),
  'nightly.supplierThrottled': entry<{ throttled: number }>(
    (p) => `the supplier throttled ${p.throttled} calls`,
    (p) => `仕入元が ${p.throttled} 件の呼び出しを流量制限しました`,
  ),
  'nightly.connectionLost': entry<{ path: string }>(
    (p) => `${p.path}: the connection to the database was lost; taking the file up again where it stopped`,
    (p) => `${p.path}: データベースとの接続が切れました。止まったところから処理を再開します`,
  ),
  'nightly.unknownFailure': entry<{ why: string; next: Words }>(
    (p) => `stopped by a failure kaiyaku cannot name (${p.why}): ${p.next.en}`,
    (p) => `想定外のエラーで止まりました（${p.why}）。${p.next.ja}`,
  ),
  'nightly.grewAfterArchiving': {
    en: 'still being written after it was archived: moved back to the inbox for the next night',
    ja: 'アーカイブした後も書き込まれていたため、次回の夜間実行のために受信フォルダーへ戻しました',
  },
  'nightly.fileDeferred': entry<{ file: string; why: Words }>(
    (p) => `${p.file}: ${p.why.en}`,
    (p) => `${p.file}: ${p.why.ja}`,
  ),
} as const;
