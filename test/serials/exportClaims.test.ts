/**
 * `serials export --mark-notified` claims the rows it writes, on SQLite and PostgreSQL:
 * exports run at the same time write every unnotified row exactly once between them (finance
 * never notifies a serial twice); an export killed mid-way gives its rows back to the next
 * one; a claim of another host lapses after its lease, not before; a file that cannot be
 * written marks nothing and keeps nothing.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../support/cli.js';
import { generate } from '../support/setup.js';
import { readCsv } from '../nightly/helpers.js';
import { aStore, STORE_KINDS, type StoreUnderTest } from '../support/stores.js';
import { knexOf } from '../../src/store/store.js';
import { importContracts } from '../support/inProcess.js';

/** Rows per batch: well over a pipe's 64 KiB of CSV, so an export to an unread stdout blocks mid-way. */
const BATCH = 1200;
const made: string[] = [];
const stores: StoreUnderTest[] = [];
afterAll(async () => {
  for (const s of stores) await s.drop();
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

interface Folder {
  dir: string;
  store: StoreUnderTest;
  kaiyaku(args: readonly string[]): ReturnType<typeof runCli>;
  /** Cancels batch `n` (1-based) of the generated contracts: BATCH new cancelled-serial rows. */
  cancelBatch(n: number): Promise<void>;
}

async function setUp(kind: StoreUnderTest['kind']): Promise<Folder> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kaiyaku-claims-${kind}-`));
  made.push(dir);
  const store = await aStore(kind, dir, 'claims');
  stores.push(store);
  const kaiyaku = (args: readonly string[]) => runCli([...args, '--db', store.spec, '--lang', 'en'], dir);
  const gen = await generate({ rows: 3 * BATCH, out: path.join(dir, 'gen') });
  // A set-up step, in this process (test/support/inProcess.ts): the commands under test run the real CLI.
  await importContracts(store.spec, gen.contracts);
  const [header, ...rows] = fs.readFileSync(gen.cancel, 'utf8').trimEnd().split('\n');
  return {
    dir,
    store,
    kaiyaku,
    async cancelBatch(n) {
      const file = path.join(dir, `batch-${n}.csv`);
      fs.writeFileSync(file, `${header}\n${rows.slice((n - 1) * BATCH, n * BATCH).join('\n')}\n`);
      const r = await kaiyaku(['cancel', file, '--supplier', 'sim', '--quiet']);
      expect(r.code, r.stderr).toBe(0);
    },
  };
}

/** The serial column of an export file. */
function serialsIn(file: string): string[] {
  return readCsv(file).map((r) => r['serial_no']!);
}

async function claimState(f: Folder): Promise<{ claimed: number; notified: number; total: number }> {
  const store = await f.store.open();
  try {
    const [row] = (await knexOf(store)('cancelled_serials').select(
      knexOf(store).raw('count(claimed_by) as claimed'),
      knexOf(store).raw('count(notified_at) as notified'),
      knexOf(store).raw('count(*) as total'),
    )) as {
      claimed: number | string;
      notified: number | string;
      total: number | string;
    }[];
    return { claimed: Number(row!.claimed), notified: Number(row!.notified), total: Number(row!.total) };
  } finally {
    await store.close();
  }
}

const exportArgs = (out: string) => ['serials', 'export', '--unnotified', '--mark-notified', '--encoding', 'utf8', '--out', out];

describe.each(STORE_KINDS)('serial exports claim their rows (%s)', (kind) => {
  let f: Folder;
  beforeAll(async () => {
    f = await setUp(kind);
  }, 180_000);

  it('exports at the same time write every unnotified row exactly once between them', async () => {
    await f.cancelBatch(1);
    const outs = ['a.csv', 'b.csv', 'c.csv'].map((n) => path.join(f.dir, n));
    const runs = await Promise.all(outs.map((out) => f.kaiyaku(exportArgs(out))));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const written = outs.flatMap(serialsIn);
    expect(written).toHaveLength(BATCH);
    expect(new Set(written).size).toBe(BATCH);
    expect(await claimState(f)).toEqual({ claimed: 0, notified: BATCH, total: BATCH });
    // Nothing is left for the next export.
    const next = path.join(f.dir, 'next.csv');
    expect((await f.kaiyaku(exportArgs(next))).code).toBe(0);
    expect(serialsIn(next)).toEqual([]);
  }, 180_000);

  it('an export killed mid-way gives its rows back: the next export writes them all', async () => {
    await f.cancelBatch(2);
    // To a stdout nobody reads: the export blocks once the pipe is full, holding its claim.
    const child = spawn(process.execPath, [BIN, 'serials', 'export', '--unnotified', '--mark-notified', '--encoding', 'utf8', '--db', f.store.spec], {
      cwd: f.dir,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const exited = new Promise((r) => child.once('exit', r));
    const deadline = Date.now() + 30_000;
    while ((await claimState(f)).claimed < BATCH) {
      expect(Date.now(), 'the export claimed its rows').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await exited;
    expect(await claimState(f)).toMatchObject({ claimed: BATCH, notified: BATCH });

    const after = path.join(f.dir, 'after-kill.csv');
    const r = await f.kaiyaku(exportArgs(after));
    expect(r.code, r.stderr).toBe(0);
    expect(new Set(serialsIn(after)).size).toBe(BATCH);
    expect(serialsIn(after)).toHaveLength(BATCH);
    expect(await claimState(f)).toEqual({ claimed: 0, notified: 2 * BATCH, total: 2 * BATCH });
  }, 180_000);

  it('a claim of an export on another host is left alone until its lease lapses; without --unnotified the file says it lacks them', async () => {
    await f.cancelBatch(3);
    const store = await f.store.open();
    const ids = (await knexOf(store)('cancelled_serials').whereNull('notified_at').orderBy('id').limit(100).select('id')).map((r: { id: number }) =>
      Number(r.id),
    );
    const claimOf = (at: Date) => ({ claimed_by: 'another-host:4242:finance:0123456789ab', claimed_at: at.toISOString() });
    await knexOf(store)('cancelled_serials').whereIn('id', ids).update(claimOf(new Date()));
    await store.close();

    const fresh = path.join(f.dir, 'fresh.csv');
    const r = await f.kaiyaku(exportArgs(fresh));
    expect(r.code, r.stderr).toBe(0);
    expect(serialsIn(fresh)).toHaveLength(BATCH - 100);
    expect(r.stderr).toContain('100 serial rows were left out: another export running at the same time is writing them');
    // Every row of the range asked for: the 100 another export holds are not in this file, and the exit says so.
    const everything = path.join(f.dir, 'everything.csv');
    const all = await f.kaiyaku(['serials', 'export', '--mark-notified', '--encoding', 'utf8', '--out', everything]);
    expect(all.code).toBe(1);
    expect(all.stderr).toContain('they are not in this file');
    expect(serialsIn(everything)).toHaveLength(3 * BATCH - 100);

    // Not renewed for longer than the lease: the export is gone, its rows are taken back.
    const again = await f.store.open();
    await knexOf(again)('cancelled_serials')
      .whereIn('id', ids)
      .update(claimOf(new Date(Date.now() - 11 * 60_000)));
    await again.close();
    const lapsed = path.join(f.dir, 'lapsed.csv');
    expect((await f.kaiyaku(exportArgs(lapsed))).code).toBe(0);
    expect(serialsIn(lapsed)).toHaveLength(100);
    expect(await claimState(f)).toEqual({ claimed: 0, notified: 3 * BATCH, total: 3 * BATCH });
  }, 180_000);

  it('a file that cannot be written marks nothing and gives its rows back', async () => {
    const store = await f.store.open();
    const one = (await knexOf(store)('cancelled_serials').orderBy('id').first('id', 'order_line_id')) as { id: number; order_line_id: number };
    await knexOf(store)('cancelled_serials').update({ notified_at: null, notified_by: null });
    const contract = await knexOf(store)('order_lines as ol')
      .join('change_orders as o', 'o.id', 'ol.order_id')
      .where('ol.id', one.order_line_id)
      .first('o.contract_id');
    await knexOf(store)('contracts').where('id', contract.contract_id).update({ customer: '𠮷野家' });
    await store.close();
    const out = path.join(f.dir, 'cp932.csv');
    const r = await f.kaiyaku(['serials', 'export', '--unnotified', '--mark-notified', '--encoding', 'cp932', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('U+20BB7');
    expect(fs.existsSync(out)).toBe(false);
    expect(await claimState(f)).toEqual({ claimed: 0, notified: 0, total: 3 * BATCH });
  }, 180_000);
});
