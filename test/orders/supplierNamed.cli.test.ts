/**
 * The supplier is never implied. A command that would link (cancel to a stage past
 * acceptance, orders link, orders resume, a night) without --supplier or KAIYAKU_SUPPLIER
 * is refused before it acts (exit 2, the store byte-identical, no report written); one
 * that will not link (a dry run, --until accepted) needs none. An order records the
 * supplier that answered for it, and a run through another supplier leaves it alone.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SupplierServer } from '../../src/supplier/index.js';
import { ROOT, useTempDir } from '../support/setup.js';
import { importContracts, kaiyaku, orderLines, patchesBySubscription, serveSimulator, withStore, writeCancelFile } from './operatorCli.js';
import { knexOf } from '../../src/store/store.js';

const tmp = useTempDir('kaiyaku-named-');
const servers: SupplierServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

const MAIN = path.join(ROOT, 'dist/cli/main.js');
const LINES = [
  { contractNo: 'NCN202401-0000000001', productCode: 'P-1', subscriptionId: 'NAMED-1', quantity: 4 },
  { contractNo: 'NCN202401-0000000002', productCode: 'P-1', subscriptionId: 'NAMED-2', quantity: 2 },
];

/** The CLI with no supplier in its environment at all (or KAIYAKU_SUPPLIER as given). */
function bare(dir: string, args: readonly string[], supplierEnv?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', KAIYAKU_DB: undefined, KAIYAKU_SUPPLIER: supplierEnv };
  if (supplierEnv === undefined) delete env['KAIYAKU_SUPPLIER'];
  const r = spawnSync(process.execPath, [MAIN, ...args, '--db', path.join(dir, 'store.db')], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    if (fs.statSync(file).isFile()) out[name] = fs.readFileSync(file).toString('base64');
  }
  return out;
}

describe('the supplier is named, never implied', () => {
  it('refuses every command that would link without --supplier or KAIYAKU_SUPPLIER, changing nothing', async () => {
    const dir = tmp.make('refused');
    await importContracts(dir, LINES);
    const file = writeCancelFile(dir, 'nov.csv', [{ contractNo: LINES[0]!.contractNo, quantity: 1 }]);
    fs.mkdirSync(path.join(dir, 'inbox'));
    const before = snapshot(dir);
    for (const args of [
      ['cancel', file],
      ['cancel', file, '--until', 'linked'],
      ['cancel', '--inbox', 'inbox'],
      ['orders', 'resume'],
      ['orders', 'link', 'NOD202401-0000000001'],
    ]) {
      const r = bare(dir, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('--supplier');
      expect(r.stderr).toContain('KAIYAKU_SUPPLIER');
      expect(snapshot(dir), args.join(' ')).toEqual(before);
    }
    // An empty variable (what cron makes of an unset one) is refused as well, in English too.
    const empty = bare(dir, ['cancel', file, '--lang', 'en'], '');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('KAIYAKU_SUPPLIER is set but empty');
    expect(snapshot(dir)).toEqual(before);
  });

  it('needs no supplier for what does not link: a dry run, --until accepted, the order buttons but linkage', async () => {
    const dir = tmp.make('unneeded');
    await importContracts(dir, LINES);
    const file = writeCancelFile(dir, 'nov.csv', [{ contractNo: LINES[0]!.contractNo, quantity: 1 }]);
    expect(bare(dir, ['cancel', file, '--dry-run', '-q']).code).toBe(0);
    const accepted = bare(dir, ['cancel', file, '--until', 'accepted', '-q']);
    expect(accepted.code, accepted.stderr).toBe(0);
    const resumed = bare(dir, ['orders', 'resume', '--until', 'accepted', '-q']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await orderLines(dir)).map((l) => [l.orderStatus, l.linkageStatus])).toEqual([['accepted', 'unlinked']]);
  });

  it('records the supplier an order was linked with, and another supplier leaves that order alone', async () => {
    const dir = tmp.make('recorded');
    // SLOW- subscriptions answer 202 and settle on the third GET: the orders stay open after linkage.
    const slow = LINES.map((l) => ({ ...l, subscriptionId: `SLOW-${l.subscriptionId}` }));
    await importContracts(dir, slow);
    const server = await serveSimulator(slow);
    servers.push(server);
    const file = writeCancelFile(dir, 'nov.csv', [
      { contractNo: LINES[0]!.contractNo, quantity: 1 },
      { contractNo: LINES[1]!.contractNo, quantity: 1 },
    ]);
    // Linked through the served simulator, by URL: the order remembers it, without credentials.
    const url = server.url.replace('http://', 'http://ops:secret@');
    const first = await kaiyaku(dir, ['cancel', file, '--supplier', url, '-q']);
    expect(first.code, first.stderr).toBe(1);
    expect((await orderLines(dir)).map((l) => l.linkageStatus)).toEqual(['pending', 'pending']);
    const recorded = await withStore(dir, async (store) =>
      (await knexOf(store)('change_orders').orderBy('id').select('linked_with')).map((r: { linked_with: string | null }) => r.linked_with),
    );
    expect(recorded).toEqual([server.url.replace(/\/+$/, ''), server.url.replace(/\/+$/, '')]);
    expect(recorded.join()).not.toContain('secret');

    // A resume through the in-process simulator does not touch them: it would ask a supplier that never heard of them.
    const other = await kaiyaku(dir, ['orders', 'resume', '--supplier', 'sim', '--log-format', 'json']);
    expect(other.code, other.stderr).toBe(1);
    expect(other.stderr).toContain('linkage.other_supplier');
    expect((await orderLines(dir)).map((l) => l.orderStatus)).toEqual(['accepted', 'accepted']);
    expect((await orderLines(dir)).map((l) => l.linkageStatus)).toEqual(['pending', 'pending']);
    // Through the supplier they were linked with, they settle and are confirmed; each line was sent once.
    let same = await kaiyaku(dir, ['orders', 'resume', '--supplier', server.url, '-q']);
    for (let i = 0; i < 4 && same.code === 1; i++) same = await kaiyaku(dir, ['orders', 'resume', '--supplier', server.url, '-q']);
    expect(same.code, same.stderr).toBe(0);
    expect((await orderLines(dir)).map((l) => l.orderStatus)).toEqual(['completed', 'completed']);
    expect([...patchesBySubscription(server).values()]).toEqual([1, 1]);
  });
});
