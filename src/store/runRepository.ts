import type { Knex } from 'knex';
import type { Stage } from '../domain/types.js';
import { knexOf, type StoreCore } from './store.js';
import { ROW_ERROR, describeRowError, type RowErrorCode } from '../domain/codes.js';
import { fromStored, type Lang } from '../messages/index.js';
import { transact, withBusyRetry } from './retry.js';
import { MAX_PARAMS, chunk, idsOf, insertRows, insertRowsSharing, jsonRowParts, jsonValues, selectPacked, textsOf } from './sql.js';
import { insertReturningId } from './contractRepository.js';

type Db = Knex | Knex.Transaction;

/** What became of a row at judgement; the result is read from its order when reporting. */
export type RowOutcome = 'staged' | 'refused' | 'valid' | 'ordered' | 'already_done' | 'continued';

/** A row as staged: its cells exactly as they came (JSON), and what the store matches on. */
export interface StagedRow {
  row_no: number;
  /** Normalised, upper case; '' for a row that could not be read. */
  contract_no: string;
  request_id: string;
  raw_fields: string;
  outcome: RowOutcome;
  error_code: string | null;
  /** The book's key and parameters of the refusal's detail (messages/book.ts toStored). */
  error_detail: string | null;
}

export interface RunRecord {
  id: number;
  file_sha256: string;
  file_name: string;
  status: 'running' | 'done';
  until_stage: Stage;
  applied_on: string;
  row_count: number | null;
  header_fields: string | null;
  dry_run: number | boolean;
  /** The error file it wrote (absolute path); null for runs recorded before it was kept. */
  errors_file: string | null;
}

export async function findRuns(db: Db, sha256: string): Promise<RunRecord[]> {
  return db<RunRecord>('runs').where({ file_sha256: sha256 }).orderBy('id');
}

export async function createRun(
  db: Db,
  run: { sha256: string; fileName: string; errorsFile: string; until: Stage; appliedOn: string; now: string; owner: string; operator: string; dryRun: boolean },
): Promise<number> {
  return insertReturningId(db, 'runs', {
    file_sha256: run.sha256,
    file_name: run.fileName,
    errors_file: run.errorsFile,
    status: 'running',
    until_stage: run.until,
    applied_on: run.appliedOn,
    started_at: run.now,
    heartbeat_at: run.now,
    owner: run.owner,
    operator: run.operator,
    dry_run: run.dryRun,
  });
}

/** Idempotent, so run again when the connection was lost under it (see connect.ts withBusyRetry). */
export async function finishRun(db: Db, runId: number, now: string): Promise<void> {
  await withBusyRetry(() => db('runs').where({ id: runId }).update({ status: 'done', finished_at: now }));
}

/**
 * Removes a run that staged rows and judged none (its file turned out to have changed since it
 * was checked): its staged rows and the run itself, so that nothing refers to bytes no run read.
 */
export async function dropUnjudgedRun(store: StoreCore, runId: number): Promise<void> {
  await transact(store, async (trx) => {
    await trx('run_rows').where({ run_id: runId }).delete();
    await trx('runs').where({ id: runId }).delete();
  });
}

/** Replaces whatever a killed run staged with the file's rows (called before any row is judged). */
export async function restartStaging(store: StoreCore, runId: number): Promise<void> {
  await transact(store, async (trx) => {
    await trx('run_rows').where({ run_id: runId }).delete();
    await trx('runs').where({ id: runId }).update({ row_count: null });
  });
}

export async function insertStagedRows(store: StoreCore, runId: number, rows: readonly StagedRow[]): Promise<void> {
  if (rows.length === 0) return;
  // Rows that read cleanly (nearly all) are written without the error columns they leave empty.
  const clean = rows
    .filter((r) => r.error_code === null)
    .map((r) => ({ run_id: runId, row_no: r.row_no, contract_no: r.contract_no, request_id: r.request_id, raw_fields: r.raw_fields, outcome: r.outcome }));
  const unreadable = rows.filter((r) => r.error_code !== null).map((r) => ({ ...r, run_id: runId }));
  // One statement is all or nothing by itself: a batch of clean rows that fits one needs no
  // transaction around it (BEGIN and COMMIT would be two more round trips per batch).
  if (unreadable.length === 0 && clean.length * Object.keys(clean[0]!).length <= MAX_PARAMS) {
    await withBusyRetry(() => insertRows(knexOf(store), 'run_rows', clean));
    return;
  }
  await transact(store, async (trx) => {
    await insertRows(trx, 'run_rows', clean);
    await insertRows(trx, 'run_rows', unreadable);
  });
}

/** Idempotent, so run again when the connection was lost under it. */
export async function completeStaging(db: Db, runId: number, rowCount: number, header: readonly string[]): Promise<void> {
  await withBusyRetry(() =>
    db('runs')
      .where({ id: runId })
      .update({ row_count: rowCount, header_fields: JSON.stringify(header) }),
  );
}

/** Contract numbers with rows still to judge, a page at a time (keyset, so memory stays flat). */
export async function nextStagedContracts(db: Db, runId: number, after: string | null, limit: number): Promise<string[]> {
  const q = db('run_rows').where({ run_id: runId, outcome: 'staged' }).distinct('contract_no').orderBy('contract_no').limit(limit);
  if (after !== null) q.andWhere('contract_no', '>', after);
  return (await q).map((r: { contract_no: string }) => r.contract_no);
}

/** A staged row as judging reads it: its cells as they came, to be read by the file's header. */
export interface JudgedRow {
  row_no: number;
  contract_no: string;
  fields: string[];
}

export async function loadStagedRows(db: Db, runId: number, contractNos: readonly string[]): Promise<JudgedRow[]> {
  const out: JudgedRow[] = [];
  for (const part of chunk(contractNos)) {
    const query = db('run_rows').where({ run_id: runId, outcome: 'staged' }).whereIn('contract_no', part);
    for (const [rowNo, contractNo, raw] of await selectPacked<[number, string, string]>(db, query, ['row_no', 'contract_no', 'raw_fields'])) {
      out.push({ row_no: Number(rowNo), contract_no: contractNo, fields: JSON.parse(raw) as string[] });
    }
  }
  // Sorted here, not by the query: ORDER BY row_no leads SQLite to walk the whole run by its
  // primary key for every page (quadratic in the file) instead of the contract index.
  return out.sort((a, b) => a.row_no - b.row_no);
}

/**
 * The next page of staged rows in one statement: the rows of the first `limit` contract
 * numbers after `after` (the same contracts as nextStagedContracts, the same rows as
 * loadStagedRows of them), read as the range of the contract index up to the last of
 * those numbers, instead of a second statement naming each of them. The contract numbers
 * come back in the store's order (the keyset of the next page); the rows in file order.
 */
export async function loadStagedPage(db: Db, runId: number, after: string | null, limit: number): Promise<{ contractNos: string[]; rows: JudgedRow[] }> {
  const last = db('run_rows').where({ run_id: runId, outcome: 'staged' }).distinct('contract_no').orderBy('contract_no').limit(limit);
  if (after !== null) last.andWhere('contract_no', '>', after);
  const query = db('run_rows')
    .where({ run_id: runId, outcome: 'staged' })
    .andWhere('contract_no', '<=', db.from(last.as('page')).max('contract_no'))
    .orderBy('contract_no');
  if (after !== null) query.andWhere('contract_no', '>', after);
  const contractNos: string[] = [];
  const rows: JudgedRow[] = [];
  for (const [rowNo, contractNo, raw] of await selectPacked<[number, string, string]>(db, query, ['row_no', 'contract_no', 'raw_fields'])) {
    if (contractNos[contractNos.length - 1] !== contractNo) contractNos.push(contractNo);
    rows.push({ row_no: Number(rowNo), contract_no: contractNo, fields: JSON.parse(raw) as string[] });
  }
  return { contractNos, rows: rows.sort((a, b) => a.row_no - b.row_no) };
}

export interface RowJudgement {
  rowNo: number;
  outcome: Exclude<RowOutcome, 'staged'>;
  orderId: number | null;
  lineIds: number[] | null;
  errorCode: string | null;
  /** The book's key and parameters of the refusal's detail (toStored), never a sentence. */
  detail: string | null;
}

/**
 * Records judgements in bulk: one `UPDATE … FROM (VALUES …)` per few thousand rows
 * (SQLite 3.33+, PostgreSQL; VALUES columns are column1… in both, cast for PostgreSQL).
 * Rows judged without words (nearly all: ordered, valid, done before) send only their
 * row, outcome, order and lines. Only rows still staged change, so writing a judgement
 * twice is harmless.
 */
export async function recordJudgements(trx: Knex.Transaction, runId: number, judgements: readonly RowJudgement[]): Promise<void> {
  const worded = (j: RowJudgement) => j.errorCode !== null || j.detail !== null;
  const plain = 'outcome = v.column2, order_id = cast(v.column3 as integer), line_ids = v.column4';
  const groups = [
    { rows: judgements.filter((j) => !worded(j)), width: 4, set: plain },
    { rows: judgements.filter(worded), width: 6, set: `${plain}, error_code = v.column5, error_detail = v.column6` },
  ];
  for (const { rows, width, set } of groups) {
    // The first `width` of: row, outcome, order, lines, code, detail.
    const values = rows.map((j) => [j.rowNo, j.outcome, j.orderId, j.lineIds ? j.lineIds.join(',') : null, j.errorCode, j.detail].slice(0, width));
    const jsonParts = jsonRowParts(trx, values);
    if (jsonParts !== null) {
      // The same rows as one JSON parameter (SQLite) instead of VALUES.
      for (const json of jsonParts) {
        await trx.raw(
          `update run_rows set ${set}
           from ${jsonValues(width)} as v
           where run_rows.run_id = ? and run_rows.row_no = cast(v.column1 as integer) and run_rows.outcome = 'staged'`,
          [json, runId],
        );
      }
      continue;
    }
    const tuple = `(${Array.from({ length: width }, () => '?').join(', ')})`;
    for (const part of chunk(values, Math.floor(MAX_PARAMS / width))) {
      const bindings = part.flat();
      await trx.raw(
        `update run_rows set ${set}
         from (values ${part.map(() => tuple).join(', ')}) as v
         where run_rows.run_id = ? and run_rows.row_no = cast(v.column1 as integer) and run_rows.outcome = 'staged'`,
        [...(bindings as Knex.RawBinding[]), runId],
      );
    }
  }
}

/** request_ids that occur more than once in the file: all but the first row are duplicates. */
export async function duplicateRequestRows(db: Db, runId: number): Promise<number[]> {
  const dups = await db('run_rows')
    .where({ run_id: runId })
    .andWhere('request_id', '<>', '')
    .groupBy('request_id')
    .havingRaw('count(*) > 1')
    .select('request_id', db.raw('min(row_no) as first_row'));
  const out: number[] = [];
  for (const part of chunk(dups as { request_id: string; first_row: number }[], 400)) {
    const firsts = new Map(part.map((d) => [d.request_id, Number(d.first_row)]));
    const rows = await db('run_rows')
      .where({ run_id: runId, outcome: 'staged' })
      .whereIn('request_id', [...firsts.keys()])
      .select('row_no', 'request_id');
    for (const r of rows) if (firsts.get(r.request_id) !== Number(r.row_no)) out.push(Number(r.row_no));
  }
  return out;
}

/** Request id → the order its row made, and the fingerprint of that row (null when recorded before fingerprints). */
export type KnownRequests = Map<string, { orderId: number; fingerprint: string | null }>;

/** What earlier runs did for these request ids. */
export async function findRequestKeys(db: Db, requestIds: readonly string[]): Promise<KnownRequests> {
  const requests: KnownRequests = new Map();
  for (const part of chunk([...new Set(requestIds)].filter((r) => r !== ''))) {
    for (const r of await db('request_keys').whereIn('request_id', textsOf(db, part)).select('request_id', 'order_id', 'fingerprint')) {
      requests.set(r.request_id, { orderId: Number(r.order_id), fingerprint: r.fingerprint ?? null });
    }
  }
  return requests;
}

/**
 * Records the request ids of rows that made an order, each bound to its row's fingerprint.
 * An id another run recorded meanwhile is left as that run wrote it (the insert skips it):
 * returns whether every id was recorded here. A caller that gets false rolls its
 * transaction back and judges the rows again, as if it had found the key before writing.
 * This is the check itself, in the statement that writes the keys, instead of a read of
 * the same keys before it.
 */
export async function insertRequestKeys(
  trx: Knex.Transaction,
  runId: number,
  keys: readonly { requestId: string; fingerprint: string; orderId: number }[],
): Promise<boolean> {
  const byRequest = new Map<string, { request_id: string; order_id: number; fingerprint: string }>();
  for (const k of keys) {
    if (k.requestId !== '' && !byRequest.has(k.requestId))
      byRequest.set(k.requestId, { request_id: k.requestId, order_id: k.orderId, fingerprint: k.fingerprint });
  }
  const inserted = await insertRowsSharing(
    trx,
    'request_keys',
    [...byRequest.values()],
    { run_id: runId },
    ['request_id'],
    'on conflict (request_id) do nothing',
  );
  return inserted.length === byRequest.size;
}

/** What a row of an earlier run of the same bytes did: its order, and the contract lines it covered (null when not recorded). */
export interface EarlierRow {
  orderId: number;
  lineIds: number[] | null;
}

/**
 * Orders that rows of earlier finished runs of the same bytes created or reported, by row
 * number, for the given rows only: the judge asks a page at a time, so a repeat of a huge
 * file never holds a map of the whole file.
 */
export async function earlierOrdersOfRows(db: Db, runIds: readonly number[], rowNos: readonly number[]): Promise<Map<number, EarlierRow>> {
  const out = new Map<number, EarlierRow>();
  if (runIds.length === 0 || rowNos.length === 0) return out;
  const rows = await db('run_rows')
    .whereIn('run_id', runIds)
    .whereIn('row_no', idsOf(db, rowNos))
    .whereNotNull('order_id')
    .select('row_no', 'order_id', 'line_ids');
  for (const r of rows) out.set(Number(r.row_no), { orderId: Number(r.order_id), lineIds: r.line_ids ? String(r.line_ids).split(',').map(Number) : null });
  return out;
}

export async function orderIdsOfRun(db: Db, runId: number): Promise<number[]> {
  const rows = await db('run_rows').where({ run_id: runId }).whereNotNull('order_id').distinct('order_id');
  return rows.map((r: { order_id: number }) => Number(r.order_id));
}

/** Orders of earlier runs that rows of this run go on with (they had not reached this run's stage). */
export async function continuedOrderIdsOfRun(db: Db, runId: number): Promise<number[]> {
  const rows = await db('run_rows').where({ run_id: runId, outcome: 'continued' }).whereNotNull('order_id').distinct('order_id');
  return rows.map((r: { order_id: number }) => Number(r.order_id));
}

export interface ReportedRow {
  row_no: number;
  contract_no: string;
  /** The cells exactly as they came. */
  fields: string[];
  outcome: RowOutcome;
  order_id: number | null;
  line_ids: string | null;
  error_code: string | null;
  error_message: string | null;
}

/** The judged rows in file order, a page at a time (keyset), with the refusal words in one language. */
export async function* pagesOfRunRows(db: Db, runId: number, lang: 'en' | 'ja', pageSize = 500): AsyncGenerator<ReportedRow[]> {
  let after = 0;
  for (;;) {
    const query = db('run_rows').where({ run_id: runId }).andWhere('row_no', '>', after).orderBy('row_no').limit(pageSize);
    type Row = [number, string, string, RowOutcome, number | null, string | null, string | null, string | null, string | null];
    const rows = await selectPacked<Row>(db, query, [
      'row_no',
      'contract_no',
      'raw_fields',
      'outcome',
      'order_id',
      'line_ids',
      'error_code',
      'error_detail',
      lang === 'ja' ? 'error_message_ja' : 'error_message_en',
    ]);
    if (rows.length === 0) return;
    yield rows.map(([rowNo, contractNo, raw, outcome, orderId, lineIds, errorCode, detail, sentence]) => ({
      row_no: Number(rowNo),
      contract_no: contractNo,
      fields: JSON.parse(raw) as string[],
      outcome,
      order_id: orderId === null ? null : Number(orderId),
      line_ids: lineIds,
      error_code: errorCode,
      error_message: refusalWords(errorCode, detail, sentence, lang),
    }));
    after = Number(rows[rows.length - 1]![0]);
  }
}

/**
 * A refusal's words in `lang`: the row code's words and its detail, rendered from the key
 * and parameters the store keeps. A row written by an earlier version (sentences, no key),
 * or with a key this version does not know, reads with the sentence it kept.
 */
function refusalWords(code: string | null, detail: string | null, sentence: string | null, lang: Lang): string | null {
  const known = code !== null && Object.prototype.hasOwnProperty.call(ROW_ERROR, code) ? (code as RowErrorCode) : null;
  const said = fromStored(detail);
  if (known !== null && said !== null) return describeRowError({ code: known, detail: said }, lang);
  if (sentence !== null) return sentence;
  return known === null ? null : describeRowError({ code: known }, lang);
}
