/**
 * Deterministic "random" choices for the simulator. Each choice is a hash of what
 * identifies the call (seed, subscription, target quantity or `get`, attempt number,
 * purpose) rather than the next number of one shared stream: with a stream, the answer a
 * call gets would depend on how concurrent calls happened to interleave, and the
 * in-process and HTTP simulators could not agree under concurrency.
 */

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** One mulberry32 step: FNV alone mixes its last characters poorly into the high bits. */
function mix32(value: number): number {
  let t = (value + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/** A number in [0, 1) fixed by the seed and the parts. */
export function drawUnit(seed: number, ...parts: readonly (string | number)[]): number {
  return mix32(fnv1a32(`${seed}\u001f${parts.join('\u001f')}`)) / 4_294_967_296;
}
