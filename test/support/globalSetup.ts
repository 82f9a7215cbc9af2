/**
 * vitest's globalSetup, run once before any test file.
 *
 * 1. The tests that run `dist/cli/main.js` never run an out-of-date build. `npm test` builds just before vitest, so this finds dist/ fresh and does nothing;
 * `npx vitest` alone, after an edit of src/, rebuilds first (`npm run build`), once, before
 * any test file starts.
 *
 * Out of date: no dist/cli/main.js, or any file under src/ (or the build's own config)
 * changed after it was written. The build writes every file of dist/ anew, so main.js's
 * time is the build's.
 *
 * 2. The fixture store (setup.ts, `fixtureStore()`): fixtures/contracts.csv imported by the
 * CLI, once, into a folder removed when the run ends.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILT = path.join(ROOT, 'dist', 'cli', 'main.js');
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'scripts/link-bin.mjs'];

/** The newest modification time (ms) under `p`, and the file that has it. */
function newest(p: string): { ms: number; file: string } {
  const st = statSync(p);
  if (!st.isDirectory()) return { ms: st.mtimeMs, file: p };
  let best = { ms: 0, file: p };
  for (const name of readdirSync(p)) {
    const n = newest(path.join(p, name));
    if (n.ms > best.ms) best = n;
  }
  return best;
}

/** Why dist/ is out of date, or null when it is as new as every input of the build. */
export function staleBuild(): string | null {
  if (!existsSync(BUILT)) return `${path.relative(ROOT, BUILT)} is missing`;
  const built = statSync(BUILT).mtimeMs;
  for (const input of INPUTS) {
    const p = path.join(ROOT, input);
    if (!existsSync(p)) continue;
    const n = newest(p);
    if (n.ms > built) return `${path.relative(ROOT, n.file)} is newer than ${path.relative(ROOT, BUILT)}`;
  }
  return null;
}

function ensureFreshBuild(): void {
  const why = staleBuild();
  if (why === null) return;
  process.stderr.write(`[tests] dist/ is out of date (${why}): npm run build\n`);
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  const still = staleBuild();
  if (still !== null) throw new Error(`dist/ is still out of date after npm run build: ${still}`);
}

export default function setup(project: TestProject): () => void {
  ensureFreshBuild();
  const dir = mkdtempSync(path.join(tmpdir(), 'kaiyaku-fixture-store-'));
  copyFileSync(path.join(ROOT, 'fixtures', 'contracts.csv'), path.join(dir, 'contracts.csv'));
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1' };
  delete env['KAIYAKU_DB'];
  execFileSync(process.execPath, [BUILT, 'contracts', 'import', 'contracts.csv', '--db', 'kaiyaku.db', '--quiet'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  project.provide('fixtureStore', path.join(dir, 'kaiyaku.db'));
  return () => rmSync(dir, { recursive: true, force: true });
}
