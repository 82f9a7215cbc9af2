/**
 * One inspection of each input: what the check phase found (checkCancelFile: the bytes'
 * hash and encoding, the header) is what the run uses, unless the file changed since.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkCancelFile } from '../../src/cancel/intake.js';
import { runCancelFile } from '../../src/cancel/runCancel.js';
import { knexOf } from '../../src/store/store.js';
import { cancelOptions, withImportedStore } from '../orders/harness.js';
import { useTempDir } from '../support/setup.js';

const tmp = useTempDir();

async function recordedHashes(store: Parameters<typeof knexOf>[0]): Promise<string[]> {
  return ((await knexOf(store)('runs').orderBy('id').select('file_sha256')) as { file_sha256: string }[]).map((r) => r.file_sha256);
}

describe('a cancellation file checked before its run', () => {
  it('is not inspected again by the run: the run takes the encoding the check found, and records the hash of the bytes it read', async () => {
    await withImportedStore(tmp.make('checked'), { rows: 3, prefix: 'ONE' }, async ({ deps, gen }) => {
      // English column names: the file reads the same in UTF-8 and in CP932.
      const [, ...rows] = fs.readFileSync(gen.cancel, 'utf8').trimEnd().split('\n');
      fs.writeFileSync(gen.cancel, `${['contract_no,product_code,cancel_quantity,end_date,request_id', ...rows].join('\n')}\n`);
      const checked = await checkCancelFile(gen.cancel, 'auto');
      expect(checked.inspection.encoding).toBe('utf8');
      // An encoding no inspection of these bytes gives: seen in the run only if it took the check's word for it.
      const marked = { ...checked, inspection: { ...checked.inspection, encoding: 'cp932' as const } };
      const summary = await runCancelFile(deps, marked, cancelOptions({ until: 'requested' }));
      expect(summary.encoding).toBe('cp932');
      expect(summary.rows).toBe(3);
      expect(await recordedHashes(deps.store)).toEqual([checked.inspection.sha256]);
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

  it('is read again when it was rewritten in place with the same size and time: the run records and judges the bytes it read, once', async () => {
    await withImportedStore(tmp.make('same-size'), { rows: 4, prefix: 'SAM' }, async ({ deps, gen }) => {
      fs.utimesSync(gen.cancel, 1_000_000_000, 1_000_000_000);
      const checked = await checkCancelFile(gen.cancel, 'auto');
      // The same rows in another order: the same size, header and inode, and the time put back.
      const [header, ...rows] = fs.readFileSync(gen.cancel, 'utf8').trimEnd().split('\n');
      fs.writeFileSync(gen.cancel, `${[header, ...rows.reverse()].join('\n')}\n`);
      fs.utimesSync(gen.cancel, 1_000_000_000, 1_000_000_000);
      const fresh = await checkCancelFile(gen.cancel, 'auto');
      expect(fresh.identity).toBe(checked.identity);
      expect(fresh.inspection.sha256).not.toBe(checked.inspection.sha256);
      const summary = await runCancelFile(deps, checked, cancelOptions({ until: 'requested' }));
      expect(summary.rows).toBe(rows.length);
      expect(await recordedHashes(deps.store)).toEqual([fresh.inspection.sha256]);
    });
  });
});
