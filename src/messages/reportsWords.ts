/** What the reports room says. */
export const REPORTS_WORDS = {
  'reports.contractList': { en: 'the contract list', ja: '契約一覧' },
  'reports.orderList': { en: 'the order list', ja: '契約変更一覧' },
} as const;
