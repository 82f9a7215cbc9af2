/**
 * kaiyaku as a library: the calls the CLI makes, and the web and the workers will make.
 * Everything a caller needs comes from here (`import { … } from 'kaiyaku'`); the modules
 * behind it are the package's own and may move.
 *
 * A run needs {@link PipelineDeps}: a store ({@link openStore}), a supplier
 * ({@link createSupplier}, opened lazily), a clock, an operator's name and a logger.
 */

// Errors: one type, one table of codes, each with a kind the caller maps to its exit code or status.
export { ERROR, KaiyakuError, words, usageError, diskFullError, type ErrorCode, type ErrorKind, type Lang, type Words } from './errors.js';
export { ROW_ERROR, describeRowError, type RowErrorCode } from './domain/codes.js';

// The domain's vocabulary.
export {
  STAGES,
  STAGE_LABEL,
  ORDER_STATUS_LABEL,
  ORDER_KIND_LABEL,
  LINKAGE_STATUS_LABEL,
  CONTRACT_STATUS_LABEL,
  type Stage,
  type OrderStatus,
  type OrderKind,
  type LinkageStatus,
  type ContractStatus,
  type LineStatus,
  type IsoDate,
} from './domain/types.js';
export { jstDate, jstTimestamp, readBusinessDate, explainDateProblem } from './domain/dates.js';

// The store.
export {
  DEFAULT_DB,
  openStore,
  migrate,
  resolveDbSpec,
  storeFiles,
  checkStoreExists,
  checkStoreWritable,
  type Store,
  type StoreAccess,
  type OpenStoreOptions,
} from './store/index.js';
export { isConnectionLost, connectionLostError } from './store/index.js';

// What a run is given and tells.
export { DEFAULT_CANCEL_OPTIONS, DEFAULT_CONCURRENCY, stageAtLeast, type CancelOptions, type PipelineDeps, type PipelineEvent } from './pipeline/context.js';

export { openPipeline, supplierName, type PipelineSetup } from './pipeline/deps.js';

// Contracts: the master import.
export {
  readContractFile,
  applyContractFile,
  importContractFile,
  explainRefusal,
  label as importFieldLabel,
  type ContractFile,
  type ImportSummary,
  type ImportProblem,
} from './contracts/importContracts.js';
export type { FieldChange, ImportField } from './store/index.js';

// A cancellation file, end to end, and the rows it reports.
export { runCancelFile, ReportsNotWritten, type CancelRunSummary } from './cancel/runCancel.js';
export { checkCancelFile, type CheckedCancelFile } from './cancel/intake.js';
export { ROW_RESULT_LABEL, type RowResult, type RowView } from './cancel/results.js';
export { RESULT_COLUMNS, planReportPaths, reportPaths, type ReportPlan, type ResultCounts, type ResultRowView } from './cancel/resultFile.js';
export { combineExitCodes } from './pipeline/exitCodes.js';

// A night: every file of an inbox.
export { runInbox, type InboxOptions, type InboxFileSummary, type NightSummary } from './nightly/runInbox.js';

// Orders: the portal's single steps and resuming what was left.
export {
  acceptOrder,
  withdrawOrderAcceptance,
  withdrawOrder,
  linkOrder,
  confirmOrder,
  findOrder,
  orderIdsByNo,
  openOrderCount,
  resumeOpenOrders,
  type ResumeOptions,
  type ResumeSummary,
  type OrderNeedingOperator,
  type ParkedOrder,
} from './orders/orderSteps.js';
export type { AdvanceCounts, ImportCounts } from './domain/types.js';

// Lists and finance's export.
export { CONTRACT_LIST_COLUMNS, ORDER_LIST_COLUMNS, writeContractList, writeOrderList, type CsvOutput, type Column } from './reports/lists.js';
export { SERIAL_EXPORT_COLUMNS, writeSerialExport, type SerialExportFilter, type SerialExportOutcome, type ExportNotice } from './serials/serialExport.js';
export type { OutputEncoding } from './csv/write.js';
export type { InputEncoding } from './csv/decode.js';

// Files: where outputs may go, and inputs that are streams.
export {
  checkFolderClear,
  checkFolderCreatable,
  checkFolderWritable,
  checkOutputClear,
  checkOutputFile,
  sameLocation,
  writeFileAtomically,
  type Guard,
} from './files/destinations.js';
export { copyStreamedInput, isStreamedInput, readsStdin, streamedName } from './files/streamedInput.js';

// The supplier: the real client, and the simulator for demos and tests.
export {
  createSupplier,
  createHttpSupplier,
  createSimSupplier,
  startSupplierServer,
  type Supplier,
  type SimKnobs,
  type RetryPolicy,
  type SubscriptionSeed,
  type SupplierServer,
  type SupplierServerOptions,
} from './supplier/index.js';
export { subscriptionSeedsOf } from './store/index.js';
