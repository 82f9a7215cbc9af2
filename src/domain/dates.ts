import type { IsoDate } from './types.js';
import { say, type Said } from '../messages/index.js';

const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

/** The business day in Japan for an instant (the portal's dates are JST; the supplier's UTC). */
export function jstDate(instant: Date): IsoDate {
  return new Date(instant.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10);
}

/** `2026-11-25T21:04:05+09:00`-style timestamp in JST, for 更新日時. */
export function jstTimestamp(instant: Date): string {
  const shifted = new Date(instant.getTime() + JST_OFFSET_MS).toISOString();
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 19)}`;
}

/**
 * Accepts the forms operators type: `2026-01-05`, `2026/01/05`, `2026/1/5`, `20260105`
 * (after NFKC, so full-width digits are fine). Returns null for anything else or for a
 * day that does not exist (2026-02-30).
 */
export function parseBusinessDate(input: string): IsoDate | null {
  const read = readBusinessDate(input);
  return read.ok ? read.date : null;
}

/** Why a text is not a business date: not in an accepted form, or a day the calendar lacks. */
export type DateReading =
  | { ok: true; date: IsoDate }
  | { ok: false; problem: 'format' }
  | { ok: false; problem: 'no_such_day'; year: number; month: number; day: number; daysInMonth: number | null };

export function readBusinessDate(input: string): DateReading {
  const value = input.trim();
  let m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(value);
  if (!m) m = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!m) return { ok: false, problem: 'format' };
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    const daysInMonth = month >= 1 && month <= 12 ? new Date(Date.UTC(year, month, 0)).getUTCDate() : null;
    return { ok: false, problem: 'no_such_day', year, month, day, daysInMonth };
  }
  return { ok: true, date: `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}` };
}

/** The forms accepted, as the messages quote them. */
export const DATE_FORMS = '2026-01-05, 2026/01/05, 2026/1/5, 20260105';

/** Plain words on why `text` is not a date, in both languages (English first). */
export function explainDateProblem(text: string, reading: Exclude<DateReading, { ok: true }>): Said {
  if (reading.problem === 'format') {
    return say('domain.dateUnreadable', { text, dateForms: DATE_FORMS, dateForms2: DATE_FORMS.replaceAll(', ', '、') });
  }
  const { year, month, daysInMonth } = reading;
  if (daysInMonth === null) return say('domain.noSuchMonth', { text, month });
  return say('domain.noSuchDay', { text, year, paddedMonth: String(month).padStart(2, '0'), daysInMonth, month });
}
