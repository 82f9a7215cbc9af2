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
import { ERROR, words, type ErrorKind, type Lang, type Said, type Words } from './messages/index.js';
import { say } from './messages/index.js';

export { ERROR, words, type ErrorKind, type Lang, type Words };
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

  /** The book's key and parameters of the message, when it was said from the book (messages/book.ts). */
  get said(): Said | null {
    return 'key' in this.words ? (this.words as Said) : null;
  }
}

/** A usage error in the book's words: `usageError(say('cli.…', params))`. */
export function usageError(said: Words): KaiyakuError {
  return new KaiyakuError('USAGE', said);
}

/** What the system and the databases say when there is no room left: a file system or quota (ENOSPC, EDQUOT), SQLite (SQLITE_FULL), PostgreSQL (53100 disk_full). */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL', '53100']);

/** The disk-full condition under `err` (itself or a cause of it), or null. */
function diskFullCause(err: unknown): { code: string } | null {
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | null | undefined, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
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
  return new KaiyakuError('DISK_FULL', say('files.diskFull', { where, code }), { cause, kind });
}

/** Maps a Node fs error on `path` to the error an operator can act on. */
export function fileError(err: unknown, path: string, writing = false): KaiyakuError {
  if (err instanceof KaiyakuError) return err;
  const full = writing ? diskFullError(err, say('files.cannotWrite', { path })) : null;
  if (full) return full;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const reason = err instanceof Error ? err.message : String(err);
  if (writing) return new KaiyakuError('FILE_UNWRITABLE', say('files.cannotWriteBecause', { path, reason }), { cause: err });
  if (code === 'ENOENT') return new KaiyakuError('FILE_NOT_FOUND', say('files.noSuchFile', { path }), { cause: err });
  if (code === 'EISDIR')
    return new KaiyakuError('FILE_UNREADABLE', say('files.folderNotFile', { path }), {
      cause: err,
    });
  return new KaiyakuError('FILE_UNREADABLE', say('files.cannotRead', { path, reason }), { cause: err });
}
