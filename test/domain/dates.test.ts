import { describe, expect, it } from 'vitest';
import { jstDate, jstTimestamp, parseBusinessDate } from '../../src/domain/dates.js';

describe('jstDate', () => {
  it('gives the Japanese business day across UTC midnight', () => {
    expect(jstDate(new Date('2026-11-25T15:30:00Z'))).toBe('2026-11-26');
    expect(jstDate(new Date('2026-11-25T14:59:59.999Z'))).toBe('2026-11-25');
    expect(jstDate(new Date('2026-11-25T15:00:00Z'))).toBe('2026-11-26');
  });

  it('crosses month and year ends', () => {
    expect(jstDate(new Date('2026-12-31T15:00:00Z'))).toBe('2027-01-01');
    expect(jstDate(new Date('2026-02-28T16:00:00Z'))).toBe('2026-03-01');
  });
});

describe('jstTimestamp', () => {
  it('writes 更新日時 in Japan time', () => {
    expect(jstTimestamp(new Date('2026-11-25T12:04:05Z'))).toBe('2026-11-25 21:04:05');
    expect(jstTimestamp(new Date('2026-11-25T15:30:00Z'))).toBe('2026-11-26 00:30:00');
  });
});

describe('parseBusinessDate', () => {
  it.each([
    ['2026-01-05', '2026-01-05'],
    ['2026/01/05', '2026-01-05'],
    ['2026/1/5', '2026-01-05'],
    ['20260105', '2026-01-05'],
    [' 2026/1/5 ', '2026-01-05'],
    ['2024-02-29', '2024-02-29'],
    ['2026-12-31', '2026-12-31'],
  ])('reads %j as %s', (input, expected) => {
    expect(parseBusinessDate(input)).toBe(expected);
  });

  it.each([
    '2026-02-30',
    '2026-13-01',
    '2026-00-10',
    '2026-01-00',
    '2026-01-32',
    '2025-02-29',
    'abc',
    '',
    '2026-1',
    '2026010',
    '2026/01/05/01',
    '05/01/2026',
    '2026-01-05T00:00',
  ])('refuses %j', (input) => {
    expect(parseBusinessDate(input)).toBeNull();
  });
});
