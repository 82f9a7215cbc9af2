import type { IsoDate } from './types.js';

/** `NCN202107-0000003109`, `NOD202107-0000007584`: prefix, year and month, ten digits. */
const NUMBER_PATTERN = /^(NCN|NOD)(\d{4})(0[1-9]|1[0-2])-(\d{10})$/;

export function formatOrderNo(appliedOn: IsoDate, sequence: number): string {
  return formatNumber('NOD', appliedOn, sequence);
}

export function formatContractNo(contractDate: IsoDate, sequence: number): string {
  return formatNumber('NCN', contractDate, sequence);
}

function formatNumber(prefix: 'NCN' | 'NOD', date: IsoDate, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > 9_999_999_999) {
    throw new RangeError(`sequence out of range: ${sequence}`);
  }
  return `${prefix}${date.slice(0, 4)}${date.slice(5, 7)}-${String(sequence).padStart(10, '0')}`;
}

export function isContractNo(value: string): boolean {
  const m = NUMBER_PATTERN.exec(value);
  return m !== null && m[1] === 'NCN';
}
