/**
 * What `kaiyaku cancel` says: its refusals before anything runs, the summary of each file's
 * run, and the night's summary (`--inbox`). A `counts` parameter is a list of counts by
 * label (`完了 3、エラー 1`), empty when there are none.
 */
import { entry } from './entry.js';
import type { Words } from './words.js';
import { DRY_RUN_NOTE, heldElsewhere, jaList } from './cliWords.js';
import type { AdvanceCounts, OrderStatus } from '../domain/types.js';
import { ORDER_STATUS_LABEL } from './labels.js';

/** The statuses of an order, in the order the night counts them. */
const ORDER_STATUSES = ['requested', 'accepted', 'completed', 'withdrawn'] as const satisfies readonly OrderStatus[];

export const CLI_CANCEL_WORDS = {
  // Refusals before anything runs
  'cli.cancelFilesAndInbox': { en: 'give files or --inbox, not both', ja: 'ファイルか --inbox のどちらか一方を指定してください' },
  'cli.cancelDryRunWithInbox': {
    en: '--dry-run cannot be used with --inbox: a night takes up open orders and moves its files to the archive, which a dry run must not do; to preview a file, run kaiyaku cancel FILE --dry-run',
    ja: '--dry-run は --inbox と一緒には指定できません（夜間実行は未完了の注文を進め、ファイルをアーカイブに移動しますが、ドライランでは何も変更できません）。ファイルを確認するには kaiyaku cancel ファイル --dry-run を実行してください',
  },
  'cli.cancelNothingNamed': {
    en: 'name at least one cancellation CSV file, or --inbox DIR',
    ja: '解約 CSV ファイルを 1 つ以上、または --inbox フォルダーを指定してください',
  },
  /** `options`: the nightly options given without --inbox, joined by `, `. */
  'cli.cancelInboxOnly': entry<{ options: string }>(
    (p) => `${p.options} only apply with --inbox`,
    (p) => `${jaList(p.options)} は --inbox と一緒にだけ指定できます`,
  ),
  'cli.cancelReportsInInbox': {
    en: '--reports cannot be the inbox: the night would take its own error files as new input',
    ja: '--reports に受信フォルダーは指定できません（夜間実行が自分のエラーファイルを新しい入力として読んでしまいます）',
  },
  /** `among`: whether the summary would be among the night's archived files (`archive`) or its reports (`reports`). */
  'cli.cancelSummaryAmongNightFiles': entry<{ summary: string; among: 'archive' | 'reports' }>(
    (p) =>
      `--summary-json ${p.summary} is among the files the night writes (${p.among === 'archive' ? 'the archive' : 'its reports'}); writing the summary there could replace one of them: give a path outside the archive, such as night.json beside the inbox`,
    (p) =>
      `--summary-json ${p.summary} は夜間実行が書き出すファイルと同じ場所です（${p.among === 'archive' ? 'アーカイブ' : '結果ファイル'}）。要約で上書きしてしまう恐れがあるため、アーカイブの外（受信フォルダーの隣の night.json など）を指定してください`,
  ),
  /** The folder of an input, where its reports go when --reports is not given (named where it cannot be written). */
  'cli.cancelInputFolder': { en: 'the input folder (or give --reports)', ja: '入力ファイルのフォルダー（または --reports を指定）' },
  /** What an output may not replace or be put in. */
  'cli.cancelInboxGuard': entry<{ inbox: string }>(
    (p) => `the inbox (${p.inbox})`,
    (p) => `受信フォルダー（${p.inbox}）`,
  ),
  'cli.cancelInputGuard': entry<{ file: string }>(
    (p) => `the input file ${p.file}`,
    (p) => `入力ファイル ${p.file}`,
  ),
  /** The result and error files of an input, named as the output that would land on something guarded. */
  'cli.cancelReportOf': entry<{ file: string }>(
    (p) => `the report of ${p.file}`,
    (p) => `${p.file} のレポート`,
  ),

  // One file's run
  'cli.fileSummary': entry<{ file: string; rows: number; dryRun: 0 | 1; counts: Words; exit: number }>(
    (p) => `${p.file}: ${p.rows} rows${p.dryRun ? DRY_RUN_NOTE.en : ''} — ${p.counts.en || 'no data rows'} (exit ${p.exit})`,
    (p) => `${p.file}: ${p.rows} 行${p.dryRun ? DRY_RUN_NOTE.ja : ''} — ${p.counts.ja || 'データ行なし'}（終了コード ${p.exit}）`,
  ),
  'cli.fileResultAt': entry<{ path: string }>(
    (p) => `result: ${p.path}`,
    (p) => `結果ファイル: ${p.path}`,
  ),
  'cli.fileErrorsAt': entry<{ path: string }>(
    (p) => `errors: ${p.path}`,
    (p) => `エラーファイル: ${p.path}`,
  ),
  /** How far the file's orders got. */
  'cli.fileOrders': entry<AdvanceCounts>(
    (p) =>
      `orders: accepted ${p.accepted}, sent ${p.sent}, settled ${p.settled}, pending ${p.pending}, refused by supplier ${p.rejected}, unreachable ${p.unavailable}${heldElsewhere(p.heldElsewhere, 'en')}, confirmed ${p.confirmed}`,
    (p) =>
      `注文: 受付 ${p.accepted}、送信 ${p.sent}、連携済 ${p.settled}、応答待ち ${p.pending}、仕入元が拒否 ${p.rejected}、接続不可 ${p.unavailable}${heldElsewhere(p.heldElsewhere, 'ja')}、解約確定 ${p.confirmed}`,
  ),

  // The night (--inbox)
  /** `seconds`: how long the night took, to a tenth of a second (`12.3`). */
  'cli.nightHeader': entry<{ files: number; rows: number; exit: number; seconds: string }>(
    (p) => `night: ${p.files} files, ${p.rows} rows, exit ${p.exit}, ${p.seconds} s`,
    (p) => `夜間実行: ファイル ${p.files} 件、${p.rows} 行、終了コード ${p.exit}、${p.seconds} 秒`,
  ),
  'cli.nightResumed': entry<{ orders: number; confirmed: number }>(
    (p) => `resumed ${p.orders} open orders (confirmed ${p.confirmed})`,
    (p) => `未完了の注文 ${p.orders} 件を再開（解約確定 ${p.confirmed}）`,
  ),
  'cli.nightWaiting': entry<{ orders: number }>(
    (p) => `${p.orders} orders wait for a later run (the supplier has not answered or settled)`,
    (p) => `次回の実行で続行する注文 ${p.orders} 件（仕入元の応答待ち、または未確定）`,
  ),
  /** Where the whole list of orders needing an operator is, when the summary cuts it short. */
  'cli.nightNeedsOperatorInSummary': { en: 'resume.needsOperator of --summary-json', ja: '--summary-json の resume.needsOperator' },
  /** What became of a file of the inbox. */
  'cli.nightFileArchived': { en: 'archived', ja: 'アーカイブ済' },
  'cli.nightFileSetAside': { en: 'set aside', ja: '除外' },
  'cli.nightFileLeftForLater': { en: 'left for later', ja: '次回に持ち越し' },
  'cli.nightFileGone': { en: 'gone', ja: '取り出し済' },
  'cli.nightFileRows': entry<{ rows: number; counts: Words }>(
    (p) => `${p.rows} rows: ${p.counts.en || 'none'}`,
    (p) => `${p.rows} 行: ${p.counts.ja || 'なし'}`,
  ),
  /** After a file's line: where its result file is. */
  'cli.nightFileResult': entry<{ path: string }>(
    (p) => ` (result ${p.path})`,
    (p) => `（結果 ${p.path}）`,
  ),
  'cli.nightOrdersNotCounted': { en: 'orders: not counted (the database could not be read)', ja: '注文: データベースを読めなかったため数えていません' },
  /** Every order of the store by status: the English writes each status's code and count, zeros too; the Japanese the statuses it has, by label. */
  'cli.nightOrders': entry<Record<OrderStatus, number>>(
    (p) => `orders: ${ORDER_STATUSES.map((s) => `${s} ${p[s]}`).join(', ')}`,
    (p) =>
      `注文: ${
        ORDER_STATUSES.filter((s) => p[s] > 0)
          .map((s) => `${ORDER_STATUS_LABEL[s].ja} ${p[s]}`)
          .join('、') || 'なし'
      }`,
  ),
  'cli.nightSupplier': entry<{ calls: number; retries: number; throttled: number }>(
    (p) => `supplier: ${p.calls} calls, ${p.retries} retries, ${p.throttled} throttled`,
    (p) => `仕入元: 呼び出し ${p.calls}、再試行 ${p.retries}、流量制限 ${p.throttled}`,
  ),
} as const;
