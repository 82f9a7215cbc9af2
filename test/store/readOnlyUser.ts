import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Runs code as a user for whom files without write permission are really read-only.
 *
 * Permission bits do not stop root, and tests here usually run as root (a container, CI).
 * As root, the process switches its effective user and group to nobody (65534) for the
 * duration of `run` and back afterwards (the real and saved user stay root, so the switch
 * back is allowed; glibc applies it to every thread, SQLite's pool threads included). As
 * any other user, chmod alone makes a file read-only and `run` just runs.
 *
 * `available` is false, with the reason, when neither works here (no seteuid on this
 * platform, a temp folder that nobody cannot reach, or a process that writes regardless
 * of permissions); tests then skip, saying why.
 *
 * Files and folders the code under `run` should read must be readable by others (0644 /
 * 0755): the temp folders of mkdtemp are 0700.
 */
export interface ReadOnlyUser {
  available: boolean;
  reason: string;
  run<T>(work: () => Promise<T> | T): Promise<T>;
}

const NOBODY = 65534;

export function readOnlyUser(): ReadOnlyUser {
  const isRoot = process.getuid?.() === 0;
  const { seteuid, setegid } = process;
  const become = (): void => {
    if (!isRoot || !seteuid || !setegid) return;
    setegid(NOBODY);
    seteuid(NOBODY);
  };
  const back = (): void => {
    if (!isRoot || !seteuid || !setegid) return;
    seteuid(0);
    setegid(0);
  };
  const run = async <T>(work: () => Promise<T> | T): Promise<T> => {
    become();
    try {
      return await work();
    } finally {
      back();
    }
  };
  if (process.getuid === undefined) return { available: false, reason: 'no POSIX users on this platform', run };
  if (isRoot && (!seteuid || !setegid)) return { available: false, reason: 'running as root and process.seteuid is unavailable', run };
  const reason = probe(become, back);
  return { available: reason === '', reason, run };
}

/** '' when, switched, a 0644 file in a 0755 folder can be read but neither it nor the folder written. */
function probe(become: () => void, back: () => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-ro-probe-'));
  const file = path.join(dir, 'f');
  fs.writeFileSync(file, 'x');
  fs.chmodSync(file, 0o644);
  fs.chmodSync(dir, 0o755);
  try {
    try {
      become();
    } catch (error) {
      return `cannot switch to user ${NOBODY}: ${(error as Error).message}`;
    }
    // Synchronous: nothing else runs in this process while the user is switched.
    try {
      try {
        fs.readFileSync(file);
      } catch (error) {
        return `user ${NOBODY} cannot read ${file} (${(error as NodeJS.ErrnoException).code}): the temp folder is out of its reach`;
      }
      if (succeeds(() => fs.closeSync(fs.openSync(file, 'r+')))) return 'a 0644 file of another user can be written here (the process ignores permissions)';
      if (succeeds(() => fs.writeFileSync(path.join(dir, 'g'), 'x')))
        return 'a 0755 folder of another user accepts new files here (the process ignores permissions)';
      return '';
    } finally {
      back();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function succeeds(work: () => void): boolean {
  try {
    work();
    return true;
  } catch {
    return false;
  }
}
