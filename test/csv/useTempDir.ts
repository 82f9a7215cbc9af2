import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A fresh folder under the OS temp dir for one test file, removed when the file's tests end. */
export function useTempDir(): { path(name: string): string; write(name: string, content: string | Uint8Array): string } {
  const dir = mkdtempSync(join(tmpdir(), 'kaiyaku-csv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    path: (name) => join(dir, name),
    write(name, content) {
      const file = join(dir, name);
      writeFileSync(file, content);
      return file;
    },
  };
}
