import { inspectFile } from '../csv/decode.js';
import { FileLevelError } from '../csv/errors.js';
import { CONTRACT_IMPORT_COLUMNS, mapHeader, normaliseValue } from '../csv/headers.js';
import { openCsv } from '../csv/read.js';
import type { InputEncoding } from '../csv/decode.js';
import { parseBusinessDate } from '../domain/dates.js';
import { importContracts, type ContractInput, type ImportCounts } from '../store/contractRepository.js';
import { writeContext, type PipelineDeps } from './context.js';

type ImportKey = (typeof CONTRACT_IMPORT_COLUMNS)[number]['key'];

export interface ImportProblem {
  row: number;
  message: string;
}

/**
 * 契約一括登録: one row per contract line; rows of one contract number make one contract.
 * The file is all or nothing: any bad row stops the import with every problem listed.
 */
export async function importContractFile(deps: PipelineDeps, file: string, encoding: InputEncoding): Promise<ImportCounts & { rows: number }> {
  const inspected = await inspectFile(file, encoding);
  const input = await openCsv(file, inspected.encoding);
  const header = mapHeader(input.header, CONTRACT_IMPORT_COLUMNS);
  if (header.missing.length > 0) throw new FileLevelError('COLUMN_MISSING', `required column missing: ${header.missing.join(', ')} (必須の列がありません)`);
  const contracts = new Map<string, ContractInput>();
  const problems: ImportProblem[] = [];
  let rows = 0;
  for await (const record of input.records) {
    rows++;
    if (record.problem) {
      problems.push({ row: record.row, message: `cannot be read (${record.problem.kind}: ${record.problem.detail})` });
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
      const text = cell(key);
      if (text === '') {
        if (required) problems.push({ row: record.row, message: `${key} is required` });
        return null;
      }
      const parsed = parseBusinessDate(text);
      if (!parsed) problems.push({ row: record.row, message: `${key} "${text}" is not a date` });
      return parsed;
    };
    const integer = (key: ImportKey, min: number): number => {
      const text = cell(key).replace(/,/g, '');
      if (!/^\d+$/.test(text) || Number(text) < min) {
        problems.push({ row: record.row, message: `${key} "${text}" must be a whole number of at least ${min}` });
        return 0;
      }
      return Number(text);
    };
    const contractNo = cell('contractNo');
    if (contractNo === '') {
      problems.push({ row: record.row, message: 'contract_no is empty' });
      continue;
    }
    const startDate = date('startDate', true) ?? '';
    const contract = contracts.get(contractNo) ?? {
      contractNo,
      contractDate: date('contractDate', false),
      startDate,
      endDate: date('endDate', false),
      subject: raw('subject'),
      customer: raw('customer'),
      endUser: raw('endUser'),
      billTo: raw('billTo'),
      shipTo: raw('shipTo'),
      lines: [],
    };
    contracts.set(contractNo, contract);
    const serials = cell('serials').split(/[;；]/).map((s) => s.trim()).filter((s) => s !== '');
    const quantity = integer('quantity', 0);
    if (serials.length > 0 && serials.length !== quantity) problems.push({ row: record.row, message: `${serials.length} serials for quantity ${quantity}: one serial per unit` });
    contract.lines.push({
      supplier: raw('supplier'),
      productCode: cell('productCode'),
      productName: raw('productName'),
      subscriptionId: cell('subscriptionId'),
      quantity,
      unitPrice: integer('unitPrice', 0),
      plan: raw('plan'),
      billingModel: raw('billingModel'),
      isTrial: /^(1|true|yes|y|はい|○|〇)$/i.test(cell('isTrial')),
      serials,
    });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).map((p) => `row ${p.row}: ${p.message}`).join('\n');
    throw new FileLevelError('ROWS_INVALID', `${problems.length} row(s) cannot be imported; nothing was imported:\n${shown}${problems.length > 20 ? `\n… and ${problems.length - 20} more` : ''}`);
  }
  const ctx = writeContext(deps);
  const counts = await importContracts(deps.store, [...contracts.values()], ctx.actor, ctx.now);
  return { ...counts, rows };
}
