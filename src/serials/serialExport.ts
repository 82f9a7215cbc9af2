import path from 'node:path';
import type { CsvWriter } from '../csv/write.js';
import { fileError, KaiyakuError } from '../errors.js';
import { moveIntoPlace, realTargetOf, recordedTemporaryPathFor, removeQuietly, sha256OfFile } from '../files/atomic.js';
import { type Store, newClaimHolder, type ExportFile, type SerialExportRow, type SerialRange } from '../store/index.js';
import { openListWriter, type CsvOutput } from '../reports/lists.js';
import { recoverInterruptedExports, type ExportNotice } from './serialExportRecovery.js';
import { say } from '../messages/index.js';
import { SERIAL_EXPORT_COLUMNS } from '../messages/columns.js';

export { SERIAL_EXPORT_COLUMNS };

export type { ExportNotice } from './serialExportRecovery.js';

export interface SerialExportFilter {
  from?: string;
  to?: string;
  unnotified?: boolean;
  markNotified?: { by: string; at: string };
}

export interface SerialExportOutcome {
  /** Rows written. */
  rows: number;
  /** Unnotified rows of the range left out because another export was writing them at the time. */
  heldByOthers: number;
}

/** A claim not renewed for this long belongs to an export that stopped (killed on another host): its rows are taken back. */
export const EXPORT_CLAIM_LEASE_MS = 10 * 60_000;
const CLAIM_RENEW_MS = 60_000;

type Mark = NonNullable<SerialExportFilter['markNotified']>;

/**
 * 解約シリアル通知用CSV: one row per cancelled serial. Without markNotified it only reads.
 *
 * With markNotified a row reaches finance once. The export first recovers what exports that
 * stopped left behind (serialExportRecovery.ts; `notice` is told what it found), then
 * claims the unnotified rows of its range, so that two exports at once never write the
 * same row, and writes the file from what it claimed (plus, without `unnotified`, the rows
 * already notified, which the user asked for again). With `--out` the rows are marked
 * notified before the file is renamed into place, in the transaction that records the
 * file as being moved there; whichever side of the rename the export is stopped on, the
 * next export can tell and either ends the record (the file got there) or gives the rows
 * back (it never did). To stdout they are marked once every byte was handed over. A
 * failure before the file is in place marks nothing and gives the rows back.
 */
export async function writeSerialExport(
  store: Store,
  output: CsvOutput,
  filter: SerialExportFilter,
  notice: ExportNotice = () => undefined,
): Promise<SerialExportOutcome> {
  const range = { from: filter.from, to: filter.to };
  const mark = filter.markNotified;
  if (!mark) {
    const writer = await openSerialWriter(output);
    const rows = await writeSerialRows(writer, store.serials.pagesOfSerialRows(range, filter.unnotified ? { kind: 'unnotified' } : { kind: 'all' }));
    await writer.close();
    return { rows, heldByOthers: 0 };
  }
  const file = output.out === undefined ? null : exportFileFor(output.out);
  const lapsedBefore = new Date(Date.now() - EXPORT_CLAIM_LEASE_MS).toISOString();
  await recoverInterruptedExports(store, { lapsedBefore, audit: { at: mark.at, actor: mark.by }, out: file?.finalPath ?? null, notice });
  await store.serials.freeDeadClaims(lapsedBefore);
  return writeMarkingExport(store, output, { range, notified: !filter.unnotified, mark, file });
}

function exportFileFor(out: string): ExportFile {
  // Absolute: the export that recovers this one may run from another folder.
  // Where the file really goes (links followed): two exports to one file by two spellings are one.
  const finalPath = realTargetOf(path.resolve(out));
  return { finalPath, tempPath: recordedTemporaryPathFor(finalPath) };
}

interface MarkingExport {
  range: SerialRange;
  /** Also write the rows already notified (no `--unnotified`). */
  notified: boolean;
  mark: Mark;
  file: ExportFile | null;
}

async function writeMarkingExport(store: Store, output: CsvOutput, job: MarkingExport): Promise<SerialExportOutcome> {
  const holder = newClaimHolder();
  const claimed = await store.serials.claimUnnotifiedSerials(holder, job.range, new Date().toISOString(), job.file);
  if (claimed === null) throw fileBusy(output.out ?? '');
  // Renewed while the file is written: only a claim no longer renewed lapses.
  const renew = setInterval(() => void store.serials.renewClaim(holder, new Date().toISOString()).catch(() => undefined), CLAIM_RENEW_MS);
  renew.unref();
  let outcome: SerialExportOutcome;
  try {
    const heldByOthers = await store.serials.countClaimedByOthers(holder, job.range);
    const writer = await openSerialWriter(output, job.file?.tempPath);
    const rows = await writeSerialRows(writer, store.serials.pagesOfSerialRows(job.range, { kind: 'claimed', holder, notified: job.notified }), () =>
      writer.seal(),
    );
    const sha256 = job.file ? await sealedFileSha256(job.file) : null;
    const marked = await store.serials.markClaimedNotified(
      holder,
      claimed,
      { ...job.mark, sha256, rowsWritten: rows },
      { from: job.range.from ?? null, to: job.range.to ?? null, file: job.file?.finalPath ?? null },
    );
    if (marked === null) throw claimLost();
    if (job.file) await placeFile(job.file, output.out ?? job.file.finalPath);
    outcome = { rows, heldByOthers };
  } catch (error) {
    await abandonExport(store, holder, job).catch(() => undefined);
    throw job.file === null ? nameClosedPipe(error) : error;
  } finally {
    clearInterval(renew);
  }
  // The file is in place (or stdout has every byte) and its rows are marked: what is left is
  // housekeeping, which the next marking export does should it fail here.
  await store.serials.finishExport(holder).catch(() => undefined);
  return outcome;
}

async function sealedFileSha256(file: ExportFile): Promise<string> {
  const sha256 = await sha256OfFile(file.tempPath);
  if (sha256 === null) throw new Error(`the sealed file ${file.tempPath} cannot be read back`);
  return sha256;
}

/** The rename into place; on failure the temporary stays until the rows are given back (abandonExport). */
async function placeFile(file: ExportFile, named: string): Promise<void> {
  try {
    await moveIntoPlace(file.tempPath, file.finalPath);
  } catch (error) {
    throw fileError(error, named, true);
  }
}

/**
 * Gives the rows back when the file did not reach its final name: marks undone, claims
 * freed, then the temporary removed, then the record. In that order: a temporary is never
 * gone while a record says its rows are marked, which the next export would read as a
 * file that got there. Should a step fail, the next marking export finishes the job.
 */
async function abandonExport(store: Store, holder: string, job: MarkingExport): Promise<void> {
  await store.serials.giveBackExport(holder, { at: job.mark.at, actor: job.mark.by });
  if (job.file) removeQuietly(job.file.tempPath);
  await store.serials.dropExportRecord(holder);
}

function openSerialWriter(output: CsvOutput, temporaryPath?: string): Promise<CsvWriter> {
  return openListWriter(output, SERIAL_EXPORT_COLUMNS, say('serials.export'), temporaryPath);
}

/** Writes the rows; `beforeEnd` runs once all are written (a file is sealed there). A failure removes the file. */
async function writeSerialRows(writer: CsvWriter, pages: AsyncGenerator<SerialExportRow[]>, beforeEnd?: () => Promise<void>): Promise<number> {
  let rows = 0;
  try {
    for await (const page of pages) {
      for (const s of page) {
        await writer.writeRow([
          s.cancelled_on,
          s.contract_no,
          s.order_no,
          s.customer,
          s.end_user,
          s.supplier,
          s.product_code,
          s.product_name,
          s.subscription_id,
          s.serial_no,
          Number(s.cancel_quantity),
          s.end_date,
        ]);
        rows += 1;
      }
    }
    if (beforeEnd) await beforeEnd();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return rows;
}

/** The reader of standard output left before the export was complete (`| head`): said as such, not as a write error. */
function nameClosedPipe(error: unknown): unknown {
  const pipe = closedPipeUnder(error);
  if (pipe === null) return error;
  return new KaiyakuError('OUTPUT_CLOSED', say('serials.stdoutClosed'), { cause: pipe });
}

/** The EPIPE under `error` (itself or a cause of it), or null. */
function closedPipeUnder(error: unknown): Error | null {
  for (
    let e = error as { code?: unknown; cause?: unknown } | null | undefined, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (e.code === 'EPIPE') return e as Error;
  }
  return null;
}

function claimLost(): KaiyakuError {
  return new KaiyakuError('EXPORT_CLAIM_LOST', say('serials.claimLapsed', { exportClaimLeaseMs: EXPORT_CLAIM_LEASE_MS / 60_000 }));
}

function fileBusy(out: string): KaiyakuError {
  return new KaiyakuError('EXPORT_FILE_BUSY', say('serials.fileBusy', { out }));
}
