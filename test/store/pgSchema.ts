import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';

/**
 * The PostgreSQL server tests may use (KAIYAKU_TEST_PG_URL, as in postgres.test.ts);
 * undefined skips them.
 */
export const PG_URL = process.env['KAIYAKU_TEST_PG_URL'];

/**
 * A schema of its own for one test, so that test files can run in parallel against the
 * same database: `url` opens stores whose unqualified tables (knex's migration tables
 * included) live there. `drop` removes it with everything in it.
 */
export async function aPgSchema(base: string, label: string): Promise<{ name: string; url: string; admin: Knex; drop: () => Promise<void> }> {
  const name = `kaiyaku_${label}_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 2 } });
  await admin.raw(`create schema ${name}`);
  const url = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${name}`)}`;
  return {
    name,
    url,
    admin,
    drop: async () => {
      try {
        await admin.raw(`drop schema if exists ${name} cascade`);
      } finally {
        await admin.destroy();
      }
    },
  };
}
