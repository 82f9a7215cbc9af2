/**
 * cli.md's exit codes for work made of several runs (the files of one command, a night):
 * 0 done, 1 not wholly done, 2 nothing changed. The CLI and the nightly summary share it,
 * so that neither says "nothing was done" after one of its runs did something.
 */
/** 2 only when none of the runs did anything; 1 when some did and any was not wholly done; 0 when all were. */
export function combineExitCodes(codes: readonly number[]): 0 | 1 | 2 {
  if (codes.length === 0) return 0;
  if (codes.every((c) => c === 2)) return 2;
  return codes.some((c) => c !== 0) ? 1 : 0;
}
