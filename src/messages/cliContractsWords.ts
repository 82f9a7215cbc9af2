/**
 * What `kaiyaku contracts import` says: its totals, then each contract that changed or has
 * something to say, line by line.
 */
import type { ImportCounts } from '../domain/types.js';
import { entry } from './entry.js';
import { DRY_RUN_NOTE } from './cliWords.js';

export const CLI_CONTRACTS_WORDS = {
  'cli.importUnknownColumn': entry<{ file: string; column: string }>(
    (p) => `warning: ${p.file}: unknown column ignored: ${p.column}`,
    (p) => `警告: ${p.file}: 不明な列を無視しました: ${p.column}`,
  ),
  'cli.importSummary': entry<ImportCounts & { file: string; rows: number; dryRun: 0 | 1; exit: number }>(
    (p) =>
      `${p.file}: ${p.rows} rows${p.dryRun ? DRY_RUN_NOTE.en : ''} — contracts created ${p.contractsCreated}, updated ${p.contractsUpdated}, unchanged ${p.contractsUnchanged}; lines created ${p.linesCreated}, updated ${p.linesUpdated}, unchanged ${p.linesUnchanged}, refused ${p.linesRefused}; serials added ${p.serialsAdded}, removed ${p.serialsRemoved}, moved ${p.serialsMoved} (exit ${p.exit})`,
    (p) =>
      `${p.file}: ${p.rows} 行${p.dryRun ? DRY_RUN_NOTE.ja : ''} — 契約 新規 ${p.contractsCreated}、更新 ${p.contractsUpdated}、変更なし ${p.contractsUnchanged}; 明細 新規 ${p.linesCreated}、更新 ${p.linesUpdated}、変更なし ${p.linesUnchanged}、取り込み不可 ${p.linesRefused}; シリアル 追加 ${p.serialsAdded}、削除 ${p.serialsRemoved}、移動 ${p.serialsMoved}（終了コード ${p.exit}）`,
  ),
  /** What became of a contract or a line. */
  'cli.importCreated': { en: 'created', ja: '新規' },
  'cli.importUpdated': { en: 'updated', ja: '更新' },
  'cli.importUnchanged': { en: 'unchanged', ja: '変更なし' },
  'cli.importRefused': { en: 'refused', ja: '取り込み不可' },
  /** Between the changes of one contract or line. */
  'cli.importChangeSeparator': { en: '; ', ja: '、' },
  /** Before a line: the row of the file that names it. */
  'cli.importRow': entry<{ row: number }>(
    (p) => `row ${p.row}, `,
    (p) => `${p.row} 行目 `,
  ),
  /** `ids`: the product code and subscription id, joined by ` / `. */
  'cli.importNewLine': entry<{ ids: string }>(
    (p) => `new line (${p.ids})`,
    (p) => `新しい明細（${p.ids}）`,
  ),
  'cli.importLine': entry<{ lineNo: number; ids: string }>(
    (p) => `line ${p.lineNo} (${p.ids})`,
    (p) => `明細 ${p.lineNo}（${p.ids}）`,
  ),
  /** `serials`: the first few, joined by `, `. */
  'cli.importSerialsAdded': entry<{ count: number; serials: string }>(
    (p) => `serials added ${p.count} (${p.serials})`,
    (p) => `シリアル追加 ${p.count}（${p.serials}）`,
  ),
  'cli.importSerialsRemoved': entry<{ count: number; serials: string }>(
    (p) => `serials removed ${p.count} (${p.serials})`,
    (p) => `シリアル削除 ${p.count}（${p.serials}）`,
  ),
  'cli.importSerialMoved': entry<{ serial: string; fromLineNo: number }>(
    (p) => `serial "${p.serial}" moved from line ${p.fromLineNo}`,
    (p) => `シリアル「${p.serial}」を明細 ${p.fromLineNo} から移動`,
  ),
  'cli.importNotInFile': { en: 'not in the file (kept as it is)', ja: 'ファイルにない明細（そのまま残します）' },
  'cli.importKeptFromCancellation': entry<{ count: number }>(
    (p) =>
      `${p.count} value(s) decided by cancellations kept as stored, where the file gives others (end dates of cancelled contracts, quantities of lines a cancellation changed)`,
    (p) => `解約で確定した値 ${p.count} 件はファイルの値ではなく登録済みの値のままです（解約済み契約の契約終了日、解約で変わった明細の数量）`,
  ),
} as const;
