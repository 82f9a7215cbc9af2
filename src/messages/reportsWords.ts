/** What the reports room says. */
export const REPORTS_WORDS = {
  'reports.theContractList': { en: 'the contract list', ja: '契約一覧' },
  'reports.theOrderList': { en: 'the order list', ja: '契約変更一覧' },
} as const;
