import os from 'node:os';
import { knexOf, type StoreCore } from './store.js';
import { transact } from './retry.js';

export interface LockHolder {
  holder: string;
  acquiredAt: string;
  heartbeatAt: string;
}

export interface Lock {
  name: string;
  holder: string;
  release(): Promise<void>;
}

export type LockAttempt = { ok: true; lock: Lock } | { ok: false; heldBy: LockHolder };

export function describeSelf(): string {
  return `${os.hostname()}:${process.pid}:${os.userInfo().username}`;
}

/** A holder (`host:pid:…`) whose process is gone from this host; one on another host is never judged dead here. */
export function holderIsDead(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== os.hostname() || !pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * A lock is a row in the store, not a lock in memory, so that it holds across processes
 * (and, later, machines). A holder that stopped beating for `staleMs`, or whose process is
 * gone from this host, is taken over.
 */
export async function acquireLock(store: StoreCore, name: string, options: { staleMs: number; heartbeatMs?: number; holder?: string }): Promise<LockAttempt> {
  const holder = options.holder ?? describeSelf();
  const attempt = await transact(
    store,
    async (trx): Promise<LockAttempt | 'taken'> => {
      const now = new Date();
      const existing = await trx('locks').where({ name }).first();
      if (existing) {
        const stale = now.getTime() - Date.parse(existing.heartbeat_at) > options.staleMs;
        if (!stale && !holderIsDead(existing.holder)) {
          return { ok: false, heldBy: { holder: existing.holder, acquiredAt: existing.acquired_at, heartbeatAt: existing.heartbeat_at } };
        }
        await trx('locks').where({ name, holder: existing.holder }).delete();
      }
      await trx('locks').insert({ name, holder, acquired_at: now.toISOString(), heartbeat_at: now.toISOString() });
      return 'taken';
    },
    { retryUniqueViolation: true },
  );
  if (attempt !== 'taken') return attempt;
  const beat = setInterval(
    () => {
      void knexOf(store)('locks')
        .where({ name, holder })
        .update({ heartbeat_at: new Date().toISOString() })
        .catch(() => undefined);
    },
    options.heartbeatMs ?? Math.max(1000, Math.floor(options.staleMs / 3)),
  );
  beat.unref();
  return {
    ok: true,
    lock: {
      name,
      holder,
      release: async () => {
        clearInterval(beat);
        await transact(store, (trx) => trx('locks').where({ name, holder }).delete());
      },
    },
  };
}
