import { inspectFile } from '../csv/decode.js';
import { KaiyakuError, words, type Words } from '../errors.js';
import { CONTRACT_IMPORT_COLUMNS, mapHeader, normaliseValue } from '../csv/headers.js';
import { describeRecordProblem, openCsv } from '../csv/read.js';
import type { InputEncoding } from '../csv/decode.js';
import { parseBusinessDate } from '../domain/dates.js';
import { importContracts, type ContractInput, type ImportCounts } from '../store/contractRepository.js';
import { writeContext, type PipelineDeps } from './context.js';

type ImportKey = (typeof CONTRACT_IMPORT_COLUMNS)[number]['key'];

export interface ImportProblem {
  row: number;
  message: Words;
}

/** A column as the user knows it: 契約開始日 in Japanese, start_date in English. */
function label(key: ImportKey): Words {
  const spec = CONTRACT_IMPORT_COLUMNS.find((c) => c.key === key)!;
  const english = spec.aliases.find((a) => /^[a-z_]+$/.test(a)) ?? key;
  return words(english, spec.aliases[0]);
}

/**
 * 契約一括登録: one row per contract line; rows of one contract number make one contract.
 * The file is all or nothing: any bad row stops the import with every problem listed.
 */
export async function importContractFile(deps: PipelineDeps, file: string, encoding: InputEncoding): Promise<ImportCounts & { rows: number }> {
  const inspected = await inspectFile(file, encoding);
  const input = await openCsv(file, inspected.encoding);
  const header = mapHeader(input.header, CONTRACT_IMPORT_COLUMNS);
  if (header.missing.length > 0) throw new KaiyakuError('COLUMN_MISSING', words(`required column missing: ${header.missing.join(', ')}`, `必須の列がありません: ${header.missing.join(', ')}`));
  const contracts = new Map<string, ContractInput>();
  const problems: ImportProblem[] = [];
  let rows = 0;
  for await (const record of input.records) {
    rows++;
    if (record.problem) {
      const why = describeRecordProblem(record.problem);
      problems.push({ row: record.row, message: words(`cannot be read: ${why.en}`, `読み取れません: ${why.ja}`) });
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
        if (required) problems.push({ row: record.row, message: words(`${label(key).en} is required`, `${label(key).ja}は必須です`) });
        return null;
      }
      const parsed = parseBusinessDate(text);
      if (!parsed) problems.push({ row: record.row, message: words(`${label(key).en} "${text}" is not a date (e.g. 2026-01-05)`, `${label(key).ja}「${text}」は日付ではありません（例: 2026-01-05）`) });
      return parsed;
    };
    const integer = (key: ImportKey, min: number): number => {
      const text = cell(key).replace(/,/g, '');
      if (!/^\d+$/.test(text) || Number(text) < min) {
        problems.push({ row: record.row, message: words(`${label(key).en} "${text}" must be a whole number of at least ${min}`, `${label(key).ja}「${text}」は${min}以上の整数で指定してください`) });
        return 0;
      }
      return Number(text);
    };
    const contractNo = cell('contractNo');
    if (contractNo === '') {
      problems.push({ row: record.row, message: words(`${label('contractNo').en} is empty`, `${label('contractNo').ja}が空です`) });
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
    if (serials.length > 0 && serials.length !== quantity) problems.push({ row: record.row, message: words(`${serials.length} serials for quantity ${quantity}: one serial per unit`, `数量 ${quantity} に対してシリアルが ${serials.length} 件です（1 単位に 1 件）`) });
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
    const shown = problems.slice(0, 20);
    const more = problems.length - shown.length;
    throw new KaiyakuError(
      'ROWS_INVALID',
      words(
        [`${problems.length} row(s) cannot be imported; nothing was imported:`, ...shown.map((p) => `row ${p.row}: ${p.message.en}`), ...(more > 0 ? [`… and ${more} more`] : [])].join('\n'),
        [`取り込めない行が ${problems.length} 行あります。何も取り込んでいません:`, ...shown.map((p) => `${p.row} 行目: ${p.message.ja}`), ...(more > 0 ? [`… ほか ${more} 行`] : [])].join('\n'),
      ),
    );
  }
  const ctx = writeContext(deps);
  const counts = await importContracts(deps.store, [...contracts.values()], ctx.actor, ctx.now);
  return { ...counts, rows };
}
