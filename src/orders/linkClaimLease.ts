import { withBusyRetry } from '../store/index.js';
import type { PipelineDeps } from '../pipeline/context.js';
import { say } from '../messages/index.js';

/** How long a run holds the lines it claimed without renewing: long enough for a busy store, short enough for a crash on another host. */
export const LINK_LEASE_MS = 120_000;

/**
 * The lines one linkage run holds (store/linkClaims.ts), with the heartbeat that renews
 * their lease every quarter of it. A renewal that no longer finds a line under this run's
 * claim means another run took it over (the lease had lapsed): the line is dropped from
 * what this run holds, and it is not sent. `close` gives back whatever is still held.
 */
export function holdLinkClaims(deps: PipelineDeps, holder: string, leaseMs: number, file: string) {
  const where = file === '' ? '' : `${file}: `;
  /** Lines held and not yet done: renewed, and the only ones sent. */
  const held = new Set<number>();
  /** Every line claimed: at the end, whatever of them is still under this run's claim is given back (an outcome whose write failed, say). */
  const claimed = new Set<number>();
  let renewing: Promise<void> = Promise.resolve();
  const renew = async (): Promise<void> => {
    if (held.size === 0) return;
    const ids = [...held];
    try {
      const kept = new Set(await withBusyRetry(() => deps.store.linkClaims.renewLinkClaims(ids, holder, leaseMs), 5));
      let lost = 0;
      for (const id of ids) if (!kept.has(id) && held.delete(id)) lost++;
      if (lost > 0) {
        deps.log({
          kind: 'event',
          name: 'linkage.claims_lost',
          message: say('orders.claimsTakenOver', { where, lost }),
          data: { lines: lost },
        });
      }
    } catch (error) {
      // The lease outlives a few failed renewals; the next one tries again.
      const reason = error instanceof Error ? error.message : String(error);
      deps.log({
        kind: 'event',
        name: 'linkage.claims_not_renewed',
        message: say('orders.claimsNotRenewed', { where, reason }),
        data: { reason },
      });
    }
  };
  const timer = setInterval(
    () => {
      renewing = renewing.then(renew);
    },
    Math.max(10, Math.floor(leaseMs / 4)),
  );
  timer.unref();
  return {
    add(ids: Iterable<number>): void {
      for (const id of ids) {
        held.add(id);
        claimed.add(id);
      }
    },
    /** Whether this run still holds the line: only then is it sent. */
    holds: (lineId: number): boolean => held.has(lineId),
    /** The line's outcome is on its way to the store, which gives the claim back with it. */
    done(lineId: number): void {
      held.delete(lineId);
    },
    /** Gives back lines this run will not take up after all. */
    async giveBack(ids: readonly number[]): Promise<void> {
      if (ids.length > 0) await withBusyRetry(() => deps.store.linkClaims.releaseLinkClaims(ids, holder));
    },
    async close(): Promise<void> {
      clearInterval(timer);
      await renewing;
      held.clear();
      const all = [...claimed];
      claimed.clear();
      if (all.length > 0) await withBusyRetry(() => deps.store.linkClaims.releaseLinkClaims(all, holder));
    },
  };
}
