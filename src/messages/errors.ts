import type { Words } from './words.js';

/** What a front end does with an error: the CLI maps kinds to exit codes, the web to HTTP statuses (see errors.ts). */
export type ErrorKind = 'usage' | 'input' | 'conflict' | 'unavailable' | 'refused' | 'incomplete';

/** Every error code a command can end with, its kind and its words (cli.md's error codes). */
export const ERROR = {
  USAGE: { kind: 'usage', en: 'The command cannot be used as given', ja: 'コマンドの指定が正しくありません' },
  FILE_NOT_FOUND: { kind: 'input', en: 'The file does not exist', ja: 'ファイルがありません' },
  FILE_UNREADABLE: { kind: 'input', en: 'The file cannot be read', ja: 'ファイルを読み込めません' },
  FILE_UNWRITABLE: { kind: 'input', en: 'The file cannot be written', ja: 'ファイルを書き込めません' },
  ENCODING_UNDETECTABLE: {
    kind: 'input',
    en: 'The file is neither UTF-8 nor CP932 (Shift_JIS)',
    ja: '文字コードが UTF-8 でも CP932 (Shift_JIS) でもありません',
  },
  COLUMN_MISSING: { kind: 'input', en: 'A required column is missing', ja: '必須の列がありません' },
  HEADER_UNREADABLE: { kind: 'input', en: 'The header has a character no column name can hold', ja: '見出し行に列名として読めない文字があります' },
  COLUMN_DUPLICATED: { kind: 'input', en: 'Two columns mean the same field', ja: '同じ項目を表す列が複数あります' },
  EMPTY_FILE: { kind: 'input', en: 'The file is empty (no header row)', ja: 'ファイルが空です（見出し行がありません）' },
  ROWS_INVALID: { kind: 'input', en: 'Some rows cannot be imported', ja: '取り込めない行があります' },
  CP932_UNREPRESENTABLE: { kind: 'input', en: 'A character cannot be written in CP932 (Shift_JIS)', ja: 'CP932 (Shift_JIS) で書き出せない文字があります' },
  FILE_IN_PROGRESS: { kind: 'conflict', en: 'Another run is processing the same file', ja: '同じファイルを別の実行が処理中です' },
  LOCK_HELD: { kind: 'conflict', en: 'Another nightly run holds the lock on this store', ja: '別の夜間実行がこのデータベースをロックしています' },
  EXPORT_CLAIM_LOST: {
    kind: 'conflict',
    en: 'The rows of this export were taken back while it was writing',
    ja: '書き出し中にエクスポートの行の確保が解除されました',
  },
  EXPORT_FILE_BUSY: { kind: 'conflict', en: 'Another export is writing the same file', ja: '別のエクスポートが同じファイルを書き出し中です' },
  EXPORT_FILE_UNDELIVERED: {
    kind: 'conflict',
    en: 'The output file holds an interrupted export whose rows are marked notified',
    ja: '出力先に、中断されたエクスポートのファイル（行は通知済）があります',
  },
  STORE_UNAVAILABLE: { kind: 'unavailable', en: 'The database cannot be opened', ja: 'データベースを開けません' },
  STORE_READ_ONLY: { kind: 'unavailable', en: 'The database cannot be written', ja: 'データベースに書き込めません' },
  SCHEMA_OUTDATED: { kind: 'unavailable', en: 'The database schema is older than this version', ja: 'データベースの構造が古いままです' },
  ORDER_NOT_FOUND: { kind: 'input', en: 'No order with this number', ja: 'この注文番号の注文はありません' },
  STEP_REFUSED: { kind: 'refused', en: 'The order cannot take this step', ja: 'この注文ではこの操作はできません' },
  CHANGED_MEANWHILE: { kind: 'refused', en: 'The order was changed by another run meanwhile', ja: '注文は他の処理で更新されました' },
  DISK_FULL: { kind: 'unavailable', en: 'The disk is full', ja: 'ディスクの空きがありません' },
  REPORTS_NOT_WRITTEN: {
    kind: 'incomplete',
    en: 'The rows were processed, but the reports could not be written',
    ja: '行は処理されましたが、結果ファイルを書き出せませんでした',
  },
  STORE_CONNECTION_LOST: { kind: 'incomplete', en: 'The connection to the database was lost', ja: 'データベースとの接続が切れました' },
  OUTPUT_CLOSED: { kind: 'incomplete', en: 'Standard output was closed before the output was complete', ja: '出力が終わる前に標準出力が閉じられました' },
  WORK_INTERRUPTED: { kind: 'incomplete', en: 'The work stopped part-way on a failure kaiyaku cannot name', ja: '想定外のエラーで処理が途中で止まりました' },
} as const satisfies Record<string, { kind: ErrorKind } & Words>;
