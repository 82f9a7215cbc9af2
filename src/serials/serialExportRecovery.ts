/**
 * What a marking serial export that stopped (killed, out of power, a timeout) left behind,
 * read at the start of the next marking export from its record and the files. A record
 * says what the export had reached:
 * - 'writing': rows claimed, nothing marked. Its claims are freed and its temporary
 *   removed; the rows come back to the next export.
 * - 'marked': rows marked notified, the file sealed under its temporary name and about to
 *   be renamed to its final one. The rename is all or nothing and leaves no temporary
 *   behind it, and nothing but this recovery removes a recorded temporary
 *   (files/atomic.ts). So a temporary still there means the file never reached its final
 *   name: nothing was delivered, and the rows are unmarked and come back. No temporary
 *   means it did: the rows stay marked, whatever became of the file since (finance may
 *   have read and deleted it), and the record ends.
 * Only an export whose process is gone from this host is recovered (its files are on this
 * host, and a live one may still rename). A 'writing' record of another host, or of a
 * hung process, is dropped once its lease lapsed (it marked nothing); a 'marked' one
 * waits for its own host.
 */
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { KaiyakuError, type Words } from '../errors.js';
import { fileExists, sha256OfFile } from '../files/atomic.js';
import { type Store, holderIsDead, type ExportRecord } from '../store/index.js';
import { say } from '../messages/index.js';

/** Told what a recovery found, about the file an earlier export wrote (its final name). */
export type ExportNotice = (file: string, message: Words) => void;

export interface RecoveryContext {
  /** A record not renewed since then (ISO time) belongs to an export that stopped. */
  lapsedBefore: string;
  /** Who gives rows back, and when, for the audit log. */
  audit: { at: string; actor: string };
  /** The final name (absolute) the export that recovers will write, null for stdout. */
  out: string | null;
  notice: ExportNotice;
}

export async function recoverInterruptedExports(store: Store, ctx: RecoveryContext): Promise<void> {
  for (const record of await store.serials.listExportRecords()) {
    if (record.state === 'writing') await recoverWriting(store, record, ctx);
    else if (holderIsDead(record.holder)) await recoverMarked(store, record, ctx);
  }
}

async function recoverWriting(store: Store, record: ExportRecord, ctx: RecoveryContext): Promise<void> {
  if (holderIsDead(record.holder)) {
    if (record.tempPath !== null) await removeTemporary(record.tempPath);
    await store.serials.dropExportRecord(record.holder);
  } else if (record.renewedAt < ctx.lapsedBefore) {
    await store.serials.dropLapsedExportRecord(record.holder, ctx.lapsedBefore);
  }
}

async function recoverMarked(store: Store, record: ExportRecord, ctx: RecoveryContext): Promise<void> {
  const { tempPath, finalPath } = record;
  // To stdout: every byte was handed over before the rows were marked.
  if (tempPath === null || finalPath === null) {
    await store.serials.finishExport(record.holder);
    return;
  }
  if (await fileExists(tempPath)) {
    // Unmarked before the temporary goes, so that no record ever says "marked" of a file that is gone.
    const unmarked = await store.serials.giveBackExport(record.holder, ctx.audit);
    await removeTemporary(tempPath);
    await store.serials.dropExportRecord(record.holder);
    if (unmarked > 0) ctx.notice(finalPath, givenBack(unmarked));
    return;
  }
  const asWritten = record.sha256 !== null && (await sha256OfFile(finalPath)) === record.sha256;
  // Writing over it would lose rows that are marked and may never have been read.
  if (asWritten && ctx.out !== null && path.resolve(ctx.out) === finalPath && record.rowsMarked > 0)
    throw wouldReplaceUndelivered(finalPath, record.rowsMarked);
  if ((await store.serials.finishExport(record.holder)) && record.rowsMarked > 0)
    ctx.notice(finalPath, asWritten ? leftInPlace(record.rowsMarked) : changedSince(record.rowsMarked));
}

async function removeTemporary(file: string): Promise<void> {
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

function givenBack(rows: number): Words {
  return say('serials.stoppedBeforePlaced', { rows });
}

function leftInPlace(rows: number): Words {
  return say('serials.stoppedAfterPlaced', { rows });
}

function changedSince(rows: number): Words {
  return say('serials.placedFileChanged', { rows });
}

function wouldReplaceUndelivered(file: string, rows: number): KaiyakuError {
  return new KaiyakuError('EXPORT_FILE_UNDELIVERED', say('serials.undeliveredFile', { file, rows }));
}
