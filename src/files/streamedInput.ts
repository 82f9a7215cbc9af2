/**
 * Inputs that can be read only once: standard input (`-`, /dev/stdin) and anything that is
 * not a regular file (a FIFO, `<(…)` process substitution, a device). A command reads an
 * input more than once (its encoding is checked over every byte before its rows are read,
 * and all inputs are checked before the first runs), and a pipe read a second time is
 * empty. So such an input is copied once, whole, into a private temporary folder, and the
 * command reads the copy. The folder goes when the process ends; one left by a killed
 * process is removed by the next command that copies an input.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileError, usageError } from '../errors.js';
import { processAlive } from './atomic.js';
import { say } from '../messages/index.js';

/** Names the shell and the system give standard input. */
const STDIN_PATHS = new Set(['/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);

export function readsStdin(given: string): boolean {
  return given === '-' || STDIN_PATHS.has(path.resolve(given));
}

/**
 * Whether `given` must be copied before it is read. A path that does not exist (or cannot
 * be looked at) is not: the ordinary checks name what is wrong with it.
 */
export function isStreamedInput(given: string): boolean {
  // A descriptor's name (`3< nov.csv` read as /dev/fd/3) leads to a file with no folder of its own to write beside.
  if (readsStdin(given) || /^\/(dev\/fd|proc\/(self|\d+)\/fd)\//.test(path.resolve(given))) return true;
  try {
    const st = fs.statSync(given, { throwIfNoEntry: false });
    return st !== undefined && !st.isFile() && !st.isDirectory();
  } catch {
    return false;
  }
}

/** What a streamed input is called in messages, and what its copy (so its reports) is named: `stdin`, or its own name. */
export function streamedName(given: string): string {
  return readsStdin(given) ? 'stdin' : path.basename(given);
}

const PREFIX = 'kaiyaku-input-';
let folder: string | null = null;
let copies = 0;

/** Copies a streamed input whole into this process's private folder; returns the copy's path. */
export async function copyStreamedInput(given: string): Promise<string> {
  const stdin = readsStdin(given);
  if (stdin && process.stdin.isTTY) {
    throw usageError(say('files.stdinIsTerminal', { given }));
  }
  // A folder per copy: two inputs of the same name (two FIFOs called nov.csv) keep their own copies.
  const dir = path.join(privateFolder(), String(++copies));
  fs.mkdirSync(dir, { mode: 0o700 });
  const copy = path.join(dir, streamedName(given));
  try {
    await pipeline(stdin ? process.stdin : fs.createReadStream(given), fs.createWriteStream(copy, { flags: 'wx', mode: 0o600 }));
  } catch (error) {
    throw fileError(error, given);
  }
  return copy;
}

function privateFolder(): string {
  if (folder !== null) return folder;
  removeAbandonedFolders();
  const made = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${process.pid}-`));
  folder = made;
  process.once('exit', () => fs.rmSync(made, { recursive: true, force: true }));
  return made;
}

/** Folders of processes that were killed before they could remove theirs. */
function removeAbandonedFolders(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const pid = Number(new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid))
      fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
}
