import { entry } from './entry.js';
import type { Words } from './words.js';
/** What the contracts room says. */
export const CONTRACTS_WORDS = {
  /** `names`: the missing columns, each as the user knows it in that language. */
  'contracts.requiredColumnMissing': entry<{ names: Words }>(
    (p) => `required column missing: ${p.names.en}`,
    (p) => `必須の列がありません: ${p.names.ja}`,
  ),
  /** `clashes`: each group of header cells that name one column (`顧客 / customer`), the groups listed. */
  'contracts.columnsClash': entry<{ clashes: Words }>(
    (p) => `columns that mean the same field: ${p.clashes.en}`,
    (p) => `同じ項目を表す列があります: ${p.clashes.ja}`,
  ),
  'contracts.rowUnreadable': entry<{ why: Words }>(
    (p) => `cannot be read: ${p.why.en}`,
    (p) => `読み取れません: ${p.why.ja}`,
  ),
  'contracts.valueRequired': entry<{ label: Words }>(
    (p) => `${p.label.en} is required`,
    (p) => `${p.label.ja}は必須です`,
  ),
  'contracts.notADate': entry<{ label: Words; value: string }>(
    (p) => `${p.label.en} "${p.value}" is not a date (e.g. 2026-01-05)`,
    (p) => `${p.label.ja}「${p.value}」は日付ではありません（例: 2026-01-05）`,
  ),
  'contracts.rowsDisagree': entry<{ label: Words; value: string; row: number; contractNo: string; value2: string }>(
    (p) => `${p.label.en} "${p.value}" differs from row ${p.row} of ${p.contractNo} ("${p.value2}"): the rows of one contract must agree`,
    (p) => `${p.label.ja}「${p.value}」が同じ契約 ${p.contractNo} の ${p.row} 行目（「${p.value2}」）と異なります。同じ契約の行は同じ値にしてください`,
  ),
  'contracts.emptyValue': entry<{ label: Words }>(
    (p) => `${p.label.en} is empty`,
    (p) => `${p.label.ja}が空です`,
  ),
  /** A quantity or a price that is no whole number the store can hold (`max`, 2,147,483,647). */
  'contracts.notAWholeNumber': entry<{ label: Words; value: string; max: number }>(
    (p) => `${p.label.en} "${p.value}" must be a whole number from 0 to ${p.max.toLocaleString('en')} (e.g. 870 or 1,000)`,
    (p) => `${p.label.ja}「${p.value}」は 0 から ${p.max.toLocaleString('ja')} までの整数で指定してください（例: 870、1,000）`,
  ),
  /**
   * トライアル holds no yes/no value. `yes` and `no`: the first values read as each, for the
   * English; `cross` 1 when the value is a cross, which is read neither way.
   */
  'contracts.notYesOrNo': entry<{ label: Words; value: string; yes: string; no: string; cross: 0 | 1 }>(
    (p) =>
      `${p.label.en} "${p.value}" is not a yes/no value: use ${p.yes} or はい/有/○ for a trial, ${p.no}, いいえ/無 or empty for none${p.cross ? ' (a cross means yes in some files and no in others)' : ''}`,
    (p) =>
      `${p.label.ja}「${p.value}」は有無を表す値ではありません。トライアル商品は はい/有/あり/○/1/true/yes/y、そうでなければ いいえ/無/なし/0/false/no/n か空欄で指定してください${p.cross ? '（× や x は「該当」の意味にも「非該当」の意味にも使われるため読み取りません）' : ''}`,
  ),
  'contracts.subscriptionInTwoRows': entry<{ label: Words; subscriptionId: string; row: number; contractNo: string }>(
    (p) => `${p.label.en} "${p.subscriptionId}" is also in row ${p.row} of ${p.contractNo}: one row per line`,
    (p) => `${p.label.ja}「${p.subscriptionId}」は同じ契約 ${p.contractNo} の ${p.row} 行目にもあります（1 明細 1 行）`,
  ),
  'contracts.serialTwiceInRow': entry<{ label: Words; serial: string }>(
    (p) => `${p.label.en}: "${p.serial}" is listed twice (one serial per unit)`,
    (p) => `${p.label.ja}: 「${p.serial}」が 2 回あります（1 単位に 1 件）`,
  ),
  'contracts.serialInAnotherRow': entry<{ label: Words; serial: string; row: number; contractNo: string }>(
    (p) => `${p.label.en}: "${p.serial}" is also in row ${p.row} (${p.contractNo}): a serial is one unit of one line`,
    (p) => `${p.label.ja}: 「${p.serial}」は ${p.row} 行目（${p.contractNo}）にもあります（シリアルは 1 明細の 1 単位です）`,
  ),
  'contracts.serialCountNotQuantity': entry<{ quantityLabel: Words; serialsLabel: Words; quantity: number; serials: number }>(
    (p) => `${p.quantityLabel.en} ${p.quantity} but ${p.serials} ${p.serialsLabel.en}: one serial per unit`,
    (p) => `${p.quantityLabel.ja} ${p.quantity} に対して${p.serialsLabel.ja}が ${p.serials} 件です（1 単位に 1 件）`,
  ),
  /** One problem of a refused file, by its row. */
  'contracts.rowProblem': entry<{ row: number; problem: Words }>(
    (p) => `row ${p.row}: ${p.problem.en}`,
    (p) => `${p.row} 行目: ${p.problem.ja}`,
  ),
  /** A refused file: how many rows have problems, the first problems (`problems`, a line each), and how many more. */
  'contracts.rowsRefused': entry<{ rows: number; problems: Words; more: number }>(
    (p) => [`${p.rows} row(s) cannot be imported; nothing was imported:`, p.problems.en, ...(p.more > 0 ? [`… and ${p.more} more`] : [])].join('\n'),
    (p) => [`取り込めない行が ${p.rows} 行あります。何も取り込んでいません:`, p.problems.ja, ...(p.more > 0 ? [`… ほか ${p.more} 件`] : [])].join('\n'),
  ),
  'contracts.subscriptionIdNotGiven': entry<{ label: Words; lineNo: number; subscriptionId: string }>(
    (p) =>
      `the file gives no ${p.label.en}, and line ${p.lineNo} of this product has "${p.subscriptionId}", which the file does not name: give it, so that the line is not registered twice`,
    (p) =>
      `${p.label.ja}が空ですが、この商品の明細 ${p.lineNo} には「${p.subscriptionId}」があり、ファイルのどの行にもありません。明細が二重に登録されないよう、${p.label.ja}を指定してください`,
  ),
  'contracts.serialsNotGiven': entry<{ quantityLabel: Words; serialsLabel: Words; serials: number; quantity: number }>(
    (p) =>
      `the line has ${p.serials} serial(s) and the file, without a ${p.serialsLabel.en} column, gives ${p.quantityLabel.en} ${p.quantity}: give the serials`,
    (p) =>
      `明細にはシリアルが ${p.serials} 件あり、${p.serialsLabel.ja}列のないファイルで${p.quantityLabel.ja}が ${p.quantity} です。シリアルを指定してください`,
  ),
  'contracts.itsCancellation': { en: 'its cancellation', ja: '解約' },
  'contracts.cancellationNamed': entry<{ orderNo: string }>(
    (p) => `the cancellation ${p.orderNo}`,
    (p) => `解約 ${p.orderNo} `,
  ),
  'contracts.noQuantityBefore': { en: '', ja: '' },
  'contracts.quantityBefore': entry<{ before: number; by: Words }>(
    (p) => `had ${p.before} before ${p.by.en} and `,
    (p) => `${p.by.ja}の前は ${p.before}、`,
  ),
  'contracts.quantityUnexplained': entry<{ q: Words; file: number; before: Words; after: number }>(
    (p) => `the file gives ${p.q.en} ${p.file}, but the line ${p.before.en}has ${p.after} since: the file gives neither, so the line is left as it is.`,
    (p) => `ファイルの${p.q.ja}は ${p.file} ですが、明細は${p.before.ja}現在は ${p.after} です。ファイルの値はどちらでもないため、明細は変更していません。`,
  ),
  'contracts.cancelledLineNotRevived': entry<{ facts: Words }>(
    (p) => `${p.facts.en} The import does not bring a cancelled line back: check the seats at the supplier and correct the file`,
    (p) => `${p.facts.ja}解約済みの明細は取り込みで元に戻りません。仕入元の数量を確認し、ファイルを直してください`,
  ),
  'contracts.checkSupplierSeats': entry<{ facts: Words; after: number; file: number }>(
    (p) =>
      `${p.facts.en} Check the seats at the supplier: if it has ${p.after}, correct the file; if it has ${p.file}, import the file again with --accept-quantities`,
    (p) =>
      `${p.facts.ja}仕入元の数量を確認し、${p.after} であればファイルを直してください。${p.file} であれば --accept-quantities を付けてもう一度取り込んでください`,
  ),
  'contracts.lineHeldByOpenOrder': entry<{ orderNo: string }>(
    (p) => `the open order ${p.orderNo} holds this line: the line is left as it is; import the file again once the order is completed or withdrawn`,
    (p) => `未完了の注文 ${p.orderNo} がこの明細を対象にしているため、明細は変更していません。注文が変更済またはキャンセルになってから再度取り込んでください`,
  ),
  'contracts.serialsOverSeats': entry<{ serials: number; quantity: number; orders: string }>(
    (p) => `${p.serials} active serial(s) for the ${p.quantity} seat(s) the line has after its cancellations${p.orders}: give one serial per remaining seat`,
    (p) => `解約後の残数 ${p.quantity}${p.orders} に対して有効なシリアルが ${p.serials} 件です。残数 1 につき 1 件を指定してください`,
  ),
  'contracts.serialCancelled': entry<{ serial: string; lineNo: number }>(
    (p) => `serial "${p.serial}" was cancelled on line ${p.lineNo}: a cancelled serial is not given to another line`,
    (p) => `シリアル「${p.serial}」は明細 ${p.lineNo} で解約済みです。解約済みのシリアルを別の明細に付け替えることはできません`,
  ),
  'contracts.serialKeptByLine': entry<{ serial: string; lineNo: number }>(
    (p) =>
      `serial "${p.serial}" is on line ${p.lineNo}, which keeps it (the file lists it there, the line is not in the file, or it was refused): a serial is not moved from a line that keeps it`,
    (p) =>
      `シリアル「${p.serial}」は明細 ${p.lineNo} にあり、その明細に残ります（ファイルでもその明細にある、その明細がファイルにない、または取り込めなかったため）。シリアルは 1 つの明細にしか付けられません`,
  ),
  'contracts.contractCancelled': { en: 'the contract is cancelled: a line is not added to it', ja: '契約は解約済みのため、明細を追加できません' },
} as const;
