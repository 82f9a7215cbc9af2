import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { acquireLock, describeSelf, type LockAttempt } from '../../src/store/lockRepository.js';
import { useStore } from './useStore.js';
import { knexOf } from '../../src/store/store.js';

const ctx = useStore();
const ELSEWHERE = 'other-host:4242:alice';
const STALE_MS = 60_000;

function held(attempt: LockAttempt) {
  if (!attempt.ok) throw new Error(`lock held by ${attempt.heldBy.holder}`);
  return attempt.lock;
}

describe('acquireLock', () => {
  it('refuses a second holder while the lock is held, naming the holder; release frees it', async () => {
    const first = held(await acquireLock(ctx.store, 'file:a', { staleMs: STALE_MS, holder: ELSEWHERE }));
    expect(first.holder).toBe(ELSEWHERE);

    const second = await acquireLock(ctx.store, 'file:a', { staleMs: STALE_MS });
    expect(second.ok).toBe(false);
    if (!second.ok) {
      expect(second.heldBy.holder).toBe(ELSEWHERE);
      expect(Date.parse(second.heldBy.acquiredAt)).not.toBeNaN();
      expect(Date.parse(second.heldBy.heartbeatAt)).not.toBeNaN();
    }

    // Other names are independent.
    await held(await acquireLock(ctx.store, 'file:b', { staleMs: STALE_MS })).release();

    await first.release();
    const third = held(await acquireLock(ctx.store, 'file:a', { staleMs: STALE_MS }));
    expect(third.holder).toBe(describeSelf());
    await third.release();
    expect(await knexOf(ctx.store)('locks').where({ name: 'file:a' })).toEqual([]);
  });

  it("takes over a stale lock, and the old holder's release leaves the new one alone", async () => {
    const old = held(await acquireLock(ctx.store, 'file:stale', { staleMs: STALE_MS, holder: ELSEWHERE }));
    const longAgo = new Date(Date.now() - STALE_MS - 1000).toISOString();
    await knexOf(ctx.store)('locks').where({ name: 'file:stale' }).update({ heartbeat_at: longAgo });

    const fresh = held(await acquireLock(ctx.store, 'file:stale', { staleMs: STALE_MS, holder: 'new-host:1:bob' }));
    await old.release();
    expect(await knexOf(ctx.store)('locks').where({ name: 'file:stale' }).select('holder')).toEqual([{ holder: 'new-host:1:bob' }]);
    await fresh.release();
  });

  it('does not take over a lock whose heartbeat is recent', async () => {
    const holder = held(await acquireLock(ctx.store, 'file:recent', { staleMs: STALE_MS, holder: ELSEWHERE }));
    const recent = new Date(Date.now() - STALE_MS / 2).toISOString();
    await knexOf(ctx.store)('locks').where({ name: 'file:recent' }).update({ heartbeat_at: recent });
    expect((await acquireLock(ctx.store, 'file:recent', { staleMs: STALE_MS })).ok).toBe(false);
    await holder.release();
  });

  it('takes over a lock whose holder process on this host is gone', async () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    await knexOf(ctx.store)('locks').insert({
      name: 'file:dead',
      holder: `${os.hostname()}:${gone}:someone`,
      acquired_at: new Date().toISOString(),
      heartbeat_at: new Date().toISOString(),
    });
    const lock = held(await acquireLock(ctx.store, 'file:dead', { staleMs: STALE_MS }));
    await lock.release();
  });

  it('keeps the heartbeat fresh while held', async () => {
    const lock = held(await acquireLock(ctx.store, 'file:beat', { staleMs: STALE_MS, heartbeatMs: 20 }));
    const longAgo = new Date(Date.now() - 3_600_000).toISOString();
    await knexOf(ctx.store)('locks').where({ name: 'file:beat' }).update({ heartbeat_at: longAgo });
    await new Promise((r) => setTimeout(r, 120));
    const row = await knexOf(ctx.store)('locks').where({ name: 'file:beat' }).first();
    expect(Date.parse(row.heartbeat_at)).toBeGreaterThan(Date.parse(longAgo) + 3_000_000);
    await lock.release();
  });
});
