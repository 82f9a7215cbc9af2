/**
 * The one way the tests run the built CLI: `node dist/cli/main.js …` as a real child process,
 * as users and schedulers run it (exit codes, standard streams, signals). vitest's
 * globalSetup (freshBuild.ts) has made sure dist/ is as new as src/.
 *
 * - `runCli(args, options)` (or `runCli(args, dir)`): run it and wait → `{ code, signal, stdout, stderr, ms }`.
 * - `startCli(args, options)`: started and left running, for kills, signals and runs at once.
 * - `cliOk(args, options)`: a set-up step or a query that must succeed → its stdout.
 * - `eachLimited(items, work)`: independent invocations side by side, a few at a time.
 *
 * Asynchronous, so that a supplier this test process serves keeps answering while the child
 * runs. The child's environment is the test's (KAIYAKU_SUPPLIER=sim from vitest.config.ts,
 * CI=true, NO_COLOR=1) without KAIYAKU_DB, plus `env` (a key set to undefined is removed).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI. */
export const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** A finished child process: how it ended, what it wrote, how long it took (reported, never asserted). */
export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout as bytes (a CP932 export, say). */
  stdoutBytes: Buffer;
  ms: number;
}

export interface CliOptions {
  cwd?: string;
  /** Added to (or, set to undefined, removed from) the child's environment. */
  env?: NodeJS.ProcessEnv;
  /** Bytes for standard input, through a pipe that is then closed. Without it (and without `stdin`), standard input is empty. */
  input?: string | Uint8Array;
  /** An open file descriptor for standard input (a redirected file) instead of a pipe. */
  stdin?: number;
  /** An open file descriptor for standard output (/dev/full, say) instead of a pipe. */
  stdout?: number;
  /** Run as this user and group (root only: where permission bits must really stop the CLI, see asNobody.ts). */
  uid?: number;
  gid?: number;
  /** The child is killed (SIGKILL) after this long: a hang ends as `signal: 'SIGKILL'`, not as a test time-out. Default 120 s. */
  timeoutMs?: number;
}

export interface Running {
  child: ChildProcess;
  pid: number;
  done: Promise<Ran>;
  /** Whether the process has exited. */
  exited(): boolean;
  /** Resolves once stderr matches `re`; rejects if the process ends (or cannot start) first, or after `timeoutMs`. */
  waitForStderr(re: RegExp, timeoutMs?: number): Promise<void>;
  /** The same on stdout, resolving with the match (a URL a server printed, say). */
  waitForStdout(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

export function childEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1' };
  delete out['KAIYAKU_DB'];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** The options, or just the folder to run in. */
export type Where = string | CliOptions;

/** `kaiyaku …` started (node runs the built CLI directly, so the child's pid is the CLI's). */
export function startCli(args: readonly string[], where: Where = {}): Running {
  const options: CliOptions = typeof where === 'string' ? { cwd: where } : where;
  const started = Date.now();
  const stdio: StdioOptions = [options.stdin ?? 'pipe', options.stdout ?? 'pipe', 'pipe'];
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio,
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  });
  const out: Buffer[] = [];
  let stdout = '';
  let stderr = '';
  let exited = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout?.on('data', (d: Buffer) => {
    out.push(d);
    stdout += d.toString('utf8');
    wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    wake();
  });
  if (child.stdin) {
    // A child that exits before reading its input closes the pipe: not the test's failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const done = new Promise<Ran>((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      exited = true;
      const bytes = Buffer.concat(out);
      resolve({ code, signal, stdout: bytes.toString('utf8'), stderr, stdoutBytes: bytes, ms: Date.now() - started });
    });
  });
  // A caller that only waits on a stream still sees a failure to start, through that wait.
  done.catch(() => undefined);
  if (child.pid === undefined) throw new Error(`could not start kaiyaku ${args.join(' ')}`);

  /** Resolves with the first match of `re` in what the stream (`text()`) holds, now or later. */
  const waitFor = (name: string, text: () => string, re: RegExp, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const now = re.exec(text());
      if (now) return resolve(now);
      const finish = (error?: Error) => {
        clearTimeout(waitTimer);
        waiters.delete(check);
        const m = re.exec(text());
        if (m) resolve(m);
        else reject(error ?? new Error(`no ${re} on ${name}`));
      };
      const check = () => {
        if (re.test(text())) finish();
      };
      const waitTimer = setTimeout(() => finish(new Error(`no ${re} on ${name} within ${timeoutMs} ms:\n${text()}\n${stderr}`)), timeoutMs);
      waiters.add(check);
      done.then(
        () => finish(new Error(`kaiyaku ended before ${re} appeared on ${name}:\n${text()}\n${name === 'stderr' ? '' : stderr}`)),
        // The process could not be started: say so now, not at the time-out.
        (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))),
      );
    });
  return {
    child,
    pid: child.pid,
    done,
    exited: () => exited,
    waitForStderr: async (re, timeoutMs = 30_000) => void (await waitFor('stderr', () => stderr, re, timeoutMs)),
    waitForStdout: (re, timeoutMs = 30_000) => waitFor('stdout', () => stdout, re, timeoutMs),
  };
}

/** `kaiyaku …`, waited for. */
export function runCli(args: readonly string[], where: Where = {}): Promise<Ran> {
  return startCli(args, where).done;
}

/** For set-up steps and queries that must succeed: exit 0, or the test fails saying why. Returns stdout. */
export async function cliOk(args: readonly string[], where: Where = {}): Promise<string> {
  const r = await runCli(args, where);
  if (r.code !== 0) throw new Error(`kaiyaku ${args.join(' ')} exited ${r.code ?? r.signal}:\n${r.stderr}`);
  return r.stdout;
}

/**
 * `work` for every item, at most `limit` at a time, in the order given; results in that
 * order. For invocations that are independent of each other (each in a folder of its own):
 * children mostly wait (node's start-up, the disk), so a few at once finish sooner.
 */
export async function eachLimited<T, R>(items: readonly T[], work: (item: T, index: number) => Promise<R>, limit = 4): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return results;
}
