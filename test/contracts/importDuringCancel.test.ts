/**
 * A master import running beside a cancellation (issue 18, item 6). The import sets every
 * line 5 → 7 while `cancel` judges pages of 500 contracts and creates their orders. An
 * order's quantity before must be the line's quantity when the order was created, so for
 * every line exactly one of these holds, on SQLite and on PostgreSQL:
 * - the import came first: it set 7, and the order took 1 of 7 (ends at 6);
 * - the order came first: it took 1 of 5 (ends at 4), and the import refused that line
 *   (held by the open order, or, once the order completed, a quantity the store cannot
 *   explain), never "updated" it underneath the order.
 * Both run as real processes, started at staggered instants (the import first, then later
 * and later) so that it lands on different moments of the cancellation.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/connect.js';
import { startCli } from '../support/cli.js';
import { importContracts } from '../support/inProcess.js';
import { generate, useTempDir } from '../support/setup.js';
import { readCsv } from '../crash/helpers.js';
import { aPgSchema, PG_URL } from '../store/pgSchema.js';
import { knexOf } from '../../src/store/store.js';

const CONTRACTS = 1500;
const tmp = useTempDir('kaiyaku-import-race-').dir;
const gen = await generate({ rows: CONTRACTS, out: path.join(tmp, 'gen') });
const contractNo = (i: number) => `NCN202401-${String(i).padStart(10, '0')}`;

/** The generated master with every line at 7 seats instead of 5. */
const master7 = path.join(tmp, 'master7.csv');
fs.writeFileSync(master7, fs.readFileSync(gen.contracts, 'utf8').replace(/,5,870,/g, ',7,870,'));

function cancelFile(round: string): string {
  const file = path.join(tmp, round, 'one-each.csv');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const rows = Array.from({ length: CONTRACTS }, (_, k) => `${contractNo(k + 1)},O365-E1,1,,${round}-${k + 1}`);
  fs.writeFileSync(file, ['契約番号,商品コード,解約数,契約終了日,依頼番号', ...rows, ''].join('\n'));
  return file;
}

/** What the import said of each contract's line: updated 5 → 7, or refused (and why). */
function importOutcomes(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  let contract = '';
  for (const line of stdout.split('\n')) {
    const head = /^ {2}(NCN\S+): /.exec(line);
    if (head) contract = head[1]!;
    if (/^ {4}row \d+, line 1 .*: updated — quantity 5 → 7$/.test(line)) out.set(contract, 'updated');
    else if (/^ {4}row \d+, line 1 .*: refused — the open order/.test(line)) out.set(contract, 'refused: held');
    else if (/^ {4}row \d+, line 1 .*: refused — the file gives quantity 7, but the line had 5 before/.test(line))
      out.set(contract, 'refused: after the cancellation');
    else if (/^ {4}row \d+/.test(line)) out.set(contract, `unexpected: ${line.trim()}`);
  }
  return out;
}

async function race(db: string, round: string, delayMs: number): Promise<{ seen: Record<string, number> }> {
  // A set-up step, in this process (test/support/inProcess.ts); the import under test below runs the real CLI.
  await importContracts(db, gen.contracts);
  const file = cancelFile(round);
  const startCancel = () => startCli(['cancel', file, '--db', db, '--supplier', 'sim', '--lang', 'en', '--report-encoding', 'utf8', '--quiet'], tmp);
  const startImport = () => startCli(['contracts', 'import', master7, '--db', db, '--lang', 'en'], tmp);
  // A negative delay starts the import first.
  const first = delayMs < 0 ? startImport() : startCancel();
  await sleep(Math.abs(delayMs));
  const second = delayMs < 0 ? startCancel() : startImport();
  const [imported, cancelled] = delayMs < 0 ? [await first.done, await second.done] : [await second.done, await first.done];
  expect(cancelled.code, `cancel: ${cancelled.stderr}`).toBe(0);
  expect([0, 1], `import: ${imported.stderr}`).toContain(imported.code);
  expect(imported.stderr).not.toMatch(/unexpected|予期しない/);
  const results = readCsv(file.replace(/\.csv$/, '.result.csv'));
  expect(results.filter((r) => r['result'] !== 'completed').slice(0, 3)).toEqual([]);

  const said = importOutcomes(imported.stdout);
  const store = await openStore(db);
  try {
    const rows = (await knexOf(store)('contract_lines as cl')
      .join('contracts as c', 'c.id', 'cl.contract_id')
      .leftJoin('order_lines as ol', 'ol.contract_line_id', 'cl.id')
      .leftJoin('change_orders as o', 'o.id', 'ol.order_id')
      .select('c.contract_no', 'cl.quantity', 'ol.quantity_before', 'ol.quantity_after', 'o.status')) as {
      contract_no: string;
      quantity: number;
      quantity_before: number | null;
      quantity_after: number | null;
      status: string | null;
    }[];
    expect(rows).toHaveLength(CONTRACTS);
    const problems: string[] = [];
    const seen: Record<string, number> = {};
    for (const r of rows) {
      const outcome = said.get(r.contract_no) ?? 'not named';
      const before = Number(r.quantity_before);
      seen[`${before} → ${r.quantity}, import ${outcome}`] = (seen[`${before} → ${r.quantity}, import ${outcome}`] ?? 0) + 1;
      const fine =
        r.status === 'completed' &&
        Number(r.quantity_after) === before - 1 &&
        Number(r.quantity) === before - 1 &&
        ((before === 7 && outcome === 'updated') || (before === 5 && outcome.startsWith('refused')));
      if (!fine) problems.push(`${r.contract_no}: order ${r.status} ${r.quantity_before} → ${r.quantity_after}, line now ${r.quantity}, import ${outcome}`);
    }
    expect(problems.slice(0, 10), JSON.stringify(seen)).toEqual([]);
    return { seen };
  } finally {
    await store.close();
  }
}

/** Where the import lands: before the first page is judged, among the pages, after the orders. */
const DELAYS_MS = [-1000, 0, 400, 800, 1200];

describe('a master import beside a cancellation: every order starts from the line as it was when the order was made', () => {
  it('on SQLite (one writer)', async () => {
    for (const [i, delay] of DELAYS_MS.entries()) {
      const { seen } = await race(path.join(tmp, `sqlite-${i}.db`), `sqlite-${i}`, delay);
      console.info(`SQLite, import ${delay} ms after the cancel: ${JSON.stringify(seen)}`);
    }
  }, 240_000);

  it.skipIf(!PG_URL)(
    'on PostgreSQL (READ COMMITTED, lines locked by both)',
    async () => {
      for (const [i, delay] of DELAYS_MS.entries()) {
        const schema = await aPgSchema(PG_URL!, `race${i}`);
        try {
          const { seen } = await race(schema.url, `pg-${i}`, delay);
          console.info(`PostgreSQL, import ${delay} ms after the cancel: ${JSON.stringify(seen)}`);
        } finally {
          await schema.drop();
        }
      }
    },
    240_000,
  );
});
