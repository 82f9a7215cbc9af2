/** The worst exit code any part of the command asked for; only main exits. */
let worst = 0;
export function reportExit(code: number): void {
  worst = Math.max(worst, code);
}
export function currentExit(): number {
  return worst;
}
