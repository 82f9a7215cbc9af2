import { afterEach, describe, expect, it, vi } from 'vitest';
import { KaiyakuError } from '../../src/errors.js';
import { DEFAULT_DB, resolveDbSpec } from '../../src/store/connect.js';

function refusalOf(work: () => unknown): KaiyakuError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(KaiyakuError);
    return error as KaiyakuError;
  }
  throw new Error('no error');
}

describe('resolveDbSpec', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('takes --db, else KAIYAKU_DB, else ./kaiyaku.db', () => {
    vi.stubEnv('KAIYAKU_DB', '/srv/kaiyaku/env.db');
    expect(resolveDbSpec('given.db')).toBe('given.db');
    expect(resolveDbSpec(undefined)).toBe('/srv/kaiyaku/env.db');
    vi.stubEnv('KAIYAKU_DB', undefined);
    expect(resolveDbSpec(undefined)).toBe(DEFAULT_DB);
  });

  it('refuses an empty or blank --db as a usage error naming --db, even when KAIYAKU_DB is set', () => {
    vi.stubEnv('KAIYAKU_DB', '/srv/kaiyaku/env.db');
    for (const given of ['', '   ', '\t']) {
      const error = refusalOf(() => resolveDbSpec(given));
      expect(error.code).toBe('USAGE');
      expect(error.kind).toBe('usage');
      expect(error.words.en).toMatch(/^--db is empty/);
      expect(error.words.ja).toMatch(/^--db が空です/);
    }
  });

  it('refuses an empty KAIYAKU_DB (an unset variable in a cron line) as a usage error naming KAIYAKU_DB', () => {
    for (const value of ['', ' ']) {
      vi.stubEnv('KAIYAKU_DB', value);
      const error = refusalOf(() => resolveDbSpec(undefined));
      expect(error.code).toBe('USAGE');
      expect(error.words.en).toMatch(/^KAIYAKU_DB is set but empty/);
      expect(error.words.ja).toContain('KAIYAKU_DB');
      // An explicit --db still wins over it.
      expect(resolveDbSpec('given.db')).toBe('given.db');
    }
  });
});
