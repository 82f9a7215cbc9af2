/**
 * A store of each kind for tests that run through the real CLI on SQLite and, when
 * KAIYAKU_TEST_PG_URL is set, on PostgreSQL (a schema of its own per store), and the
 * supplier simulator served over HTTP from that store (`kaiyaku supplier serve --db`).
 */
import { get } from 'node:http';
import path from 'node:path';
import { openStore, type Store } from '../../src/store/connect.js';
import { aPgSchema, PG_URL } from '../store/pgSchema.js';
import { spawnSupplierServe } from './supplierServe.js';
import { fetchSimStats } from './sandbox.js';

export type StoreKind = 'sqlite' | 'postgres';

/** The kinds a test runs on: SQLite always, PostgreSQL when a server is given. */
export const STORE_KINDS: StoreKind[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface StoreUnderTest {
  kind: StoreKind;
  /** What `--db` takes. */
  spec: string;
  /** Opens it in this process (the caller closes it). */
  open(): Promise<Store>;
  drop(): Promise<void>;
}

/** A new, empty store: a file in `dir`, or a schema of its own on the PostgreSQL server. */
export async function aStore(kind: StoreKind, dir: string, label: string): Promise<StoreUnderTest> {
  if (kind === 'sqlite') {
    const spec = path.join(dir, 'store.db');
    return { kind, spec, open: () => openStore(spec, { migrate: false }), drop: async () => undefined };
  }
  const schema = await aPgSchema(PG_URL!, label);
  return { kind, spec: schema.url, open: () => openStore(schema.url, { migrate: false }), drop: () => schema.drop() };
}

export interface ServedSupplier {
  url: string;
  /** PATCH calls received so far (changes sent), by subscription id. */
  patches(): Promise<Map<string, number>>;
  /** The quantity the supplier holds for each subscription (0 once deleted). */
  quantities(): Promise<Map<string, number>>;
  stop(): void;
}

/** `kaiyaku supplier serve --port 0 --db <store>`: seeded with the store's subscriptions as they are now. */
export async function serveSupplier(cwd: string, db: string, extra: readonly string[] = []): Promise<ServedSupplier> {
  const { child, url } = await spawnSupplierServe(cwd, ['--db', db, ...extra]);
  const calls = async () => JSON.parse(await getText(`${url}/_sim/calls`)) as { method: string; subscriptionId: string | null }[];
  return {
    url,
    patches: async () => {
      const out = new Map<string, number>();
      for (const c of await calls()) if (c.method === 'PATCH' && c.subscriptionId) out.set(c.subscriptionId, (out.get(c.subscriptionId) ?? 0) + 1);
      return out;
    },
    quantities: async () => {
      const stats = await fetchSimStats(url);
      return new Map(Object.entries(stats.subscriptions).map(([id, s]) => [id, s.status === 'deleted' ? 0 : s.quantity]));
    },
    stop: () => void child.kill('SIGTERM'),
  };
}

/** A GET on a fresh connection: a pooled keep-alive socket the server has closed would fail the request. */
function getText(url: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
}
