import type { Knex } from 'knex';
import type { ContractSnapshot, SnapshotLine } from '../domain/cancelRules.js';
import type { ContractImportColumnKey } from '../csv/headers.js';
import type { Contract, ContractLine, ImportCounts } from '../domain/types.js';
import { canonicalContractNo, pairLines, sameId, serialKey } from '../domain/lineIdentity.js';
import type { StoreCore } from './store.js';
import { transact } from './retry.js';
import { chunk, dialectOf, idsOf, insertRows, selectPacked, textsOf, updateRowsById } from './sql.js';
import { toSerial, type DbContract, type DbContractLine, type DbSerial } from './rows.js';
import { recordAudit } from './audit.js';

/** One contract with its lines, as `contracts import` reads it from the file. */
export type ContractInput = Omit<Contract, 'id' | 'status' | 'cancelledOn'> & { lines: ContractLineInput[] };

/** One contract line as the file gives it: the domain line less what the store decides, plus its serials and the row it came from. */
export type ContractLineInput = Omit<ContractLine, 'id' | 'contractId' | 'status' | 'endDate'> & { serials: string[]; row?: number };

export interface ImportOptions {
  /** false: the file has no serials column, and every line keeps the serials it has. */
  serialsColumn?: boolean;
  /**
   * Take the file's quantity for an active line that a cancellation moved, where it is
   * neither the quantity before the cancellation nor the one after it (the operator has
   * checked the supplier): otherwise such a line is refused.
   */
  acceptQuantities?: boolean;
}

/** A column of the import, by its key (the pipeline names it as the user knows it); serials are reported apart. */
export type ImportField = Exclude<ContractImportColumnKey, 'serials'>;

export interface FieldChange {
  field: ImportField;
  before: string;
  after: string;
}

/** A value the store keeps against the file, because a cancellation decided it. */
export interface KeptValue {
  field: ImportField;
  store: string;
  file: string;
  /** The completed orders that decided it. */
  orderNos: string[];
}

/** Why a line of the file was not applied: the line stays exactly as stored. */
export type LineRefusal =
  /** An open order holds the line, and the file would change it. */
  | { kind: 'held'; orderNo: string }
  /** The file gives no subscription id; the store's line of that product has one the file names nowhere. */
  | { kind: 'id-missing'; lineNo: number; subscriptionId: string }
  /** After what cancellations decided, the serials the file gives do not match the seats left. */
  | { kind: 'serial-count'; serials: number; quantity: number; orderNos: string[] }
  /** The file has no serials column, and the new quantity does not match the serials the line has. */
  | { kind: 'serials-not-given'; serials: number; quantity: number }
  /** A serial the file gives this line was cancelled on another line. */
  | { kind: 'serial-cancelled'; serial: string; lineNo: number }
  /** A serial the file gives this line is active on another line that keeps it. */
  | { kind: 'serial-elsewhere'; serial: string; lineNo: number }
  /** A new line on a contract that cancellation has closed. */
  | { kind: 'contract-cancelled' }
  /**
   * A cancellation moved the line's quantity since the master last agreed with the store,
   * and the file gives a quantity that is neither what the line had before it (`before`)
   * nor what it has (`after`): newer news from the supplier, or a master that never saw
   * the cancellation. Not guessed.
   */
  | { kind: 'quantity-unexplained'; file: number; before: number | null; after: number; orderNo: string | null; lineCancelled: boolean };

export type LineOutcome = 'created' | 'updated' | 'unchanged' | 'refused';

export interface SerialChanges {
  added: string[];
  removed: string[];
  /** Serials that came from another line of the contract (the file lists them there no more). */
  moved: { serial: string; fromLineNo: number }[];
}

export interface LineReport {
  /** The file's data row; null when the caller gave none. */
  row: number | null;
  /** The line's number on its contract; null for a new line that was refused. */
  lineNo: number | null;
  productCode: string;
  subscriptionId: string;
  outcome: LineOutcome;
  changes: FieldChange[];
  kept: KeptValue[];
  serials: SerialChanges;
  refusal: LineRefusal | null;
}

export interface ContractReport {
  contractNo: string;
  outcome: 'created' | 'updated' | 'unchanged';
  changes: FieldChange[];
  kept: KeptValue[];
  /** One per line of the file, in file order. */
  lines: LineReport[];
  /** Stored lines that no row of the file is: kept as they are. */
  notInFile: { lineNo: number; productCode: string; subscriptionId: string }[];
}

export interface ImportResult extends ImportCounts {
  contracts: ContractReport[];
}

/**
 * 契約一括登録 in one transaction: what the store has of the file's contracts is read,
 * the file is compared with it (planImport), and the differences are written set-based,
 * a handful of statements per few thousand contracts. Lines are matched by their identity
 * (domain/lineIdentity.ts). What cancellation decided is the store's: a contract's end
 * date once it is cancelled, and the quantity of a line a completed order changed. A line
 * an open order holds is not changed: the file's changes to it are refused for that line,
 * and the rest is imported. Each line's active serials end as the file's set (less those
 * cancelled), which matches its quantity.
 */
export async function importContracts(
  store: StoreCore,
  contracts: readonly ContractInput[],
  actor: string,
  now: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  return transact(
    store,
    async (trx) => {
      const stored = await loadImportState(
        trx,
        contracts.map((c) => canonicalContractNo(c.contractNo)),
        true,
      );
      const plan = planImport(stored, contracts, actor, now, options);
      await applyPlan(trx, plan, actor, now);
      return plan.result;
    },
    { retryUniqueViolation: true },
  );
}

/**
 * What importContracts would do, read from the store and changing nothing; `null` for a
 * store that does not exist yet (every contract is new).
 */
export async function previewImport(db: Knex | null, contracts: readonly ContractInput[], options: ImportOptions = {}): Promise<ImportResult> {
  const stored =
    db === null
      ? new Map<string, StoredContract>()
      : await loadImportState(
          db,
          contracts.map((c) => canonicalContractNo(c.contractNo)),
          false,
        );
  return planImport(stored, contracts, 'preview', '', options).result;
}

interface StoredSerial {
  id: number;
  serialNo: string;
  status: string;
}

interface StoredLine extends LineValues {
  id: number;
  lineNo: number;
  status: string;
  /** The open order that holds the line. */
  heldBy: string | null;
  /** Completed orders that took seats off the line. */
  decidedBy: string[];
  /** The latest of them, with the quantity the line had before it. */
  lastCancellation: { orderNo: string; before: number } | null;
  /** The quantity the master and the store last agreed on; null when not known. */
  masterQuantity: number | null;
  serials: StoredSerial[];
}

interface StoredContract {
  id: number;
  contractNo: string;
  contractDate: string | null;
  startDate: string;
  endDate: string | null;
  cancelledOn: string | null;
  status: string;
  subject: string;
  customer: string;
  endUser: string;
  billTo: string;
  shipTo: string;
  lines: StoredLine[];
}

/**
 * The file's contracts as stored, by their canonical number, with lines (in line order),
 * serials (removed ones too: a serial listed again takes its row back), the open order
 * holding each line and the completed orders that changed it. A number stored in another
 * case (before numbers were upper-cased on import) is found too, and renamed by the plan.
 * `lock`: on PostgreSQL the rows are locked, so that no order claims a line or reads its
 * quantity between this read and the write (order creation locks the same lines).
 */
async function loadImportState(db: Knex | Knex.Transaction, contractNos: readonly string[], lock: boolean): Promise<Map<string, StoredContract>> {
  const found = new Map<string, StoredContract>();
  const forUpdate = lock && dialectOf(db) === 'postgres';
  const toContract = (c: DbContract): StoredContract => ({
    id: Number(c.id),
    contractNo: c.contract_no,
    contractDate: c.contract_date,
    startDate: c.start_date,
    endDate: c.end_date,
    cancelledOn: c.cancelled_on,
    status: c.status,
    subject: c.subject,
    customer: c.customer,
    endUser: c.end_user,
    billTo: c.bill_to,
    shipTo: c.ship_to,
    lines: [],
  });
  const columns = [
    'id',
    'contract_no',
    'contract_date',
    'start_date',
    'end_date',
    'cancelled_on',
    'status',
    'subject',
    'customer',
    'end_user',
    'bill_to',
    'ship_to',
  ];
  for (const part of chunk([...new Set(contractNos)], 2000)) {
    const exact = db<DbContract>('contracts').whereIn('contract_no', part).select(columns);
    for (const c of (await (forUpdate ? exact.forNoKeyUpdate() : exact)) as unknown as DbContract[])
      found.set(canonicalContractNo(c.contract_no), toContract(c));
    const missing = part.filter((no) => !found.has(no));
    if (missing.length === 0) continue;
    const folded = db<DbContract>('contracts')
      .whereRaw(`upper(contract_no) in (${missing.map(() => '?').join(', ')})`, missing)
      .orderBy('id')
      .select(columns);
    for (const c of (await (forUpdate ? folded.forNoKeyUpdate() : folded)) as unknown as DbContract[]) {
      const key = canonicalContractNo(c.contract_no);
      if (!found.has(key)) found.set(key, toContract(c));
    }
  }
  const byId = new Map([...found.values()].map((c) => [c.id, c]));
  // Contracts are locked FOR NO KEY UPDATE: two imports wait for each other, but an order
  // being inserted (its foreign key takes KEY SHARE on the contract) does not wait for this
  // import while this import waits for that order's lines, which would deadlock.
  // All the lines at once and in id order, as order creation locks them, so that the two
  // wait for each other instead of deadlocking; read afterwards by statements of their own,
  // which see the claims of an order created while this one waited.
  if (forUpdate && byId.size > 0)
    await db('contract_lines')
      .whereIn('contract_id', idsOf(db, [...byId.keys()]))
      .orderBy('id')
      .forUpdate()
      .select('id');
  const lineById = new Map<number, StoredLine>();
  for (const part of chunk([...byId.keys()], 5000)) {
    const lines = db<DbContractLine>('contract_lines')
      .whereIn('contract_id', idsOf(db, part))
      .orderBy([{ column: 'contract_id' }, { column: 'line_no' }]);
    for (const l of (await lines) as unknown as DbContractLine[]) {
      const line: StoredLine = {
        id: Number(l.id),
        lineNo: Number(l.line_no),
        supplier: l.supplier,
        productCode: l.product_code,
        productName: l.product_name,
        subscriptionId: l.subscription_id,
        quantity: Number(l.quantity),
        unitPrice: Number(l.unit_price),
        plan: l.plan,
        billingModel: l.billing_model,
        isTrial: Boolean(l.is_trial),
        status: l.status,
        heldBy: null,
        decidedBy: [],
        lastCancellation: null,
        masterQuantity: l.master_quantity === null ? null : Number(l.master_quantity),
        serials: [],
      };
      byId.get(Number(l.contract_id))!.lines.push(line);
      lineById.set(line.id, line);
    }
    const serials: { id: number; line_id: number; serial_no: string; status: string }[] = await db('serials as s')
      .join('contract_lines as cl', 'cl.id', 's.line_id')
      .whereIn('cl.contract_id', idsOf(db, part))
      .orderBy('s.id')
      .select('s.id', 's.line_id', 's.serial_no', 's.status');
    for (const s of serials) lineById.get(Number(s.line_id))?.serials.push({ id: Number(s.id), serialNo: s.serial_no, status: s.status });
    const claims: { line_id: number; order_no: string }[] = await db('line_claims as lc')
      .join('contract_lines as cl', 'cl.id', 'lc.contract_line_id')
      .join('change_orders as o', 'o.id', 'lc.order_id')
      .whereIn('cl.contract_id', idsOf(db, part))
      .select('lc.contract_line_id as line_id', 'o.order_no');
    for (const c of claims) {
      const line = lineById.get(Number(c.line_id));
      if (line) line.heldBy = c.order_no;
    }
    // Released lines (the supplier refused them) record cancel 0: they decided nothing.
    const decided: { line_id: number; order_no: string; quantity_before: number }[] = await db('order_lines as ol')
      .join('change_orders as o', 'o.id', 'ol.order_id')
      .join('contract_lines as cl', 'cl.id', 'ol.contract_line_id')
      .whereIn('cl.contract_id', idsOf(db, part))
      .andWhere('o.status', 'completed')
      .andWhere('ol.cancel_quantity', '>', 0)
      .orderBy('o.id')
      .select('ol.contract_line_id as line_id', 'o.order_no', 'ol.quantity_before');
    for (const d of decided) {
      const line = lineById.get(Number(d.line_id));
      if (!line) continue;
      if (!line.decidedBy.includes(d.order_no)) line.decidedBy.push(d.order_no);
      // One open order per line at a time: the order of creation is the order of completion.
      line.lastCancellation = { orderNo: d.order_no, before: Number(d.quantity_before) };
    }
  }
  return found;
}

/** What the store will be told to do, and the report of it. */
interface ImportPlan {
  contractInserts: Record<string, unknown>[];
  contractUpdates: ({ id: number } & Record<string, unknown>)[];
  lineInserts: { contractNo: string; row: Record<string, unknown> }[];
  lineUpdates: ({ id: number } & Record<string, unknown>)[];
  serialsRemoved: number[];
  serialsReactivated: number[];
  serialInserts: { contractNo: string; lineNo: number; serialNo: string }[];
  /** Lines whose agreed master quantity changes (written apart: it is not a change of the line a user sees). */
  masterQuantities: { id: number; master_quantity: number }[];
  audits: { contractNo: string; action: string; detail: Record<string, unknown> }[];
  result: ImportResult;
}

const LINE_FIELDS = [
  'supplier',
  'productCode',
  'productName',
  'subscriptionId',
  'quantity',
  'unitPrice',
  'plan',
  'billingModel',
  'isTrial',
] as const satisfies readonly (keyof ContractLine & ImportField)[];

/** What the file says about a line: the domain line less what the store decides. */
type LineValues = Pick<ContractLine, (typeof LINE_FIELDS)[number]>;

/** One line of the file on its way to the store. */
interface Draft {
  input: ContractLineInput;
  stored: StoredLine | null;
  values: LineValues;
  changes: FieldChange[];
  kept: KeptValue[];
  /** The active serials the line is to have, by serialKey, as spelled. */
  active: Map<string, string>;
  /** The quantity the master and the store agree on once the line is written; null when they do not (kept or refused). */
  agreed: number | null;
  refusal: LineRefusal | null;
}

function lineRow(v: LineValues, actor: string, now: string): Record<string, unknown> {
  return {
    supplier: v.supplier,
    product_code: v.productCode,
    product_name: v.productName,
    subscription_id: v.subscriptionId,
    quantity: v.quantity,
    unit_price: v.unitPrice,
    plan: v.plan,
    billing_model: v.billingModel,
    is_trial: v.isTrial,
    updated_at: now,
    updated_by: actor,
  };
}

function contractRow(c: ContractInput, contractNo: string, endDate: string | null, actor: string, now: string): Record<string, unknown> {
  return {
    contract_no: contractNo,
    contract_date: c.contractDate,
    start_date: c.startDate,
    end_date: endDate,
    subject: c.subject,
    customer: c.customer,
    end_user: c.endUser,
    bill_to: c.billTo,
    ship_to: c.shipTo,
    updated_at: now,
    updated_by: actor,
  };
}

/** Everything of a line but its ids, as one value: rows that only moved compare equal. */
function contentOf(l: LineValues): string {
  return JSON.stringify([l.supplier, l.productName, l.quantity, l.unitPrice, l.plan, l.billingModel, l.isTrial]);
}

function activeSerials(line: StoredLine | null): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of line?.serials ?? []) if (s.status === 'active') out.set(serialKey(s.serialNo), s.serialNo);
  return out;
}

const text = (v: string | number | boolean | null): string => (v === null ? '' : String(v));

/** Compares the file with what the store has; pure over the loaded state. */
function planImport(
  stored: ReadonlyMap<string, StoredContract>,
  inputs: readonly ContractInput[],
  actor: string,
  now: string,
  options: ImportOptions,
): ImportPlan {
  const plan: ImportPlan = {
    contractInserts: [],
    contractUpdates: [],
    lineInserts: [],
    lineUpdates: [],
    serialsRemoved: [],
    serialsReactivated: [],
    serialInserts: [],
    masterQuantities: [],
    audits: [],
    result: { ...emptyCounts(), contracts: [] },
  };
  const seen = new Set<string>();
  for (const input of inputs) {
    const contractNo = canonicalContractNo(input.contractNo);
    if (seen.has(contractNo)) throw new Error(`importContracts: contract ${contractNo} given twice`);
    seen.add(contractNo);
    const existing = stored.get(contractNo);
    const report = existing ? planExisting(plan, existing, input, contractNo, actor, now, options) : planNew(plan, input, contractNo, actor, now);
    plan.result.contracts.push(report);
    if (report.outcome !== 'unchanged') {
      plan.audits.push({
        contractNo,
        action: report.outcome === 'created' ? 'import.create' : 'import.update',
        detail: { changes: report.changes.map((c) => c.field), lines: countBy(report.lines, (l) => l.outcome) },
      });
    }
  }
  const r = plan.result;
  for (const c of r.contracts) {
    if (c.outcome === 'created') r.contractsCreated++;
    else if (c.outcome === 'updated') r.contractsUpdated++;
    else r.contractsUnchanged++;
    r.linesNotInFile += c.notInFile.length;
    r.keptFromCancellation += c.kept.length;
    for (const l of c.lines) {
      if (l.outcome === 'created') r.linesCreated++;
      else if (l.outcome === 'updated') r.linesUpdated++;
      else if (l.outcome === 'unchanged') r.linesUnchanged++;
      else r.linesRefused++;
      r.serialsAdded += l.serials.added.length;
      r.serialsRemoved += l.serials.removed.length;
      r.serialsMoved += l.serials.moved.length;
      r.keptFromCancellation += l.kept.length;
    }
  }
  return plan;
}

function emptyCounts(): ImportCounts {
  return {
    contractsCreated: 0,
    contractsUpdated: 0,
    contractsUnchanged: 0,
    linesCreated: 0,
    linesUpdated: 0,
    linesUnchanged: 0,
    linesRefused: 0,
    linesNotInFile: 0,
    serialsAdded: 0,
    serialsRemoved: 0,
    serialsMoved: 0,
    keptFromCancellation: 0,
  };
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

function valuesOf(l: ContractLineInput): LineValues {
  return {
    supplier: l.supplier,
    productCode: l.productCode,
    productName: l.productName,
    subscriptionId: l.subscriptionId,
    quantity: l.quantity,
    unitPrice: l.unitPrice,
    plan: l.plan,
    billingModel: l.billingModel,
    isTrial: l.isTrial,
  };
}

function planNew(plan: ImportPlan, input: ContractInput, contractNo: string, actor: string, now: string): ContractReport {
  plan.contractInserts.push({ ...contractRow(input, contractNo, input.endDate, actor, now), status: 'active' });
  const lines = input.lines.map((line, i): LineReport => {
    const lineNo = i + 1;
    plan.lineInserts.push({ contractNo, row: { ...lineRow(valuesOf(line), actor, now), line_no: lineNo, status: 'active', master_quantity: line.quantity } });
    const serials = [...new Map(line.serials.map((s) => [serialKey(s), s])).values()];
    for (const serialNo of serials) plan.serialInserts.push({ contractNo, lineNo, serialNo });
    return {
      row: line.row ?? null,
      lineNo,
      productCode: line.productCode,
      subscriptionId: line.subscriptionId,
      outcome: 'created',
      changes: [],
      kept: [],
      serials: { added: serials, removed: [], moved: [] },
      refusal: null,
    };
  });
  return { contractNo, outcome: 'created', changes: [], kept: [], lines, notInFile: [] };
}

function planExisting(
  plan: ImportPlan,
  stored: StoredContract,
  input: ContractInput,
  contractNo: string,
  actor: string,
  now: string,
  options: ImportOptions,
): ContractReport {
  const serialsColumn = options.serialsColumn !== false;
  const cancelled = stored.status === 'cancelled';
  const changes: FieldChange[] = [];
  const kept: KeptValue[] = [];
  const compare = (field: ImportField, before: string | null, after: string | null) => {
    if (before !== after) changes.push({ field, before: text(before), after: text(after) });
  };
  compare('contractNo', stored.contractNo, contractNo);
  compare('contractDate', stored.contractDate, input.contractDate);
  compare('startDate', stored.startDate, input.startDate);
  // A cancelled contract's end date is the one its cancellation set.
  const endDate = cancelled ? stored.endDate : input.endDate;
  compare('endDate', stored.endDate, endDate);
  if (cancelled && stored.endDate !== input.endDate) {
    kept.push({ field: 'endDate', store: text(stored.endDate), file: text(input.endDate), orderNos: [...new Set(stored.lines.flatMap((l) => l.decidedBy))] });
  }
  compare('subject', stored.subject, input.subject);
  compare('customer', stored.customer, input.customer);
  compare('endUser', stored.endUser, input.endUser);
  compare('billTo', stored.billTo, input.billTo);
  compare('shipTo', stored.shipTo, input.shipTo);

  const { pairs, unpaired } = pairLines(
    stored.lines.map((l) => ({
      productCode: l.productCode,
      subscriptionId: l.subscriptionId,
      serials: l.serials.filter((s) => s.status !== 'removed').map((s) => s.serialNo),
      content: () => contentOf(l),
    })),
    input.lines.map((l) => ({ productCode: l.productCode, subscriptionId: l.subscriptionId, serials: l.serials, content: () => contentOf(valuesOf(l)) })),
  );
  const drafts = input.lines.map((line, j): Draft => {
    const pairing = pairs[j]!;
    if (pairing.kind === 'existing') return draftExisting(stored.lines[pairing.stored]!, line, serialsColumn, options.acceptQuantities === true);
    const draft: Draft = {
      input: line,
      stored: null,
      values: valuesOf(line),
      changes: [],
      kept: [],
      active: new Map(line.serials.map((s) => [serialKey(s), s])),
      agreed: line.quantity,
      refusal: null,
    };
    if (pairing.kind === 'id-missing') {
      const other = stored.lines[pairing.stored]!;
      draft.refusal = { kind: 'id-missing', lineNo: other.lineNo, subscriptionId: other.subscriptionId };
    } else if (cancelled) {
      draft.refusal = { kind: 'contract-cancelled' };
    }
    return draft;
  });
  const refuse = (d: Draft, refusal: LineRefusal) => {
    d.refusal = refusal;
    d.active = activeSerials(d.stored);
  };
  for (const d of drafts) if (d.refusal) refuse(d, d.refusal);

  // Serials go where the file puts them; one that another line keeps, or that was
  // cancelled elsewhere, refuses the line that asks for it. A refused line keeps its own,
  // which may refuse another line in turn: until nothing changes.
  const activeOwner = new Map<string, StoredLine>();
  const cancelledOwner = new Map<string, StoredLine>();
  for (const l of stored.lines) {
    for (const s of l.serials) {
      const owners = s.status === 'active' ? activeOwner : s.status === 'cancelled' ? cancelledOwner : null;
      if (owners && !owners.has(serialKey(s.serialNo))) owners.set(serialKey(s.serialNo), l);
    }
  }
  const draftOf = new Map(drafts.filter((d) => d.stored).map((d) => [d.stored!.id, d]));
  for (let again = true; again;) {
    again = false;
    for (const d of drafts) {
      if (d.refusal) continue;
      for (const [key, serial] of d.active) {
        const gone = cancelledOwner.get(key);
        if (gone && gone !== d.stored) {
          refuse(d, { kind: 'serial-cancelled', serial, lineNo: gone.lineNo });
          again = true;
          break;
        }
        const owner = activeOwner.get(key);
        if (!owner || owner === d.stored) continue;
        const source = draftOf.get(owner.id);
        if (source && !source.refusal && !source.active.has(key)) continue;
        refuse(d, { kind: 'serial-elsewhere', serial, lineNo: owner.lineNo });
        again = true;
        break;
      }
    }
  }

  const wantedBy = new Map<string, Draft>();
  for (const d of drafts) if (!d.refusal) for (const key of d.active.keys()) wantedBy.set(key, d);
  let nextLineNo = stored.lines.reduce((max, l) => Math.max(max, l.lineNo), 0) + 1;
  const lines = drafts.map((d): LineReport => {
    const base = { row: d.input.row ?? null, productCode: d.values.productCode, subscriptionId: d.values.subscriptionId, changes: d.changes, kept: d.kept };
    const serials: SerialChanges = { added: [], removed: [], moved: [] };
    if (d.refusal) return { ...base, lineNo: d.stored?.lineNo ?? null, outcome: 'refused', changes: [], kept: [], serials, refusal: d.refusal };
    const lineNo = d.stored?.lineNo ?? nextLineNo++;
    const own = activeSerials(d.stored);
    const rows = new Map((d.stored?.serials ?? []).map((s) => [serialKey(s.serialNo), s]));
    for (const [key, serial] of d.active) {
      if (own.has(key)) continue;
      const row = rows.get(key);
      if (row && row.status === 'removed') plan.serialsReactivated.push(row.id);
      else plan.serialInserts.push({ contractNo, lineNo, serialNo: serial });
      const from = activeOwner.get(key);
      if (from && from !== d.stored) serials.moved.push({ serial, fromLineNo: from.lineNo });
      else serials.added.push(serial);
    }
    for (const [key, serial] of own) {
      if (d.active.has(key)) continue;
      plan.serialsRemoved.push(rows.get(key)!.id);
      // One moved to another line is reported there.
      if (!wantedBy.has(key)) serials.removed.push(serial);
    }
    const serialsChanged = [...own.keys()].some((k) => !d.active.has(k)) || [...d.active.keys()].some((k) => !own.has(k));
    if (!d.stored) {
      plan.lineInserts.push({ contractNo, row: { ...lineRow(d.values, actor, now), line_no: lineNo, status: 'active', master_quantity: d.values.quantity } });
      return { ...base, lineNo, outcome: 'created', serials, refusal: null };
    }
    if (d.agreed !== null && d.agreed !== d.stored.masterQuantity) plan.masterQuantities.push({ id: d.stored.id, master_quantity: d.agreed });
    const outcome = d.changes.length > 0 || serialsChanged ? 'updated' : 'unchanged';
    if (outcome === 'updated') plan.lineUpdates.push({ id: d.stored.id, ...lineRow(d.values, actor, now) });
    return { ...base, lineNo, outcome, serials, refusal: null };
  });

  const outcome = changes.length > 0 || lines.some((l) => l.outcome === 'created' || l.outcome === 'updated') ? 'updated' : 'unchanged';
  if (outcome === 'updated') plan.contractUpdates.push({ id: stored.id, ...contractRow(input, contractNo, endDate, actor, now) });
  const paired = new Set(drafts.filter((d) => d.stored).map((d) => d.stored!.id));
  const notInFile = unpaired
    .map((i) => stored.lines[i]!)
    .filter((l) => !paired.has(l.id))
    .map((l) => ({ lineNo: l.lineNo, productCode: l.productCode, subscriptionId: l.subscriptionId }));
  return { contractNo, outcome, changes, kept, lines, notInFile };
}

/** A file line that is a stored line: what changes, what the store keeps, and whether it may change at all. */
function draftExisting(stored: StoredLine, line: ContractLineInput, serialsColumn: boolean, acceptQuantities: boolean): Draft {
  const quantity = decideQuantity(stored, line.quantity, acceptQuantities);
  const values: LineValues = {
    ...valuesOf(line),
    // The same code or id in another case is not a change: the stored spelling stays.
    productCode: sameId(stored.productCode, line.productCode) ? stored.productCode : line.productCode,
    subscriptionId: stored.subscriptionId !== '' ? stored.subscriptionId : line.subscriptionId,
    quantity: quantity.kind === 'take' ? line.quantity : stored.quantity,
  };
  const changes: FieldChange[] = [];
  for (const field of LINE_FIELDS) {
    if (stored[field] !== values[field]) changes.push({ field, before: text(stored[field]), after: text(values[field]) });
  }
  const kept: KeptValue[] =
    quantity.kind === 'keep' ? [{ field: 'quantity', store: String(stored.quantity), file: String(line.quantity), orderNos: stored.decidedBy }] : [];
  const own = activeSerials(stored);
  let active = own;
  if (serialsColumn) {
    // Serials a cancellation took stay cancelled; the rest of the file's set is the line's.
    const cancelled = new Set(stored.serials.filter((s) => s.status === 'cancelled').map((s) => serialKey(s.serialNo)));
    const spelled = new Map(stored.serials.map((s) => [serialKey(s.serialNo), s.serialNo]));
    active = new Map();
    for (const serial of line.serials) {
      const key = serialKey(serial);
      if (!cancelled.has(key)) active.set(key, spelled.get(key) ?? serial);
    }
  }
  const draft: Draft = { input: line, stored, values, changes, kept, active, agreed: quantity.kind === 'take' ? line.quantity : null, refusal: null };
  const serialsChanged = own.size !== active.size || [...active.keys()].some((k) => !own.has(k));
  if (stored.heldBy !== null && (changes.length > 0 || serialsChanged)) {
    draft.refusal = { kind: 'held', orderNo: stored.heldBy };
  } else if (quantity.kind === 'refuse') {
    draft.refusal = quantity.refusal;
  } else if (serialsColumn ? line.serials.length > 0 && active.size !== values.quantity : active.size !== 0 && active.size !== values.quantity) {
    // A line's active serials are none (an empty cell) or one per seat it has left.
    draft.refusal = serialsColumn
      ? { kind: 'serial-count', serials: active.size, quantity: values.quantity, orderNos: stored.decidedBy }
      : { kind: 'serials-not-given', serials: active.size, quantity: values.quantity };
  }
  return draft;
}

/**
 * What the file's quantity does to a stored line. The master is news while it is in step
 * with the store: nothing (no completed cancellation) moved the line's quantity since the
 * two last agreed, and then the file's quantity is taken. Once a cancellation moved it:
 * - the file gives what the line has now: the master caught up, and the two agree again;
 * - the file gives what the master said when they last agreed, or what the line had before
 *   its latest cancellation: an older master, and the store, which knows of the
 *   cancellation, keeps its quantity ("kept as stored");
 * - anything else is refused for that line, naming the three quantities: the supplier may
 *   have more seats than the store (bought after the cancellation), or the master never saw
 *   the cancellation, and only a person who checks the supplier can tell. With
 *   `acceptQuantities` the file is taken (an active line only: the import never brings a
 *   cancelled line back).
 */
function decideQuantity(
  stored: StoredLine,
  file: number,
  acceptQuantities: boolean,
): { kind: 'take' } | { kind: 'keep' } | { kind: 'refuse'; refusal: LineRefusal } {
  if (file === stored.quantity) return { kind: 'take' };
  const last = stored.lastCancellation;
  const lineCancelled = stored.status === 'cancelled';
  const inStep = stored.masterQuantity !== null ? stored.masterQuantity === stored.quantity && !lineCancelled : last === null && !lineCancelled;
  if (inStep) return { kind: 'take' };
  if (file === stored.masterQuantity || file === last?.before) return { kind: 'keep' };
  if (acceptQuantities && !lineCancelled) return { kind: 'take' };
  return {
    kind: 'refuse',
    refusal: {
      kind: 'quantity-unexplained',
      file,
      before: last?.before ?? stored.masterQuantity,
      after: stored.quantity,
      orderNo: last?.orderNo ?? null,
      lineCancelled,
    },
  };
}

async function applyPlan(trx: Knex.Transaction, plan: ImportPlan, actor: string, now: string): Promise<void> {
  await insertRows(trx, 'contracts', plan.contractInserts);
  await updateRowsById(trx, 'contracts', plan.contractUpdates);
  const wanted = new Set([
    ...plan.lineInserts.map((l) => l.contractNo),
    ...plan.serialInserts.map((s) => s.contractNo),
    ...plan.audits.map((a) => a.contractNo),
  ]);
  const contractIds = new Map<string, number>();
  for (const part of chunk([...wanted], 2000)) {
    for (const c of await trx<DbContract>('contracts').whereIn('contract_no', part).select('id', 'contract_no')) contractIds.set(c.contract_no, Number(c.id));
  }
  await insertRows(
    trx,
    'contract_lines',
    plan.lineInserts.map((l) => ({ ...l.row, contract_id: contractIds.get(l.contractNo)! })),
  );
  await updateRowsById(trx, 'contract_lines', plan.lineUpdates, { unit_price: 'integer', quantity: 'integer', is_trial: 'boolean' });
  await updateRowsById(trx, 'contract_lines', plan.masterQuantities, { master_quantity: 'integer' });
  for (const part of chunk(plan.serialsRemoved)) await trx('serials').whereIn('id', idsOf(trx, part)).update({ status: 'removed' });
  for (const part of chunk(plan.serialsReactivated)) await trx('serials').whereIn('id', idsOf(trx, part)).update({ status: 'active' });
  if (plan.serialInserts.length > 0) {
    const lineIds = new Map<string, number>();
    const owners = [...new Set(plan.serialInserts.map((s) => contractIds.get(s.contractNo)!))];
    for (const part of chunk(owners)) {
      for (const l of await trx<DbContractLine>('contract_lines').whereIn('contract_id', idsOf(trx, part)).select('id', 'contract_id', 'line_no'))
        lineIds.set(`${l.contract_id}|${l.line_no}`, Number(l.id));
    }
    await insertRows(
      trx,
      'serials',
      plan.serialInserts.map((s) => ({ line_id: lineIds.get(`${contractIds.get(s.contractNo)}|${s.lineNo}`)!, serial_no: s.serialNo, status: 'active' })),
    );
  }
  await recordAudit(
    trx,
    ...plan.audits.map((a) => ({ at: now, actor, entity: 'contract' as const, entityId: contractIds.get(a.contractNo)!, action: a.action, detail: a.detail })),
  );
}

/** Portable "insert and give me the id" (PostgreSQL needs RETURNING, SQLite gives it back too). */
export async function insertReturningId(trx: Knex | Knex.Transaction, table: string, row: Record<string, unknown>): Promise<number> {
  const [inserted] = await trx(table).insert(row).returning('id');
  const id = typeof inserted === 'object' && inserted !== null ? (inserted as { id: number }).id : inserted;
  return Number(id);
}

/**
 * The contracts named by a batch of rows, with what the rules read of their lines,
 * serials and open-order claims: two queries per few thousand contract numbers (lines
 * and claims in one join, serials in another), never a query per row.
 */
export async function loadSnapshots(db: Knex | Knex.Transaction, contractNos: readonly string[]): Promise<Map<string, ContractSnapshot>> {
  const result = new Map<string, ContractSnapshot>();
  for (const part of chunk([...new Set(contractNos)])) {
    const query = db('contracts as c')
      .leftJoin('contract_lines as cl', 'cl.contract_id', 'c.id')
      .leftJoin('line_claims as lc', 'lc.contract_line_id', 'cl.id')
      .whereIn('c.contract_no', textsOf(db, part))
      .orderBy([{ column: 'c.id' }, { column: 'cl.line_no' }]);
    // One row per contract line (a contract without lines gives one row of nulls), with its claim.
    type Row = [
      number,
      string,
      Contract['status'],
      string,
      number | null,
      string,
      string,
      number,
      number,
      number | boolean,
      ContractLine['status'],
      number | null,
      number,
    ];
    const rows = await selectPacked<Row>(db, query, [
      'c.id',
      'c.contract_no',
      'c.status',
      'c.start_date',
      'cl.id',
      'cl.product_code',
      'cl.subscription_id',
      'cl.quantity',
      'cl.unit_price',
      'cl.is_trial',
      'cl.status',
      'lc.order_id',
      // Whether the line has serials to read: most have none, and then no statement reads them.
      "case when exists (select 1 from serials s where s.line_id = cl.id and s.status <> 'removed') then 1 else 0 end",
    ]);
    if (rows.length === 0) continue;
    // By the lines just read that have serials (one bound list, the serials' line index), not
    // by the contract numbers again through two more joins.
    const lineIds = rows.flatMap((r) => (r[4] === null || Number(r[12]) !== 1 ? [] : [Number(r[4])]));
    const serials: DbSerial[] =
      lineIds.length === 0
        ? []
        : await db('serials as s')
            .whereIn('s.line_id', idsOf(db, lineIds))
            // A serial the master no longer lists is kept as 'removed' (an order may name it): not the line's.
            .andWhere('s.status', '<>', 'removed')
            .orderBy('s.id')
            .select('s.id', 's.line_id', 's.serial_no', 's.status');
    const serialsByLine = groupBy(serials.map(toSerial), (s) => s.lineId);
    for (const [contractId, contractNo, status, startDate, lineId, productCode, subscriptionId, quantity, unitPrice, isTrial, lineStatus, claimedBy] of rows) {
      let snapshot = result.get(contractNo);
      if (!snapshot) {
        snapshot = { contract: { id: Number(contractId), contractNo, status, startDate }, lines: [] };
        result.set(contractNo, snapshot);
      }
      if (lineId === null) continue;
      (snapshot.lines as SnapshotLine[]).push({
        id: Number(lineId),
        contractId: Number(contractId),
        productCode,
        subscriptionId,
        quantity: Number(quantity),
        unitPrice: Number(unitPrice),
        isTrial: Boolean(isTrial),
        status: lineStatus,
        serials: serialsByLine.get(Number(lineId)) ?? [],
        heldByOpenOrder: claimedBy !== null,
      });
    }
  }
  return result;
}

export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}
