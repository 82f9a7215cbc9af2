/**
 * Every file the product writes appears whole or not at all: it is written under a
 * temporary name in the same folder (so the rename stays on one file system), flushed to
 * disk, and only then renamed to its final name. A failure removes the temporary; a
 * process killed before the rename leaves one, which the next write of the same file
 * removes once its process is gone.
 *
 * Temporary names are `<final name>.tmp-<pid>-<n>`: beside the file they belong to, never
 * ending in `.csv` (so an inbox never takes one for input), and unique within a process
 * (two writers of one path never share a temporary).
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileError } from '../errors.js';

let sequence = 0;

/** A fresh temporary name beside `path`. */
export function temporaryPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${++sequence}`;
}

const TEMP_SUFFIX = /^(\d+)(?:-\d+)?$/;

/**
 * Removes the temporaries of `path` left by writers that were killed before their rename
 * (`kill -9`), those whose process is gone from this host (best effort, never throws).
 */
export function removeDeadTemporaries(path: string): void {
  const prefix = `${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = TEMP_SUFFIX.exec(name.slice(prefix.length));
    const pid = m ? Number(m[1]) : NaN;
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue;
    removeQuietly(join(dirname(path), name));
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone, or not ours to remove: nothing to do
  }
}

/** Whether a process of this host is still running (one we may not signal counts as running). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Writes `data` to `path` all at once: a temporary beside it, flushed to disk, renamed over
 * `path`. On any failure the temporary is removed, whatever was under `path` before is
 * left as it was, and a KaiyakuError FILE_UNWRITABLE naming `path` is thrown.
 * Synchronous: it is for small files (a night's summary, a note of why a file was set
 * aside), and a caller cannot forget to wait for it.
 */
export function writeFileAtomically(path: string, data: string | Uint8Array): void {
  const temp = temporaryPathFor(path);
  let fd: number | null = null;
  try {
    fd = openSync(temp, 'wx');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temp, path);
  } catch (err) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // the write already failed; that is the error to report
      }
    }
    removeQuietly(temp);
    throw fileError(err, path, true);
  }
  removeDeadTemporaries(path);
}
