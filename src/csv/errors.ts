/**
 * File-level error codes: problems that stop a whole file before any row is judged (exit
 * code 2 in cli.md). One `as const` object so that the list and the type cannot drift; the
 * words are the generic meaning, the error's own message says which file and where.
 */
export const FILE_ERROR = {
  FILE_NOT_FOUND: { en: 'The file does not exist', ja: 'ファイルがありません' },
  FILE_UNREADABLE: { en: 'The file cannot be read', ja: 'ファイルを読み込めません' },
  FILE_UNWRITABLE: { en: 'The file cannot be written', ja: 'ファイルを書き込めません' },
  ENCODING_UNDETECTABLE: { en: 'The file is neither UTF-8 nor CP932 (Shift_JIS)', ja: '文字コードが UTF-8 でも CP932 (Shift_JIS) でもありません' },
  COLUMN_MISSING: { en: 'A required column is missing', ja: '必須の列がありません' },
  EMPTY_FILE: { en: 'The file is empty (no header row)', ja: 'ファイルが空です（見出し行がありません）' },
  FILE_IN_PROGRESS: { en: 'Another run is processing the same file', ja: '同じファイルを別の実行が処理中です' },
  ROWS_INVALID: { en: 'Some rows cannot be imported', ja: '取り込めない行があります' },
  CP932_UNREPRESENTABLE: { en: 'A character cannot be written in CP932 (Shift_JIS)', ja: 'CP932 (Shift_JIS) で書き出せない文字があります' },
} as const satisfies Record<string, { en: string; ja: string }>;

export type FileErrorCode = keyof typeof FILE_ERROR;

export class FileLevelError extends Error {
  override readonly name = 'FileLevelError';

  constructor(
    readonly code: FileErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Maps a Node fs error on `path` to the file-level error an operator can act on. */
export function toFileLevelError(err: unknown, path: string, writing = false): FileLevelError {
  if (err instanceof FileLevelError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const reason = err instanceof Error ? err.message : String(err);
  if (writing) return new FileLevelError('FILE_UNWRITABLE', `cannot write ${path}: ${reason}`, { cause: err });
  if (code === 'ENOENT') return new FileLevelError('FILE_NOT_FOUND', `no such file: ${path}`, { cause: err });
  return new FileLevelError('FILE_UNREADABLE', `cannot read ${path}: ${reason}`, { cause: err });
}
