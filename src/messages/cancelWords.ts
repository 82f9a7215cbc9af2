import { entry } from './entry.js';
import type { Words } from './words.js';
/** What the cancel room says. */
export const CANCEL_WORDS = {
  'cancel.requiredColumnMissing': entry<{ names: string }>(
    (p) => `required column missing: ${p.names}`,
    (p) => `必須の列がありません: ${p.names}`,
  ),
  /** A header cell by its text and position, in a list of columns that clash. */
  'cancel.headerCell': entry<{ cell: string; column: number }>(
    (p) => `"${p.cell}" (column ${p.column})`,
    (p) => `"${p.cell}" (${p.column} 列目)`,
  ),
  /** Between the cells of one clash. */
  'cancel.clashAnd': { en: ' and ', ja: ' と ' },
  /** Between two clashes. */
  'cancel.clashSeparator': { en: '; ', ja: '、' },
  /** `clashes`: each group of header cells that name one column, the groups listed. */
  'cancel.columnsClash': entry<{ clashes: Words }>(
    (p) => `columns that mean the same field: ${p.clashes.en}; keep one of them`,
    (p) => `同じ項目を表す列が複数あります: ${p.clashes.ja}。どちらか一方にしてください`,
  ),
  'cancel.valueWithoutHeader': entry<{ column: number; value: string }>(
    (p) => `column ${p.column} has a value ("${p.value}") but no header: name the column (解約数 / cancel_quantity, シリアル番号 / serial_no…) or clear it`,
    (p) => `${p.column} 列目に値（「${p.value}」）がありますが、見出しがありません。列に見出し（解約数、シリアル番号など）を付けるか、値を消してください`,
  ),
  'cancel.requestIdOrder': entry<{ orderNo: string; appliedOn: string }>(
    (p) => ` (order ${p.orderNo} of ${p.appliedOn})`,
    (p) => `（${p.appliedOn} の注文 ${p.orderNo}）`,
  ),
  'cancel.noOrderNamed': { en: '', ja: '' },
  'cancel.requestIdUsed': entry<{ requestId: string; where: Words }>(
    (p) => `"${p.requestId}" was used for another row${p.where.en}`,
    (p) => `「${p.requestId}」は別の行で使用されています${p.where.ja}`,
  ),
  'cancel.requestIdTwiceInFile': entry<{ requestId: string }>(
    (p) => `request id "${p.requestId}" appears earlier in the file`,
    (p) => `依頼番号「${p.requestId}」がファイル内で重複しています`,
  ),
  'cancel.lineTakenByOtherRun': { en: 'another run took the line first', ja: '別の実行が先に明細を処理しました' },
  'cancel.noRowNamed': { en: '', ja: '' },
  'cancel.rowOfFile': entry<{ file: string; row: number }>(
    (p) => ` (${p.file} row ${p.row})`,
    (p) => `（${p.file} の ${p.row} 行目）`,
  ),
  'cancel.rowOfStandardInput': entry<{ row: number }>(
    (p) => ` (standard input row ${p.row})`,
    (p) => `（標準入力の ${p.row} 行目）`,
  ),
  'cancel.possibleRepeat': entry<{ no: string; date: string; where: Words; repeatDays: number }>(
    (p) =>
      `order ${p.no} of ${p.date}${p.where.en}, and nothing shows this row is the same request (that file or its error file dropped back within --repeat-days ${p.repeatDays}); if it is a new request, give it a request id or run with --allow-repeat`,
    (p) =>
      `${p.date} の注文 ${p.no}${p.where.ja}。同じ依頼（そのファイルまたはそのエラーファイルを --repeat-days ${p.repeatDays} の日数以内に再投入したもの）であることが確認できません。新しい依頼であれば依頼番号を指定するか、--allow-repeat を付けて実行してください`,
  ),
  'cancel.resultFile': { en: 'the result file', ja: '結果ファイル' },
  'cancel.errorFile': { en: 'the error file', ja: 'エラーファイル' },
  'cancel.errorCode': { en: 'error_code', ja: 'エラーコード' },
  'cancel.errorMessage': { en: 'error_message', ja: 'エラー内容' },
  'cancel.lineLinkedByOtherRun': {
    en: 'another run is linking this line; that run records the outcome',
    ja: '別の実行がこの明細を解約連携しています。結果はその実行が記録します',
  },
  'cancel.orderHeldOnPurpose': entry<{ stageLabel: Words; hold: string; how: string }>(
    (p) => `the order was left at ${p.stageLabel.en} on purpose by an earlier run (--until ${p.hold}); to move it on: ${p.how}`,
    (p) => `注文は以前の実行の指定（--until ${p.hold}）により${p.stageLabel.ja}のまま止めてあります。進めるには: ${p.how}`,
  ),
  'cancel.supplierNotSettled': {
    en: 'the supplier has not settled yet; a later run checks again',
    ja: '仕入元で解約処理が確定されていません。次回の実行で確認します',
  },
  'cancel.laterRunGoesOn': { en: 'a later run goes on', ja: '次回の実行で続行します' },
  'cancel.fileInProgress': entry<{ label: string; holder: string; acquiredAt: string }>(
    (p) => `${p.label} is being processed by another run (${p.holder}, since ${p.acquiredAt}); nothing was done`,
    (p) => `${p.label} は別の実行が処理中です（${p.holder}、${p.acquiredAt} から）。何も行っていません`,
  ),
  'cancel.unknownColumnIgnored': entry<{ column: string }>(
    (p) => `unknown column ignored: ${p.column}`,
    (p) => `不明な列を無視しました: ${p.column}`,
  ),
  'cancel.rerunWithOption': { en: 'Run the same command again with that option', ja: 'その指定で同じコマンドをもう一度実行すると' },
  'cancel.rerun': { en: 'Run the same command again', ja: '同じコマンドをもう一度実行すると' },
  'cancel.inFile': entry<{ file: string; what: Words }>(
    (p) => `${p.file}: ${p.what.en}`,
    (p) => `${p.file}: ${p.what.ja}`,
  ),
  'cancel.reportsNotWritten': entry<{ label: string; error: Words; again: Words }>(
    (p) => `${p.label}: the rows were processed, but neither the result file nor the error file was written: ${p.error.en}. ${p.again.en} to write them`,
    (p) => `${p.label}: 行は処理されましたが、結果ファイルもエラーファイルも書き出していません: ${p.error.ja}。${p.again.ja}書き出します`,
  ),
} as const;
