import type { Knex } from 'knex';
import { updateRowsById } from './sql.js';

/**
 * Request ids are compared without regard to case (`req-0001` is REQ-0001), and stored in
 * upper case from migration 012 on. Ids recorded before in another case are upper-cased
 * where that names no other recorded id (where it does, both were done as distinct
 * requests, and the one stored in upper case is the one later rows find). The resolved form
 * of done rows keeps its copy of the id in step.
 */
export async function upperCaseRequestIds(knex: Knex): Promise<void> {
  const keys = (await knex('request_keys').select('request_id')) as { request_id: string }[];
  const taken = new Set(keys.map((k) => k.request_id));
  for (const { request_id: id } of keys) {
    const upper = id.toUpperCase();
    if (upper === id || taken.has(upper)) continue;
    await knex('request_keys').where({ request_id: id }).update({ request_id: upper });
    taken.add(upper);
  }
  const done = (await knex('done_requests').select('id', 'resolved')) as { id: number; resolved: string }[];
  const changed: { id: number; resolved: string }[] = [];
  for (const row of done) {
    const form = JSON.parse(row.resolved) as { requestId?: unknown };
    if (typeof form.requestId !== 'string' || form.requestId === form.requestId.toUpperCase()) continue;
    changed.push({ id: Number(row.id), resolved: JSON.stringify({ ...form, requestId: form.requestId.toUpperCase() }) });
  }
  await updateRowsById(knex, 'done_requests', changed);
}
