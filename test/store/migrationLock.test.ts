import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { KaiyakuError } from '../../src/errors.js';
import { migrate, openStore, type Store } from '../../src/store/connect.js';
import { aPgSchema, PG_URL } from './pgSchema.js';
import { knexOf } from '../../src/store/store.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-miglock-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * Everything that could reach stdout from this process while `work` runs: stdout carries
 * CSV. Vitest routes console.* around process.stdout.write, so both are watched (knex's
 * default logger is console.log).
 */
async function stdoutDuring<T>(work: () => Promise<T>): Promise<{ result: T; printed: unknown[][] }> {
  const printed: unknown[][] = [];
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation((...args: unknown[]) => (printed.push(args), true)),
    ...(['log', 'info', 'debug', 'dir', 'table'] as const).map((m) => vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void printed.push(args))),
  ];
  try {
    return { result: await work(), printed };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

async function failure(open: () => Promise<unknown>): Promise<unknown> {
  return open().then(
    () => {
      throw new Error('it succeeded');
    },
    (e: unknown) => e,
  );
}

function expectLockRefusal(error: unknown): void {
  expect(error).toBeInstanceOf(KaiyakuError);
  const e = error as KaiyakuError;
  expect(e.code).toBe('STORE_UNAVAILABLE');
  expect(e.words.en).toMatch(/being migrated by another process, or a migration that was stopped left its lock behind/);
  expect(e.words.en).toContain('UPDATE knex_migrations_lock SET is_locked = 0');
  expect(e.words.ja).toContain('knex_migrations_lock');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a migration lock left taken (SQLite)', () => {
  it('fails the open at once with STORE_UNAVAILABLE naming the lock, and prints nothing to stdout', async () => {
    const file = path.join(tmp, 'locked.db');
    const setup = await openStore(file);
    await knexOf(setup)('knex_migrations_lock').update({ is_locked: 1 });
    await setup.close();

    const { result, printed } = await stdoutDuring(() => failure(() => openStore(file)));
    expectLockRefusal(result);
    expect(printed).toEqual([]);

    // `kaiyaku migrate` opens without migrating, then migrates: the same answer.
    const store: Store = await openStore(file, { migrate: false });
    try {
      const again = await stdoutDuring(() => failure(() => migrate(store)));
      expectLockRefusal(again.result);
      expect(again.printed).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!PG_URL)('a migration lock left taken (PostgreSQL)', () => {
  it('fails the open at once with STORE_UNAVAILABLE naming the lock, and prints nothing to stdout', async () => {
    const schema = await aPgSchema(PG_URL!, 'miglock');
    try {
      const setup = await openStore(schema.url);
      await knexOf(setup)('knex_migrations_lock').update({ is_locked: 1 });
      await setup.close();
      const { result, printed } = await stdoutDuring(() => failure(() => openStore(schema.url)));
      expectLockRefusal(result);
      expect(printed).toEqual([]);
    } finally {
      await schema.drop();
    }
  });
});
