import { spawnSync } from 'node:child_process';
import { BIN } from './cli.js';

/** The user the CLI runs as where permission bits must really stop it (root ignores them). */
export const NOBODY = 65534;

/**
 * Whether the built CLI can run as nobody here: needs root (to switch user) and a checkout
 * nobody can read. Tests that need it skip, saying why, where it cannot.
 */
export const asNobody: { ok: boolean; why: string } = (() => {
  if (process.getuid?.() !== 0) return { ok: false, why: '(not root: cannot run the CLI as another user)' };
  const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(BIN)})`], { uid: NOBODY, gid: NOBODY });
  return probe.status === 0 ? { ok: true, why: '' } : { ok: false, why: '(the checkout is not readable by nobody)' };
})();
