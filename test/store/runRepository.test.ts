import { describe, expect, it } from 'vitest';
import { transact } from '../../src/store/retry.js';
import {
  duplicateRequestRows,
  findRuns,
  insertStagedRows,
  pagesOfRunRows,
  loadStagedRows,
  nextStagedContracts,
  recordJudgements,
  type StagedRow,
} from '../../src/store/runRepository.js';
import { aRun, useStore } from './useStore.js';
import { knexOf } from '../../src/store/store.js';

const ctx = useStore();

function aStagedRow(overrides: Partial<StagedRow> = {}): StagedRow {
  return {
    row_no: 1,
    contract_no: 'NCN202107-0000003109',
    request_id: '',
    raw_fields: '[]',
    outcome: 'staged',
    error_code: null,
    error_detail: null,
    ...overrides,
  };
}

describe('runs and their rows', () => {
  it('finds the runs of a file by its hash', async () => {
    const first = await aRun(ctx.store, 'b'.repeat(64));
    const second = await aRun(ctx.store, 'b'.repeat(64));
    expect((await findRuns(knexOf(ctx.store), 'b'.repeat(64))).map((r) => r.id)).toEqual([first, second]);
    expect(await findRuns(knexOf(ctx.store), 'c'.repeat(64))).toEqual([]);
  });

  it('pages staged contracts, and records a judgement only on a row still staged', async () => {
    const runId = await aRun(ctx.store);
    await insertStagedRows(ctx.store, runId, [
      aStagedRow({ row_no: 1, contract_no: 'NCN-B' }),
      aStagedRow({ row_no: 2, contract_no: 'NCN-A' }),
      aStagedRow({ row_no: 3, contract_no: 'NCN-B' }),
      aStagedRow({ row_no: 4, contract_no: 'NCN-C' }),
    ]);
    expect(await nextStagedContracts(knexOf(ctx.store), runId, null, 2)).toEqual(['NCN-A', 'NCN-B']);
    expect(await nextStagedContracts(knexOf(ctx.store), runId, 'NCN-B', 2)).toEqual(['NCN-C']);
    expect((await loadStagedRows(knexOf(ctx.store), runId, ['NCN-B'])).map((r) => r.row_no)).toEqual([1, 3]);
    expect((await loadStagedRows(knexOf(ctx.store), runId, ['NCN-A', 'NCN-B'])).length).toBe(3);

    const refusal = { rowNo: 2, outcome: 'refused' as const, orderId: null, lineIds: null, errorCode: 'LINE_NOT_FOUND', detail: null };
    const valid = { rowNo: 1, outcome: 'valid' as const, orderId: null, lineIds: null, errorCode: null, detail: null };
    await transact(ctx.store, (trx) => recordJudgements(trx, runId, [refusal, valid]));
    // A repeat with other words changes nothing: the rows are no longer staged.
    await transact(ctx.store, (trx) =>
      recordJudgements(trx, runId, [
        { ...refusal, errorCode: 'OTHER' },
        { ...valid, outcome: 'refused' },
      ]),
    );

    const rows = [];
    for await (const page of pagesOfRunRows(knexOf(ctx.store), runId, 'en', 2)) for (const r of page) rows.push([r.row_no, r.outcome, r.error_code]);
    expect(rows).toEqual([
      [1, 'valid', null],
      [2, 'refused', 'LINE_NOT_FOUND'],
      [3, 'staged', null],
      [4, 'staged', null],
    ]);
    expect(await nextStagedContracts(knexOf(ctx.store), runId, null, 10)).toEqual(['NCN-B', 'NCN-C']);
  });

  it('finds staged rows by any contract number a file can hold (NUL, lone surrogate, emoji), in file order', async () => {
    const runId = await aRun(ctx.store);
    const odd = ['NCN\u0000X', '\ud800NCN', 'NCN-𠮷', 'NCN"\\', ''];
    await insertStagedRows(
      ctx.store,
      runId,
      odd.map((contract_no, i) => aStagedRow({ row_no: odd.length - i, contract_no, raw_fields: JSON.stringify([contract_no]) })),
    );
    const contracts = await nextStagedContracts(knexOf(ctx.store), runId, null, 10);
    expect(contracts).toHaveLength(odd.length);
    const rows = await loadStagedRows(knexOf(ctx.store), runId, contracts);
    expect(rows.map((r) => r.row_no)).toEqual([1, 2, 3, 4, 5]);
  });

  it('finds a page of staged rows through the contract index, never by walking the whole run', async () => {
    // Walking the run by its primary key for every page made judging quadratic in the file.
    const runId = await aRun(ctx.store);
    await insertStagedRows(ctx.store, runId, [aStagedRow({ row_no: 1, contract_no: 'NCN-A' }), aStagedRow({ row_no: 2, contract_no: 'NCN-B' })]);
    const seen: { sql: string; bindings: unknown[] }[] = [];
    const listen = (q: { sql: string; bindings: unknown[] }) => seen.push(q);
    knexOf(ctx.store).on('query', listen);
    try {
      await loadStagedRows(knexOf(ctx.store), runId, ['NCN-A', 'NCN-B']);
    } finally {
      knexOf(ctx.store).off('query', listen);
    }
    const read = seen.find((q) => q.sql.includes('run_rows'))!;
    const plan = (await knexOf(ctx.store).raw(`explain query plan ${read.sql}`, read.bindings as never[])) as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' | ')).toContain('run_rows_run_id_outcome_contract_no_index');
  });

  it('names the rows that repeat a request id seen earlier in the file', async () => {
    const runId = await aRun(ctx.store);
    await insertStagedRows(ctx.store, runId, [
      aStagedRow({ row_no: 1, request_id: 'R-1' }),
      aStagedRow({ row_no: 2, request_id: 'R-2' }),
      aStagedRow({ row_no: 3, request_id: 'R-1' }),
      aStagedRow({ row_no: 4, request_id: '' }),
      aStagedRow({ row_no: 5, request_id: '' }),
      aStagedRow({ row_no: 6, request_id: 'R-1' }),
    ]);
    expect((await duplicateRequestRows(knexOf(ctx.store), runId)).sort()).toEqual([3, 6]);
  });
});
