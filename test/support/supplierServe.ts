/**
 * `kaiyaku supplier serve --port 0 …` as a child of the test (started with the one runner,
 * support/cli.ts), resolved once it prints the URL it listens on (a free port chosen by the
 * system). Its state outlives the commands a test runs and kills against it. Every server
 * started is stopped when the test file ends, whatever the test did.
 */
import { get } from 'node:http';
import { afterAll } from 'vitest';
import { startCli, type CliOptions, type Running } from './cli.js';

export interface SimStatsBody {
  total: number;
  byMethod: Record<string, Record<string, number>>;
  byStatus: Record<string, number>;
  subscriptions: Record<string, { quantity: number; status: string; pending: boolean; lastTarget: number | null }>;
}

export interface SimCallBody {
  method: string;
  subscriptionId: string | null;
  idempotencyKey: string | null;
  status: number;
}

/** A GET answered 200, its body parsed, on a fresh connection: a pooled keep-alive socket the server has closed would fail the request. */
export function getJson<T>(url: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text) as T);
      });
    }).on('error', reject);
  });
}

export interface Served {
  url: string;
  pid: number;
  running: Running;
  /** The simulator's /_sim/stats: `total` counts every call it received. */
  stats(): Promise<SimStatsBody>;
  /** Every call it received (/_sim/calls), in order. */
  calls(): Promise<SimCallBody[]>;
  /** PATCH calls received (changes sent), by subscription id. */
  patches(): Promise<Map<string, number>>;
  /** The quantity the supplier holds for each subscription (0 once deleted). */
  quantities(): Promise<Map<string, number>>;
  /** SIGTERM, then SIGKILL if it has not ended within 5 s; resolves once it has ended. */
  stop(): Promise<void>;
}

const started = new Set<Running>();
afterAll(async () => {
  await Promise.all([...started].map((r) => stopServer(r)));
});

async function stopServer(r: Running): Promise<void> {
  if (!r.exited()) r.child.kill('SIGTERM');
  const timer = setTimeout(() => r.child.kill('SIGKILL'), 5_000);
  await r.done.catch(() => undefined);
  clearTimeout(timer);
  started.delete(r);
}

/** `kaiyaku supplier serve --port 0 --lang en …args` in `cwd` (seeded from `--db` when args give one). */
export async function serveSupplier(cwd: string, args: readonly string[] = [], options: Omit<CliOptions, 'cwd'> = {}): Promise<Served> {
  // A server runs until stopped: no time-out of the runner's.
  const running = startCli(['supplier', 'serve', '--port', '0', '--lang', 'en', ...args], { timeoutMs: 2 ** 31 - 1, ...options, cwd });
  started.add(running);
  const m = await running.waitForStdout(/on (http:\/\/\S+) with/, 30_000);
  const url = m[1]!;
  const calls = () => getJson<SimCallBody[]>(`${url}/_sim/calls`);
  const stats = () => getJson<SimStatsBody>(`${url}/_sim/stats`);
  return {
    url,
    pid: running.pid,
    running,
    stats,
    calls,
    patches: async () => {
      const out = new Map<string, number>();
      for (const c of await calls()) if (c.method === 'PATCH' && c.subscriptionId) out.set(c.subscriptionId, (out.get(c.subscriptionId) ?? 0) + 1);
      return out;
    },
    quantities: async () => new Map(Object.entries((await stats()).subscriptions).map(([id, s]) => [id, s.status === 'deleted' ? 0 : s.quantity])),
    stop: () => stopServer(running),
  };
}
