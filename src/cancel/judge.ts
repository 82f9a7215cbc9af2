import { parseCancelRow, validateContractGroup, type CancelRow, type ContractSnapshot, type GroupPlan } from '../domain/cancelRules.js';
import { type Store, type OrderWithLines, type NewDoneRequest, type EarlierRow, type RowJudgement } from '../store/index.js';
import type { RowError } from '../domain/codes.js';
import { describeDoneRow, earlierRequestsOf, type DoneRequest } from '../domain/requestIdentity.js';
import type { Stage } from '../domain/types.js';
import { holdStageFor, writeContext, type PipelineDeps } from '../pipeline/context.js';
import { cancelCellReader, type CancelCells } from './intake.js';
import { repeatJudge, type RepeatVerdict } from './repeats.js';
import { orderReached } from './results.js';
import { rowFingerprint } from './rowKey.js';
import { say, toStored } from '../messages/index.js';

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
  /** The input file, which the repeat rule compares with the files of earlier runs. */
  file: string | null;
  /** `--allow-repeat`: a row that repeats an earlier request without evidence is a new request. */
  allowRepeat: boolean;
  /** `--repeat-days`: how long a file's own re-drop counts as the same request. */
  repeatDays: number;
}

const CONTRACTS_PER_PAGE = 500;

type PageRow = CancelCells & { row_no: number; contract_no: string; fingerprint: string };

/** What earlier runs did for a page's rows, looked up in a few queries for the whole page. */
interface EarlierWork {
  /** Rows an earlier row did (or is doing): its order, and the lines it covered. */
  earlier: Map<number, EarlierRow>;
  /** Rows whose request id an earlier, different row holds: the order that row made. */
  reused: Map<number, number>;
  /** The repeat rule's verdicts on rows without a request id that ask for what an earlier row got. */
  repeats: Map<number, RepeatVerdict>;
  orders: Map<number, OrderWithLines>;
  /** The done requests of the page's contracts as looked up: another run's new one means judging the page again. */
  doneSeen: Set<number>;
}

async function findEarlierWork(
  deps: PipelineDeps,
  rows: readonly PageRow[],
  snapshots: ReadonlyMap<string, ContractSnapshot>,
  options: JudgeOptions,
  judgeRepeats: ReturnType<typeof repeatJudge>,
): Promise<EarlierWork> {
  const known = await deps.store.runs.findRequestKeys(rows.map((r) => r.requestId));
  const sameRowsBefore = await deps.store.runs.earlierOrdersOfRows(
    options.earlierRunIds,
    rows.map((r) => r.row_no),
  );
  // Done requests matter to rows without a request id (the repeat rule) and to rows whose id
  // is known (the lines their row covered); a file of new request ids needs none.
  const needed = rows.some((r) => r.requestId === '' || known.has(r.requestId));
  const done = needed ? await deps.store.repeats.findDoneRequests([...snapshots.values()].map((s) => s.contract.id)) : new Map<number, DoneRequest[]>();
  const doneOf = (contractNo: string) => done.get(snapshots.get(contractNo)?.contract.id ?? -1) ?? [];
  const earlier = new Map<number, EarlierRow>();
  const reused = new Map<number, number>();
  const candidates: { rowNo: number; requests: DoneRequest[] }[] = [];
  for (const r of rows) {
    const request = r.requestId === '' ? undefined : known.get(r.requestId);
    const same = sameRowsBefore.get(r.row_no);
    if (request && request.fingerprint !== null && request.fingerprint !== r.fingerprint && !same) reused.set(r.row_no, request.orderId);
    else if (same) earlier.set(r.row_no, same);
    else if (request)
      earlier.set(r.row_no, {
        orderId: request.orderId,
        lineIds: doneOf(r.contract_no).find((d) => d.requestId === r.requestId && d.orderId === request.orderId)?.lineIds ?? null,
      });
    else if (r.requestId === '') {
      // A row without a request id that asks for what an earlier row got: the repeat rule decides.
      const parsed = parseCancelRow(r.row_no, r);
      const snapshot = snapshots.get(r.contract_no);
      const requests = parsed.ok && snapshot ? earlierRequestsOf(parsed.value, snapshot, doneOf(r.contract_no), options.defaultEndDate) : [];
      if (requests.length > 0) candidates.push({ rowNo: r.row_no, requests });
    }
  }
  const orders = await deps.store.orders.loadOrders([
    ...[...earlier.values()].map((e) => e.orderId),
    ...reused.values(),
    ...candidates.flatMap((c) => c.requests.map((d) => d.orderId)),
  ]);
  const repeats = await judgeRepeats.decide(candidates, orders);
  for (const [rowNo, verdict] of repeats) if (verdict.kind === 'same') earlier.set(rowNo, { orderId: verdict.done.orderId, lineIds: verdict.done.lineIds });
  return { earlier, reused, repeats, orders, doneSeen: new Set([...done.values()].flat().map((d) => d.id)) };
}

/**
 * Judges staged rows a page of contracts at a time: batched lookups (a few queries per
 * page), the pure rules, then one transaction that creates the page's orders and records
 * every row's judgement together, so a kill never leaves an order without its rows.
 */
export async function judgeRows(deps: PipelineDeps, staging: Store, options: JudgeOptions): Promise<void> {
  const { runId } = options;
  const dupRows = new Set(await staging.runs.duplicateRequestRows(runId));
  const cellsOf = cancelCellReader(options.header);
  const judgeRepeats = repeatJudge(deps.store, {
    file: options.file,
    storeRunId: options.dryRun ? null : runId,
    staging,
    stagingRunId: runId,
    header: options.header,
    appliedOn: options.appliedOn,
    repeatDays: options.repeatDays,
    allowRepeat: options.allowRepeat,
  });
  let after: string | null = null;
  let judged = 0;
  for (;;) {
    const page = await staging.runs.loadStagedPage(runId, after, CONTRACTS_PER_PAGE);
    const { contractNos } = page;
    if (contractNos.length === 0) break;
    const pageStart: string | null = after;
    after = contractNos[contractNos.length - 1]!;
    const rows = page.rows.map((r) => {
      const cells = cellsOf(r.fields);
      return { row_no: r.row_no, contract_no: r.contract_no, ...cells, fingerprint: rowFingerprint(cells) };
    });
    const snapshots = await deps.store.contracts.loadSnapshots(contractNos.filter((c) => c !== ''));
    const snapshotById = new Map([...snapshots.values()].map((snapshot) => [snapshot.contract.id, snapshot]));
    const { earlier, reused, repeats, orders: earlierOrders, doneSeen } = await findEarlierWork(deps, rows, snapshots, options, judgeRepeats);
    const fingerprintOf = new Map(rows.map((r) => [r.row_no, r.fingerprint]));

    const judgements: RowJudgement[] = [];
    const plans: { plan: GroupPlan; rows: CancelRow[] }[] = [];
    const byContract = new Map<string, PageRow[]>();
    for (const r of rows) {
      const group = byContract.get(r.contract_no);
      if (group) group.push(r);
      else byContract.set(r.contract_no, [r]);
    }

    for (const [contractNo, group] of byContract) {
      const fresh: CancelRow[] = [];
      const errors = new Map<number, RowError>();
      for (const r of group) {
        const before = earlier.get(r.row_no);
        if (before !== undefined) {
          const o = earlierOrders.get(before.orderId);
          const finished =
            o !== undefined &&
            orderReached(
              options.until,
              o.order.status,
              o.lines.map((l) => l.linkageStatus),
            );
          judgements.push({
            rowNo: r.row_no,
            outcome: finished ? 'already_done' : 'continued',
            orderId: before.orderId,
            lineIds: before.lineIds,
            errorCode: null,
            detail: null,
          });
          continue;
        }
        if (r.unnamed !== null) {
          const { column, value } = r.unnamed;
          errors.set(r.row_no, {
            code: 'MALFORMED_ROW',
            detail: say('cancel.valueWithoutHeader', { column, value }),
          });
          continue;
        }
        const repeat = repeats.get(r.row_no);
        if (repeat?.kind === 'possible_repeat') {
          errors.set(r.row_no, possibleRepeat(repeat, earlierOrders.get(repeat.done.orderId)?.order, options.repeatDays));
          continue;
        }
        const holder = reused.get(r.row_no);
        if (holder !== undefined) {
          const o = earlierOrders.get(holder)?.order;
          const where = o ? say('cancel.requestIdOrder', { orderNo: o.orderNo, appliedOn: o.appliedOn }) : say('cancel.noOrderNamed');
          errors.set(r.row_no, {
            code: 'REQUEST_ID_REUSED',
            detail: say('cancel.requestIdUsed', { requestId: r.requestId, where }),
          });
          continue;
        }
        if (dupRows.has(r.row_no)) {
          errors.set(r.row_no, {
            code: 'DUPLICATE_ROW',
            detail: say('cancel.requestIdTwiceInFile', { requestId: r.requestId }),
          });
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
        for (const r of planRows)
          judgements.push({
            rowNo: r.row,
            outcome: 'valid',
            orderId: null,
            lineIds: plan.rowLines.get(r.row) ?? null,
            errorCode: null,
            detail: null,
          });
      }
      await staging.transact((trx) => trx.runs.recordJudgements(runId, judgements));
    } else {
      const again = await deps.store
        .transact(
          async (trx) => {
            // Request ids were looked up before this transaction: an overlapping run may have
            // recorded one since. The page is then judged again (such rows continue that run's
            // order) rather than the key written twice: the insert of the keys below finds such
            // an id, and the transaction is rolled back (JudgeAgain).
            // So were the done requests of these contracts: a row without a request id that another
            // run has just done is judged again (a row with a new request id is a new request anyway).
            const repeatable = plans.filter((p) => p.rows.some((r) => r.requestId === '')).map((p) => p.plan.contractId);
            const doneNow = repeatable.length > 0 ? await trx.repeats.doneRequestIds(repeatable) : new Set<number>();
            if ([...doneNow].some((id) => !doneSeen.has(id))) return true;
            // A copy: a transaction retried after a busy answer must not keep its failed attempt's judgements.
            const pageJudgements = [...judgements];
            const { created, lost, changed } = await trx.orders.createCancelOrders(
              plans.map((p) => p.plan),
              { ...writeContext(deps), runId, holdStage: holdStageFor(options.until) },
            );
            // A line changed since this page was judged (a master import, another run's
            // confirmation): nothing was written, and the page is judged again on what it holds now.
            if (changed.length > 0) return true;
            const orderByContract = new Map(created.map((c) => [c.contractId, c.orderId]));
            const lostContracts = new Set(lost.map((p) => p.contractId));
            const rowKeys: { requestId: string; fingerprint: string; orderId: number }[] = [];
            const doneRows: NewDoneRequest[] = [];
            /** Request ids of rows whose lines another run took first: such a run may hold the id too. */
            const lostRequestIds: string[] = [];
            for (const { plan, rows: planRows } of plans) {
              const orderId = orderByContract.get(plan.contractId);
              for (const r of planRows) {
                if (lostContracts.has(plan.contractId) || orderId === undefined) {
                  lostRequestIds.push(r.requestId);
                  pageJudgements.push(refusal(r.row, { code: 'LINE_HAS_OPEN_ORDER', detail: say('cancel.lineTakenByOtherRun') }));
                  continue;
                }
                pageJudgements.push({
                  rowNo: r.row,
                  outcome: 'ordered',
                  orderId,
                  lineIds: plan.rowLines.get(r.row) ?? null,
                  errorCode: null,
                  detail: null,
                });
                rowKeys.push({ requestId: r.requestId, fingerprint: fingerprintOf.get(r.row)!, orderId });
                doneRows.push({ ...describeDoneRow(r, plan, snapshotById.get(plan.contractId)!), orderId });
              }
            }
            // A request id another run recorded since the lookup: nothing of this page is kept.
            if (lostRequestIds.length > 0 && (await trx.runs.findRequestKeys(lostRequestIds)).size > 0) throw new JudgeAgain();
            if (!(await trx.runs.insertRequestKeys(runId, rowKeys))) throw new JudgeAgain();
            await trx.repeats.insertDoneRequests(runId, doneRows);
            await trx.runs.recordJudgements(runId, pageJudgements);
            return false;
          },
          { retryUniqueViolation: true },
        )
        .catch((error: unknown) => {
          if (error instanceof JudgeAgain) return true;
          throw error;
        });
      if (again) {
        after = pageStart;
        continue;
      }
    }
    judged += rows.length;
    deps.log({ kind: 'progress', file: options.label, phase: 'judge', done: judged, total: options.rowCount ?? null });
  }
}

/** Thrown inside a page's transaction to roll back what it wrote: the page is judged again. */
class JudgeAgain extends Error {
  constructor() {
    super('judge the page again');
  }
}

/** POSSIBLE_REPEAT: the earlier order, its date, the file and row that asked for it, why this is not taken as the same request, and what to do. */
function possibleRepeat(
  verdict: Extract<RepeatVerdict, { kind: 'possible_repeat' }>,
  order: { orderNo: string; appliedOn: string } | undefined,
  repeatDays: number,
): RowError {
  const no = order?.orderNo ?? '';
  const date = order?.appliedOn ?? '';
  const row = verdict.done.rowNo;
  // Standard input or a pipe was recorded under '-': it has no file name to show.
  const where =
    verdict.file === ''
      ? say('cancel.noRowNamed')
      : verdict.file === '-'
        ? say('cancel.rowOfStandardInput', { row })
        : say('cancel.rowOfFile', { file: verdict.file, row });
  return {
    code: 'POSSIBLE_REPEAT',
    detail: say('cancel.possibleRepeat', { no, date, where, repeatDays }),
  };
}

function refusal(rowNo: number, error: RowError): RowJudgement {
  return {
    rowNo,
    outcome: 'refused',
    orderId: null,
    lineIds: null,
    errorCode: error.code,
    detail: error.detail ? toStored(error.detail) : null,
  };
}
