import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { OrderStatus, Stage } from '../../src/index.js';
import { runCli, type CliOptions, type Ran } from './cli.js';
import { cancelFile, orderList } from './inProcess.js';
import { FIXTURES, withFixtureStore } from './setup.js';
import { serveSupplier, type Served } from './supplierServe.js';

export { FIXTURES };

/**
 * A folder an operator would have: a store with the fixture contracts, some orders in
 * each state, a cancellation file, an inbox holding a night's file. Built once; each
 * case runs in a fresh copy, so a command that wrongly acts cannot spoil the next case.
 */
export interface Sandbox {
  template: string;
  /** Order numbers in each state, for the order buttons. */
  orders: { requested: string; accepted: string; acceptedUnlinked: string; completed: string };
  cleanup(): void;
}

/** `kaiyaku …` in the folder `cwd`, waited for. */
export function runIn(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, options: Omit<CliOptions, 'cwd' | 'env'> = {}): Promise<Ran> {
  return runCli(args, { ...options, cwd, env });
}

/** `kaiyaku cancel <name> --supplier sim [--until stage]` in `cwd`, a set-up step: run in this process (inProcess.ts). */
async function must(cwd: string, name: string, until?: Stage): Promise<void> {
  await cancelFile(join(cwd, 'kaiyaku.db'), join(cwd, name), until ? { until } : {});
}

/** The order numbers `kaiyaku orders list --status <status>` lists (read in this process: a query, inProcess.ts). */
async function orderNos(cwd: string, status: OrderStatus): Promise<string[]> {
  const out = await orderList(join(cwd, 'kaiyaku.db'), { status });
  return out
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(',')[1]!);
}

export async function buildSandbox(): Promise<Sandbox> {
  const template = mkdtempSync(join(tmpdir(), 'kaiyaku-sandbox-'));
  withFixtureStore(template);
  const sample = readFileSync(join(FIXTURES, 'cancel-sample.csv'), 'utf8').split('\n');
  const header = sample[0]!;
  // One order completed, one accepted and linked, one accepted not yet linked, one requested.
  writeFileSync(join(template, 'done.csv'), `${header}\n${sample[1]}\n`);
  await must(template, 'done.csv');
  writeFileSync(join(template, 'linked.csv'), `${header}\n${sample[2]}\n`);
  await must(template, 'linked.csv', 'linked');
  writeFileSync(join(template, 'accepted.csv'), `${header}\n${sample[3]}\n`);
  await must(template, 'accepted.csv', 'accepted');
  writeFileSync(join(template, 'requested.csv'), `${header}\n${sample[4]}\n`);
  await must(template, 'requested.csv', 'requested');
  const [completed, accepted, requested] = await Promise.all([
    orderNos(template, 'completed'),
    orderNos(template, 'accepted'),
    orderNos(template, 'requested'),
  ]);
  // The file the cases cancel, and a night's inbox.
  writeFileSync(join(template, 'nov.csv'), `${header}\n${sample[5]}\n`);
  cpSync(join(template, 'nov.csv'), join(template, 'inbox', 'night.csv'), { recursive: true });
  // An inbox file an hour old is settled: a night would take it at once.
  const old = new Date(Date.now() - 3600_000);
  utimesSync(join(template, 'inbox', 'night.csv'), old, old);
  return {
    template,
    orders: { requested: requested[0]!, completed: completed[0]!, accepted: accepted[0]!, acceptedUnlinked: accepted[accepted.length - 1]! },
    cleanup: () => rmSync(template, { recursive: true, force: true }),
  };
}

/** A fresh copy of the template to run one case in. */
export function copySandbox(s: Sandbox): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'kaiyaku-case-'));
  cpSync(s.template, dir, { recursive: true, preserveTimestamps: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every file under a folder, by relative path, with its bytes' hash: what "nothing changed" compares (bytes, not times). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        out[`${relative(dir, p)}/`] = 'dir';
        walk(p);
      } else if (name.endsWith('-shm') || (name.endsWith('-wal') && st.size === 0)) {
        // SQLite's shared-memory index and an empty write-ahead log hold no data: opening a
        // store may create or remove them without changing anything in it.
        continue;
      } else {
        out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
      }
    }
  };
  walk(dir);
  return out;
}

/** A sandbox and a `supplier serve` seeded from it, for a test file: built before its tests, removed after. */
export function useSandboxWithSupplier(hooks: { beforeAll(fn: () => Promise<void>, timeout?: number): void; afterAll(fn: () => Promise<void>): void }): {
  sandbox(): Sandbox;
  supplier(): Served;
} {
  let sandbox: Sandbox | undefined;
  let supplier: Served | undefined;
  hooks.beforeAll(async () => {
    sandbox = await buildSandbox();
    supplier = await serveSupplier(sandbox.template);
  }, 180_000);
  hooks.afterAll(async () => {
    await supplier?.stop();
    sandbox?.cleanup();
  });
  return { sandbox: () => sandbox!, supplier: () => supplier! };
}
