/**
 * The settle rule: a file changed in the last `--settle-seconds` (default 5) or still
 * growing is left in the inbox for the next night, and is never processed half-written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli.js';
import { age, cancelCsv, drop, ls, nightArgs, prepareBase, readCsv, readSummary, setUpNight, sleep, storeOrders, withStore, type Base } from './helpers.js';
import { knexOf } from '../../src/store/store.js';

const BIG = 400;
const LATE = 100;
let base: Base;
beforeAll(async () => {
  base = await prepareBase('settle', BIG + 2 * LATE);
});

describe.concurrent('settle rule', () => {
  it('leaves a freshly written file (default --settle-seconds 5) for the next night, which processes it once old', async () => {
    const night = setUpNight('fresh', base);
    drop(night, 'a-old.csv', cancelCsv(night, 1, 10));
    const fresh = drop(night, 'b-fresh.csv', cancelCsv(night, 11, 30), true);

    const first = await runCli(nightArgs(night), night.dir);
    // A file left for the next night is rows not done tonight: exit 1, not 0.
    expect(first.code, first.stderr).toBe(1);
    let s = readSummary(night);
    expect(s.files.map((f) => [f.file, f.status, f.exitCode])).toEqual([
      ['a-old.csv', 'archived', 0],
      ['b-fresh.csv', 'left_for_later', 1],
    ]);
    const deferred = s.files[1]!;
    expect(deferred.reason).toBeTruthy();
    expect(deferred.counts).toBeNull();
    expect(s.rows.total).toBe(10);
    expect(ls(night.inbox)).toEqual(['b-fresh.csv']);
    expect(ls(night.reports)).toEqual(['a-old.errors.csv', 'a-old.result.csv']);
    expect(await storeOrders(night)).toHaveLength(10);

    age(fresh);
    const second = await runCli(nightArgs(night), night.dir);
    expect(second.code, second.stderr).toBe(0);
    s = readSummary(night);
    expect(s.files.map((f) => [f.file, f.status, f.rows])).toEqual([['b-fresh.csv', 'archived', 20]]);
    expect(s.files[0]!.counts).toMatchObject({ completed: 20 });
    expect(ls(night.inbox)).toEqual([]);
    expect(ls(night.archive)).toEqual(['a-old.csv', 'b-fresh.csv', 'rejected']);
    const orders = await storeOrders(night);
    expect(orders).toHaveLength(30);
    expect(new Set(orders.map((o) => o['contract_no'])).size).toBe(30);
  });

  it('never processes a file half-written: one being written during a slow night is processed whole, now or next night', async () => {
    const night = setUpNight('midrun', base);
    drop(night, 'a-big.csv', cancelCsv(night, 1, BIG));
    // Present when the night lists the inbox, but its writer is still at it.
    const growing = path.join(night.inbox, 'm-growing.csv');
    const growingRows = night.cancelLines.slice(BIG + 1, BIG + LATE + 1);
    fs.writeFileSync(growing, `${night.cancelLines[0]}\n`);
    // Appears only once the night is under way.
    const late = path.join(night.inbox, 'z-late.csv');
    const lateRows = night.cancelLines.slice(BIG + LATE + 1, BIG + 2 * LATE + 1);

    const run = startCli(nightArgs(night, ['--sim-latency-ms', '40', '--log-format', 'json']), night.dir);
    let finished = false;
    // Ended either way (a failure to start is reported by the `await run.done` below).
    void run.done.then(
      () => (finished = true),
      () => (finished = true),
    );
    await run.waitForStderr(/"name":"file\.started".*a-big\.csv/);
    // Both writers append a few rows at a time, with pauses, until the night is over.
    fs.writeFileSync(late, `${night.cancelLines[0]}\n`);
    let written = 0;
    while (!finished || written < LATE) {
      if (written < LATE) {
        const chunk = growingRows.slice(written, written + 10);
        fs.appendFileSync(growing, `${chunk.join('\n')}\n`);
        fs.appendFileSync(late, `${lateRows.slice(written, written + 10).join('\n')}\n`);
        written += chunk.length;
      } else {
        // The writers are done with the rows but hold the files a little longer (e.g. a slow close).
        fs.utimesSync(growing, new Date(), new Date());
        fs.utimesSync(late, new Date(), new Date());
      }
      await sleep(100);
    }
    const first = await run.done;
    // The growing file is left for the next night: its rows are not done, so exit 1.
    expect(first.code, first.stderr).toBe(1);
    let s = readSummary(night);
    expect(s.files[0]).toMatchObject({ file: 'a-big.csv', status: 'archived', rows: BIG });
    const processedNow = new Map(s.files.filter((f) => f.status === 'archived').map((f) => [f.file, f]));
    for (const name of ['m-growing.csv', 'z-late.csv']) {
      const f = processedNow.get(name);
      // Processed by this night only if whole; otherwise still in the inbox.
      if (f) expect(f.rows).toBe(LATE);
      else expect(ls(night.inbox)).toContain(name);
    }
    // The growing file was listed while being written: it must be reported as left for later.
    expect(s.files.find((f) => f.file === 'm-growing.csv')?.status).toBe('left_for_later');

    // The writers are long done: the next night takes what is left.
    for (const name of ls(night.inbox)) age(path.join(night.inbox, name));
    const second = await runCli(nightArgs(night), night.dir);
    expect(second.code, second.stderr).toBe(0);
    s = readSummary(night);
    for (const f of s.files) expect(f).toMatchObject({ status: 'archived', rows: LATE });
    expect(ls(night.inbox)).toEqual([]);

    for (const name of ['m-growing', 'z-late']) {
      const result = readCsv(path.join(night.reports, `${name}.result.csv`));
      expect(result).toHaveLength(LATE);
      expect(result.every((r) => r['result'] === 'completed')).toBe(true);
    }
    const orders = await storeOrders(night);
    expect(orders).toHaveLength(BIG + 2 * LATE);
    expect(new Set(orders.map((o) => o['contract_no'])).size).toBe(BIG + 2 * LATE);
    const runs = await withStore(night, (st) => knexOf(st)('runs').select('file_name', 'status', 'row_count'));
    expect(runs.map((r: { file_name: string; row_count: number }) => [path.basename(r.file_name), Number(r.row_count)]).sort()).toEqual([
      ['a-big.csv', BIG],
      ['m-growing.csv', LATE],
      ['z-late.csv', LATE],
    ]);
  });
});
