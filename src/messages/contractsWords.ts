import { entry } from './entry.js';
import type { Words } from './words.js';
/** What the contracts room says. */
export const CONTRACTS_WORDS = {
  'contracts.requiredColumnMissing': entry<{ names: string; names2: string }>(
    (p) => `required column missing: ${p.names}`,
    (p) => `必須の列がありません: ${p.names2}`,
  ),
  'contracts.columnsThatMeanTheSame': entry<{ clashes: string; clashes2: string }>(
    (p) => `columns that mean the same field: ${p.clashes}`,
    (p) => `同じ項目を表す列があります: ${p.clashes2}`,
  ),
  'contracts.cannotBeRead': entry<{ why: Words }>(
    (p) => `cannot be read: ${p.why.en}`,
    (p) => `読み取れません: ${p.why.ja}`,
  ),
  'contracts.isRequired': entry<{ label: Words }>(
    (p) => `${p.label.en} is required`,
    (p) => `${p.label.ja}は必須です`,
  ),
  'contracts.isNotADateE': entry<{ label: Words; value: string }>(
    (p) => `${p.label.en} "${p.value}" is not a date (e.g. 2026-01-05)`,
    (p) => `${p.label.ja}「${p.value}」は日付ではありません（例: 2026-01-05）`,
  ),
  'contracts.differsFromRowOfThe': entry<{ label: Words; value: string; row: number; contractNo: string; value2: string }>(
    (p) => `${p.label.en} "${p.value}" differs from row ${p.row} of ${p.contractNo} ("${p.value2}"): the rows of one contract must agree`,
    (p) => `${p.label.ja}「${p.value}」が同じ契約 ${p.contractNo} の ${p.row} 行目（「${p.value2}」）と異なります。同じ契約の行は同じ値にしてください`,
  ),
  'contracts.itsCancellation': { en: 'its cancellation', ja: '解約' },
  'contracts.theCancellation': entry<{ orderNo: string }>(
    (p) => `the cancellation ${p.orderNo}`,
    (p) => `解約 ${p.orderNo} `,
  ),
  'contracts.noQuantityBefore': { en: '', ja: '' },
  'contracts.hadBeforeAnd': entry<{ before: number; by: Words }>(
    (p) => `had ${p.before} before ${p.by.en} and `,
    (p) => `${p.by.ja}の前は ${p.before}、`,
  ),
  'contracts.theFileGivesButThe': entry<{ q: Words; file: number; before: Words; after: number }>(
    (p) => `the file gives ${p.q.en} ${p.file}, but the line ${p.before.en}has ${p.after} since: the file gives neither, so the line is left as it is.`,
    (p) => `ファイルの${p.q.ja}は ${p.file} ですが、明細は${p.before.ja}現在は ${p.after} です。ファイルの値はどちらでもないため、明細は変更していません。`,
  ),
  'contracts.theImportDoesNotBring': entry<{ facts: Words }>(
    (p) => `${p.facts.en} The import does not bring a cancelled line back: check the seats at the supplier and correct the file`,
    (p) => `${p.facts.ja}解約済みの明細は取り込みで元に戻りません。仕入元の数量を確認し、ファイルを直してください`,
  ),
  'contracts.checkTheSeatsAtThe': entry<{ facts: Words; after: number; file: number }>(
    (p) =>
      `${p.facts.en} Check the seats at the supplier: if it has ${p.after}, correct the file; if it has ${p.file}, import the file again with --accept-quantities`,
    (p) =>
      `${p.facts.ja}仕入元の数量を確認し、${p.after} であればファイルを直してください。${p.file} であれば --accept-quantities を付けてもう一度取り込んでください`,
  ),
  'contracts.theOpenOrderHoldsThis': entry<{ orderNo: string }>(
    (p) => `the open order ${p.orderNo} holds this line: the line is left as it is; import the file again once the order is completed or withdrawn`,
    (p) => `未完了の注文 ${p.orderNo} がこの明細を対象にしているため、明細は変更していません。注文が変更済またはキャンセルになってから再度取り込んでください`,
  ),
  'contracts.activeSerialSForThe': entry<{ serials: number; quantity: number; orders: string }>(
    (p) => `${p.serials} active serial(s) for the ${p.quantity} seat(s) the line has after its cancellations${p.orders}: give one serial per remaining seat`,
    (p) => `解約後の残数 ${p.quantity}${p.orders} に対して有効なシリアルが ${p.serials} 件です。残数 1 につき 1 件を指定してください`,
  ),
  'contracts.serialWasCancelledOnLine': entry<{ serial: string; lineNo: number }>(
    (p) => `serial "${p.serial}" was cancelled on line ${p.lineNo}: a cancelled serial is not given to another line`,
    (p) => `シリアル「${p.serial}」は明細 ${p.lineNo} で解約済みです。解約済みのシリアルを別の明細に付け替えることはできません`,
  ),
  'contracts.serialIsOnLineWhich': entry<{ serial: string; lineNo: number }>(
    (p) =>
      `serial "${p.serial}" is on line ${p.lineNo}, which keeps it (the file lists it there, the line is not in the file, or it was refused): a serial is not moved from a line that keeps it`,
    (p) =>
      `シリアル「${p.serial}」は明細 ${p.lineNo} にあり、その明細に残ります（ファイルでもその明細にある、その明細がファイルにない、または取り込めなかったため）。シリアルは 1 つの明細にしか付けられません`,
  ),
  'contracts.theContractIsCancelledA': { en: 'the contract is cancelled: a line is not added to it', ja: '契約は解約済みのため、明細を追加できません' },
} as const;
