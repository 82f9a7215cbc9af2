import { entry } from './entry.js';
import type { Words } from './words.js';
/** What the csv room says. */
export const CSV_WORDS = {
  'csv.noOffset': { en: '', ja: '' },
  'csv.cp932Offset': entry<{ invalidAt: number }>(
    (p) => ` (first byte invalid in CP932 at offset ${p.invalidAt})`,
    (p) => `（CP932 として不正な最初のバイト: ${p.invalidAt} バイト目）`,
  ),
  'csv.notUtf8': entry<{ path: string }>(
    (p) => `${p.path} is not valid UTF-8, the encoding it was given (--encoding utf8)`,
    (p) => `${p.path} は指定された文字コード UTF-8 (--encoding utf8) として読めません`,
  ),
  'csv.notCp932': entry<{ path: string; where: Words }>(
    (p) => `${p.path} is not valid CP932 (Shift_JIS), the encoding it was given (--encoding cp932)${p.where.en}`,
    (p) => `${p.path} は指定された文字コード CP932 (Shift_JIS) (--encoding cp932) として読めません${p.where.ja}`,
  ),
  'csv.encodingUnknown': entry<{ path: string; where: Words }>(
    (p) => `${p.path} is neither valid UTF-8 nor valid CP932 (Shift_JIS)${p.where.en}`,
    (p) => `${p.path} は UTF-8 としても CP932 (Shift_JIS) としても読めません${p.where.ja}`,
  ),
  'csv.noHeaderRow': entry<{ path: string }>(
    (p) => `${p.path} is empty: it has no header row`,
    (p) => `${p.path} は空です（見出し行がありません）`,
  ),
  'csv.fieldCount': entry<{ actual: number; expected: number }>(
    (p) => `${p.actual} fields where the header has ${p.expected}`,
    (p) => `項目数が ${p.actual} です（見出しは ${p.expected}）`,
  ),
  'csv.nulInValue': entry<{ position: number; name: string }>(
    (p) => `column ${p.position} (${p.name}) holds a NUL character (a 0x00 byte), which no value may contain: remove it`,
    (p) => `${p.position} 列目（${p.name}）に NUL 文字（0x00 のバイト）があります。値に含めることはできないため、削除してください`,
  ),
  'csv.notInCp932': entry<{ subject: Words; where: Words; column: string; ch: string; code: string; option: string }>(
    (p) => `${p.subject.en}, ${p.where.en}, column "${p.column}": "${p.ch}" (U+${p.code}) cannot be written in CP932; use ${p.option} to write it as it is`,
    (p) =>
      `${p.subject.ja}の${p.where.ja}、列「${p.column}」: 「${p.ch}」(U+${p.code}) は CP932 で書き出せません。${p.option} を指定するとそのまま書き出せます`,
  ),
  /** A header column by its position and its text (a JSON string, so that a control character shows). */
  'csv.headerColumn': entry<{ column: number; cell: string }>(
    (p) => `${p.column} (${p.cell})`,
    (p) => `${p.column} 列目（${p.cell}）`,
  ),
  'csv.headerControlCharacter': entry<{ columns: Words }>(
    (p) => `the header has a control character (a NUL byte, say) in column ${p.columns.en}: fix the header and drop the file again; nothing was done`,
    (p) => `見出し行の ${p.columns.ja}に制御文字（NUL など）があります。見出しを直してから、もう一度ファイルを投入してください。何も行っていません`,
  ),
  'csv.header': { en: 'the header', ja: '見出し行' },
  'csv.inputRow': entry<{ inputRow: number }>(
    (p) => `input row ${p.inputRow}`,
    (p) => `入力 ${p.inputRow} 行目`,
  ),
  'csv.row': entry<{ row: number }>(
    (p) => `row ${p.row}`,
    (p) => `${p.row} 行目`,
  ),
  'csv.standardOutput': { en: 'standard output', ja: '標準出力' },
  'csv.toStandardOutput': entry<{ what: Words }>(
    (p) => `${p.what.en} (standard output)`,
    (p) => `${p.what.ja}（標準出力）`,
  ),
  'csv.whatAndWhere': entry<{ what: Words; where: string }>(
    (p) => `${p.what.en} ${p.where}`,
    (p) => `${p.what.ja} ${p.where} `,
  ),
  'csv.cannotWrite': entry<{ subject: Words }>(
    (p) => `cannot write ${p.subject.en}`,
    (p) => `${p.subject.ja}を書き込めません`,
  ),
  'csv.cannotWriteBecause': entry<{ subject: Words; reason: string }>(
    (p) => `cannot write ${p.subject.en}: ${p.reason}`,
    (p) => `${p.subject.ja}を書き込めません: ${p.reason}`,
  ),
  'csv.brokenQuoting': entry<{ detail: string }>(
    (p) => `broken quoting (${p.detail})`,
    () => '引用符（"）の対応が正しくありません',
  ),
  'csv.brokenQuotingInField': entry<{ detail: string; field: string }>(
    (p) => `broken quoting (${p.detail})`,
    (p) => `引用符（"）の対応が正しくありません（${p.field} 列目）`,
  ),
  'csv.recordTooLong': entry<{ detail: string; limit: string | number }>(
    (p) => p.detail,
    (p) => `行が長すぎます（${p.limit} 文字を超えています）`,
  ),
} as const;
