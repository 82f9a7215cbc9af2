import { entry } from './entry.js';
/** What the domain room says. */
export const DOMAIN_WORDS = {
  'domain.isNotADateWrite': entry<{ text: string; dateForms: string; dateForms2: string }>(
    (p) => `"${p.text}" is not a date (write it as ${p.dateForms})`,
    (p) => `「${p.text}」は日付ではありません（${p.dateForms2} のいずれかの形式で指定してください）`,
  ),
  'domain.isNotADateThere': entry<{ text: string; month: number }>(
    (p) => `"${p.text}" is not a date: there is no month ${p.month}`,
    (p) => `「${p.text}」は日付ではありません: ${p.month} 月はありません`,
  ),
  'domain.isNotADayOf': entry<{ text: string; year: number; String: string; daysInMonth: number; month: number }>(
    (p) => `"${p.text}" is not a day of the calendar: ${p.year}-${p.String} has ${p.daysInMonth} days`,
    (p) => `「${p.text}」は存在しない日付です: ${p.year} 年 ${p.month} 月は ${p.daysInMonth} 日までです`,
  ),
} as const;
