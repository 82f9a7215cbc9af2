import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openStore, type Store } from '../../src/store/connect.js';
import { createRun } from '../../src/store/runRepository.js';
import { knexOf } from '../../src/store/store.js';
import type { WriteContext } from '../../src/store/orderRepository.js';
import { TODAY } from '../builders.js';

/**
 * A fresh SQLite database under the OS temp dir for one test file (openStore migrates it),
 * closed and removed when the file's tests end.
 */
export function useStore(): { readonly store: Store; readonly dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kaiyaku-store-'));
  let opened: Store | undefined;
  beforeAll(async () => {
    opened = await openStore(join(dir, 'test.db'));
  });
  afterAll(async () => {
    await opened?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    get store(): Store {
      if (!opened) throw new Error('the store opens in beforeAll');
      return opened;
    },
  };
}

export function aWriteContext(overrides: Partial<WriteContext> = {}): WriteContext {
  return { actor: 'tester', now: '2026-11-26 10:00:00', today: TODAY, ...overrides };
}

/** A run of a real (not dry) cancellation of the file with this hash, recorded as started. */
export function aRun(store: Store, sha256 = 'a'.repeat(64)): Promise<number> {
  return createRun(knexOf(store), {
    sha256,
    fileName: 'nov.csv',
    errorsFile: 'nov.errors.csv',
    until: 'completed',
    appliedOn: TODAY,
    now: '2026-11-26 10:00:00',
    owner: 'host:1:me',
    operator: 'me',
    dryRun: false,
  });
}
