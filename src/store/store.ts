/**
 * The store as the rest of kaiyaku sees it: repositories, and transactions that hand out
 * repositories bound to them. The knex handle stays inside src/store/ (knexOf is for the
 * store's own modules and for tests); everything outside asks a repository.
 */
import type { Knex } from 'knex';
import * as contracts from './contractRepository.js';
import * as linkClaims from './linkClaims.js';
import * as lists from './listQueries.js';
import * as locks from './lockRepository.js';
import * as orders from './orderRepository.js';
import * as repeats from './repeatRepository.js';
import { transact, type RetryOptions } from './retry.js';
import * as runs from './runRepository.js';
import * as serials from './serialExportRepository.js';
import * as seeds from './supplierSeeds.js';

/** 'write' (the default) migrates on open; 'read' never writes, and needs a store whose schema is current. */
export type StoreAccess = 'read' | 'write';

/** An opened knex connection and what it is; only src/store/ holds one. */
export interface Handle {
  db: Knex;
  dialect: 'sqlite' | 'postgres';
  /** What the user named, for messages. */
  location: string;
  /** How it was opened: a 'read' store refuses writes (SQLite query_only, a read-only PostgreSQL session). */
  access: StoreAccess;
  close(): Promise<void>;
}

/** What a store is, apart from its repositories: the store's own modules take this. */
export interface StoreCore {
  readonly dialect: 'sqlite' | 'postgres';
  /** What the user named, for messages. */
  readonly location: string;
  readonly access: StoreAccess;
}

type Db = Knex | Knex.Transaction;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function of a handle; the bound type keeps its own parameters
type OfHandle<H> = (handle: H, ...rest: any[]) => unknown;
type Bound<F> = F extends (handle: never, ...rest: infer A) => infer R ? (...rest: A) => R : never;
type BoundAll<M> = { readonly [K in keyof M]: Bound<M[K]> };

function bindAll<H, M extends Record<string, OfHandle<H>>>(handle: H, functions: M): BoundAll<M> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(functions)) out[name] = (...rest: unknown[]) => f(handle, ...rest);
  return out as BoundAll<M>;
}

/** What can be read and written outside a transaction (each write its own statement or transaction). */
function repositoriesOn(store: StoreCore, db: Db) {
  return {
    orders: bindAll(db, {
      findOrderIdsByNo: orders.findOrderIdsByNo,
      loadOrders: orders.loadOrders,
      findOrderByNo: orders.findOrderByNo,
      listOpenOrderIds: orders.listOpenOrderIds,
      countOpenOrders: orders.countOpenOrders,
      loadContractsById: orders.loadContractsById,
      loadLinkableLines: orders.loadLinkableLines,
      loadConfirmable: orders.loadConfirmable,
      loadOrderStates: orders.loadOrderStates,
      loadOrderViews: orders.loadOrderViews,
      countOrdersByStatus: orders.countOrdersByStatus,
    }),
    runs: {
      ...bindAll(db, {
        findRuns: runs.findRuns,
        createRun: runs.createRun,
        finishRun: runs.finishRun,
        completeStaging: runs.completeStaging,
        nextStagedContracts: runs.nextStagedContracts,
        loadStagedRows: runs.loadStagedRows,
        loadStagedPage: runs.loadStagedPage,
        duplicateRequestRows: runs.duplicateRequestRows,
        findRequestKeys: runs.findRequestKeys,
        earlierOrdersOfRows: runs.earlierOrdersOfRows,
        orderIdsOfRun: runs.orderIdsOfRun,
        continuedOrderIdsOfRun: runs.continuedOrderIdsOfRun,
        pagesOfRunRows: runs.pagesOfRunRows,
      }),
      ...bindAll(store, { restartStaging: runs.restartStaging, insertStagedRows: runs.insertStagedRows, dropUnjudgedRun: runs.dropUnjudgedRun }),
    },
    contracts: {
      ...bindAll(db, { loadSnapshots: contracts.loadSnapshots, previewImport: contracts.previewImport }),
      ...bindAll(store, { importContracts: contracts.importContracts }),
    },
    repeats: bindAll(db, {
      findDoneRequests: repeats.findDoneRequests,
      doneRequestIds: repeats.doneRequestIds,
      rowsNamingOrders: repeats.rowsNamingOrders,
      loadEvidenceRuns: repeats.loadEvidenceRuns,
      cellsOfRun: repeats.cellsOfRun,
    }),
    linkClaims: bindAll(db, { renewLinkClaims: linkClaims.renewLinkClaims, releaseLinkClaims: linkClaims.releaseLinkClaims }),
    locks: bindAll(store, { acquireLock: locks.acquireLock }),
    serials: {
      ...bindAll(db, {
        renewClaim: serials.renewClaim,
        listExportRecords: serials.listExportRecords,
        countClaimedByOthers: serials.countClaimedByOthers,
        pagesOfSerialRows: serials.pagesOfSerialRows,
      }),
      ...bindAll(store, {
        freeDeadClaims: serials.freeDeadClaims,
        claimUnnotifiedSerials: serials.claimUnnotifiedSerials,
        markClaimedNotified: serials.markClaimedNotified,
        finishExport: serials.finishExport,
        giveBackExport: serials.giveBackExport,
        dropExportRecord: serials.dropExportRecord,
        dropLapsedExportRecord: serials.dropLapsedExportRecord,
      }),
    },
    lists: bindAll(store, { pagesOfContracts: lists.pagesOfContracts, pagesOfOrders: lists.pagesOfOrders }),
    seeds: bindAll(db, { loadSubscriptionSeeds: seeds.loadSubscriptionSeeds }),
  };
}

/** Inside a transaction: every read, and the writes that must share the transaction. */
function repositoriesIn(store: StoreCore, trx: Knex.Transaction) {
  const base = repositoriesOn(store, trx);
  return {
    ...base,
    orders: {
      ...base.orders,
      ...bindAll(trx, {
        createCancelOrders: orders.createCancelOrders,
        transitionOrders: orders.transitionOrders,
        withdrawAcceptanceIfUnsent: orders.withdrawAcceptanceIfUnsent,
        raiseOrderHolds: orders.raiseOrderHolds,
        prepareLinesToSend: orders.prepareLinesToSend,
        recordLinkedWith: orders.recordLinkedWith,
        unmarkLinesSent: orders.unmarkLinesSent,
        recordLinkage: orders.recordLinkage,
        confirmOrders: orders.confirmOrders,
        releaseClaims: orders.releaseClaims,
      }),
    },
    runs: { ...base.runs, ...bindAll(trx, { recordJudgements: runs.recordJudgements, insertRequestKeys: runs.insertRequestKeys }) },
    repeats: { ...base.repeats, ...bindAll(trx, { insertDoneRequests: repeats.insertDoneRequests }) },
    linkClaims: { ...base.linkClaims, ...bindAll(trx, { claimLinesOfOrders: linkClaims.claimLinesOfOrders }) },
  };
}

/** The repositories of a store, outside any transaction. */
export type Repositories = ReturnType<typeof repositoriesOn>;
/** The repositories bound to one transaction: what `store.transact` hands its work. */
export type TxRepositories = ReturnType<typeof repositoriesIn>;

/** A kaiyaku store: its repositories, its transactions, and what it is. */
export interface Store extends StoreCore, Repositories {
  /**
   * Runs `work` in one transaction with repositories bound to it, retried whole on busy
   * states and lost connections (store/retry.ts): `work` must have no effect outside it.
   */
  transact<T>(work: (tx: TxRepositories) => Promise<T>, options?: RetryOptions): Promise<T>;
  close(): Promise<void>;
}

const handles = new WeakMap<StoreCore, Handle>();

/** The store over an opened handle. */
export function storeOf(handle: Handle): Store {
  const store = {
    dialect: handle.dialect,
    location: handle.location,
    access: handle.access,
    close: () => handle.close(),
    transact: <T>(work: (tx: TxRepositories) => Promise<T>, options?: RetryOptions) => transact(store, (trx) => work(repositoriesIn(store, trx)), options),
  } as Store;
  handles.set(store, handle);
  Object.assign(store, repositoriesOn(store, handle.db));
  return store;
}

/** The knex handle of a store: for the store's own modules and for tests, never for the rest of kaiyaku. */
export function knexOf(store: StoreCore): Knex {
  const handle = handles.get(store);
  if (handle === undefined) throw new Error('not a store opened by openStore');
  return handle.db;
}
