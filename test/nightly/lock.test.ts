/**
 * One nightly lock per store: a second night while one is active exits 2 at once, naming
 * the holder and since when; the store ends as if only one night had run. A lock whose
 * holder is gone from this host, or whose heartbeat is 10 minutes old, is taken over.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli.js';
import {
  cancelCsv,
  drop,
  ls,
  nightArgs,
  prepareBase,
  readCsv,
  readSummary,
  setUpNight,
  sleep,
  storeOrders,
  withStore,
  type Base,
  type Night,
} from './helpers.js';
import { knexOf } from '../../src/store/store.js';

let base: Base;
beforeAll(async () => {
  base = await prepareBase('lock', 600);
});

const ISO = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/;

async function expectOneRunPerFile(night: Night, files: Record<string, number>): Promise<void> {
  const runs = (await withStore(night, (s) => knexOf(s)('runs').select('file_name', 'status', 'row_count'))) as {
    file_name: string;
    status: string;
    row_count: number;
  }[];
  expect(runs.map((r) => [path.basename(r.file_name), r.status, Number(r.row_count)]).sort()).toEqual(
    Object.entries(files)
      .map(([f, n]) => [f, 'done', n])
      .sort(),
  );
  const orders = await storeOrders(night);
  const total = Object.values(files).reduce((a, b) => a + b, 0);
  expect(orders).toHaveLength(total);
  expect(new Set(orders.map((o) => o['contract_no'])).size).toBe(total);
  expect(orders.every((o) => o['status'] === 'completed')).toBe(true);
  expect(await withStore(night, (s) => knexOf(s)('locks').select('name'))).toEqual([]);
}

// The three nights use stores of their own: they may run side by side.
describe.concurrent('the nightly lock', () => {
  it('refuses a second night while one runs, at once and naming the holder; each file is processed once', async () => {
    const night = setUpNight('lock', base);
    drop(night, 'a.csv', cancelCsv(night, 1, 300));
    drop(night, 'b.csv', cancelCsv(night, 301, 600));
    const first = startCli(nightArgs(night, ['--settle-seconds', '0', '--sim-latency-ms', '40', '--log-format', 'json']), night.dir);
    await first.waitForStderr(/"name":"lock\.taken"/);

    const secondSummary = path.join(night.dir, 'second.json');
    // Two late-comers at once: plain, and with JSON logs.
    const [second, secondJson] = await Promise.all([
      runCli(nightArgs(night, ['--settle-seconds', '0'], secondSummary), night.dir),
      runCli(nightArgs(night, ['--settle-seconds', '0', '--log-format', 'json'], secondSummary), night.dir),
    ]);
    const firstResult = await first.done;
    expect(second.code).toBe(2);
    // Refused at once, while the first night was at work, not after waiting for it: the
    // refusal names the first night as the lock's holder, and a night holds the lock only
    // while it runs. (Judged by that event, not by comparing clock readings, which a
    // loaded machine can make equal.)
    expect(second.stderr).toContain(`${os.hostname()}:${first.pid}`);
    expect(second.stderr).toMatch(new RegExp(`since ${ISO.source}`));
    expect(second.stderr).not.toMatch(/unexpected failure|at .*\.js:\d+/);
    expect(second.stdout).toBe('');
    // Under --log-format json the refusal is a JSON event too: the nightly log stays one event per line.
    expect(secondJson.code).toBe(2);
    const lines = secondJson.stderr.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(() => JSON.parse(l), `not JSON: ${l}`).not.toThrow();
    expect(lines.map((l) => (JSON.parse(l) as { name?: string }).name)).toContain('lock.held');
    expect(secondJson.stderr).toContain(`${os.hostname()}:${first.pid}`);
    expect(ls(night.dir)).not.toContain('second.json');

    expect(firstResult.code, firstResult.stderr).toBe(0);
    expect(readSummary(night).files.map((f) => [f.file, f.status, f.rows])).toEqual([
      ['a.csv', 'archived', 300],
      ['b.csv', 'archived', 300],
    ]);
    expect(ls(night.inbox)).toEqual([]);
    expect(readCsv(path.join(night.reports, 'a.result.csv')).every((r) => r['result'] === 'completed')).toBe(true);
    await expectOneRunPerFile(night, { 'a.csv': 300, 'b.csv': 300 });

    // Once the first night is over, the next one runs (and has nothing to do).
    const after = await runCli(nightArgs(night, ['--settle-seconds', '0']), night.dir);
    expect(after.code, after.stderr).toBe(0);
    expect(readSummary(night).files).toEqual([]);
  });

  it('two nights started at the same instant: exactly one runs, the other is refused', async () => {
    const night = setUpNight('race', base);
    drop(night, 'a.csv', cancelCsv(night, 1, 400));
    const args = (n: number) => nightArgs(night, ['--settle-seconds', '0', '--sim-latency-ms', '40'], path.join(night.dir, `night-${n}.json`));
    const runs = [startCli(args(1), night.dir), startCli(args(2), night.dir)];
    const results = await Promise.all(runs.map((r) => r.done));
    const codes = results.map((r) => r.code).sort();
    expect(codes, results.map((r) => r.stderr).join('\n---\n')).toEqual([0, 2]);
    const refused = results.find((r) => r.code === 2)!;
    const winner = runs[results.findIndex((r) => r.code === 0)]!;
    expect(refused.stderr).toContain(`${os.hostname()}:${winner.pid}`);
    expect(ls(night.inbox)).toEqual([]);
    await expectOneRunPerFile(night, { 'a.csv': 400 });
  });

  it('takes over a lock whose holder is gone or whose heartbeat is 10 minutes old, and not otherwise', async () => {
    const night = setUpNight('stale', base);
    drop(night, 'a.csv', cancelCsv(night, 1, 20));
    const setLock = (holder: string, minutesAgo: number) =>
      withStore(night, async (s) => {
        const at = new Date(Date.now() - minutesAgo * 60_000).toISOString();
        await knexOf(s)('locks').delete();
        await knexOf(s)('locks').insert({ name: 'nightly', holder, acquired_at: at, heartbeat_at: at });
      });

    // Another host, beating recently: we cannot see its process, so we wait.
    await setLock('other-host:4242:ops', 9);
    let r = await runCli(nightArgs(night, ['--settle-seconds', '0']), night.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('other-host:4242:ops');
    expect(r.stderr).toMatch(new RegExp(`since ${ISO.source}`));
    expect(ls(night.inbox)).toEqual(['a.csv']);

    // This host, a live process (this test runner): not taken over either.
    await setLock(`${os.hostname()}:${process.pid}:ops`, 0);
    r = await runCli(nightArgs(night, ['--settle-seconds', '0']), night.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${os.hostname()}:${process.pid}`);

    // This host, a process that is gone: taken over at once.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await setLock(`${os.hostname()}:${dead}:ops`, 0);
    r = await runCli(nightArgs(night, ['--settle-seconds', '0', '--log-format', 'json']), night.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/"name":"lock\.taken"/);
    expect(ls(night.inbox)).toEqual([]);

    // Another host whose heartbeat stopped over 10 minutes ago: stale, taken over.
    await setLock('other-host:4242:ops', 11);
    r = await runCli(nightArgs(night, ['--settle-seconds', '0']), night.dir);
    expect(r.code, r.stderr).toBe(0);
    await expectOneRunPerFile(night, { 'a.csv': 20 });
  });
  it('leaves for later a file whose bytes another (non-nightly) run is processing, then reports it already done', async () => {
    const night = setUpNight('same-bytes', base);
    const content = cancelCsv(night, 1, 60);
    const manual = path.join(night.dir, 'by-hand.csv');
    fs.writeFileSync(manual, content);
    drop(night, 'a.csv', content);
    const byHand = startCli(['cancel', manual, '--db', night.db, '--sim-latency-ms', '60', '--concurrency', '1', '--log-format', 'json'], night.dir);
    // Once its run is recorded it holds the file's lock.
    await withStore(night, async (s) => {
      for (let i = 0; i < 400 && Number(((await knexOf(s)('locks').where('name', 'like', 'file:%').count({ n: '*' }))[0] as { n: number }).n) === 0; i++)
        await sleep(25);
    });
    const during = await runCli(nightArgs(night, ['--settle-seconds', '0']), night.dir);
    const manualRun = await byHand.done;
    expect(manualRun.code, manualRun.stderr).toBe(0);
    // The night did not do the file's rows (another run had it): exit 1, not 0.
    expect(during.code, during.stderr).toBe(1);
    const s1 = readSummary(night);
    // The night met the run by hand at work (an event, not a comparison of durations): it
    // left the file for later because another run was processing its bytes.
    expect(s1.files.map((f) => [f.file, f.status])).toEqual([['a.csv', 'left_for_later']]);
    expect(s1.files[0]!.reason).toMatch(/being processed by another run/);
    expect(ls(night.inbox)).toEqual(['a.csv']);

    const after = await runCli(nightArgs(night, ['--settle-seconds', '0']), night.dir);
    expect(after.code, after.stderr).toBe(0);
    expect(readSummary(night).files.map((f) => [f.file, f.status, f.counts?.['already_done']])).toEqual([['a.csv', 'archived', 60]]);
    const orders = await storeOrders(night);
    expect(orders).toHaveLength(60);
    expect(new Set(orders.map((o) => o.contract_no)).size).toBe(60);
  });
});
