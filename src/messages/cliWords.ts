/**
 * What the command line says of its own: the process's failures, the inputs, the store and
 * supplier it is given, and the small commands (migrate, demo, serials export, supplier
 * serve). The arguments' words are in cliArgumentsWords.ts, the cancel run's and the
 * night's in cliCancelWords.ts, the orders' in cliOrdersWords.ts, the contract import's in
 * cliContractsWords.ts.
 */
import { entry } from './entry.js';
import type { Words } from './words.js';

/** A list the English way (`a, b, c`), as the Japanese writes it (`a、b、c`): for lists of codes, option and command names. */
export function jaList(list: string): string {
  return list.split(', ').join('、');
}

/** After a file's row count: that a dry run changed nothing. */
export const DRY_RUN_NOTE = { en: ' (dry run: nothing changed)', ja: '（ドライラン: 何も変更していません）' } as const;

/** `, being linked by another run 2`: lines another run was linking, said only when there are some. */
export const heldElsewhere = (n: number, lang: 'en' | 'ja'): string =>
  n > 0 ? { en: `, being linked by another run ${n}`, ja: `、別の実行が連携中 ${n}` }[lang] : '';

export const CLI_WORDS = {
  /** Between the items of a list each language writes its own way (counts by label, orders with their stage). */
  'cli.listSeparator': { en: ', ', ja: '、' },
  /** A count by its label, in a list of counts: `完了 3`. */
  'cli.count': entry<{ label: Words; count: number }>(
    (p) => `${p.label.en} ${p.count}`,
    (p) => `${p.label.ja} ${p.count}`,
  ),
  /** Before a warning about one file: `warning: nov.csv: …`. */
  'cli.warning': { en: 'warning', ja: '警告' },
  /** After a file's counts: the exit code its run ends with. */
  'cli.exitNote': entry<{ exit: number }>(
    (p) => ` (exit ${p.exit})`,
    (p) => `（終了コード ${p.exit}）`,
  ),

  // The process (main.ts)
  'cli.cannotWriteStdout': { en: 'cannot write standard output', ja: '標準出力に書き込めません' },
  'cli.cannotWriteStdoutBecause': entry<{ reason: string }>(
    (p) => `cannot write standard output: ${p.reason}`,
    (p) => `標準出力に書き込めません: ${p.reason}`,
  ),
  'cli.cannotWriteDatabaseOrFile': { en: 'cannot write the database or a file', ja: 'データベースかファイルに書き込めません' },
  'cli.runAgain': {
    en: 'run the same command again: it goes on where it stopped, and what was done is not done twice',
    ja: '同じコマンドをもう一度実行してください。続きから処理し、処理済みのものは二重に処理しません',
  },
  /** Before a failure kaiyaku cannot name, with what the system said. */
  'cli.unexpectedFailure': { en: 'unexpected failure', ja: '予期しないエラー' },

  // The inputs (inputs.ts)
  'cli.sameFileTwoNames': entry<{ earlier: string; file: string }>(
    (p) => `${p.earlier} and ${p.file} are the same file (a link, or the same path written two ways); name each file once`,
    (p) => `${p.earlier} と ${p.file} は同じファイルです（リンク、または同じ場所の別の書き方）。各ファイルは 1 回だけ指定してください`,
  ),
  'cli.fileNamedTwice': entry<{ file: string }>(
    (p) => `${p.file} is named twice; name each file once`,
    (p) => `${p.file} が 2 回指定されています。各ファイルは 1 回だけ指定してください`,
  ),
  /** A streamed input (`stdin`: standard input, `stream`: a pipe, a device) whose reports have no folder; `name`: the reports' names without `.result.csv`. */
  'cli.streamedInputNeedsReports': entry<{ file: string; source: 'stdin' | 'stream'; name: string }>(
    (p) =>
      `${p.file} ${p.source === 'stdin' ? 'is standard input' : 'is not a regular file (a pipe, a device or a file descriptor)'}: there is no folder beside it for its result and error files; give --reports DIR (they are named ${p.name}.result.csv and ${p.name}.errors.csv)`,
    (p) =>
      `${p.file} ${p.source === 'stdin' ? 'は標準入力です' : 'は通常のファイルではありません（パイプ、デバイス、ファイル記述子のいずれか）'}。結果ファイルとエラーファイルを置くフォルダーがないため、--reports でフォルダーを指定してください（名前は ${p.name}.result.csv と ${p.name}.errors.csv になります）`,
  ),

  // The store and the supplier a command is given (shared.ts)
  'cli.databaseGuard': entry<{ file: string }>(
    (p) => `the database (${p.file})`,
    (p) => `データベース（${p.file}）`,
  ),
  'cli.databaseFileGuard': entry<{ file: string }>(
    (p) => `a file of the database (${p.file})`,
    (p) => `データベースのファイル（${p.file}）`,
  ),
  'cli.supplierEnvEmpty': {
    en: 'KAIYAKU_SUPPLIER is set but empty: set it to "sim" or the URL of the supplier API, or give --supplier (an unset variable in a cron line becomes empty)',
    ja: '環境変数 KAIYAKU_SUPPLIER が空です。"sim" か仕入元 API の URL を設定するか、--supplier を指定してください（cron では未設定の変数が空になります）',
  },
  'cli.supplierNotNamed': {
    en: 'this command links with the supplier (解約連携): name it with --supplier URL (or --supplier sim for the simulator), or set KAIYAKU_SUPPLIER; nothing was done',
    ja: 'このコマンドは仕入元と解約連携します。--supplier に仕入元 API の URL（シミュレーターなら --supplier sim）を指定するか、環境変数 KAIYAKU_SUPPLIER を設定してください。何も行っていません',
  },
  /** `source`: where the supplier was named, `--supplier` or `KAIYAKU_SUPPLIER`. */
  'cli.supplierInvalid': entry<{ source: string; spec: string }>(
    (p) => `${p.source} must be "sim" or an http(s) URL, got "${p.spec}"`,
    (p) => `${p.source} には "sim" か http(s) の URL を指定してください（指定値: "${p.spec}"）`,
  ),

  // migrate
  /** `migrations`: their names, joined by `, `. */
  'cli.migrationsApplied': entry<{ migrations: string }>(
    (p) => `applied: ${p.migrations}`,
    (p) => `適用しました: ${p.migrations}`,
  ),
  'cli.schemaUpToDate': { en: 'the schema is up to date', ja: 'データベースの構造は最新です' },

  // supplier serve
  'cli.portInUse': entry<{ host: string; port: number }>(
    (p) => `port ${p.port} on ${p.host} is already in use (try another --port, or --port 0 for a free one)`,
    (p) => `${p.host} のポート ${p.port} は使用中です（別の --port、または空きポートを使う --port 0 を指定してください）`,
  ),
  'cli.hostNotHere': entry<{ host: string }>(
    (p) => `--host ${p.host} is not an address of this machine`,
    (p) => `--host ${p.host} はこのマシンのアドレスではありません`,
  ),
  'cli.simulatorListening': entry<{ url: string; subscriptions: number }>(
    (p) => `supplier simulator on ${p.url} with ${p.subscriptions} subscriptions (stats: ${p.url}/_sim/stats)`,
    (p) => `仕入元シミュレーター: ${p.url} — サブスクリプション ${p.subscriptions} 件、統計: ${p.url}/_sim/stats`,
  ),

  // serials export
  'cli.serialsFromAfterTo': entry<{ from: string; to: string }>(
    (p) => `--from ${p.from} is after --to ${p.to}: no day is in that range`,
    (p) => `--from ${p.from} が --to ${p.to} より後です（該当する日がありません）`,
  ),
  /** `marked`: 1 when the rows written were marked notified. */
  'cli.serialsWritten': entry<{ out: string; rows: number; marked: 0 | 1 }>(
    (p) => `${p.out}: ${p.rows} serial rows${p.marked ? ', marked notified' : ''}`,
    (p) => `${p.out}: シリアル ${p.rows} 行${p.marked ? '、通知済にしました' : ''}`,
  ),
  /** `missing`: 1 when the rows held by the other export were asked for (no --unnotified), so this file lacks them. */
  'cli.serialsHeldByOthers': entry<{ rows: number; missing: 0 | 1 }>(
    (p) =>
      `${p.rows} serial rows were left out: another export running at the same time is writing them (and marks them notified)${p.missing ? '; they are not in this file' : ''}`,
    (p) =>
      `シリアル ${p.rows} 行は、同時に実行中の別のエクスポートが書き出し中のため除きました（そちらで通知済になります）${p.missing ? '。このファイルには含まれていません' : ''}`,
  ),
  'cli.serialsMarkedFileExists': entry<{ out: string }>(
    (p) =>
      `--out ${p.out} already exists: with --mark-notified an export never writes over a file, which may be an earlier export not collected yet (its rows are marked notified); move it away once it is collected, or name a new file (e.g. with the date); nothing was done`,
    (p) =>
      `--out ${p.out} は既にあります。--mark-notified のエクスポートは既存のファイルに上書きしません（まだ回収されていない以前のエクスポートで、その行は通知済になっている可能性があります）。回収済みなら移動してから、または日付入りなど新しい名前を指定してください。何も行っていません`,
  ),

  // demo
  'cli.demoImported': entry<{ contracts: number; lines: number; db: string }>(
    (p) => `imported ${p.contracts} contracts (${p.lines} lines) into ${p.db}`,
    (p) => `契約 ${p.contracts} 件（明細 ${p.lines} 件）を ${p.db} に登録しました`,
  ),
  'cli.demoRefusedOnPurpose': {
    en: '(one row is refused on purpose — a contract with a trial product cannot be cancelled as a whole — to show the error file)',
    ja: '（エラーファイルを見せるため、1 行はわざと拒否されます — トライアル商品を含む契約は一括解約できません）',
  },
  'cli.demoReports': { en: 'reports:', ja: 'レポート:' },
  'cli.demoResultFile': { en: 'result file', ja: '結果ファイル' },
  'cli.demoErrorFile': { en: 'error file', ja: 'エラーファイル' },
  'cli.demoContractList': { en: 'contract list', ja: '契約一覧' },
  'cli.demoOrderList': { en: 'order list', ja: '契約変更一覧' },
  'cli.demoCancelledSerials': { en: 'cancelled serials', ja: '解約シリアル通知用CSV' },
  'cli.demoNext': entry<{ db: string }>(
    (p) => `try: npx kaiyaku orders list --db ${p.db} --lang en --encoding utf8`,
    (p) => `次に: npx kaiyaku orders list --db ${p.db} --lang en --encoding utf8`,
  ),
  'cli.demoParentMissing': entry<{ dir: string }>(
    (p) => `--dir ${p.dir}: its parent folder does not exist`,
    (p) => `--dir ${p.dir}: 親フォルダーがありません`,
  ),
  'cli.demoDirIsFile': entry<{ dir: string }>(
    (p) => `--dir ${p.dir} is a file, not a folder`,
    (p) => `--dir ${p.dir} はファイルです（フォルダーを指定してください）`,
  ),
  /** `files`: the first few of them, joined by `, `. */
  'cli.demoDirNotEmpty': entry<{ dir: string; files: string }>(
    (p) => `--dir ${p.dir} already holds files the demo did not make (${p.files}); the demo clears its folder, so give a new or empty one`,
    (p) =>
      `--dir ${p.dir} にはデモが作成していないファイルがあります（${p.files}）。デモはフォルダーの中身を消すため、新しいフォルダーか空のフォルダーを指定してください`,
  ),
} as const;
