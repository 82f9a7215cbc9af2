/**
 * When the store says "not now": busy and serialisation answers are retried (the whole
 * transaction), a lost PostgreSQL connection is named, and transact() runs work in one
 * transaction under those rules.
 */
import type { Knex } from 'knex';
import type { StoreCore } from './store.js';
import { knexOf } from './store.js';
import { KaiyakuError, type Words } from '../errors.js';
import { say } from '../messages/index.js';

export interface RetryOptions {
  /** Attempts in all, the first included (default 50). */
  attempts?: number;
  /**
   * Also retry a PostgreSQL unique violation (23505). Only for work that checks for the
   * row it inserts, so that a retry sees the other run's row and gives way (a claim, a
   * lock, a request key landing between our check and our insert). Elsewhere a unique
   * violation is a bug, and retrying it only hides it for a minute.
   */
  retryUniqueViolation?: boolean;
}

/**
 * Runs work again while it fails in a way that a new attempt can cure: the database was
 * busy (SQLite BUSY/LOCKED, PostgreSQL serialization failure or deadlock), or the
 * connection was lost (server restart, admin shutdown, reset). Never "fail the row".
 * Work retried after a lost connection may have been committed the first time: it must
 * find its own earlier effect, or fail on it (a key inserted again is a unique violation,
 * which is not retried unless asked).
 * `options` may be a number of attempts, as before.
 */
export async function withBusyRetry<T>(work: () => Promise<T>, options: number | RetryOptions = {}): Promise<T> {
  const { attempts = 50, retryUniqueViolation = false } = typeof options === 'number' ? { attempts: options } : options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isBusyError(error, { retryUniqueViolation })) throw error;
      await new Promise((r) => setTimeout(r, Math.min(1000, 10 * 2 ** Math.min(attempt, 7)) * (0.5 + Math.random())));
    }
  }
}

const BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', '40001', '40P01']);
/** Connection lost: admin/crash shutdown, server starting up, connection failures, socket errors. */
const CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE']);
const CONNECTION_MESSAGES =
  /Connection terminated|connection ended unexpectedly|server closed the connection unexpectedly|Client has encountered a connection error|read ECONNRESET|is not currently accepting connections|the database system is (starting up|shutting down|in recovery mode)/i;

/** The connection to PostgreSQL was lost (the statement may or may not have run). */
export function isConnectionLost(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null | undefined;
  if (!e || typeof e !== 'object') return false;
  return (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) || (typeof e.message === 'string' && CONNECTION_MESSAGES.test(e.message));
}

/**
 * A lost connection that retries did not get back, named: the work stopped part-way, and
 * running it again goes on where it stopped (every step can run twice).
 */
export function connectionLostError(error: unknown, next: Words): KaiyakuError {
  const why = ((error as Error | null)?.message ?? String(error)).split('\n')[0]!.replace(/^[\s\S]* - /, '');
  return new KaiyakuError('STORE_CONNECTION_LOST', say('store.connectionLost', { why, next }), { cause: error });
}

/** Whether `withBusyRetry` would try again after this error. */
export function isBusyError(error: unknown, options: { retryUniqueViolation?: boolean } = {}): boolean {
  const e = error as { code?: unknown; message?: unknown } | null | undefined;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (BUSY_CODES.has(code) || /SQLITE_BUSY|database is locked/.test(message)) return true;
  if (isConnectionLost(error)) return true;
  return options.retryUniqueViolation === true && code === '23505';
}

/**
 * Runs work in one transaction, retried as a whole on busy states and lost connections
 * (and on unique violations when asked: see {@link RetryOptions.retryUniqueViolation}).
 */
export function transact<T>(store: StoreCore, work: (trx: Knex.Transaction) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  return withBusyRetry(() => knexOf(store).transaction(work), options);
}
