/**
 * Checks of where a command will write, made before it opens the store or reads a row, so
 * that a folder that is missing, is a file, or cannot take a new file stops the command
 * at once (FILE_UNWRITABLE, exit 2, nothing done) instead of after the work, when the
 * reports cannot be written.
 *
 * Writability is probed by creating and removing a uniquely named hidden file: permission
 * bits say nothing when running as root (access(2) answers yes to everything), and a
 * read-only mount, a full quota or an ACL only show when a file is created.
 *
 * Synchronous on purpose: a few system calls, run before anything else.
 */
import { closeSync, openSync, realpathSync, statSync, unlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { KaiyakuError, words, type Words } from '../errors.js';
import { say } from '../messages/index.js';

/** Writing whole files lives in atomic.ts; re-exported so a command needs one import for where and how it writes. */
export { writeFileAtomically } from './atomic.js';

/** `dir` exists, is a folder, and a file can be created in it. */
export function checkFolderWritable(dir: string, option: string): void {
  const st = statOrNull(dir, option);
  if (st === null) throw unwritable(option, dir, say('files.folderMissing'));
  if (!st.isDirectory()) throw unwritable(option, dir, say('files.folderIsFile'));
  probe(dir, option, dir);
}

/**
 * `file` can be written (created, or replaced by a rename): it is not a folder, and its
 * parent folder exists and a file can be created in it.
 */
export function checkOutputFile(file: string, option: string): void {
  const st = statOrNull(file, option);
  if (st?.isDirectory() || file.endsWith('/') || file.endsWith(path.sep)) throw unwritable(option, file, say('files.outputIsFolder'));
  // A file is written beside its name and renamed over it: over a device or a pipe (/dev/full, /dev/null) that would replace the device itself.
  if (st && !st.isFile()) {
    throw unwritable(option, file, say('files.outputNotRegular'));
  }
  const parent = path.dirname(path.resolve(file));
  const pst = statOrNull(parent, option);
  if (pst === null) throw unwritable(option, file, say('files.parentMissing', { parent }));
  if (!pst.isDirectory()) throw unwritable(option, file, say('files.parentIsFile', { parent }));
  probe(parent, option, file);
}

/**
 * `dir` is a folder, or can be made one (with its missing parents): no part of the path
 * that exists is a file, and a file can be created in the nearest folder that exists
 * (`dir` itself when it exists).
 */
export function checkFolderCreatable(dir: string, option: string): void {
  const resolved = path.resolve(dir);
  // Root first: the first missing part ends the walk, everything under it will be created.
  const parts: string[] = [];
  for (let p = resolved; ; p = path.dirname(p)) {
    parts.unshift(p);
    if (path.dirname(p) === p) break;
  }
  let nearest: string | null = null;
  for (const p of parts) {
    const st = statOrNull(p, option);
    if (st === null) break;
    if (!st.isDirectory()) {
      throw p === resolved ? unwritable(option, dir, say('files.newFolderIsFile')) : unwritable(option, dir, say('files.pathPartIsFile', { p }));
    }
    nearest = p;
  }
  if (nearest === null) throw unwritable(option, dir, say('files.noPathPart'));
  probe(nearest, option, dir);
}

function statOrNull(p: string, option: string): Stats | null {
  try {
    return statSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    // ENOTDIR: a part of the path is a file; anything else (EACCES, ELOOP…) is named as it is.
    if (code === 'ENOTDIR') throw unwritable(option, p, say('files.pathThroughFile'));
    throw unwritable(option, p, words(reasonOf(err), reasonOf(err)), err);
  }
}

let probes = 0;

/** Creates and removes a hidden file in `dir`; `named` is the path the message names. */
function probe(dir: string, option: string, named: string): void {
  const file = path.join(dir, `.kaiyaku-probe-${process.pid}-${Date.now()}-${++probes}`);
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (err) {
    const where = path.resolve(named) === path.resolve(dir) ? '' : ` ${dir}`;
    throw unwritable(option, named, say('files.folderNotWritable', { where, reasonOf: reasonOf(err), where2: where ? ` ${dir} ` : '' }), err);
  }
  closeSync(fd);
  try {
    unlinkSync(file);
  } catch {
    // created but not removable: leave it; the check itself passed
  }
}

function unwritable(option: string, target: string, why: { en: string; ja: string }, cause?: unknown): KaiyakuError {
  return new KaiyakuError('FILE_UNWRITABLE', say('files.unwritable', { option, target, why }), cause === undefined ? undefined : { cause });
}

function reasonOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? (err instanceof Error ? err.message : String(err));
}

/**
 * A file that no output may replace (the store and its -wal/-shm/-journal, an input), or a
 * folder that no output may land in (the inbox: anything written there is taken as input
 * the next night, or doubles it every night).
 */
export interface Guard {
  path: string;
  kind: 'file' | 'folder';
  /** How a message names it: "the database", "the inbox". */
  what: Words;
}

/**
 * Refuses, before anything runs, an output file that would replace a guarded file or land
 * in a guarded folder. Paths are compared where they really lead: `./x` and `x`, a
 * symbolic link anywhere on the way, and a hard link (same device and inode) are the same
 * file.
 */
export function checkOutputClear(output: string, option: string | Words, guards: readonly Guard[]): void {
  for (const g of guards) {
    const hit = g.kind === 'file' ? sameFile(output, g.path) : sameLocation(path.dirname(realLocation(output)), g.path);
    if (hit) throw landsOn(option, output, g, g.kind === 'file' ? 'replaces' : 'inside');
  }
}

/** The same for an output folder (`--archive`): it may not be a guarded folder. */
export function checkFolderClear(dir: string, option: string | Words, guards: readonly Guard[]): void {
  for (const g of guards) if (g.kind === 'folder' && sameLocation(dir, g.path)) throw landsOn(option, dir, g, 'is');
}

function landsOn(option: string | Words, target: string, g: Guard, how: 'replaces' | 'inside' | 'is'): KaiyakuError {
  const o = typeof option === 'string' ? words(option, option) : option;
  const why = {
    replaces: say('files.wouldReplace', { what: g.what }),
    inside: say('files.insideInputFolder', { what: g.what }),
    is: say('files.wouldBeInput', { what: g.what }),
  }[how];
  return new KaiyakuError('USAGE', say('files.landsOnGuarded', { o, target, why }));
}

/** Whether two paths lead to the same place (see {@link realLocation}). */
export function sameLocation(a: string, b: string): boolean {
  return realLocation(a) === realLocation(b);
}

function sameFile(a: string, b: string): boolean {
  if (sameLocation(a, b)) return true;
  const sa = statSync(a, { throwIfNoEntry: false });
  const sb = statSync(b, { throwIfNoEntry: false });
  return sa !== undefined && sb !== undefined && sa.dev === sb.dev && sa.ino === sb.ino;
}

/**
 * Where a path really leads, whether or not it exists: the real path of its nearest
 * existing part (every symbolic link on the way followed), with the missing rest after it.
 */
export function realLocation(p: string): string {
  const resolved = path.resolve(p);
  const rest: string[] = [];
  for (let at = resolved; ; at = path.dirname(at)) {
    try {
      return path.join(realpathSync(at), ...rest);
    } catch {
      if (path.dirname(at) === at) return resolved;
      rest.unshift(path.basename(at));
    }
  }
}
