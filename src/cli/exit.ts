import type { ErrorKind } from '../errors.js';

/**
 * cli.md's exit codes: 0 done, 1 some rows (or a step) not done, 2 nothing was done. The
 * web maps the same kinds to HTTP statuses; only this file knows the numbers.
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

/**
 * The code of a command made of several runs (files): 2 only when none of them did
 * anything, since 2 tells a scheduler that nothing changed; 1 when some did and any run
 * was not wholly done; 0 when all were.
 */
export function combineExitCodes(codes: readonly number[]): 0 | 1 | 2 {
  if (codes.length === 0) return 0;
  if (codes.every((c) => c === 2)) return 2;
  return codes.some((c) => c !== 0) ? 1 : 0;
}
