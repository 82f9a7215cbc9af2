import v8 from 'node:v8';

/**
 * V8 settings for a batch process whose memory must stay flat however long the file.
 *
 * Allocation-site pretenuring: when a scavenge happens to find most objects of one
 * allocation site alive (a page of rows being built, say), V8 starts allocating that
 * site's objects straight in the old generation, and they then pile up there as garbage
 * until the next full collection. Which sites flip depends on timing, so the same dry run
 * of 100,000 rows peaked at about 130 MB in most runs and at 150–160 MB in some, more
 * often on a busy machine: `--trace-gc` showed 15 MB promoted during judging in the first
 * kind and 190–230 MB in the second. Our objects live for a page at most, so pretenuring
 * has nothing to gain here; without it every run stayed at the lower figure, at the same
 * speed (measured by `npm run bench`, see the README).
 *
 * Set by the CLI, which owns its process; the library functions leave the host's V8 alone.
 * The flag is read when V8 processes pretenuring feedback, so setting it at start-up,
 * before any work, takes effect.
 */
export function tuneHeapForBatch(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
