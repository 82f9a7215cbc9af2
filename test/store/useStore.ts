import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openStore, type Store } from '../../src/store/connect.js';
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
