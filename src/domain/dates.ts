import type { IsoDate } from './types.js';

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
  const value = input.trim();
  let m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(value);
  if (!m) m = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return null;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
