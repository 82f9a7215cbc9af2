import { type LinkageUpdate } from '../store/index.js';
import { writeContext, type PipelineDeps } from '../pipeline/context.js';

/**
 * Buffers linkage outcomes and writes them a batch at a time, so that 64 calls in flight
 * do not queue behind 64 single-row transactions. A batch is written when it is full or
 * a few milliseconds old; a kill loses at most the unwritten batch, whose lines are
 * already marked sent and are sent again with the same target and key. Outcomes are
 * written only on lines `holder` still claims, and give the claim back.
 */
export function createLinkageWriter(deps: PipelineDeps, holder: string, maxBatch = 1000, maxDelayMs = 25) {
  let buffer: LinkageUpdate[] = [];
  /** Lines marked sent that were not sent after all: unmarked with their outcome. */
  let unsent: number[] = [];
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    const batch = buffer;
    const unmark = unsent;
    buffer = [];
    unsent = [];
    if (batch.length === 0) return flushing;
    // The lines a supplier answered for: their orders are linked with it from now on.
    const answered = batch
      .filter((u) => u.answered === true || (u.code !== 'SUPPLIER_UNAVAILABLE' && (u.status !== 'unlinked' || u.code !== null)))
      .map((u) => u.lineId);
    flushing = flushing.then(() =>
      deps.store.transact(async (trx) => {
        // Before the outcome, which gives the claim back: the unmarking is guarded on it.
        if (unmark.length > 0) await trx.orders.unmarkLinesSent(unmark, holder);
        await trx.orders.recordLinkage(batch, writeContext(deps), holder);
        if (answered.length > 0 && deps.supplierName !== null) await trx.orders.recordLinkedWith(answered, deps.supplierName);
      }),
    );
    flushing.catch((error: unknown) => {
      failure ??= error;
    });
    return flushing;
  };
  const throwIfFailed = (): void => {
    // A write that failed stops the linkage at once: sending more whose outcome cannot be recorded helps nobody.
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- what the recording failed with (a rejection, unknown), thrown again as it came
    if (failure) throw failure;
  };
  return {
    throwIfFailed,
    /** `unmark`: the line was marked sent by this run but did not leave; take the mark back. */
    async push(update: LinkageUpdate, unmark = false): Promise<void> {
      throwIfFailed();
      buffer.push(update);
      if (unmark) unsent.push(update.lineId);
      if (buffer.length >= maxBatch) await flush();
      else if (!timer) timer = setTimeout(() => void flush().catch(() => undefined), maxDelayMs);
    },
    async close(): Promise<void> {
      await flush();
    },
  };
}
