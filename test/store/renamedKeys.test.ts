/**
 * The book's keys say what a message is about; 015 renames the keys the store kept under
 * their old names (renamedKeys.ts): a refused row's detail and a line's words, with the
 * messages nested in them, read with the same words after it, on SQLite and, when a server
 * is given, on PostgreSQL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromStored, isMessageKey, say, toStored, type Said } from '../../src/messages/index.js';
import { openStore, type Store } from '../../src/store/connect.js';
import { importContracts } from '../../src/store/contractRepository.js';
import { RENAMED_KEYS, renamedKeysOf } from '../../src/store/renamedKeys.js';
import { knexOf } from '../../src/store/store.js';
import { aContractInput } from '../builders.js';
import { PG_URL, aPgSchema } from './pgSchema.js';
import { aRun } from './useStore.js';

const NOW = '2026-11-26 09:00:00';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Every rename 015 makes, whichever column: old key → new key. */
const RENAMES = Object.values(RENAMED_KEYS).flatMap((columns) => Object.values(columns).flatMap((rooms) => renamedKeysOf(rooms)));

/** What a version before the rename wrote for `said`: the same JSON, its keys under their old names. */
function asWrittenBefore(said: Said): string {
  let text = toStored(said);
  for (const [from, to] of RENAMES) text = text.replaceAll(`"key":"${to}"`, `"key":"${from}"`);
  return text;
}

const gaveUp = say('supplier.gaveUpAfterAttempts', {
  failedAttempts: 3,
  lastProblem: say('supplier.unreadableAnswer', { status: 200, body: '<html>' }),
  why: say('supplier.budgetSpent', { seconds: '30' }),
});
const refusedAccess = say('supplier.gaveUpUnsent', { why: say('supplier.accessRefused', { answer: say('supplier.http', { status: 403 }) }) });

/** Refused rows' details: the row's problem, said when the file was read or judged. */
const ROWS: { code: string; said: Said; en: string }[] = [
  { code: 'MALFORMED_ROW', said: say('csv.fieldCount', { actual: 4, expected: 3 }), en: '4 fields where the header has 3' },
  {
    code: 'MALFORMED_ROW',
    said: say('csv.nulInValue', { position: 2, name: '商品コード' }),
    en: 'column 2 (商品コード) holds a NUL character (a 0x00 byte), which no value may contain: remove it',
  },
  {
    code: 'DATE_INVALID',
    said: say('domain.noSuchDay', { text: '2026-02-30', year: 2026, paddedMonth: '02', daysInMonth: 28, month: 2 }),
    en: '"2026-02-30" is not a day of the calendar: 2026-02 has 28 days',
  },
  {
    code: 'DUPLICATE_REQUEST',
    said: say('cancel.requestIdUsed', {
      requestId: 'REQ-1',
      where: say('cancel.requestIdOrder', { orderNo: 'NOD202611-0000000001', appliedOn: '2026-11-01' }),
    }),
    en: '"REQ-1" was used for another row (order NOD202611-0000000001 of 2026-11-01)',
  },
  {
    code: 'POSSIBLE_REPEAT',
    said: say('cancel.possibleRepeat', {
      no: 'NOD202611-0000000002',
      date: '2026-11-02',
      where: say('cancel.rowOfFile', { file: 'oct.csv', row: 4 }),
      repeatDays: 30,
    }),
    en: 'order NOD202611-0000000002 of 2026-11-02 (oct.csv row 4), and nothing shows',
  },
  // A key that was not renamed stays as it was.
  { code: 'QUANTITY_INVALID', said: say('domain.quotedValue', { value: 'abc' }), en: '"abc"' },
];

/** Lines' words: ours, with the supplier client's reason nested inside. */
const LINES: { said: Said; en: string }[] = [
  {
    said: say('orders.supplierUnavailable', { reason: gaveUp }),
    en: 'supplier unavailable after 3 attempts; last: an answer that could not be read (HTTP 200: <html>); not retried: the supplier time budget of this command (--supplier-budget-seconds 30) is spent',
  },
  {
    said: say('store.lineHeldAfterReason', { reason: say('orders.supplierUnavailable', { reason: refusedAccess }) }),
    en: "supplier unavailable, not sent: the supplier's gateway refused access (HTTP 403): check the supplier URL and its credentials; not applied to the contract line: another open order holds it",
  },
  {
    said: say('orders.supplierUnavailable', { reason: say('supplier.keptThrottling', { throttles: 12 }) }),
    en: 'supplier kept throttling (HTTP 429 12 times)',
  },
  {
    said: say('orders.supplierUnavailable', { reason: say('supplier.retryAfterTooLong', { seconds: '120', seconds2: '60' }) }),
    en: 'the supplier asked to wait 120 s (HTTP 429 Retry-After), longer than the 60 s a command waits',
  },
  // A key that was not renamed stays as it was.
  { said: say('orders.settledBelowTarget', { held: 1, target: 0, cancels: 2, asked: 3 }), en: 'a change to 0 was sent and the supplier settled at 1' },
];

interface Written {
  runId: number;
  lineIds: number[];
}

/** Rows and lines as a version before the rename left them: the old keys in their JSON. */
async function writeWithOldKeys(store: Store): Promise<Written> {
  const db = knexOf(store);
  const input = aContractInput();
  await importContracts(store, [input], 'importer', NOW);
  const contract = (await db('contracts').where({ contract_no: input.contractNo }).first()) as { id: number };
  const line = (await db('contract_lines').where({ contract_id: contract.id }).first()) as { id: number; quantity: number; unit_price: number };
  const [order] = (await db('change_orders')
    .insert({
      order_no: 'NOD202611-0000000009',
      contract_id: contract.id,
      kind: 'cancel',
      status: 'accepted',
      applied_on: '2026-11-26',
      created_at: NOW,
      updated_at: NOW,
      updated_by: 'test',
    })
    .returning('id')) as ({ id: number } | number)[];
  const orderId = typeof order === 'object' ? order.id : order!;
  const lineIds: number[] = [];
  for (const l of LINES) {
    const [id] = (await db('order_lines')
      .insert({
        order_id: orderId,
        contract_line_id: line.id,
        quantity_before: line.quantity,
        cancel_quantity: 1,
        quantity_after: line.quantity - 1,
        unit_price: line.unit_price,
        linkage_status: 'pending',
        linkage_code: 'SUPPLIER_UNAVAILABLE',
        linkage_detail: asWrittenBefore(l.said),
      })
      .returning('id')) as ({ id: number } | number)[];
    lineIds.push(Number(typeof id === 'object' ? id.id : id));
  }
  const runId = await aRun(store);
  await db('run_rows').insert(
    ROWS.map((r, i) => ({ run_id: runId, row_no: i + 2, raw_fields: '[]', outcome: 'refused', error_code: r.code, error_detail: asWrittenBefore(r.said) })),
  );
  // A row an earlier version wrote with sentences keeps them.
  await db('run_rows').insert({
    run_id: runId,
    row_no: ROWS.length + 2,
    raw_fields: '[]',
    outcome: 'refused',
    error_code: 'LINE_NOT_FOUND',
    error_message_en: 'kept',
  });
  return { runId, lineIds };
}

async function details(store: Store, written: Written): Promise<{ rows: (string | null)[]; lines: (string | null)[] }> {
  const db = knexOf(store);
  const rows = (await db('run_rows').where({ run_id: written.runId }).orderBy('row_no').select('error_detail', 'error_message_en')) as {
    error_detail: string | null;
    error_message_en: string | null;
  }[];
  expect(rows.at(-1)).toEqual({ error_detail: null, error_message_en: 'kept' });
  const lines = (await db('order_lines').whereIn('id', written.lineIds).orderBy('id').select('linkage_detail')) as { linkage_detail: string | null }[];
  return { rows: rows.slice(0, -1).map((r) => r.error_detail), lines: lines.map((l) => l.linkage_detail) };
}

/** Writes rows with the old keys, takes the store back to before 015, and opens it again (which migrates it). */
async function renamesOnMigration(spec: string): Promise<void> {
  let store = await openStore(spec);
  let written: Written;
  try {
    written = await writeWithOldKeys(store);
    const before = await details(store, written);
    // This version does not know the old keys: without 015 the words would be lost.
    expect(before.rows.map((d) => fromStored(d))).toEqual(ROWS.map((r) => (r.said.key === 'domain.quotedValue' ? { en: r.said.en, ja: r.said.ja } : null)));
    expect(before.lines.map((d) => fromStored(d))).toEqual(
      LINES.map((l) => (l.said.key === 'orders.settledBelowTarget' ? { en: l.said.en, ja: l.said.ja } : null)),
    );
    await knexOf(store)('knex_migrations').where({ name: '015_renamed_keys' }).delete();
  } finally {
    await store.close();
  }
  store = await openStore(spec);
  try {
    const after = await details(store, written);
    // The JSON the store keeps now is what this version writes, and it reads with the same words.
    expect(after.rows).toEqual(ROWS.map((r) => toStored(r.said)));
    expect(after.lines).toEqual(LINES.map((l) => toStored(l.said)));
    expect(after.rows.map((d) => fromStored(d))).toEqual(ROWS.map((r) => ({ en: r.said.en, ja: r.said.ja })));
    expect(after.lines.map((d) => fromStored(d))).toEqual(LINES.map((l) => ({ en: l.said.en, ja: l.said.ja })));
    ROWS.forEach((r, i) => expect(fromStored(after.rows[i])?.en).toContain(r.en));
    LINES.forEach((l, i) => expect(fromStored(after.lines[i])?.en).toContain(l.en));
    const applied = (await knexOf(store)('knex_migrations').where({ name: '015_renamed_keys' }).select('name')) as unknown[];
    expect(applied).toHaveLength(1);
  } finally {
    await store.close();
  }
}

describe('015 renames the keys the store kept under their old names', () => {
  it('renames each old key to a key of the book, the old one no longer being one, and no new name is an old one', () => {
    const olds = new Set(RENAMES.map(([from]) => from));
    for (const [from, to] of RENAMES) {
      expect(isMessageKey(to), to).toBe(true);
      expect(isMessageKey(from), from).toBe(false);
      expect(olds.has(to), to).toBe(false);
    }
    expect(new Set(RENAMES.map(([, to]) => to)).size).toBe(RENAMES.length);
  });

  it('on SQLite: rows and lines written with the old keys read with the same words', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-renamed-keys-'));
    dirs.push(dir);
    await renamesOnMigration(path.join(dir, 'k.db'));
  });

  it.skipIf(!PG_URL)('on PostgreSQL: rows and lines written with the old keys read with the same words', async () => {
    const schema = await aPgSchema(PG_URL!, 'renamed_keys');
    try {
      await renamesOnMigration(schema.url);
    } finally {
      await schema.drop();
    }
  });
});
