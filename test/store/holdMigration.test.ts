/**
 * Migration 008 on a store with open orders made before it: each takes the stop of the last
 * run whose rows made or continued it (its `--until`; none for `completed`), so that the
 * first night after the upgrade leaves parked orders where their runs chose. SQLite, and
 * PostgreSQL when KAIYAKU_TEST_PG_URL is set.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCancelFile } from '../../src/cancel/runCancel.js';
import { createSimSupplier } from '../../src/supplier/index.js';
import { generate, useTempDir } from '../support/setup.js';
import { cancelOptions, importGenerated, makeDeps } from '../orders/harness.js';
import { aPgSchema, PG_URL } from './pgSchema.js';
import { knexOf } from '../../src/store/store.js';

const tmp = useTempDir('kaiyaku-holds-');

async function scenario(spec: string, dir: string): Promise<void> {
  const gen = await generate({ rows: 4, out: dir, prefix: 'HOLD' });
  const [header, ...rows] = fs.readFileSync(gen.cancel, 'utf8').trimEnd().split('\n');
  const file = (name: string, i: number) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, `${header}\n${rows[i]}\n`);
    return f;
  };
  let deps = await makeDeps(spec);
  try {
    await importGenerated(deps, gen);
    // The supplier answers nothing: a run asked for completion stops after 受付.
    deps.setSupplier(() =>
      createSimSupplier({ latencyMs: 0, failRate: 1, rateLimit: 0, asyncRate: 0, seed: 1 }, [], { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 }),
    );
    await runCancelFile(deps, file('a.csv', 0), cancelOptions({ until: 'accepted' }));
    const b = file('b.csv', 1);
    await runCancelFile(deps, b, cancelOptions({ until: 'requested' }));
    await runCancelFile(deps, b, cancelOptions({ until: 'accepted' })); // the same rows, a later stage
    await runCancelFile(deps, file('c.csv', 2), cancelOptions({ until: 'completed' })); // cut short
    await runCancelFile(deps, file('d.csv', 3), cancelOptions({ until: 'requested' }));

    // The store as a version before migration 008 left it.
    const db = knexOf(deps.store);
    await db.raw('drop index cancelled_serials_claimed_by_index');
    for (const column of ['claimed_by', 'claimed_at']) await db.raw(`alter table cancelled_serials drop column ${column}`);
    await db.raw('alter table change_orders drop column hold_stage');
    await db('knex_migrations').where({ name: '008_order_holds_and_export_claims' }).delete();
    await deps.close();

    deps = await makeDeps(spec); // migrates
    const holds = await knexOf(deps.store)('change_orders as o')
      .join('contracts as c', 'c.id', 'o.contract_id')
      .orderBy('c.contract_no')
      .select('c.contract_no', 'o.status', 'o.hold_stage');
    expect(holds.map((h: { status: string; hold_stage: string | null }) => [h.status, h.hold_stage])).toEqual([
      ['accepted', 'accepted'],
      ['accepted', 'accepted'],
      ['accepted', null],
      ['requested', 'requested'],
    ]);
  } finally {
    await deps.close();
  }
}

describe('migration 008 gives orders made before it their run’s stop', () => {
  it('SQLite', async () => {
    const dir = tmp.make('sqlite');
    await scenario(path.join(dir, 'store.db'), dir);
  });

  it.skipIf(!PG_URL)('PostgreSQL', async () => {
    const schema = await aPgSchema(PG_URL!, 'holds');
    try {
      await scenario(schema.url, tmp.make('pg'));
    } finally {
      await schema.drop();
    }
  });
});
