/**
 * The store's one door. Everything outside src/store/ reaches the database through what
 * this module exports: opening a store, its repositories (`store.orders.…`, and
 * `store.transact((tx) => tx.orders.…)` for work that must share a transaction), and the
 * types they take and give. No knex handle and no SQL leave src/store/ (eslint's
 * no-restricted-imports keeps it so).
 */
import { previewImport as previewImportOn } from './contractRepository.js';
import { knexOf, type Store } from './store.js';

export type { Store, StoreAccess, Repositories, TxRepositories } from './store.js';
export {
  openStore,
  migrate,
  resolveDbSpec,
  storeFiles,
  checkStoreExists,
  checkStoreWritable,
  storeAnswers,
  DEFAULT_DB,
  type OpenStoreOptions,
} from './connect.js';
export { withBusyRetry, isBusyError, isConnectionLost, connectionLostError, type RetryOptions } from './retry.js';
export { chunk } from './sql.js';
export { newLinkClaimHolder } from './linkClaims.js';
export { holderIsDead } from './lockRepository.js';
export { newClaimHolder, type ExportFile, type ExportRecord, type SerialExportRow, type SerialRange } from './serialExportRepository.js';
export { subscriptionSeedsOf } from './supplierSeeds.js';
export type { ContractInput, FieldChange, ImportField, ImportResult, LineRefusal } from './contractRepository.js';
export type { LinkageUpdate, OrderState, OrderView, OrderWithLines, WriteContext } from './orderRepository.js';
export type { EvidenceRun, NewDoneRequest } from './repeatRepository.js';
export type { EarlierRow, ReportedRow, RowJudgement, StagedRow } from './runRepository.js';

/** What importing contracts would change, without changing anything; with no store, as into an empty one. */
export function previewImport(store: Store | null, ...rest: Parameters<typeof previewImportOn> extends [unknown, ...infer R] ? R : never) {
  return previewImportOn(store === null ? null : knexOf(store), ...rest);
}
