import { inspectFile } from '../csv/decode.js';
import { KaiyakuError, words, type Words } from '../errors.js';
import { CONTRACT_IMPORT_COLUMNS, mapHeader, normaliseHeader, normaliseValue, refuseUnreadableHeader } from '../csv/headers.js';
import { describeRecordProblem, openCsv } from '../csv/read.js';
import type { InputEncoding } from '../csv/decode.js';
import { parseBusinessDate } from '../domain/dates.js';
import { canonicalContractNo, idKey, serialKey } from '../domain/lineIdentity.js';
import { previewImport, type ContractInput, type ImportField, type ImportResult, type LineRefusal } from '../store/index.js';
import { writeContext, type PipelineDeps } from '../pipeline/context.js';
import { joinWords, say } from '../messages/index.js';

type ImportKey = (typeof CONTRACT_IMPORT_COLUMNS)[number]['key'];

export interface ImportProblem {
  row: number;
  message: Words;
}

/** A column as the user knows it: 契約開始日 in Japanese, start_date in English. */
export function label(key: ImportKey | ImportField): Words {
  const spec = CONTRACT_IMPORT_COLUMNS.find((c) => c.key === key)!;
  const english = spec.aliases.find((a) => /^[a-z_]+$/.test(a)) ?? key;
  return words(english, spec.aliases[0]);
}

/**
 * The values `is_trial` (トライアル) may hold, compared after NFKC and lower-casing (so
 * `ＴＲＵＥ`, `Yes` and `ｙ` are read too). Empty is "no". `x` and `×` are not read: a
 * cross means "yes" in some files (a ticked box) and "no" in others (○/×).
 */
export const TRIAL_YES = ['1', 'true', 't', 'yes', 'y', 'on', 'はい', '有', '有り', 'あり', '○', '〇', '◯', '✓', '✔', '☑'] as const;
export const TRIAL_NO = ['0', 'false', 'f', 'no', 'n', 'off', 'いいえ', '無', '無し', 'なし'] as const;
const YES = new Set<string>(TRIAL_YES);
const NO = new Set<string>(TRIAL_NO);

/** Contract-level columns: every row of one contract must give the same value. */
const CONTRACT_KEYS = ['contractDate', 'startDate', 'endDate', 'subject', 'customer', 'endUser', 'billTo', 'shipTo'] as const satisfies readonly ImportKey[];

/** Quantities and prices are stored as 32-bit integers (PostgreSQL `integer`). */
const MAX_INTEGER = 2_147_483_647;

/** A master file read and checked on its own, before any store is opened. */
export interface ContractFile {
  file: string;
  /** Data rows read (blank rows included, as row numbers count them). */
  rows: number;
  contracts: ContractInput[];
  /** false when the file has no serials column: lines keep the serials they have. */
  serialsColumn: boolean;
  /** Header cells that name no import column; they are ignored. */
  unknownColumns: string[];
}

export interface ImportSummary extends ImportResult {
  file: string;
  rows: number;
  dryRun: boolean;
}

/**
 * 契約一括登録, the reading: one row per contract line; rows of one contract number make one
 * contract. Every value is read strictly (dates, whole numbers, yes/no, serials), rows of
 * one contract must agree on the contract's own columns, and a line or serial may appear
 * once. The file is all or nothing: any problem refuses it (ROWS_INVALID, exit 2) with
 * every problem listed by row, column and value, and nothing is imported.
 */
export async function readContractFile(file: string, encoding: InputEncoding): Promise<ContractFile> {
  const inspected = await inspectFile(file, encoding);
  const input = await openCsv(file, inspected.encoding);
  refuseUnreadableHeader(input.header);
  const header = mapHeader(input.header, CONTRACT_IMPORT_COLUMNS);
  if (header.missing.length > 0) {
    throw new KaiyakuError(
      'COLUMN_MISSING',
      say('contracts.requiredColumnMissing', {
        names: joinWords(
          header.missing.map((k) => label(k)),
          ', ',
        ),
      }),
    );
  }
  if (header.duplicated.length > 0) {
    // 顧客 and customer both mean the customer: reading one and ignoring the other would guess.
    const clashes = header.duplicated.map((key) => {
      const spec = CONTRACT_IMPORT_COLUMNS.find((c) => c.key === key)!;
      const names = new Set([spec.key, ...spec.aliases].map(normaliseHeader));
      return input.header.filter((cell) => names.has(normaliseHeader(cell))).join(' / ');
    });
    throw new KaiyakuError('COLUMN_DUPLICATED', say('contracts.columnsClash', { clashes: { en: clashes.join('; '), ja: clashes.join('、') } }));
  }
  const contracts = new Map<string, ContractInput>();
  /** Per contract: the row that gave each contract-level value first, and the value. */
  const firstValues = new Map<string, Map<ImportKey, { row: number; value: string }>>();
  /** Per contract: the row of each subscription id. */
  const subscriptions = new Map<string, Map<string, number>>();
  const serialRows = new Map<string, { row: number; contractNo: string }>();
  const problems: ImportProblem[] = [];
  let rows = 0;
  for await (const record of input.records) {
    rows++;
    const row = record.row;
    const problem = (message: Words) => problems.push({ row, message });
    if (record.problem) {
      const why = describeRecordProblem(record.problem);
      problem(say('contracts.rowUnreadable', { why }));
      continue;
    }
    // Keys, numbers and dates are normalised (full-width digits, hyphens); names and
    // subjects are kept as registered, only trimmed, since finance reads them back.
    const raw = (key: ImportKey): string => {
      const i = header.index[key];
      return i === undefined ? '' : (record.fields[i] ?? '').trim();
    };
    const cell = (key: ImportKey): string => normaliseValue(raw(key));
    const date = (key: ImportKey, required: boolean): string | null => {
      const value = cell(key);
      if (value === '') {
        if (required) problem(say('contracts.valueRequired', { label: label(key) }));
        return null;
      }
      const parsed = parseBusinessDate(value);
      if (!parsed) problem(say('contracts.notADate', { label: label(key), value }));
      return parsed;
    };
    const integer = (key: ImportKey): number => {
      const value = cell(key);
      const digits = /^\d+$/.test(value) || /^\d{1,3}(,\d{3})+$/.test(value) ? Number(value.replace(/,/g, '')) : Number.NaN;
      if (!Number.isSafeInteger(digits) || digits > MAX_INTEGER) {
        problem(say('contracts.notAWholeNumber', { label: label(key), value, max: MAX_INTEGER }));
        return 0;
      }
      return digits;
    };
    const trial = (): boolean => {
      const value = cell('isTrial');
      const folded = value.toLowerCase();
      if (folded === '' || NO.has(folded)) return false;
      if (YES.has(folded)) return true;
      problem(
        say('contracts.notYesOrNo', {
          label: label('isTrial'),
          value,
          yes: TRIAL_YES.slice(0, 6).join(', '),
          no: TRIAL_NO.slice(0, 6).join(', '),
          cross: /^[x×✕]$/.test(folded) ? 1 : 0,
        }),
      );
      return false;
    };

    const contractNo = canonicalContractNo(cell('contractNo'));
    if (contractNo === '') {
      problem(say('contracts.emptyValue', { label: label('contractNo') }));
      continue;
    }
    const values = {
      contractDate: date('contractDate', false),
      startDate: date('startDate', true) ?? '',
      endDate: date('endDate', false),
      subject: raw('subject'),
      customer: raw('customer'),
      endUser: raw('endUser'),
      billTo: raw('billTo'),
      shipTo: raw('shipTo'),
    };
    // Rows of one contract must agree on the contract's own columns: the first row does not silently win.
    const first = firstValues.get(contractNo) ?? new Map<ImportKey, { row: number; value: string }>();
    firstValues.set(contractNo, first);
    for (const key of CONTRACT_KEYS) {
      // A date that is no date is compared (and named) as written: row 1's 2021-02-30 is not ''.
      const value = values[key] || cell(key);
      const earlier = first.get(key);
      if (!earlier) first.set(key, { row, value });
      else if (earlier.value !== value) {
        problem(say('contracts.rowsDisagree', { label: label(key), value, row: earlier.row, contractNo, value2: earlier.value }));
      }
    }
    const contract = contracts.get(contractNo) ?? { contractNo, ...values, lines: [] };
    contracts.set(contractNo, contract);

    const subscriptionId = cell('subscriptionId');
    if (subscriptionId !== '') {
      const seen = subscriptions.get(contractNo) ?? new Map<string, number>();
      subscriptions.set(contractNo, seen);
      const earlier = seen.get(idKey(subscriptionId));
      if (earlier !== undefined) {
        problem(say('contracts.subscriptionInTwoRows', { label: label('subscriptionId'), subscriptionId, row: earlier, contractNo }));
      } else seen.set(idKey(subscriptionId), row);
    }

    const quantity = integer('quantity');
    // `;`-separated (a full-width ； is one after NFKC); empty pieces (a trailing `;`) are no serial.
    const serials = cell('serials')
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const inRow = new Set<string>();
    for (const serial of serials) {
      const key = serialKey(serial);
      if (inRow.has(key)) {
        problem(say('contracts.serialTwiceInRow', { label: label('serials'), serial }));
        continue;
      }
      inRow.add(key);
      const elsewhere = serialRows.get(key);
      if (elsewhere) {
        problem(say('contracts.serialInAnotherRow', { label: label('serials'), serial, row: elsewhere.row, contractNo: elsewhere.contractNo }));
        continue;
      }
      serialRows.set(key, { row, contractNo });
    }
    if (serials.length > 0 && serials.length !== quantity) {
      problem(say('contracts.serialCountNotQuantity', { quantityLabel: label('quantity'), serialsLabel: label('serials'), quantity, serials: serials.length }));
    }
    contract.lines.push({
      supplier: raw('supplier'),
      productCode: cell('productCode'),
      productName: raw('productName'),
      subscriptionId,
      quantity,
      unitPrice: integer('unitPrice'),
      plan: raw('plan'),
      billingModel: raw('billingModel'),
      isTrial: trial(),
      serials,
      row,
    });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20);
    const more = problems.length - shown.length;
    const rowsWith = new Set(problems.map((p) => p.row)).size;
    const lines = joinWords(
      shown.map((p) => say('contracts.rowProblem', { row: p.row, problem: p.message })),
      '\n',
    );
    throw new KaiyakuError('ROWS_INVALID', say('contracts.rowsRefused', { rows: rowsWith, problems: lines, more }));
  }
  return { file, rows, contracts: [...contracts.values()], serialsColumn: header.index.serials !== undefined, unknownColumns: header.unknown };
}

/**
 * 契約一括登録, the writing (or, with `dryRun`, what it would be): a read file against the
 * store. `deps` null in a dry run means there is no store yet: every contract is new.
 */
export async function applyContractFile(
  deps: PipelineDeps | null,
  file: ContractFile,
  options: { dryRun: boolean; acceptQuantities?: boolean },
): Promise<ImportSummary> {
  const importOptions = { serialsColumn: file.serialsColumn, acceptQuantities: options.acceptQuantities === true };
  let result: ImportResult;
  if (options.dryRun) result = await previewImport(deps?.store ?? null, file.contracts, importOptions);
  else {
    if (!deps) throw new Error('applyContractFile: a real import needs a store');
    const ctx = writeContext(deps);
    result = await deps.store.contracts.importContracts(file.contracts, ctx.actor, ctx.now, importOptions);
  }
  return { ...result, file: file.file, rows: file.rows, dryRun: options.dryRun };
}

/** Reads a master file and imports it (or previews it): both steps at once, for callers that need no prepare step. */
export async function importContractFile(
  deps: PipelineDeps,
  file: string,
  encoding: InputEncoding,
  options: { dryRun?: boolean } = {},
): Promise<ImportSummary> {
  return applyContractFile(deps, await readContractFile(file, encoding), { dryRun: options.dryRun === true });
}

/** A quantity that is neither the line's before nor after its cancellation: the three quantities, and what to do. */
function explainUnexplainedQuantity(r: Extract<LineRefusal, { kind: 'quantity-unexplained' }>): Words {
  const q = label('quantity');
  const by = r.orderNo === null ? say('contracts.itsCancellation') : say('contracts.cancellationNamed', { orderNo: r.orderNo });
  const before = r.before === null ? say('contracts.noQuantityBefore') : say('contracts.quantityBefore', { before: r.before, by });
  const facts = say('contracts.quantityUnexplained', { q, file: r.file, before, after: r.after });
  if (r.lineCancelled) {
    return say('contracts.cancelledLineNotRevived', { facts });
  }
  return say('contracts.checkSupplierSeats', { facts, after: r.after, file: r.file });
}

/** Why a line of the file was left as the store has it, in the user's words. */
export function explainRefusal(r: LineRefusal): Words {
  const orders = (nos: readonly string[]) => (nos.length > 0 ? ` (${nos.join(', ')})` : '');
  switch (r.kind) {
    case 'held':
      return say('contracts.lineHeldByOpenOrder', { orderNo: r.orderNo });
    case 'id-missing':
      return say('contracts.subscriptionIdNotGiven', { label: label('subscriptionId'), lineNo: r.lineNo, subscriptionId: r.subscriptionId });
    case 'serial-count':
      return say('contracts.serialsOverSeats', { serials: r.serials, quantity: r.quantity, orders: orders(r.orderNos) });
    case 'serials-not-given':
      return say('contracts.serialsNotGiven', { quantityLabel: label('quantity'), serialsLabel: label('serials'), serials: r.serials, quantity: r.quantity });
    case 'serial-cancelled':
      return say('contracts.serialCancelled', { serial: r.serial, lineNo: r.lineNo });
    case 'serial-elsewhere':
      return say('contracts.serialKeptByLine', { serial: r.serial, lineNo: r.lineNo });
    case 'contract-cancelled':
      return say('contracts.contractCancelled');
    case 'quantity-unexplained':
      return explainUnexplainedQuantity(r);
  }
}
