import fs from 'node:fs';
import path from 'node:path';
import { KaiyakuError, words, type Words } from '../errors.js';
import { writeFileAtomically } from '../files/atomic.js';
import type { AdvanceCounts, OrderStatus } from '../domain/types.js';
import { storeAnswers, connectionLostError, isConnectionLost } from '../store/index.js';
import { reportPaths, type ResultCounts } from '../cancel/resultFile.js';
import { type CancelOptions, type PipelineDeps } from '../pipeline/context.js';
import { PARKED_LISTED, resumeOpenOrders, type OrderNeedingOperator, type ParkedOrder } from '../orders/orderSteps.js';
import { combineExitCodes } from '../pipeline/exitCodes.js';
import { noAdvance } from '../orders/advance.js';
import { ReportsNotWritten, runCancelFile, type CancelRunSummary } from '../cancel/runCancel.js';
import { say } from '../messages/index.js';

/** What a file's entry in the summary takes from its run: all of it, or what the store counted when its reports failed. */
interface FileOutcome {
  rows: number;
  counts: ResultCounts | null;
  resultPath: string | null;
  errorsPath: string | null;
}

export interface InboxOptions {
  inbox: string;
  /** Default: `<inbox>/archive`. */
  archive: string | null;
  /** Default: the archive folder. */
  reports: string | null;
  /** A file changed more recently than this is still being written: left for the next night. */
  settleMs: number;
  /** A nightly lock whose holder stopped beating for this long is taken over. */
  lockStaleMs: number;
  cancel: CancelOptions;
  /** Log each order needing an operator as an event too (for a machine reading stderr); the summary names them either way. */
  announce?: boolean;
}

export interface InboxFileSummary {
  file: string;
  /** `gone`: taken out of the inbox by someone else before (or while) the night got to it. */
  status: 'archived' | 'set_aside' | 'left_for_later' | 'gone';
  exitCode: 0 | 1 | 2;
  rows: number;
  counts: ResultCounts | null;
  reason: string | null;
  resultPath: string | null;
  errorsPath: string | null;
  movedTo: string | null;
  durationMs: number;
}

export interface NightSummary {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  exitCode: 0 | 1 | 2;
  resume: {
    orders: number;
    counts: AdvanceCounts;
    /** Orders a later night can still move (the supplier did not answer or has not settled). */
    waiting: number;
    /** Orders only an operator can move, each with what to do. */
    needsOperator: OrderNeedingOperator[];
    /** Orders left where their run asked them to stop (`--until`): how many, and the first of them. */
    parked: { count: number; orders: ParkedOrder[] };
    durationMs: number;
    /** Why taking up the open orders stopped (the files ran all the same). */
    error?: string;
  };
  files: InboxFileSummary[];
  rows: ResultCounts & { total: number };
  /** Every order in the store by status; null when the store could not be read at the end of the night. */
  ordersByStatus: Record<OrderStatus, number> | null;
  supplier: { calls: number; retries: number; throttled: number; failures: number };
}

/**
 * The nightly job: under one lock per store, advance what earlier nights left open, then
 * run every settled `*.csv` of the inbox in name order, each as its own run, and move it
 * to the archive only after its reports are written. A file that fails as a whole is
 * moved aside with a note of why, so it is not retried every night.
 */
export async function runInbox(deps: PipelineDeps, options: InboxOptions): Promise<NightSummary> {
  const started = Date.now();
  const inbox = path.resolve(options.inbox);
  if (!fs.existsSync(inbox) || !fs.statSync(inbox).isDirectory()) throw new KaiyakuError('FILE_NOT_FOUND', say('nightly.inboxFolderNotFound', { inbox }));
  const archive = path.resolve(options.archive ?? path.join(inbox, 'archive'));
  const reports = path.resolve(options.reports ?? archive);
  const rejected = path.join(archive, 'rejected');

  const lock = await deps.store.locks.acquireLock('nightly', { staleMs: options.lockStaleMs });
  if (!lock.ok) {
    const held = lock.heldBy;
    throw new KaiyakuError('LOCK_HELD', say('nightly.lockHeld', { holder: held.holder, acquiredAt: held.acquiredAt, heartbeatAt: held.heartbeatAt }));
  }
  deps.log({
    kind: 'event',
    name: 'lock.taken',
    message: say('nightly.lockTaken', { holder: lock.lock.holder }),
    data: { holder: lock.lock.holder },
  });
  try {
    for (const dir of [archive, reports, rejected]) fs.mkdirSync(dir, { recursive: true });
    const resumeStarted = Date.now();
    const resume: NightSummary['resume'] = await resumeOpenOrders(deps, {
      until: options.cancel.until,
      concurrency: options.cancel.concurrency,
      confirmUnsettled: options.cancel.confirmUnsettled,
      announce: options.announce ?? true,
    }).then(
      (resumed): NightSummary['resume'] => {
        deps.log({
          kind: 'event',
          name: 'resume.finished',
          message: say('nightly.resumedOpenOrders', { orders: resumed.orders }),
          data: { ...resumed.counts },
        });
        return {
          orders: resumed.orders,
          counts: resumed.counts,
          waiting: resumed.waiting,
          needsOperator: resumed.needsOperator,
          parked: { count: resumed.parked.length, orders: resumed.parked.slice(0, PARKED_LISTED) },
          durationMs: Date.now() - resumeStarted,
        };
      },
      (caught: unknown): NightSummary['resume'] => {
        // The night's files do not depend on it: they run, and the next night resumes again.
        const error = nameFailure(caught, say('nightly.ordersNextNight'));
        const why = `${error.code}: ${error.text(options.cancel.lang)}`;
        deps.log({
          kind: 'event',
          name: 'resume.failed',
          message: say('nightly.codeAndReason', { code: error.code, error: error.words }),
          data: { code: error.code },
        });
        return {
          orders: 0,
          counts: noAdvance(),
          waiting: 0,
          needsOperator: [],
          parked: { count: 0, orders: [] },
          durationMs: Date.now() - resumeStarted,
          error: why,
        };
      },
    );

    /** A reason in the summary, in the language the night speaks. */
    const inLang = (w: Words): string => w[options.cancel.lang];
    const files: InboxFileSummary[] = [];
    /** Each archived file as it was when it was moved: a writer that was only pausing may still add to it. */
    const archivedAs = new Map<InboxFileSummary, { size: number; mtimeMs: number }>();
    for (const name of listInbox(inbox)) {
      const file = path.join(inbox, name);
      const fileStarted = Date.now();
      const record = (
        status: InboxFileSummary['status'],
        exitCode: InboxFileSummary['exitCode'],
        reason: string | null,
        summary: FileOutcome | null,
        movedTo: string | null,
      ): void => {
        files.push({
          file: name,
          status,
          exitCode,
          rows: summary?.rows ?? 0,
          counts: summary?.counts ?? null,
          reason,
          resultPath: summary?.resultPath ?? null,
          errorsPath: summary?.errorsPath ?? null,
          movedTo,
          durationMs: Date.now() - fileStarted,
        });
      };
      const settled = await isSettled(file, options.settleMs);
      if (settled === 'gone') {
        // Taken back out of the inbox (dropped by mistake) after the night listed it: nothing to do, and no reason to stop.
        deps.log({
          kind: 'event',
          name: 'file.gone',
          message: say('nightly.fileGone', { name }),
        });
        record('gone', 0, inLang(say('nightly.goneBeforeReached')), null, null);
        continue;
      }
      if (!settled) {
        deps.log({
          kind: 'event',
          name: 'file.deferred',
          message: say('nightly.fileStillGrowing', { name }),
        });
        // Its rows are not done tonight: the night is not wholly done (exit 1), though nothing failed.
        record('left_for_later', 1, inLang(say('nightly.stillGrowing')), null, null);
        continue;
      }
      deps.log({ kind: 'event', name: 'file.started', message: say('nightly.started', { name }) });
      try {
        // A file of the same name on an earlier night keeps its reports: this night's get a time stamp.
        const base = name.replace(/\.csv$/i, '');
        const taken = fs.existsSync(reportPaths(file, reports).result);
        const reportName = taken ? `${base}.${new Date().toISOString().replace(/[:.]/g, '-')}` : null;
        const before = fs.statSync(file);
        const summary = await runThroughLostConnections(deps, file, { ...options.cancel, takeUpParked: false, reportsDir: reports, reportName });
        const after = fs.statSync(file, { throwIfNoEntry: false });
        if (after === undefined) {
          // Taken out of the inbox while it ran: what was read is done and reported; there is nothing to archive.
          deps.log({
            kind: 'event',
            name: 'file.gone',
            message: say('nightly.fileGoneWhileProcessed', { name }),
          });
          record('gone', summary.exitCode, inLang(say('nightly.goneWhileProcessed')), summary, null);
          continue;
        }
        if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
          // Written to while we read it: what was read is done (and will not be done twice); the
          // rest is read by the next night, so the file stays.
          deps.log({
            kind: 'event',
            name: 'file.deferred',
            message: say('nightly.fileChangedWhileProcessed', { name }),
          });
          // Rows written meanwhile are undone until the next night: never exit 0.
          record('left_for_later', 1, inLang(say('nightly.changedWhileProcessed')), summary, null);
          continue;
        }
        let movedTo: string;
        try {
          movedTo = moveAside(file, archive);
        } catch (moveError) {
          // Its rows are done (and known, so not done again); only the move failed. The night
          // goes on with the other files, and the file stays for the next night to archive.
          const why = (moveError as Error).message;
          const notMoved = say('nightly.notArchived', { why });
          deps.log({ kind: 'event', name: 'file.not_moved', message: say('nightly.fileNotMoved', { name, notMoved }), data: { archive } });
          record('left_for_later', 1, inLang(notMoved), summary, null);
          continue;
        }
        record('archived', summary.exitCode, null, summary, movedTo);
        // As it stands in the archive (a copy on another file system has its own time stamp).
        const archived = fs.statSync(movedTo, { throwIfNoEntry: false });
        if (archived) archivedAs.set(files[files.length - 1]!, { size: archived.size, mtimeMs: archived.mtimeMs });
        deps.log({
          kind: 'event',
          name: 'file.finished',
          message: say('nightly.fileDone', { name, rows: summary.rows, exitCode: summary.exitCode }),
          data: { ...summary.counts, exitCode: summary.exitCode },
        });
      } catch (caught) {
        // One file's failure, even one we cannot name, is that file's: the night goes on.
        const error = nameFailure(caught, say('nightly.fileStaysInInbox'));
        const why = error.text(options.cancel.lang);
        if (error !== caught)
          deps.log({
            kind: 'event',
            name: 'file.interrupted',
            message: say('nightly.fileFailed', { name, error: error.words }),
            data: { code: error.code },
          });
        if (error.kind === 'conflict' || error.kind === 'incomplete') {
          // Another run has it, or its rows were processed and only the reports are missing:
          // either way the file stays where it is, not done by this night, and the next run
          // takes it over. Processed rows are counted from the store.
          const processed = error instanceof ReportsNotWritten ? { ...error.processed, resultPath: null, errorsPath: null } : null;
          record('left_for_later', 1, `${error.code}: ${why}`, processed, null);
          continue;
        }
        let movedTo: string;
        try {
          movedTo = moveAside(file, rejected);
        } catch (moveError) {
          const stuck = (moveError as Error).message;
          const notSetAside = say('nightly.setAsideFailed', { error: error.words, stuck });
          record('left_for_later', 2, `${error.code}: ${inLang(notSetAside)}`, null, null);
          deps.log({
            kind: 'event',
            name: 'file.not_moved',
            message: say('nightly.fileNotSetAside', { name, notSetAside }),
            data: { code: error.code },
          });
          continue;
        }
        try {
          writeFileAtomically(`${movedTo}.reason.txt`, `${new Date().toISOString()} ${error.code}\n${why}\n`);
        } catch (noteError) {
          // The file is set aside either way and the summary says why; a note that cannot be written must not end the night.
          const note = noteError instanceof KaiyakuError ? noteError.words : words(String(noteError), String(noteError));
          deps.log({
            kind: 'warning',
            file: name,
            message: say('nightly.setAsideNoteUnwritten', { note }),
          });
        }
        record('set_aside', 2, `${error.code}: ${why}`, null, movedTo);
        deps.log({
          kind: 'event',
          name: 'file.set_aside',
          message: say('nightly.fileSetAside', { name, error: error.words }),
          data: { code: error.code, movedTo },
        });
      }
    }
    takeBackGrownFiles(deps, inbox, archivedAs, inLang);
    const supplier = await supplierStats(deps);
    if (supplier.throttled > 0)
      deps.log({
        kind: 'event',
        name: 'supplier.throttled',
        message: say('nightly.supplierThrottled', { throttled: supplier.throttled }),
        data: { ...supplier },
      });
    const rows = { completed: 0, valid: 0, pending: 0, already_done: 0, refused: 0, failed: 0, total: 0 };
    for (const f of files) {
      if (!f.counts) continue;
      for (const [k, n] of Object.entries(f.counts) as [keyof ResultCounts, number][]) rows[k] += n;
      rows.total += f.rows;
    }
    const finished = Date.now();
    return {
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      durationMs: finished - started,
      exitCode: combineExitCodes([...files.map((f) => f.exitCode), ...resumeExitCodes(resume)]),
      resume,
      files,
      rows,
      // Read last, from a store that may have gone away since: the summary is written all the same.
      ordersByStatus: await ordersByStatus(deps).catch(() => null),
      supplier,
    };
  } finally {
    await lock.lock.release().catch(() => undefined);
  }
}

/** Attempts at one file whose connection to the store was lost under it. */
const FILE_ATTEMPTS = 3;

/**
 * One file of the night, taken up again where it stopped when the connection to the store
 * was lost under it (every step can run twice: the run finds its staged rows, its orders
 * and what was sent). Only once the store answers again: a store that stays away ends the
 * file, not the night.
 */
async function runThroughLostConnections(deps: PipelineDeps, file: string, options: CancelOptions): Promise<CancelRunSummary> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runCancelFile(deps, file, options);
    } catch (error) {
      if (!isConnectionLost(error) || attempt >= FILE_ATTEMPTS) throw error;
      deps.log({
        kind: 'event',
        name: 'file.retried',
        message: say('nightly.connectionLost', { path: path.basename(file) }),
        data: { attempt },
      });
      // A read: retried on a new connection until the store answers, within withBusyRetry's bounds.
      await storeAnswers(deps.store);
    }
  }
}

/**
 * A failure as an error with a code: one we named as it is; a lost connection (retries did
 * not get it back) and anything else we cannot name as the work stopped part-way, with
 * what happens next. Never a stack trace in the night's summary.
 */
function nameFailure(error: unknown, next: { en: string; ja: string }): KaiyakuError {
  if (error instanceof KaiyakuError) return error;
  if (isConnectionLost(error)) return connectionLostError(error, next);
  // A database error quotes its statement first (`<sql> - <what went wrong>`): only the words.
  const why = ((error as Error | null)?.message ?? String(error))
    .replace(/^[\s\S]* - /, '')
    .split('\n')[0]!
    .slice(0, 500);
  return new KaiyakuError('WORK_INTERRUPTED', say('nightly.unknownFailure', { why, next }), { cause: error });
}

/**
 * What the resume of a night adds to its exit code: 1 while an order waits on the supplier
 * or needs an operator (exit 0 means nothing needs a person); 0 when it took up orders (a
 * night of refused files that resumed some is not "nothing changed"); 1 as well when taking
 * them up stopped on a failure. Parked orders are
 * where an operator chose to leave them: said in the summary, not a failure.
 */
function resumeExitCodes(resume: NightSummary['resume']): number[] {
  if (resume.waiting > 0 || resume.needsOperator.length > 0 || resume.error !== undefined) return [1];
  return resume.orders > 0 ? [0] : [];
}

/**
 * `*.csv` in name order, leaving out result files and hidden or partial files. An error
 * file (`nov.errors.csv`) is taken: fixing it and dropping it back is the documented way
 * to re-upload refused rows (the night's own reports never go to the inbox).
 */
function listInbox(inbox: string): string[] {
  return fs
    .readdirSync(inbox, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.csv$/i.test(e.name) && !e.name.startsWith('.') && !/\.result\.csv$/i.test(e.name))
    .map((e) => e.name)
    .sort();
}

/**
 * A file that grew after it was archived was still being written: its writer paused for
 * longer than --settle-seconds, and its later rows went into the archived copy (the same
 * file, moved), where no night looks. It goes back into the inbox, not wholly done (exit
 * 1): the next night does the rest, and what this one did is not done twice.
 */
function takeBackGrownFiles(
  deps: PipelineDeps,
  inbox: string,
  archivedAs: ReadonlyMap<InboxFileSummary, { size: number; mtimeMs: number }>,
  inLang: (w: Words) => string,
): void {
  for (const [f, was] of archivedAs) {
    if (f.movedTo === null) continue;
    const now = fs.statSync(f.movedTo, { throwIfNoEntry: false });
    if (now === undefined || (now.size === was.size && now.mtimeMs === was.mtimeMs)) continue;
    let back: string;
    try {
      back = moveAside(f.movedTo, inbox);
    } catch {
      continue;
    }
    const why = say('nightly.grewAfterArchiving');
    deps.log({ kind: 'event', name: 'file.deferred', message: say('nightly.fileDeferred', { file: f.file, why }), data: { movedBackTo: back } });
    Object.assign(f, { status: 'left_for_later', exitCode: 1, reason: inLang(why), movedTo: null });
  }
}

/** Whether a file has stopped changing, or is no longer there (another hand took it out of the inbox). */
async function isSettled(file: string, settleMs: number): Promise<boolean | 'gone'> {
  const first = fs.statSync(file, { throwIfNoEntry: false });
  if (first === undefined) return 'gone';
  if (Date.now() - first.mtimeMs < settleMs) return false;
  await new Promise((r) => setTimeout(r, Math.min(250, settleMs)));
  const second = fs.statSync(file, { throwIfNoEntry: false });
  if (second === undefined) return 'gone';
  return second.size === first.size && second.mtimeMs === first.mtimeMs;
}

/** Moves a file into a folder without overwriting an earlier file of the same name. */
function moveAside(file: string, dir: string): string {
  const base = path.basename(file);
  let target = path.join(dir, base);
  if (fs.existsSync(target)) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    target = path.join(dir, base.replace(/(\.csv)?$/i, `.${stamp}$1`));
  }
  try {
    fs.renameSync(file, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    // The archive is on another file system: copy under a hidden name, rename it into
    // place, and only then remove the original, so that the file exists whole somewhere at every instant.
    const temp = path.join(dir, `.${path.basename(target)}.part-${process.pid}`);
    try {
      fs.copyFileSync(file, temp);
      fs.renameSync(temp, target);
    } catch (copyError) {
      // A failed copy leaves the original where it was and no partial copy behind.
      fs.rmSync(temp, { force: true });
      throw copyError;
    }
    fs.unlinkSync(file);
  }
  return target;
}

async function supplierStats(deps: PipelineDeps): Promise<NightSummary['supplier']> {
  // A night that stops before linkage names no supplier and made no call.
  if (deps.supplierName === null) return { calls: 0, retries: 0, throttled: 0, failures: 0 };
  const s = await deps.supplier();
  const { calls, retries, throttled, failures } = s.stats();
  return { calls, retries, throttled, failures };
}

function ordersByStatus(deps: PipelineDeps): Promise<Record<OrderStatus, number>> {
  return deps.store.orders.countOrdersByStatus();
}
