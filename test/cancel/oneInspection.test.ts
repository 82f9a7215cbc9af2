/**
 * One inspection of each input: what the check phase found (checkCancelFile: the bytes'
 * hash and encoding, the header) is what the run uses, unless the file changed since.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkCancelFile } from '../../src/cancel/intake.js';
import { runCancelFile } from '../../src/cancel/runCancel.js';
import { knexOf } from '../../src/store/store.js';
import { cancelOptions, useTempDir, withImportedStore } from '../orders/harness.js';

const tmp = useTempDir();

async function recordedHashes(store: Parameters<typeof knexOf>[0]): Promise<string[]> {
  return ((await knexOf(store)('runs').orderBy('id').select('file_sha256')) as { file_sha256: string }[]).map((r) => r.file_sha256);
}

describe('a cancellation file checked before its run', () => {
  it('is not inspected again by the run: the run takes the hash the check found', async () => {
    await withImportedStore(tmp.make('checked'), { rows: 3, prefix: 'ONE' }, async ({ deps, gen }) => {
      const checked = await checkCancelFile(gen.cancel, 'auto');
      expect(checked.header.length).toBeGreaterThan(0);
      // A hash no bytes have: seen in the store only if the run took the check's word for it.
      const marked = { ...checked, inspection: { ...checked.inspection, sha256: 'f'.repeat(64) } };
      await runCancelFile(deps, marked, cancelOptions({ until: 'requested' }));
      expect(await recordedHashes(deps.store)).toEqual(['f'.repeat(64)]);
    });
  });

  it('is inspected again when it changed after the check, and the run records the bytes it read', async () => {
    await withImportedStore(tmp.make('changed'), { rows: 3, prefix: 'TWO' }, async ({ deps, gen }) => {
      const checked = await checkCancelFile(gen.cancel, 'auto');
      const marked = { ...checked, inspection: { ...checked.inspection, sha256: 'f'.repeat(64) } };
      // An operator saves the file again between the check and the run (one row fewer).
      const lines = fs.readFileSync(gen.cancel, 'utf8').trimEnd().split('\n');
      fs.writeFileSync(gen.cancel, `${lines.slice(0, -1).join('\n')}\n`);
      const fresh = await checkCancelFile(gen.cancel, 'auto');
      const summary = await runCancelFile(deps, marked, cancelOptions({ until: 'requested' }));
      expect(summary.rows).toBe(lines.length - 2);
      expect(await recordedHashes(deps.store)).toEqual([fresh.inspection.sha256]);
    });
  });
});
