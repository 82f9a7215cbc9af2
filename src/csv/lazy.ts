import { createRequire } from 'node:module';

/**
 * The CSV libraries, loaded on first use rather than when the modules that use them are:
 * a CLI command that ends before reading or writing a file (`--help`, a refused argument)
 * never pays for them. Both are CommonJS, so a synchronous require serves the synchronous
 * functions that use them.
 */
const requireLazily = createRequire(import.meta.url);

let iconvLite: typeof import('iconv-lite') | undefined;
let stringifySync: typeof import('csv-stringify/sync') | undefined;

export function iconv(): typeof import('iconv-lite') {
  return (iconvLite ??= requireLazily('iconv-lite') as typeof import('iconv-lite'));
}

export function csvStringify(): typeof import('csv-stringify/sync') {
  return (stringifySync ??= requireLazily('csv-stringify/sync') as typeof import('csv-stringify/sync'));
}
