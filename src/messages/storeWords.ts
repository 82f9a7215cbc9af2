/** What the store itself says about a line it changed on its own (a migration, a line held by another order). */
export const STORE_WORDS = {
  'store.lineHeldByOpenOrder': {
    en: 'not applied to the contract line: another open order holds it',
    ja: '別の処理中の注文がこの明細を保持しているため、契約明細には反映していません',
  },
  'store.sentRefusalReopened': {
    en: 'an earlier version took this line for refused after its change was sent; the supplier may have taken it: a later run asks it again',
    ja: '以前のバージョンは、変更を送信した後のこの明細を拒否として扱いました。仕入元が変更を反映している可能性があるため、次回の実行で改めて確認します',
  },
  'store.sent404Reopened': {
    en: 'an earlier version took a 404 for a refusal after the change was sent; the supplier may have taken it: a later run asks it again',
    ja: '以前のバージョンは、変更を送信した後の 404 を拒否として扱いました。仕入元が変更を反映している可能性があるため、次回の実行で改めて確認します',
  },
} as const;
