/**
 * The one error model. Every condition we can name is a KaiyakuError with a code from the
 * table below; the code decides its kind, and the kind alone decides what a front end
 * does with it: the CLI maps kinds to exit codes (cli/exit.ts), the web will map them
 * to HTTP statuses. Messages come in both languages, so that `--lang` gives whole
 * sentences in the language the user chose, never a mix.
 *
 * Kinds:
 * - usage:       the command or its arguments cannot be used (nothing was done)
 * - input:       a file or value given cannot be used (nothing was done)
 * - conflict:    another run holds what this one needs (nothing was done; try later)
 * - unavailable: the store cannot be opened or written (nothing was done)
 * - refused:     a step the portal would refuse on an order that exists (nothing changed)
 * - incomplete:  work was done, but not all of it (the rows were processed, a report was not written)
 */
export type ErrorKind = 'usage' | 'input' | 'conflict' | 'unavailable' | 'refused' | 'incomplete';

export type Lang = 'ja' | 'en';

/** The same message in each language a user can choose. */
export interface Words {
  en: string;
  ja: string;
}

export const ERROR = {
  USAGE: { kind: 'usage', en: 'The command cannot be used as given', ja: 'コマンドの指定が正しくありません' },
  FILE_NOT_FOUND: { kind: 'input', en: 'The file does not exist', ja: 'ファイルがありません' },
  FILE_UNREADABLE: { kind: 'input', en: 'The file cannot be read', ja: 'ファイルを読み込めません' },
  FILE_UNWRITABLE: { kind: 'input', en: 'The file cannot be written', ja: 'ファイルを書き込めません' },
  ENCODING_UNDETECTABLE: { kind: 'input', en: 'The file is neither UTF-8 nor CP932 (Shift_JIS)', ja: '文字コードが UTF-8 でも CP932 (Shift_JIS) でもありません' },
  COLUMN_MISSING: { kind: 'input', en: 'A required column is missing', ja: '必須の列がありません' },
  HEADER_UNREADABLE: { kind: 'input', en: 'The header has a character no column name can hold', ja: '見出し行に列名として読めない文字があります' },
  COLUMN_DUPLICATED: { kind: 'input', en: 'Two columns mean the same field', ja: '同じ項目を表す列が複数あります' },
  EMPTY_FILE: { kind: 'input', en: 'The file is empty (no header row)', ja: 'ファイルが空です（見出し行がありません）' },
  ROWS_INVALID: { kind: 'input', en: 'Some rows cannot be imported', ja: '取り込めない行があります' },
  CP932_UNREPRESENTABLE: { kind: 'input', en: 'A character cannot be written in CP932 (Shift_JIS)', ja: 'CP932 (Shift_JIS) で書き出せない文字があります' },
  FILE_IN_PROGRESS: { kind: 'conflict', en: 'Another run is processing the same file', ja: '同じファイルを別の実行が処理中です' },
  LOCK_HELD: { kind: 'conflict', en: 'Another nightly run holds the lock on this store', ja: '別の夜間実行がこのデータベースをロックしています' },
  EXPORT_CLAIM_LOST: { kind: 'conflict', en: 'The rows of this export were taken back while it was writing', ja: '書き出し中にエクスポートの行の確保が解除されました' },
  EXPORT_FILE_BUSY: { kind: 'conflict', en: 'Another export is writing the same file', ja: '別のエクスポートが同じファイルを書き出し中です' },
  EXPORT_FILE_UNDELIVERED: { kind: 'conflict', en: 'The output file holds an interrupted export whose rows are marked notified', ja: '出力先に、中断されたエクスポートのファイル（行は通知済）があります' },
  STORE_UNAVAILABLE: { kind: 'unavailable', en: 'The database cannot be opened', ja: 'データベースを開けません' },
  STORE_READ_ONLY: { kind: 'unavailable', en: 'The database cannot be written', ja: 'データベースに書き込めません' },
  SCHEMA_OUTDATED: { kind: 'unavailable', en: 'The database schema is older than this version', ja: 'データベースの構造が古いままです' },
  ORDER_NOT_FOUND: { kind: 'input', en: 'No order with this number', ja: 'この注文番号の注文はありません' },
  STEP_REFUSED: { kind: 'refused', en: 'The order cannot take this step', ja: 'この注文ではこの操作はできません' },
  CHANGED_MEANWHILE: { kind: 'refused', en: 'The order was changed by another run meanwhile', ja: '注文は他の処理で更新されました' },
  DISK_FULL: { kind: 'unavailable', en: 'The disk is full', ja: 'ディスクの空きがありません' },
  REPORTS_NOT_WRITTEN: { kind: 'incomplete', en: 'The rows were processed, but the reports could not be written', ja: '行は処理されましたが、結果ファイルを書き出せませんでした' },
  STORE_CONNECTION_LOST: { kind: 'incomplete', en: 'The connection to the database was lost', ja: 'データベースとの接続が切れました' },
  OUTPUT_CLOSED: { kind: 'incomplete', en: 'Standard output was closed before the output was complete', ja: '出力が終わる前に標準出力が閉じられました' },
  WORK_INTERRUPTED: { kind: 'incomplete', en: 'The work stopped part-way on a failure kaiyaku cannot name', ja: '想定外のエラーで処理が途中で止まりました' },
} as const satisfies Record<string, { kind: ErrorKind } & Words>;

export type ErrorCode = keyof typeof ERROR;

export class KaiyakuError extends Error {
  override readonly name = 'KaiyakuError';
  readonly kind: ErrorKind;

  constructor(
    readonly code: ErrorCode,
    readonly words: Words,
    options?: { cause?: unknown; kind?: ErrorKind; detail?: string },
  ) {
    super(words.en, options?.cause === undefined ? undefined : { cause: options.cause });
    this.kind = options?.kind ?? ERROR[code].kind;
    if (options?.detail !== undefined) this.detail = options.detail;
  }

  /** A machine-readable refinement of the code (a step refusal's reason, say). */
  readonly detail?: string;

  text(lang: Lang): string {
    return this.words[lang];
  }
}

/** Both languages at once: `words('no such file', 'ファイルがありません')`. */
export function words(en: string, ja: string): Words {
  return { en, ja };
}



export function usageError(en: string, ja: string): KaiyakuError {
  return new KaiyakuError('USAGE', { en, ja });
}


/** What the system and the databases say when there is no room left: a file system or quota (ENOSPC, EDQUOT), SQLite (SQLITE_FULL), PostgreSQL (53100 disk_full). */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL', '53100']);

/** The disk-full condition under `err` (itself or a cause of it), or null. */
function diskFullCause(err: unknown): { code: string } | null {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | null | undefined, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && DISK_FULL_CODES.has(e.code)) return { code: e.code };
    if (typeof e.message === 'string' && /\bSQLITE_FULL\b/.test(e.message)) return { code: 'SQLITE_FULL' };
  }
  return null;
}

/**
 * A full disk, named: DISK_FULL with what could not be written (`where`), the system's
 * code, and what to do; null when `err` is something else. Its kind says what the
 * failure left: 'unavailable' (exit 2) where nothing had been changed yet, 'incomplete'
 * (exit 1) where work had begun. Nothing is half-written either way: files appear whole
 * or not at all, and the store's transaction is rolled back.
 */
export function diskFullError(err: unknown, where: Words, kind: ErrorKind = 'unavailable'): KaiyakuError | null {
  const full = diskFullCause(err);
  return full === null ? null : diskFull(where, full.code, err, kind);
}

/** DISK_FULL itself, for a caller that found out otherwise (`code`: what the system said). */
export function diskFull(where: Words, code: string, cause: unknown, kind: ErrorKind = 'unavailable'): KaiyakuError {
  return new KaiyakuError(
    'DISK_FULL',
    words(
      `${where.en}: the disk is full (${code}). Free some space and run the same command again: nothing was left half-written`,
      `${where.ja}: ディスクの空きがありません（${code}）。空きを作ってから同じコマンドをもう一度実行してください（書きかけのまま残ったものはありません）`,
    ),
    { cause, kind },
  );
}

/** Maps a Node fs error on `path` to the error an operator can act on. */
export function fileError(err: unknown, path: string, writing = false): KaiyakuError {
  if (err instanceof KaiyakuError) return err;
  const full = writing ? diskFullError(err, words(`cannot write ${path}`, `${path} を書き込めません`)) : null;
  if (full) return full;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const reason = err instanceof Error ? err.message : String(err);
  if (writing) return new KaiyakuError('FILE_UNWRITABLE', words(`cannot write ${path}: ${reason}`, `${path} を書き込めません: ${reason}`), { cause: err });
  if (code === 'ENOENT') return new KaiyakuError('FILE_NOT_FOUND', words(`no such file: ${path}`, `ファイルがありません: ${path}`), { cause: err });
  if (code === 'EISDIR') return new KaiyakuError('FILE_UNREADABLE', words(`${path} is a folder, not a file`, `${path} はフォルダーです（ファイルを指定してください）`), { cause: err });
  return new KaiyakuError('FILE_UNREADABLE', words(`cannot read ${path}: ${reason}`, `${path} を読み込めません: ${reason}`), { cause: err });
}
