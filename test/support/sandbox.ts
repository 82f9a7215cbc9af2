import { createHash } from 'node:crypto';
import { get } from 'node:http';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, type CliResult } from './cli.js';
import { spawnSupplierServe } from './supplierServe.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

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

export function runIn(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): CliResult {
  return runCli(args, { cwd, env, timeoutMs });
}

function must(cwd: string, args: readonly string[]): CliResult {
  const r = runIn(cwd, args);
  if (r.code !== 0 && r.code !== 1) throw new Error(`kaiyaku ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

function orderNos(cwd: string, status: string): string[] {
  const out = must(cwd, ['orders', 'list', '--status', status, '--lang', 'en', '--encoding', 'utf8']).stdout;
  return out
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(',')[1]!);
}

export function buildSandbox(): Sandbox {
  const template = mkdtempSync(join(tmpdir(), 'kaiyaku-sandbox-'));
  cpSync(join(FIXTURES, 'contracts.csv'), join(template, 'contracts.csv'));
  must(template, ['contracts', 'import', 'contracts.csv']);
  const sample = readFileSync(join(FIXTURES, 'cancel-sample.csv'), 'utf8').split('\n');
  const header = sample[0]!;
  // One order completed, one accepted and linked, one accepted not yet linked, one requested.
  writeFileSync(join(template, 'done.csv'), `${header}\n${sample[1]}\n`);
  must(template, ['cancel', 'done.csv']);
  writeFileSync(join(template, 'linked.csv'), `${header}\n${sample[2]}\n`);
  must(template, ['cancel', 'linked.csv', '--until', 'linked']);
  writeFileSync(join(template, 'accepted.csv'), `${header}\n${sample[3]}\n`);
  must(template, ['cancel', 'accepted.csv', '--until', 'accepted']);
  writeFileSync(join(template, 'requested.csv'), `${header}\n${sample[4]}\n`);
  must(template, ['cancel', 'requested.csv', '--until', 'requested']);
  const [completed] = orderNos(template, 'completed');
  const accepted = orderNos(template, 'accepted');
  const [requested] = orderNos(template, 'requested');
  // The file the cases cancel, and a night's inbox.
  writeFileSync(join(template, 'nov.csv'), `${header}\n${sample[5]}\n`);
  cpSync(join(template, 'nov.csv'), join(template, 'inbox', 'night.csv'), { recursive: true });
  // An inbox file an hour old is settled: a night would take it at once.
  const old = new Date(Date.now() - 3600_000);
  utimesSync(join(template, 'inbox', 'night.csv'), old, old);
  return {
    template,
    orders: { requested: requested!, completed: completed!, accepted: accepted[0]!, acceptedUnlinked: accepted[accepted.length - 1]! },
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

/** `kaiyaku supplier serve` on a free port, seeded from a store: its /_sim/stats counts every call. */
export async function startSupplier(cwd: string): Promise<{ url: string; calls(): Promise<number>; stop(): void }> {
  const { child, url } = await spawnSupplierServe(cwd, []);
  return {
    url,
    calls: async () => {
      return (await fetchSimStats(url)).total;
    },
    stop: () => child.kill('SIGTERM'),
  };
}

/** The simulator's `/_sim/stats`, on a fresh connection each time: a pooled keep-alive socket the server has closed would fail the request. */
export async function fetchSimStats(url: string): Promise<{ total: number; subscriptions: Record<string, { quantity: number; status: string }> }> {
  const body = await new Promise<string>((resolve, reject) => {
    get(`${url}/_sim/stats`, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
  return JSON.parse(body) as { total: number; subscriptions: Record<string, { quantity: number; status: string }> };
}

/** A sandbox and a `supplier serve` seeded from it, for a test file: built before its tests, removed after. */
export function useSandboxWithSupplier(hooks: { beforeAll(fn: () => Promise<void>, timeout?: number): void; afterAll(fn: () => void): void }): {
  sandbox(): Sandbox;
  supplier(): Awaited<ReturnType<typeof startSupplier>>;
} {
  let sandbox: Sandbox | undefined;
  let supplier: Awaited<ReturnType<typeof startSupplier>> | undefined;
  hooks.beforeAll(async () => {
    sandbox = buildSandbox();
    supplier = await startSupplier(sandbox.template);
  }, 180_000);
  hooks.afterAll(() => {
    supplier?.stop();
    sandbox?.cleanup();
  });
  return { sandbox: () => sandbox!, supplier: () => supplier! };
}
