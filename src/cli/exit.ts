import { type ErrorKind } from '../index.js';

/**
 * cli.md's exit codes: 0 done, 1 some rows (or a step) not done, 2 nothing was done. The
 * web maps the same kinds to HTTP statuses; this file maps an error's kind to its code
 * (pipeline/exitCodes.ts combines the codes of several runs).
 */
export function exitCodeOf(kind: ErrorKind): 1 | 2 {
  switch (kind) {
    case 'usage':
    case 'input':
    case 'conflict':
    case 'unavailable':
      return 2;
    case 'refused':
    case 'incomplete':
      return 1;
  }
}
