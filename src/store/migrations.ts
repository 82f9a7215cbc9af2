import type { Knex } from 'knex';
import { backfillDoneRequests } from './doneRequestBackfill.js';
import { renameStoredKeys } from './renamedKeys.js';
import { upperCaseRequestIds } from './requestIdCase.js';
import { reopenSentRefusals } from './sentRefusals.js';

/**
 * Numbered, forward-only migrations, listed in code so the compiled CLI needs no
 * migrations folder. Never edit one that has landed: add the next number.
 * Only the portable subset of the schema builder is used (SQLite and PostgreSQL).
 */
interface Migration {
  name: string;
  up(this: void, knex: Knex): Promise<void>;
}

const migrations: Migration[] = [
  {
    name: '001_initial',
    async up(knex) {
      await knex.schema.createTable('contracts', (t) => {
        t.increments('id').primary();
        t.text('contract_no').notNullable().unique();
        t.string('contract_date', 10);
        t.string('start_date', 10).notNullable();
        t.text('end_date');
        t.string('cancelled_on', 10);
        t.string('status', 16).notNullable().defaultTo('active');
        t.text('subject').notNullable().defaultTo('');
        t.text('customer').notNullable().defaultTo('');
        t.text('end_user').notNullable().defaultTo('');
        t.text('bill_to').notNullable().defaultTo('');
        t.text('ship_to').notNullable().defaultTo('');
        t.string('updated_at', 32).notNullable();
        t.text('updated_by').notNullable();
      });
      await knex.schema.createTable('contract_lines', (t) => {
        t.increments('id').primary();
        t.integer('contract_id').notNullable().references('id').inTable('contracts');
        t.integer('line_no').notNullable();
        t.text('supplier').notNullable().defaultTo('');
        t.text('product_code').notNullable().defaultTo('');
        t.text('product_name').notNullable().defaultTo('');
        t.text('subscription_id').notNullable().defaultTo('');
        t.integer('quantity').notNullable();
        t.integer('unit_price').notNullable();
        t.text('plan').notNullable().defaultTo('');
        t.text('billing_model').notNullable().defaultTo('');
        t.boolean('is_trial').notNullable().defaultTo(false);
        t.string('status', 16).notNullable().defaultTo('active');
        t.text('end_date');
        t.string('updated_at', 32).notNullable();
        t.text('updated_by').notNullable();
        t.unique(['contract_id', 'line_no']);
        t.index(['subscription_id']);
      });
      await knex.schema.createTable('serials', (t) => {
        t.increments('id').primary();
        t.integer('line_id').notNullable().references('id').inTable('contract_lines');
        t.text('serial_no').notNullable();
        t.string('status', 16).notNullable().defaultTo('active');
        t.unique(['line_id', 'serial_no']);
      });
      await knex.schema.createTable('sequences', (t) => {
        t.text('name').primary();
        t.bigInteger('value').notNullable();
      });
      await knex('sequences').insert({ name: 'order_no', value: 0 });
      await knex.schema.createTable('runs', (t) => {
        t.increments('id').primary();
        t.string('file_sha256', 64).notNullable();
        t.text('file_name').notNullable();
        t.string('status', 16).notNullable();
        t.string('until_stage', 16).notNullable();
        t.string('applied_on', 10).notNullable();
        t.string('started_at', 32).notNullable();
        t.string('finished_at', 32);
        t.string('heartbeat_at', 32).notNullable();
        t.text('owner').notNullable();
        t.text('operator').notNullable();
        t.boolean('dry_run').notNullable().defaultTo(false);
        /** Set once every row of the file is staged; a taken-over run restages otherwise. */
        t.integer('row_count');
        t.text('header_fields');
        t.index(['file_sha256']);
      });
      await knex.schema.createTable('change_orders', (t) => {
        t.increments('id').primary();
        t.string('order_no', 32).notNullable().unique();
        t.integer('contract_id').notNullable().references('id').inTable('contracts');
        t.string('kind', 16).notNullable();
        t.string('status', 16).notNullable();
        t.string('applied_on', 10).notNullable();
        t.text('end_date');
        t.text('note').notNullable().defaultTo('');
        t.integer('run_id').references('id').inTable('runs');
        t.string('completed_on', 10);
        t.string('created_at', 32).notNullable();
        t.string('updated_at', 32).notNullable();
        t.text('updated_by').notNullable();
        t.index(['status']);
        t.index(['contract_id']);
      });
      await knex.schema.createTable('order_lines', (t) => {
        t.increments('id').primary();
        t.integer('order_id').notNullable().references('id').inTable('change_orders');
        t.integer('contract_line_id').notNullable().references('id').inTable('contract_lines');
        t.integer('quantity_before').notNullable();
        t.integer('cancel_quantity').notNullable();
        t.integer('quantity_after').notNullable();
        t.integer('unit_price').notNullable();
        t.string('linkage_status', 16).notNullable().defaultTo('unlinked');
        t.text('linkage_code');
        t.text('linkage_message');
        /** Set before the call leaves: a run killed mid-call resends the same target and key. */
        t.string('sent_at', 32);
        t.string('linked_at', 32);
        t.index(['order_id']);
        t.index(['contract_line_id']);
      });
      await knex.schema.createTable('order_line_serials', (t) => {
        t.integer('order_line_id').notNullable().references('id').inTable('order_lines');
        t.integer('serial_id').notNullable().references('id').inTable('serials');
        t.primary(['order_line_id', 'serial_id']);
      });
      // One open cancellation per contract line, enforced by the store itself: a row here
      // exists exactly while an open order holds the line, so overlapping runs cannot both win.
      await knex.schema.createTable('line_claims', (t) => {
        t.integer('contract_line_id').primary().references('id').inTable('contract_lines');
        t.integer('order_id').notNullable().references('id').inTable('change_orders');
      });
      await knex.schema.createTable('cancelled_serials', (t) => {
        t.increments('id').primary();
        t.integer('order_line_id').notNullable().references('id').inTable('order_lines');
        t.text('serial_no').notNullable();
        t.integer('cancel_quantity').notNullable();
        t.string('cancelled_on', 10).notNullable();
        t.text('end_date').notNullable();
        t.string('notified_at', 32);
        t.text('notified_by');
        t.unique(['order_line_id', 'serial_no']);
        t.index(['cancelled_on']);
      });
      await knex.schema.createTable('run_rows', (t) => {
        t.integer('run_id').notNullable().references('id').inTable('runs');
        t.integer('row_no').notNullable();
        t.text('contract_no').notNullable().defaultTo('');
        t.text('product_code').notNullable().defaultTo('');
        t.text('subscription_id').notNullable().defaultTo('');
        t.text('cancel_quantity').notNullable().defaultTo('');
        t.text('serial_no').notNullable().defaultTo('');
        t.text('end_date').notNullable().defaultTo('');
        t.text('request_id').notNullable().defaultTo('');
        t.text('note').notNullable().defaultTo('');
        /** The cells exactly as they came in, JSON, for the error file. */
        t.text('raw_fields').notNullable();
        t.string('outcome', 16).notNullable();
        t.integer('order_id').references('id').inTable('change_orders');
        t.text('line_ids');
        t.string('error_code', 64);
        t.text('error_message_en');
        t.text('error_message_ja');
        t.primary(['run_id', 'row_no']);
        t.index(['order_id']);
        t.index(['run_id', 'outcome', 'contract_no']);
      });
      await knex.schema.createTable('request_keys', (t) => {
        t.text('request_id').primary();
        t.integer('order_id').notNullable().references('id').inTable('change_orders');
        t.integer('run_id').notNullable().references('id').inTable('runs');
      });
      await knex.schema.createTable('audit_log', (t) => {
        t.increments('id').primary();
        t.string('at', 32).notNullable();
        t.text('actor').notNullable();
        t.string('entity', 32).notNullable();
        t.integer('entity_id').notNullable();
        t.string('action', 64).notNullable();
        t.text('detail');
        t.index(['entity', 'entity_id']);
      });
      await knex.schema.createTable('locks', (t) => {
        t.text('name').primary();
        t.text('holder').notNullable();
        t.string('acquired_at', 32).notNullable();
        t.string('heartbeat_at', 32).notNullable();
      });
    },
  },
  {
    // A staged row keeps its cells once, as they came (raw_fields); the values the
    // pipeline compares are derived from them by the header each time they are read.
    // Only the contract number and request id stay columns: the store pages and
    // matches on them. Writing and reading six columns fewer per row is most of what
    // staging and reporting cost at tens of thousands of rows.
    name: '002_run_rows_cells_once',
    async up(knex) {
      // ALTER TABLE … DROP COLUMN: SQLite 3.35+ and PostgreSQL, one column per statement.
      for (const column of ['product_code', 'subscription_id', 'cancel_quantity', 'serial_no', 'end_date', 'note']) {
        await knex.raw(`alter table run_rows drop column ${column}`);
      }
    },
  },
  {
    // Each order line sends its own Idempotency-Key, a random UUID chosen when the line is
    // created, instead of `order-line-<id>`: ids start again where a store restored from a
    // backup left off, and the supplier remembers keys longer than that. A line that may
    // have been sent keeps the key it was sent with; a line never sent gets a UUID when it
    // is first sent (orderRepository.prepareLinesToSend).
    name: '003_order_line_idempotency_keys',
    async up(knex) {
      await knex.schema.alterTable('order_lines', (t) => {
        t.text('idempotency_key');
      });
      await knex.raw(`update order_lines set idempotency_key = 'order-line-' || id where sent_at is not null or linkage_status <> 'unlinked'`);
      await knex.schema.alterTable('order_lines', (t) => {
        t.unique(['idempotency_key'], { indexName: 'order_lines_idempotency_key_unique' });
      });
    },
  },
  {
    // What was done is known per row, not only per file: a row without a request id is
    // remembered by its fingerprint (rowKey.ts), and a request id is bound to the row it
    // first came with. Keys recorded before this migration have no fingerprint and match
    // any row with their request id, as they did.
    name: '005_row_fingerprints',
    async up(knex) {
      await knex.schema.alterTable('request_keys', (t) => {
        t.text('fingerprint');
      });
      await knex.schema.createTable('row_fingerprints', (t) => {
        t.text('fingerprint').primary();
        t.integer('order_id').notNullable().references('id').inTable('change_orders');
        t.integer('run_id').notNullable().references('id').inTable('runs');
      });
    },
  },
  {
    // An order records the supplier it was linked with ("sim", or the API's URL without
    // credentials): the supplier is never implied, and an order linked with one is not
    // polled or sent again through another (a simulator knows nothing of a real
    // subscription, and the reverse). Orders linked before this migration have none and
    // take the supplier of the next run that links them.
    name: '006_order_linked_with',
    async up(knex) {
      await knex.schema.alterTable('change_orders', (t) => {
        t.text('linked_with');
      });
    },
  },
  {
    // Linkage claims the order lines it is about to send or poll (linkClaims.ts): a run
    // holds a line under a lease it renews, so that two runs never send one line at once.
    // The lease is the database's clock in milliseconds, whatever host a run is on. And a
    // line's own reasons (the supplier's quantity differs, a throttled supplier) are kept
    // in Japanese beside the English ones; the supplier's words stay in linkage_message.
    name: '007_order_line_link_claims',
    async up(knex) {
      await knex.schema.alterTable('order_lines', (t) => {
        t.text('link_claim');
        t.bigInteger('link_claimed_until');
        t.text('linkage_message_ja');
      });
    },
  },
  {
    // A stop chosen is kept (cli.md): each open order records the stage the run that made
    // or last took it up was asked to stop at (`--until`), null for `completed`; a night and
    // a plain resume leave an order that has reached it. Orders opened before this
    // migration take it from the last run whose rows made or continued them.
    // An export claims its serial rows before writing them (claimed_by, claimed_at), so two
    // exports at once never write the same row; a killed export's claim lapses.
    name: '008_order_holds_and_export_claims',
    async up(knex) {
      await knex.schema.alterTable('change_orders', (t) => {
        t.string('hold_stage', 16);
      });
      await knex.raw(
        `update change_orders set hold_stage = (
           select r.until_stage from run_rows rr join runs r on r.id = rr.run_id
           where rr.order_id = change_orders.id and rr.outcome in ('ordered', 'continued')
           order by r.id desc limit 1)
         where status in ('requested', 'accepted')`,
      );
      await knex('change_orders').where('hold_stage', 'completed').update({ hold_stage: null });
      await knex.schema.alterTable('cancelled_serials', (t) => {
        t.text('claimed_by');
        t.string('claimed_at', 32);
        t.index(['claimed_by'], 'cancelled_serials_claimed_by_index');
      });
    },
  },
  {
    // A row's request is known by what it resolved to, not by its cells (issue 18): the
    // contract lines it covered, the serial, the quantity and the end date as they took
    // effect, and whether the row gave them or a blank stood for them
    // (domain/requestIdentity.ts; kept as one JSON text, doneRequestForm.ts, looked up by
    // contract). One record per row that made an order, kept with the
    // run and row that made it, so each row reports its own lines and the repeat rule can
    // ask which file it came from. Runs keep the name of the error file they wrote: that
    // file dropped back is the same request. The row fingerprints of 005 are replaced:
    // every row they recorded is recorded here, resolved.
    name: '009_done_requests',
    async up(knex) {
      await knex.schema.createTable('done_requests', (t) => {
        t.increments('id').primary();
        t.integer('order_id').notNullable().references('id').inTable('change_orders');
        t.integer('run_id').notNullable().references('id').inTable('runs');
        t.integer('row_no').notNullable();
        t.integer('contract_id').notNullable().references('id').inTable('contracts');
        /** The rest of the resolved form, as JSON (doneRequestForm.ts). */
        t.text('resolved').notNullable();
        t.index(['contract_id']);
      });
      await knex.schema.alterTable('runs', (t) => {
        t.text('errors_file');
      });
      await backfillDoneRequests(knex);
      await knex.schema.dropTable('row_fingerprints');
    },
  },
  {
    // The quantity the contract master and the store last agreed on, per line: what the
    // import took from the file, or found the same. A cancellation moves the store away
    // from it; a later master that still gives it (or the quantity before the latest
    // cancellation) is older news and the store's quantity stays, while one that gives
    // another number is not dropped silently (contractRepository, decideQuantity). Lines
    // registered before this version agreed on what the import set last: the quantity
    // before their first completed cancellation, or the quantity they have.
    name: '010_line_master_quantity',
    async up(knex) {
      await knex.schema.alterTable('contract_lines', (t) => {
        t.integer('master_quantity');
      });
      await knex.raw(
        `update contract_lines set master_quantity = coalesce(
           (select ol.quantity_before from order_lines ol join change_orders o on o.id = ol.order_id
            where ol.contract_line_id = contract_lines.id and o.status = 'completed' and ol.cancel_quantity > 0
            order by o.id limit 1),
           quantity)`,
      );
    },
  },
  {
    // A marking serial export keeps a record from its claim to its end (holder, the
    // temporary and final names of its file, null for stdout). The transaction that marks
    // its rows notified also turns the record to 'marked' (the file's sha256 and row
    // counts); the record ends once the file is under its final name. An export killed in
    // between leaves the record, and the next marking export tells from the files which
    // side of the rename it stopped on (serials/serialExportRecovery.ts). One file has at
    // most one export writing it.
    name: '011_serial_export_records',
    async up(knex) {
      await knex.schema.createTable('serial_exports', (t) => {
        t.text('holder').primary();
        t.string('state', 16).notNullable();
        t.text('temp_path');
        // Two exports writing one file at once would rename over each other: one of them is refused.
        t.text('final_path').unique({ indexName: 'serial_exports_final_path_unique' });
        t.string('renewed_at', 32).notNullable();
        t.string('sha256', 64);
        t.integer('rows_written');
        t.integer('rows_marked');
        t.string('marked_at', 32);
        t.text('notified_by');
      });
    },
  },
  {
    // Request ids are compared without regard to case, as every identifier of a file is:
    // `req-0001` retyped is REQ-0001, not a new request that cancels the line again.
    name: '012_request_ids_upper_case',
    async up(knex) {
      await upperCaseRequestIds(knex);
    },
  },
  {
    // A line whose change was sent is never refused for good by a later question: lines an
    // earlier version failed so (a quantity mismatch or a 404 after sending) are asked again.
    name: '013_reopen_sent_refusals',
    async up(knex) {
      await reopenSentRefusals(knex);
    },
  },
  {
    // The store keeps codes and parameters, not sentences: a row's refusal and a line's
    // linkage keep the book's key and parameters of our words (JSON text, messages/book.ts
    // toStored), rendered in the reader's language when read. The supplier's own words stay
    // in linkage_message, as data. Rows written before keep their sentences, read as they are.
    name: '014_words_by_key',
    async up(knex) {
      await knex.schema.alterTable('run_rows', (t) => {
        t.text('error_detail');
      });
      await knex.schema.alterTable('order_lines', (t) => {
        t.text('linkage_detail');
      });
    },
  },
  {
    // The book's keys say what a message is about, not its first words: the keys the store
    // keeps under their old names (a refused row's detail, a line's words, and the messages
    // nested in them) take the new ones (renamedKeys.ts), so that they read as they did.
    name: '015_renamed_keys',
    async up(knex) {
      await renameStoredKeys(knex);
    },
  },
];

export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => migrations,
  getMigrationName: (m) => m.name,
  getMigration: async (m) => ({
    up: m.up,
    down: async () => {
      throw new Error('migrations are forward only');
    },
  }),
};
