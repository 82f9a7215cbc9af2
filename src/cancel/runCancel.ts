import { createHash } from 'node:crypto';
import type { AdvanceCounts } from '../domain/types.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspectFile } from '../csv/decode.js';
import { KaiyakuError, type Words } from '../errors.js';
import { openCsv } from '../csv/read.js';
import { jstDate } from '../domain/dates.js';
import { openStore, type Store } from '../store/index.js';
import { countRunResults, reportPaths, writeRunReports, type ResultCounts } from './resultFile.js';
import { advanceOrders } from '../orders/advance.js';
import { writeContext, type CancelOptions, type PipelineDeps } from '../pipeline/context.js';
import { fileIdentity, requireCancelColumns, stageRows, type CheckedCancelFile } from './intake.js';
import { judgeRows } from './judge.js';
import { advanceWithinHolds } from '../orders/parked.js';
import { withinRepeatWindow } from './repeats.js';
import { say } from '../messages/index.js';

export interface CancelRunSummary {
  file: string;
  rows: number;
  counts: ResultCounts;
  advance: AdvanceCounts | null;
  resultPath: string;
  errorsPath: string;
  /** 0 every row completed, valid or already done; 1 some refused, failed or pending. */
  exitCode: 0 | 1;
  unknownColumns: string[];
  encoding: string;
  /** This file's bytes were run before: rows an earlier run did report already_done. */
  repeated: boolean;
}

/** The rows of a run were processed, but its reports could not be written: what they would have counted. */
export class ReportsNotWritten extends KaiyakuError {
  constructor(
    message: Words,
    cause: KaiyakuError,
    readonly processed: { rows: number; counts: ResultCounts | null },
  ) {
    super('REPORTS_NOT_WRITTEN', message, { cause });
  }
}

/**
 * One cancellation file, end to end: intake → judge → create orders → advance → report.
 * Callable as a library function (the CLI is one caller). File-level problems throw
 * a KaiyakuError before anything changes in the store. Given what checkCancelFile found,
 * the run does not inspect the file again (unless it changed since).
 */
export async function runCancelFile(deps: PipelineDeps, given: string | CheckedCancelFile, options: CancelOptions): Promise<CancelRunSummary> {
  if (typeof given === 'string') return runFile(deps, given, null, options);
  try {
    return await runFile(deps, given.path, given, options);
  } catch (error) {
    // The file changed after the check in a way its size, time and inode did not show: what
    // was staged is gone, and the run starts again from the bytes as they are now.
    if (error instanceof ChangedSinceCheck) return runFile(deps, given.path, null, options);
    throw error;
  }
}

/** Thrown when the bytes a run read are not those its check inspected; nothing of the run is left. */
class ChangedSinceCheck extends Error {
  constructor() {
    super('the file changed since it was checked');
  }
}

async function runFile(deps: PipelineDeps, file: string, given: CheckedCancelFile | null, options: CancelOptions): Promise<CancelRunSummary> {
  const label = path.basename(file);
  // What the check phase inspected (checkCancelFile) is taken as it is while the file is
  // unchanged: the same size, time, inode and header. The bytes the run reads are hashed as
  // they are staged, and must be the ones inspected (see below).
  let checked = given !== null && given.identity !== '' && given.identity === fileIdentity(file) ? given : null;
  const read = createHash('sha256');
  let input = checked === null ? null : await openCsv(file, checked.inspection.encoding, { onBytes: (bytes) => read.update(bytes) });
  if (checked !== null && !sameCells(checked.header, input!.header)) checked = null;
  const inspected = checked?.inspection ?? (await inspectFile(file, options.inputEncoding));
  if (checked === null || input === null) input = await openCsv(file, inspected.encoding);
  // Before the run is recorded: a missing column must leave the store as it was.
  if (checked === null) requireCancelColumns(input.header);
  const today = jstDate(deps.clock());
  const defaultEndDate = options.endDate ?? today;
  const { result: resultPath, errors: errorsPath } = reportPaths(file, options.reportsDir, options.reportName);

  // A dry run stages its rows in a scratch database of its own: the store stays untouched.
  const scratchDir = options.dryRun ? makeScratchDir() : null;
  // Its rows point at orders of the real store (rows done before): no foreign keys to check there.
  const staging: Store = scratchDir ? await openStore(path.join(scratchDir, 'staging.db'), { scratch: true }) : deps.store;
  // A dry run writes nothing to the store, not even a lock: it may read a store it cannot
  // write, and two runs of the same bytes may both read.
  const lock = options.dryRun ? NO_LOCK : await deps.store.locks.acquireLock(`file:${inspected.sha256}`, { staleMs: 60_000 });
  if (!lock.ok) {
    await cleanupScratch(staging, scratchDir);
    throw new KaiyakuError('FILE_IN_PROGRESS', say('cancel.fileInProgress', { label, holder: lock.heldBy.holder, acquiredAt: lock.heldBy.acquiredAt }));
  }
  try {
    const earlierRuns = (await deps.store.runs.findRuns(inspected.sha256)).filter((r) => !r.dry_run);
    const unfinished = options.dryRun ? undefined : earlierRuns.find((r) => r.status === 'running');
    const finished = earlierRuns.filter((r) => r.status === 'done');
    // The same bytes again are the same request only within --repeat-days; later, each row is
    // judged by the repeat rule like any other (repeats.ts).
    const recent = finished.filter((r) => withinRepeatWindow(r.applied_on, today, options.repeatDays));
    let runId: number;
    let unknownColumns: string[] = [];
    let rowCount: number;
    let createdHere = false;
    // Taking over a staged run trusts the inspected hash without reading the bytes again: a file checked earlier is inspected afresh first.
    if (checked !== null && unfinished && unfinished.row_count !== null) throw new ChangedSinceCheck();
    if (unfinished && unfinished.row_count !== null) {
      // A run of these bytes was killed after staging: take it over where it stopped.
      runId = unfinished.id;
      rowCount = unfinished.row_count;
    } else {
      if (unfinished) {
        runId = unfinished.id;
        await deps.store.runs.restartStaging(runId);
      } else {
        createdHere = true;
        runId = await staging.runs.createRun({
          sha256: inspected.sha256,
          // Standard input or a pipe has no name to compare: '-' is never a file's name key.
          fileName: options.namedInput ? path.resolve(file) : '-',
          errorsFile: path.resolve(errorsPath),
          until: options.until,
          appliedOn: today,
          now: writeContext(deps).now,
          owner: lock.lock.holder,
          operator: deps.operator,
          dryRun: options.dryRun,
        });
      }
      const intake = await stageRows(staging, runId, input, (done) => deps.log({ kind: 'progress', file: label, phase: 'stage', done, total: null })).catch(
        async (error: unknown) => {
          // A file rewritten since its check may no longer read at all (another encoding, say).
          if (checked !== null && (await inspectFile(file, options.inputEncoding).catch(() => null))?.sha256 !== inspected.sha256) {
            await forgetStaging(staging, runId, createdHere);
            throw new ChangedSinceCheck();
          }
          throw error;
        },
      );
      // Staged from other bytes than the check inspected (rewritten with the same size and
      // time): not one row of them is judged under the inspected bytes' hash.
      if (checked !== null && read.digest('hex') !== inspected.sha256) {
        await forgetStaging(staging, runId, createdHere);
        throw new ChangedSinceCheck();
      }
      rowCount = intake.rowCount;
      unknownColumns = intake.unknownColumns;
      for (const column of unknownColumns) deps.log({ kind: 'warning', file: label, message: say('cancel.unknownColumnIgnored', { column }) });
    }
    await judgeRows(deps, staging, {
      runId,
      dryRun: options.dryRun,
      until: options.until,
      appliedOn: today,
      defaultEndDate,
      earlierRunIds: recent.map((r) => r.id),
      label,
      rowCount,
      header: input.header,
      file: options.namedInput ? file : null,
      allowRepeat: options.allowRepeat,
      repeatDays: options.repeatDays,
    });
    let advance: AdvanceCounts | null = null;
    if (!options.dryRun) advance = await advanceRunOrders(deps, runId, options, label);
    const counts = await writeRunReports(staging, deps.store, runId, input.header, {
      until: options.until,
      lang: options.lang,
      encoding: options.reportEncoding,
      resultPath,
      errorsPath,
      onRows: options.onRows,
    }).catch(async (error: unknown) => {
      if (!(error instanceof KaiyakuError) || options.dryRun) throw error;
      // The run stays unfinished, so the same file again (with another encoding, say) takes it over and writes them.
      // The writer names the report, the input row, the column and what to change; neither report was left behind.
      const again = error.code === 'CP932_UNREPRESENTABLE' ? say('cancel.rerunWithOption') : say('cancel.rerun');
      // What the reports would have said, from the store, so that a summary still counts the rows.
      const counted = await countRunResults(staging, deps.store, runId, options.until).catch(() => null);
      throw new ReportsNotWritten(say('cancel.reportsNotWritten', { label, error: error.words, again }), error, { rows: rowCount, counts: counted });
    });
    if (!options.dryRun) await deps.store.runs.finishRun(runId, writeContext(deps).now);
    const bad = counts.refused + counts.failed + counts.pending;
    return {
      file,
      rows: rowCount,
      counts,
      advance,
      resultPath,
      errorsPath,
      exitCode: bad > 0 ? 1 : 0,
      unknownColumns,
      encoding: inspected.encoding,
      repeated: finished.length > 0,
    };
  } finally {
    await lock.lock.release().catch(() => undefined);
    await cleanupScratch(staging, scratchDir);
  }
}

/**
 * Takes the run's orders as far as its `--until`. Orders of earlier runs that its rows go
 * on with were asked for a later stage now: a run an operator starts moves their stop on
 * to its own; a night's file leaves an order parked where its run chose (cli.md: a stop
 * chosen is kept), and takes the others no further than their stop.
 */
async function advanceRunOrders(deps: PipelineDeps, runId: number, options: CancelOptions, label: string): Promise<AdvanceCounts> {
  const orderIds = await deps.store.runs.orderIdsOfRun(runId);
  const advance = { until: options.until, concurrency: options.concurrency, confirmUnsettled: options.confirmUnsettled, label };
  if (!options.takeUpParked) return (await advanceWithinHolds(deps, orderIds, advance)).counts;
  const continued = await deps.store.runs.continuedOrderIdsOfRun(runId);
  await deps.store.transact((trx) => trx.orders.raiseOrderHolds(continued, options.until));
  return advanceOrders(deps, orderIds, advance);
}

/** What a run that read other bytes than its check staged is undone: a run it made goes, one it took over is left to be staged again. */
async function forgetStaging(staging: Store, runId: number, createdHere: boolean): Promise<void> {
  if (createdHere) await staging.runs.dropUnjudgedRun(runId);
  else await staging.runs.restartStaging(runId);
}

function sameCells(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((cell, i) => cell === b[i]);
}

const NO_LOCK = { ok: true as const, lock: { holder: 'dry-run', release: async (): Promise<void> => undefined } };

/** A dry run's scratch folder carries its pid, so a later dry run can remove one a kill left behind. */
function makeScratchDir(): string {
  const base = os.tmpdir();
  for (const name of fs.readdirSync(base)) {
    const m = /^kaiyaku-dry-(\d+)-/.exec(name);
    if (m && !processAlive(Number(m[1]))) fs.rmSync(path.join(base, name), { recursive: true, force: true });
  }
  return fs.mkdtempSync(path.join(base, `kaiyaku-dry-${process.pid}-`));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

async function cleanupScratch(staging: Store, scratchDir: string | null): Promise<void> {
  if (!scratchDir) return;
  await staging.close().catch(() => undefined);
  fs.rmSync(scratchDir, { recursive: true, force: true });
}
