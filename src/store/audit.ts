import type { Knex } from 'knex';
import { insertRows } from './sql.js';

export interface AuditEntry {
  at: string;
  actor: string;
  entity: 'contract' | 'contract_line' | 'order' | 'order_line' | 'serial_export';
  entityId: number;
  action: string;
  detail?: Record<string, unknown>;
}

/** Who changed what when (最終更新者 / 更新日時 keep only the last; this keeps all). */
export async function recordAudit(db: Knex | Knex.Transaction, ...entries: AuditEntry[]): Promise<void> {
  await insertRows(
    db,
    'audit_log',
    entries.map((e) => ({
      at: e.at,
      actor: e.actor,
      entity: e.entity,
      entity_id: e.entityId,
      action: e.action,
      detail: e.detail ? JSON.stringify(e.detail) : null,
    })),
  );
}
