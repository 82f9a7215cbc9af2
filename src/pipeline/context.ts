import type { Words } from '../errors.js';
import type { Lang } from '../domain/codes.js';
import { jstDate, jstTimestamp } from '../domain/dates.js';
import type { LinkageStatus, OrderStatus, RowResult, Stage } from '../domain/types.js';
import { type Store, type WriteContext } from '../store/index.js';
import type { Supplier } from '../supplier/port.js';
import type { InputEncoding } from '../csv/decode.js';
import type { OutputEncoding } from '../csv/write.js';

/** What a run needs from outside; passed in so tests give a fixed clock or a fake supplier. */
export interface PipelineDeps {
  store: Store;
  /** Opened lazily: a dry run or `--until accepted` never talks to the supplier. */
  supplier: () => Promise<Supplier>;
  /**
   * What orders record as the supplier they were linked with ("sim", or the API's URL
   * without credentials); null when the command names none, and then it must not link.
   */
  supplierName: string | null;
  clock: () => Date;
  operator: string;
  log: (event: PipelineEvent) => void;
}

/**
 * What a run tells its logger. Every message comes in both languages: the logger writes it
 * in the language the user chose (`--lang`), in text and in `--log-format json` alike.
 */
export type PipelineEvent =
  | { kind: 'warning'; file: string; message: Words }
  | { kind: 'progress'; file: string; phase: 'stage' | 'judge' | 'accept' | 'link' | 'confirm' | 'report'; done: number; total: number | null }
  | { kind: 'info'; message: Words }
  /** Named events for the nightly log (`--log-format json`): file started/finished, lock taken, supplier throttled… */
  | { kind: 'event'; name: string; message: Words; data?: Record<string, unknown> };

export interface CancelOptions {
  dryRun: boolean;
  until: Stage;
  /** `--end-date`: for rows without one; else the run date. */
  endDate: string | null;
  concurrency: number;
  confirmUnsettled: boolean;
  inputEncoding: InputEncoding;
  reportEncoding: OutputEncoding;
  lang: Lang;
  /** Where result and error files go; beside each input when null. */
  reportsDir: string | null;
  /** `nov` for `nov.result.csv`; the input's name when null. */
  reportName: string | null;
  /**
   * Whether rows that go on with an order parked at an earlier stop (`--until`) move it on:
   * yes for a run an operator starts (the stop moves on to this run's `--until`), no for a
   * night's files (a stop chosen is kept until an operator moves it).
   */
  takeUpParked: boolean;
  /**
   * The input has a name of its own (a file); false for standard input or a pipe, whose
   * name says nothing about what it holds, so it is never evidence of a re-drop.
   */
  namedInput: boolean;
  /** `--allow-repeat`: a row repeating an earlier request with no evidence of a re-drop is a new request. */
  allowRepeat: boolean;
  /** `--repeat-days`: for how many days a file's re-drop (or its error file) counts as the same request. */
  repeatDays: number;
  /** A library caller's sink for the result rows as data, a page at a time, in file order. */
  onRows?: RowViewSink;
}

/** `--concurrency`: orders in flight at the supplier, unless told otherwise. */
export const DEFAULT_CONCURRENCY = 16;

export const DEFAULT_CANCEL_OPTIONS: CancelOptions = {
  dryRun: false,
  until: 'completed',
  endDate: null,
  concurrency: DEFAULT_CONCURRENCY,
  confirmUnsettled: false,
  inputEncoding: 'auto',
  reportEncoding: 'utf8-bom',
  lang: 'ja',
  reportsDir: null,
  reportName: null,
  takeUpParked: true,
  namedInput: true,
  allowRepeat: false,
  repeatDays: 7,
};

export function writeContext(deps: Pick<PipelineDeps, 'clock' | 'operator'>): WriteContext {
  const now = deps.clock();
  return { actor: deps.operator, now: jstTimestamp(now), today: jstDate(now) };
}

const STAGE_RANK: Record<Stage, number> = { requested: 0, accepted: 1, linked: 2, completed: 3 };
export function stageAtLeast(until: Stage, stage: Stage): boolean {
  return STAGE_RANK[until] >= STAGE_RANK[stage];
}

/** The stop an order records for a run asked to reach `until`: none (null) when that is the end. */
export function holdStageFor(until: Stage): Stage | null {
  return until === 'completed' ? null : until;
}

/** How far a run asked to reach `until` takes an order that must stop at `hold` (null: no stop). */
export function stageWithin(until: Stage, hold: Stage | null): Stage {
  return hold !== null && !stageAtLeast(hold, until) ? hold : until;
}

/**
 * One row of a run's result, as data: what the result file says of it, in the run's
 * language (the library's "row view", for callers that show rows rather than write files).
 */
export interface ResultRowView {
  rowNo: number;
  contractNo: string;
  productCode: string;
  subscriptionId: string;
  cancelQuantity: string;
  result: RowResult;
  orderNo: string | null;
  orderStatus: OrderStatus | null;
  linkageStatus: LinkageStatus | null;
  errorCode: string | null;
  message: string;
}

/** Called with each page of row views, in file order, as the reports are written. */
export type RowViewSink = (rows: readonly ResultRowView[]) => void | Promise<void>;
