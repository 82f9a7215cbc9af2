import { entry } from './entry.js';
/** What the domain room says. */
export const DOMAIN_WORDS = {
  'domain.dateUnreadable': entry<{ text: string; dateForms: string; dateForms2: string }>(
    (p) => `"${p.text}" is not a date (write it as ${p.dateForms})`,
    (p) => `「${p.text}」は日付ではありません（${p.dateForms2} のいずれかの形式で指定してください）`,
  ),
  'domain.noSuchMonth': entry<{ text: string; month: number }>(
    (p) => `"${p.text}" is not a date: there is no month ${p.month}`,
    (p) => `「${p.text}」は日付ではありません: ${p.month} 月はありません`,
  ),
  'domain.noSuchDay': entry<{ text: string; year: number; paddedMonth: string; daysInMonth: number; month: number }>(
    (p) => `"${p.text}" is not a day of the calendar: ${p.year}-${p.paddedMonth} has ${p.daysInMonth} days`,
    (p) => `「${p.text}」は存在しない日付です: ${p.year} 年 ${p.month} 月は ${p.daysInMonth} 日までです`,
  ),
  'domain.quotedValue': entry<{ value: string }>(
    (p) => `"${p.value}"`,
    (p) => `"${p.value}"`,
  ),
  'domain.contractNumberEmpty': { en: 'the contract number is empty', ja: '契約番号が空です' },
  'domain.serialRowCancelsOne': { en: 'a serial row cancels exactly one unit', ja: 'シリアル指定の行の解約数は1です' },
  'domain.lineIds': entry<{ ids: string }>(
    (p) => p.ids,
    (p) => p.ids,
  ),
  'domain.linesMatch': entry<{ lines: number; ids: string }>(
    (p) => `${p.lines} lines match ${p.ids}`,
    (p) => `${p.ids} に ${p.lines} 件の明細が該当します`,
  ),
  'domain.quantityNeedsOneLine': entry<{ lines: number }>(
    (p) => `${p.lines} active lines; a cancel quantity needs one line named`,
    (p) => `有効な明細が ${p.lines} 件あります。解約数を指定する場合は明細を指定してください`,
  ),
  'domain.noActiveSeats': { en: 'the line has no active seats (quantity 0)', ja: '明細に有効な数量がありません（数量 0）' },
  'domain.quantityOverRemaining': entry<{ quantity: number; remaining: number }>(
    (p) => `${p.quantity} > ${p.remaining} remaining`,
    (p) => `解約数 ${p.quantity} > 残数 ${p.remaining}`,
  ),
  'domain.totalOverRemaining': entry<{ quantity: number; remaining: number }>(
    (p) => `${p.quantity} > ${p.remaining} remaining`,
    (p) => `解約数の合計 ${p.quantity} > 残数 ${p.remaining}`,
  ),
  'domain.endDates': entry<{ dates: string }>(
    (p) => p.dates,
    (p) => p.dates,
  ),
  'domain.dateBefore': entry<{ date: string; limit: string }>(
    (p) => `${p.date} < ${p.limit}`,
    (p) => `${p.date} < ${p.limit}`,
  ),
} as const;
