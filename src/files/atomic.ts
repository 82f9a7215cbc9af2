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
 *
 * A marking serial export's temporary is `<final name>.tmp-<pid>-<n>-export`, which the
 * sweep of dead temporaries leaves alone: the store records it, and whether it still
 * exists after its export died tells whether the file reached its final name
 * (serials/serialExportRecovery.ts), so only that recovery may remove it.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, openSync, readdirSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { rename, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileError } from '../errors.js';

let sequence = 0;

/**
 * Where a file named `path` really is: a symbolic link is followed to its target (a link
 * to a finance share, /dev/stdout redirected to a file), and a folder on the way is read
 * where it leads. Writing beside the name and renaming over it would replace the link
 * itself with a regular file, and the file it pointed at would never get the rows.
 */
export function realTargetOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    // Not there yet: its folder's real place, and its own name.
    try {
      return join(realpathSync(dirname(path)), basename(path));
    } catch {
      return path;
    }
  }
}

/** A fresh temporary name beside `path`. */
export function temporaryPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${++sequence}`;
}

/** A fresh temporary name beside `path` that the store keeps a record of (see above). */
export function recordedTemporaryPathFor(path: string): string {
  return `${temporaryPathFor(path)}-export`;
}

/**
 * Renames a sealed temporary to its final name, then sweeps dead temporaries beside it.
 * On failure the temporary stays: the caller decides what becomes of it.
 */
export async function moveIntoPlace(temp: string, path: string): Promise<void> {
  await rename(temp, path);
  removeDeadTemporaries(path);
}

/** Whether a regular file stands under `path`. */
export async function fileExists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() === true;
}

/** The sha256 (hex) of the regular file under `path`, or null when there is none. */
export async function sha256OfFile(path: string): Promise<string | null> {
  if (!(await fileExists(path))) return null;
  const hash = createHash('sha256');
  try {
    await pipeline(createReadStream(path), hash);
  } catch {
    return null;
  }
  return hash.digest('hex');
}

const TEMP_SUFFIX = /^(\d+)(?:-\d+)?$/;

/**
 * Removes the temporaries of `path` left by writers that were killed before their rename
 * (`kill -9`), those whose process is gone from this host (best effort, never throws).
 * A marking export's recorded temporary does not match and stays (see above).
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

/** Removes a file if it is there (best effort, never throws). */
export function removeQuietly(file: string): void {
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
export function writeFileAtomically(given: string, data: string | Uint8Array): void {
  const path = realTargetOf(given);
  const temp = temporaryPathFor(path);
  let fd: number | null = null;
  try {
    fd = openSync(temp, 'wx');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
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
