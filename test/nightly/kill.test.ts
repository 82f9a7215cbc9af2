/**
 * A nightly run killed (SIGKILL) in the middle of a file: the next night takes over the
 * lock its dead holder left, advances the orders the killed night left open, and finishes
 * the file exactly once (one order per contract, a complete result file), then archives it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli.js';
import { cancelCsv, drop, ls, nightArgs, prepareBase, readCsv, readSummary, setUpNight, sleep, storeOrders, withStore } from './helpers.js';
import { knexOf } from '../../src/store/store.js';

const ROWS = 3000;

describe('a killed night', () => {
  it('is taken over and finished by the next night, each row once', async () => {
    const night = setUpNight('kill', await prepareBase('kill', ROWS));
    const input = drop(night, 'big.csv', cancelCsv(night, 1, ROWS));
    const bytes = fs.readFileSync(input);

    const killed = startCli(nightArgs(night, ['--settle-seconds', '0', '--sim-latency-ms', '1', '--log-format', 'json']), night.dir);
    await killed.waitForStderr(/"name":"file\.started".*big\.csv/);
    // Kill it once it has orders open (created, not yet all confirmed).
    const open = await withStore(night, async (s) => {
      for (let i = 0; i < 400; i++) {
        const [row] = (await knexOf(s)('change_orders').whereIn('status', ['requested', 'accepted']).count({ n: '*' })) as { n: number }[];
        if (Number(row?.n) > 0) return Number(row?.n);
        await sleep(25);
      }
      return 0;
    });
    killed.child.kill('SIGKILL');
    const k = await killed.done;
    expect(open, `no open orders seen before the run ended:\n${k.stderr}`).toBeGreaterThan(0);
    expect(k.signal).toBe('SIGKILL');

    // What the killed night left: its lock, the file still in the inbox, no reports.
    const locks = (await withStore(night, (s) => knexOf(s)('locks').select('name', 'holder'))) as { name: string; holder: string }[];
    expect(locks.find((l) => l.name === 'nightly')?.holder).toContain(`${os.hostname()}:${killed.pid}`);
    expect(ls(night.inbox)).toEqual(['big.csv']);
    const openLeft = Number(
      ((await withStore(night, (s) => knexOf(s)('change_orders').whereIn('status', ['requested', 'accepted']).count({ n: '*' })))[0] as { n: number }).n,
    );
    expect(openLeft).toBeGreaterThan(0);

    const next = await runCli(nightArgs(night, ['--settle-seconds', '0', '--log-format', 'json']), night.dir);
    expect(next.code, next.stderr).toBe(0);
    const taken = next.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { name?: string; data?: { holder?: string } })
      .find((e) => e.name === 'lock.taken');
    expect(taken?.data?.holder).toMatch(new RegExp(`^${os.hostname()}:\\d+`));
    expect(taken?.data?.holder).not.toContain(`:${killed.pid}:`);

    const s = readSummary(night);
    // The killed night's open orders were advanced first, as `orders resume` would.
    expect(s.resume.orders).toBe(openLeft);
    expect(s.resume.counts['confirmed']).toBeGreaterThan(0);
    expect(s.files).toHaveLength(1);
    const f = s.files[0]!;
    expect(f).toMatchObject({ file: 'big.csv', status: 'archived', exitCode: 0, rows: ROWS });
    expect((f.counts!['completed'] ?? 0) + (f.counts!['already_done'] ?? 0)).toBe(ROWS);
    expect(s.rows.total).toBe(ROWS);
    expect(s.ordersByStatus).toEqual({ requested: 0, accepted: 0, completed: ROWS, withdrawn: 0 });

    expect(ls(night.inbox)).toEqual([]);
    expect(fs.readFileSync(path.join(night.archive, 'big.csv'))).toEqual(bytes);
    const result = readCsv(path.join(night.reports, 'big.result.csv'));
    expect(result.map((r) => Number(r['row']))).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
    expect(result.every((r) => r['result'] === 'completed' || r['result'] === 'already_done')).toBe(true);
    expect(new Set(result.map((r) => r['order_no'])).size).toBe(ROWS);

    const orders = await storeOrders(night);
    expect(orders).toHaveLength(ROWS);
    expect(new Set(orders.map((o) => o['contract_no'])).size).toBe(ROWS);
    expect(orders.every((o) => o['status'] === 'completed')).toBe(true);
    const runs = (await withStore(night, (st) => knexOf(st)('runs').select('status', 'row_count'))) as { status: string; row_count: number }[];
    expect(runs.map((r) => [r.status, Number(r.row_count)])).toEqual([['done', ROWS]]);
    expect(await withStore(night, (st) => knexOf(st)('locks').select('name'))).toEqual([]);
  });
});
