/**
 * A store of each kind for tests that run through the real CLI on SQLite and, when
 * KAIYAKU_TEST_PG_URL is set, on PostgreSQL (a schema of its own per store): the CLI is given
 * the store with `--db`, and the test reads it back (or changes it by hand) in this process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openStore, type Store } from '../../src/store/connect.js';
import { aPgSchema, PG_URL } from '../store/pgSchema.js';
import { runCli, startCli, type CliOptions, type Ran, type Running } from './cli.js';
import { importContracts } from './inProcess.js';

export type StoreKind = 'SQLite' | 'PostgreSQL';

/** The kinds a test runs on: SQLite always, PostgreSQL when a server is given. */
export const STORE_KINDS: StoreKind[] = PG_URL ? ['SQLite', 'PostgreSQL'] : ['SQLite'];

export interface StoreUnderTest {
  kind: StoreKind;
  /** What `--db` takes. */
  spec: string;
  /** Opens it in this process, without migrating (the caller closes it). */
  open(): Promise<Store>;
  drop(): Promise<void>;
}

/** A new, empty store: `store.db` in `dir`, or a schema of its own on the PostgreSQL server. */
export async function aStore(kind: StoreKind, dir: string, label: string): Promise<StoreUnderTest> {
  if (kind === 'SQLite') {
    const spec = path.join(dir, 'store.db');
    return { kind, spec, open: () => openStore(spec, { migrate: false }), drop: async () => undefined };
  }
  const schema = await aPgSchema(PG_URL!, label);
  return { kind, spec: schema.url, open: () => openStore(schema.url, { migrate: false }), drop: () => schema.drop() };
}

/** `kaiyaku …` with `--db` the store (and `--operator test` where the command records one). */
export function argsOn(store: Pick<StoreUnderTest, 'spec'>, args: readonly string[]): string[] {
  const operator = args[1] === 'list' || args[0] === 'supplier' ? [] : ['--operator', 'test'];
  return [...args, '--db', store.spec, ...operator];
}

/** `kaiyaku …` on the store, in `cwd`, waited for. */
export function kaiyakuOn(store: Pick<StoreUnderTest, 'spec'>, cwd: string, args: readonly string[], options: Omit<CliOptions, 'cwd'> = {}): Promise<Ran> {
  return runCli(argsOn(store, args), { ...options, cwd });
}

/** The same, started and left running: for runs at once, and kills. */
export function startKaiyakuOn(store: Pick<StoreUnderTest, 'spec'>, cwd: string, args: readonly string[], options: Omit<CliOptions, 'cwd'> = {}): Running {
  return startCli(argsOn(store, args), { ...options, cwd });
}

/** A contract line of a hand-written master. */
export interface ContractRow {
  contractNo: string;
  productCode: string;
  subscriptionId: string;
  quantity: number;
}

const CONTRACT_HEADER =
  'contract_no,contract_date,start_date,end_date,subject,customer,end_user,bill_to,ship_to,supplier,product_code,product_name,subscription_id,quantity,unit_price,plan,billing_model,is_trial,serials';

/**
 * Writes contracts.csv into `dir` (one row per line, 870 円 a seat, started 2024-01-05) and imports it, as `kaiyaku contracts
 * import contracts.csv --operator test` would, in this process (a set-up step: inProcess.ts).
 */
export async function importContractsOn(store: Pick<StoreUnderTest, 'spec'>, dir: string, lines: readonly ContractRow[]): Promise<void> {
  const body = lines.map(
    (l) =>
      `${l.contractNo},2024-01-05,2024-01-05,,件名,顧客株式会社,顧客株式会社,顧客株式会社,顧客株式会社,Microsoft,${l.productCode},${l.productCode},${l.subscriptionId},${l.quantity},870,標準月額プラン,標準月額モデル,0,`,
  );
  fs.writeFileSync(path.join(dir, 'contracts.csv'), `${CONTRACT_HEADER}\n${body.join('\n')}\n`);
  await importContracts(store.spec, path.join(dir, 'contracts.csv'), 'test');
}

/** Reads the store in this process, and closes it afterwards. */
export async function readStore<T>(store: Pick<StoreUnderTest, 'spec'>, read: (s: Store) => Promise<T>): Promise<T> {
  const opened = await openStore(store.spec, { access: 'read' });
  try {
    return await read(opened);
  } finally {
    await opened.close();
  }
}

/** Changes the store by hand (what a crash or an earlier version left), and closes it afterwards. */
export async function writeStore<T>(store: Pick<StoreUnderTest, 'spec'>, write: (s: Store) => Promise<T>): Promise<T> {
  const opened = await openStore(store.spec);
  try {
    return await write(opened);
  } finally {
    await opened.close();
  }
}
