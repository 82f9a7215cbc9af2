import fs from 'node:fs';
import { inspectFile, type FileInspection, type InputEncoding } from '../csv/decode.js';
import { CANCEL_COLUMNS, mapHeader, normaliseHeader, normaliseValue, refuseUnreadableHeader, type CancelColumnKey } from '../csv/headers.js';
import { KaiyakuError } from '../errors.js';
import { describeRecordProblem, openCsv, type CsvInput } from '../csv/read.js';
import { type Store, type StagedRow } from '../store/index.js';
import { joinWords, RESULT_COLUMNS, say, toStored } from '../messages/index.js';

export interface IntakeResult {
  rowCount: number;
  unknownColumns: string[];
}

const STAGE_BATCH = 500;

/** The columns an error file adds to the cells as they came (cancel/resultFile.ts): ignored without a warning. */
const ERROR_FILE_COLUMNS: ReadonlySet<string> = new Set(
  RESULT_COLUMNS.filter(([en]) => en === 'error_code' || en === 'error_message')
    .flat()
    .map(normaliseHeader),
);

/**
 * Reads the file once, record by record, into the run's staged rows (a batch per
 * transaction), so that judging can group a contract's rows from anywhere in the file
 * without holding the file in memory. A missing required column stops here, before
 * anything changes.
 */
export async function stageRows(staging: Store, runId: number, input: CsvInput, onProgress: (rows: number) => void): Promise<IntakeResult> {
  const header = requireCancelColumns(input.header);
  const cells = cancelCellReader(input.header);
  let batch: StagedRow[] = [];
  let rowCount = 0;
  for await (const record of input.records) {
    const problem = record.problem ? describeRecordProblem(record.problem) : null;
    const values = problem ? null : cells(record.fields);
    batch.push({
      row_no: record.row,
      contract_no: values?.contractNo ?? '',
      request_id: values?.requestId ?? '',
      raw_fields: JSON.stringify(record.fields),
      outcome: problem ? 'refused' : 'staged',
      error_code: problem ? 'MALFORMED_ROW' : null,
      // Said as MALFORMED_ROW's words and the problem's (domain/codes.ts describeRowError); the store keeps the problem's key and parameters.
      error_detail: problem ? toStored(problem) : null,
    });
    rowCount++;
    if (batch.length >= STAGE_BATCH) {
      await staging.runs.insertStagedRows(runId, batch);
      batch = [];
      onProgress(rowCount);
    }
  }
  await staging.runs.insertStagedRows(runId, batch);
  await staging.runs.completeStaging(runId, rowCount, input.header);
  onProgress(rowCount);
  // The two columns kaiyaku adds to an error file are its own: dropping the fixed file back is no reason to warn.
  return { rowCount, unknownColumns: header.unknown.filter((cell) => !ERROR_FILE_COLUMNS.has(normaliseHeader(cell))) };
}

export type CancelCells = Record<CancelColumnKey, string> & {
  /**
   * The first cell that holds a value under a column without a header (its 1-based column
   * and the value), else null: what it was meant to be cannot be known, and dropping it
   * silently turns "cancel 1" into "cancel everything that remains".
   */
  unnamed: { column: number; value: string } | null;
};

/**
 * The values of a row's cells by the file's header, as every step compares them: NFKC,
 * trimmed, the contract number in upper case (the portal's NCN…; `ncn…` typed by hand is
 * the same contract). Staging keeps the cells as they came; judging and reporting derive
 * the values again with this one function, so they can never disagree.
 */
export function cancelCellReader(headerFields: readonly string[]): (fields: readonly string[]) => CancelCells {
  const { index } = mapHeader(headerFields, CANCEL_COLUMNS);
  const at = (fields: readonly string[], key: CancelColumnKey): string => {
    const i = index[key];
    return i === undefined ? '' : normaliseValue(fields[i] ?? '');
  };
  const unnamedColumns = headerFields.flatMap((cell, i) => (normaliseHeader(cell) === '' ? [i] : []));
  const unnamed = (fields: readonly string[]): CancelCells['unnamed'] => {
    for (const i of unnamedColumns) {
      const value = normaliseValue(fields[i] ?? '');
      if (value !== '') return { column: i + 1, value };
    }
    return null;
  };
  return (fields) => ({
    contractNo: at(fields, 'contractNo').toUpperCase(),
    productCode: at(fields, 'productCode'),
    subscriptionId: at(fields, 'subscriptionId'),
    serialNo: at(fields, 'serialNo'),
    cancelQuantity: at(fields, 'cancelQuantity'),
    endDate: at(fields, 'endDate'),
    // Compared without regard to case, as every identifier in the file is: `req-0001` is REQ-0001.
    requestId: at(fields, 'requestId').toUpperCase(),
    note: at(fields, 'note'),
    unnamed: unnamedColumns.length === 0 ? null : unnamed(fields),
  });
}

/** The header mapped to the cancellation columns; a missing required column is a file-level error. */
export function requireCancelColumns(fields: readonly string[]) {
  refuseUnreadableHeader(fields);
  const header = mapHeader(fields, CANCEL_COLUMNS);
  if (header.missing.length > 0) {
    const names = header.missing.map((k) => CANCEL_COLUMNS.find((c) => c.key === k)?.aliases.join(' / ') ?? k);
    throw new KaiyakuError('COLUMN_MISSING', say('cancel.requiredColumnMissing', { names: names.join(', ') }));
  }
  if (header.duplicated.length > 0) {
    // 解約数 and 解約数量 both mean the cancel quantity: reading one and ignoring the other would guess.
    const clashes = header.duplicated.map((key) => {
      const spec = CANCEL_COLUMNS.find((c) => c.key === key)!;
      const names = new Set([spec.key, ...spec.aliases].map(normaliseHeader));
      const cells = fields.flatMap((cell, i) => (names.has(normaliseHeader(cell)) ? [say('cancel.headerCell', { cell, column: i + 1 })] : []));
      return joinWords(cells, say('cancel.clashAnd'));
    });
    throw new KaiyakuError('COLUMN_DUPLICATED', say('cancel.columnsClash', { clashes: joinWords(clashes, say('cancel.clashSeparator')) }));
  }
  return header;
}

/**
 * A cancellation file as the check phase found it: its bytes' hash and encoding, its header,
 * and the file's identity when it was read. The run takes it instead of reading the file
 * again to inspect it (runCancelFile), unless the file changed since.
 */
export interface CheckedCancelFile {
  readonly path: string;
  readonly inspection: FileInspection;
  readonly header: readonly string[];
  /** size, mtime and inode when inspected: a run reads the file again only if one of them changed. */
  readonly identity: string;
}

/**
 * Everything about a cancellation file that can stop it as a whole, checked before any
 * file of the command runs: it exists and is readable, its encoding, its header. What it
 * found is handed to the run, so the file is inspected once.
 */
export async function checkCancelFile(file: string, encoding: InputEncoding): Promise<CheckedCancelFile> {
  const identity = fileIdentity(file);
  const inspection = await inspectFile(file, encoding);
  const input = await openCsv(file, inspection.encoding);
  try {
    requireCancelColumns(input.header);
  } catch (error) {
    // A command given several files names the one whose header stops it.
    if (error instanceof KaiyakuError)
      throw new KaiyakuError(error.code, say('cancel.inFile', { file, what: error.words }), { cause: error, kind: error.kind });
    throw error;
  }
  return { path: file, inspection, header: input.header, identity };
}

/** What tells a file that changed from one that did not, short of reading it: size, modification time, inode. */
export function fileIdentity(file: string): string {
  try {
    const st = fs.statSync(file, { bigint: true });
    return `${st.size}:${st.mtimeNs}:${st.ino}`;
  } catch {
    return '';
  }
}
