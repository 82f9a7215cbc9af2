/**
 * The set-ups the tests share: a temp folder per test file, generated contracts and
 * cancellation rows, and stores copied from one prepared once instead of importing the
 * same contracts again for every test (an import is a CLI run: node's start-up, the
 * migrations, the rows).
 *
 * `fixtureStore()` is the SQLite store of fixtures/contracts.csv, imported once per run by
 * the CLI in vitest's globalSetup (globalSetup.ts): `copyStore(fixtureStore(), to)` gives a
 * test the folder an operator has after `kaiyaku contracts import contracts.csv`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, inject } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = path.join(ROOT, 'fixtures');

declare module 'vitest' {
  export interface ProvidedContext {
    /** The SQLite store of fixtures/contracts.csv, imported once for the run (see globalSetup.ts). */
    fixtureStore: string;
  }
}

/** The SQLite store of fixtures/contracts.csv as `kaiyaku contracts import contracts.csv` left it; copy it, never use it in place. */
export function fixtureStore(): string {
  return inject('fixtureStore');
}

/** Copies a closed SQLite store, with its -wal and -shm if they were left. */
export function copyStore(from: string, to: string): string {
  fs.copyFileSync(from, to);
  for (const suffix of ['-wal', '-shm']) if (fs.existsSync(from + suffix)) fs.copyFileSync(from + suffix, to + suffix);
  return to;
}

/** A folder holding a copy of the fixture store as `kaiyaku.db` (the CLI's default) and fixtures/contracts.csv as `contracts.csv`. */
export function withFixtureStore(dir: string, name = 'kaiyaku.db'): string {
  fs.copyFileSync(path.join(FIXTURES, 'contracts.csv'), path.join(dir, 'contracts.csv'));
  return copyStore(fixtureStore(), path.join(dir, name));
}

export interface TempDir {
  dir: string;
  /** A new sub-folder (made, with its parents). */
  make(name: string): string;
  /** A path in the folder. */
  path(name: string): string;
  /** Writes a file in the folder, and returns its path. */
  write(name: string, content: string | Uint8Array): string;
}

/** A fresh folder for one test file, removed when its tests end (kept with KAIYAKU_KEEP_TMP=1). */
export function useTempDir(prefix = 'kaiyaku-test-'): TempDir {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => {
    if (process.env['KAIYAKU_KEEP_TMP'] !== '1') fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    make(name) {
      const sub = path.join(dir, name);
      fs.mkdirSync(sub, { recursive: true });
      return sub;
    },
    path: (name) => path.join(dir, name),
    write(name, content) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      return file;
    },
  };
}

export interface Generated {
  contracts: string;
  cancel: string;
}

type GenerateFn = (o: { rows: number; out: string; late?: number; slow?: number; prefix?: string }) => Promise<Generated>;

/**
 * scripts/generate.mjs, in this process: `rows` contracts (NCN202401-000000000i, one line of
 * O365-E1, quantity 5) and a cancellation row for each (1 + i % 4 seats, or all of them when
 * i % 3 = 0); the first `late` subscriptions settle late at the simulator, the next `slow` slowly.
 */
export async function generate(o: { rows: number; out: string; late?: number; slow?: number; prefix?: string }): Promise<Generated> {
  const mod = (await import(new URL('../../scripts/generate.mjs', import.meta.url).href)) as { generate: GenerateFn };
  return mod.generate(o);
}
