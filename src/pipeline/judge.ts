import { parseCancelRow, validateContractGroup, type CancelRow, type GroupPlan } from '../domain/cancelRules.js';
import { describeRowError, type RowError } from '../domain/codes.js';
import { transact, type Store } from '../store/connect.js';
import { loadSnapshots } from '../store/contractRepository.js';
import { createCancelOrders, loadOrders } from '../store/orderRepository.js';
import {
  duplicateRequestRows,
  earlierOrdersOfRows,
  findRowKeys,
  insertRowKeys,
  loadStagedRows,
  nextStagedContracts,
  recordJudgements,
  type RowJudgement,
} from '../store/runRepository.js';
import type { Stage } from '../domain/types.js';
import { holdStageFor, writeContext, type PipelineDeps } from './context.js';
import { cancelCellReader, type CancelCells } from './intake.js';
import { orderReached } from './results.js';
import { rowFingerprint } from './rowKey.js';

export interface JudgeOptions {
  runId: number;
  dryRun: boolean;
  until: Stage;
  appliedOn: string;
  defaultEndDate: string;
  /** Earlier finished runs of the same bytes: their rows' orders count as this run's. */
  earlierRunIds: readonly number[];
  label: string;
  /** The file's header: staged rows keep their cells as they came and are read by it. */
  header: readonly string[];
  /** Rows of the file, for the progress bar. */
  rowCount?: number;
}

const CONTRACTS_PER_PAGE = 500;

/**
 * Judges staged rows a page of contracts at a time: batched lookups (a few queries per
 * page), the pure rules, then one transaction that creates the page's orders and records
 * every row's judgement together, so a kill never leaves an order without its rows.
 */
export async function judgeRows(deps: PipelineDeps, staging: Store, options: JudgeOptions): Promise<void> {
  const { runId } = options;
  const dupRows = new Set(await duplicateRequestRows(staging.db, runId));
  const cellsOf = cancelCellReader(options.header);
  let after: string | null = null;
  let judged = 0;
  for (;;) {
    const contractNos = await nextStagedContracts(staging.db, runId, after, CONTRACTS_PER_PAGE);
    if (contractNos.length === 0) break;
    const pageStart: string | null = after;
    after = contractNos[contractNos.length - 1]!;
    const rows = (await loadStagedRows(staging.db, runId, contractNos)).map((r) => {
      const cells = cellsOf(r.fields);
      return { row_no: r.row_no, contract_no: r.contract_no, ...cells, fingerprint: rowFingerprint(cells) };
    });
    const snapshots = await loadSnapshots(deps.store.db, contractNos.filter((c) => c !== ''));
    const known = await findRowKeys(deps.store.db, rows.map((r) => ({ requestId: r.requestId, fingerprint: r.fingerprint })));
    const sameRowsBefore = await earlierOrdersOfRows(deps.store.db, options.earlierRunIds, rows.map((r) => r.row_no));
    const earlier = new Map<number, number>();
    /** Rows whose request id an earlier, different row holds: the order that row made. */
    const reused = new Map<number, number>();
    for (const r of rows) {
      const request = r.requestId === '' ? undefined : known.requests.get(r.requestId);
      if (request && request.fingerprint !== null && request.fingerprint !== r.fingerprint && !sameRowsBefore.has(r.row_no)) {
        reused.set(r.row_no, request.orderId);
        continue;
      }
      const orderId = sameRowsBefore.get(r.row_no) ?? request?.orderId ?? (r.requestId === '' ? known.fingerprints.get(r.fingerprint) : undefined);
      if (orderId !== undefined) earlier.set(r.row_no, orderId);
    }
    const earlierOrders = await loadOrders(deps.store.db, [...earlier.values(), ...reused.values()]);
    const fingerprintOf = new Map(rows.map((r) => [r.row_no, r.fingerprint]));

    const judgements: RowJudgement[] = [];
    const plans: { plan: GroupPlan; rows: CancelRow[] }[] = [];
    const byContract = new Map<string, (CancelCells & { row_no: number; contract_no: string; fingerprint: string })[]>();
    for (const r of rows) {
      const group = byContract.get(r.contract_no);
      if (group) group.push(r);
      else byContract.set(r.contract_no, [r]);
    }

    for (const [contractNo, group] of byContract) {
      const fresh: CancelRow[] = [];
      const errors = new Map<number, RowError>();
      for (const r of group) {
        const orderId = earlier.get(r.row_no);
        if (orderId !== undefined) {
          const o = earlierOrders.get(orderId);
          const finished = o !== undefined && orderReached(options.until, o.order.status, o.lines.map((l) => l.linkageStatus));
          judgements.push({ rowNo: r.row_no, outcome: finished ? 'already_done' : 'continued', orderId, lineIds: null, errorCode: null, messageEn: null, messageJa: null });
          continue;
        }
        const holder = reused.get(r.row_no);
        if (holder !== undefined) {
          const o = earlierOrders.get(holder)?.order;
          const where = o ? { en: ` (order ${o.orderNo} of ${o.appliedOn})`, ja: `（${o.appliedOn} の注文 ${o.orderNo}）` } : { en: '', ja: '' };
          errors.set(r.row_no, { code: 'REQUEST_ID_REUSED', detail: { en: `"${r.requestId}" was used for another row${where.en}`, ja: `「${r.requestId}」は別の行で使用されています${where.ja}` } });
          continue;
        }
        if (dupRows.has(r.row_no)) {
          errors.set(r.row_no, { code: 'DUPLICATE_ROW', detail: { en: `request id "${r.requestId}" appears earlier in the file`, ja: `依頼番号「${r.requestId}」がファイル内で重複しています` } });
          continue;
        }
        const parsed = parseCancelRow(r.row_no, r);
        if (parsed.ok) fresh.push(parsed.value);
        else errors.set(r.row_no, parsed.error);
      }
      if (contractNo === '' || errors.size > 0) {
        // Rows without a contract number belong to no group; the others go down together.
        for (const r of fresh) if (contractNo !== '') errors.set(r.row, { code: 'CONTRACT_GROUP_REFUSED' });
        for (const [rowNo, e] of errors) judgements.push(refusal(rowNo, e));
        continue;
      }
      if (fresh.length === 0) continue;
      const verdict = validateContractGroup(fresh, snapshots.get(contractNo), { appliedOn: options.appliedOn, defaultEndDate: options.defaultEndDate });
      if (!verdict.ok) {
        for (const [rowNo, e] of verdict.errors) judgements.push(refusal(rowNo, e));
        continue;
      }
      plans.push({ plan: verdict.plan, rows: fresh });
    }

    if (options.dryRun) {
      for (const { plan, rows: planRows } of plans) {
        for (const r of planRows) judgements.push({ rowNo: r.row, outcome: 'valid', orderId: null, lineIds: plan.rowLines.get(r.row) ?? null, errorCode: null, messageEn: null, messageJa: null });
      }
      await transact(staging, (trx) => recordJudgements(trx, runId, judgements));
    } else {
      const again = await transact(deps.store, async (trx) => {
        // Request ids were looked up before this transaction: an overlapping run may have
        // recorded one since. Judge the page again (such rows then continue that run's
        // order) rather than insert the key twice.
        const taken = await findRowKeys(trx, plans.flatMap((p) => p.rows.map((r) => ({ requestId: r.requestId, fingerprint: fingerprintOf.get(r.row)! }))));
        if (taken.requests.size > 0 || taken.fingerprints.size > 0) return true;
        // A copy: a transaction retried after a busy answer must not keep its failed attempt's judgements.
        const pageJudgements = [...judgements];
        const { created, lost, changed } = await createCancelOrders(trx, plans.map((p) => p.plan), { ...writeContext(deps), runId, holdStage: holdStageFor(options.until) });
        // A line changed since this page was judged (a master import, another run's
        // confirmation): nothing was written, and the page is judged again on what it holds now.
        if (changed.length > 0) return true;
        const orderByContract = new Map(created.map((c) => [c.contractId, c.orderId]));
        const lostContracts = new Set(lost.map((p) => p.contractId));
        const rowKeys: { requestId: string; fingerprint: string; orderId: number }[] = [];
        for (const { plan, rows: planRows } of plans) {
          const orderId = orderByContract.get(plan.contractId);
          for (const r of planRows) {
            if (lostContracts.has(plan.contractId) || orderId === undefined) {
              pageJudgements.push(refusal(r.row, { code: 'LINE_HAS_OPEN_ORDER', detail: { en: 'another run took the line first', ja: '別の実行が先に明細を処理しました' } }));
              continue;
            }
            pageJudgements.push({ rowNo: r.row, outcome: 'ordered', orderId, lineIds: plan.rowLines.get(r.row) ?? null, errorCode: null, messageEn: null, messageJa: null });
            rowKeys.push({ requestId: r.requestId, fingerprint: fingerprintOf.get(r.row)!, orderId });
          }
        }
        await insertRowKeys(trx, runId, rowKeys);
        await recordJudgements(trx, runId, pageJudgements);
        return false;
      }, { retryUniqueViolation: true });
      if (again) {
        after = pageStart;
        continue;
      }
    }
    judged += rows.length;
    deps.log({ kind: 'progress', file: options.label, phase: 'judge', done: judged, total: options.rowCount ?? null });
  }
}

function refusal(rowNo: number, error: RowError): RowJudgement {
  return { rowNo, outcome: 'refused', orderId: null, lineIds: null, errorCode: error.code, messageEn: describeRowError(error, 'en'), messageJa: describeRowError(error, 'ja') };
}

