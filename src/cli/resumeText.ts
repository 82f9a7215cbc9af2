import { type Lang, ORDER_STATUS_LABEL, STAGE_LABEL, type OrderNeedingOperator, type ParkedOrder } from '../index.js';

/**
 * What `orders resume` and the night say, in the chosen language, about the orders they
 * leave: the ones an operator must act on (each with the command to run) and the ones
 * parked where their run asked them to stop.
 */

/** Orders needing an operator named one per line; a long list ends with how many more. */
const OPERATOR_LINES = 20;
/** Parked orders named in the one line that counts them. */
const PARKED_NAMED = 10;

/** `whereAll`: where the whole list is (the night's JSON summary, resume's JSON events), named when it is cut short. */
export function operatorLines(orders: readonly OrderNeedingOperator[], lang: Lang, whereAll: string, indent = ''): string[] {
  const ja = lang === 'ja';
  const lines = orders.slice(0, OPERATOR_LINES).map((n) => `${indent}${ja ? '要対応' : 'action needed'}: ${n.words[lang]}`);
  const more = orders.length - OPERATOR_LINES;
  if (more > 0) lines.push(`${indent}${ja ? `要対応: ほか ${more} 件（全件は ${whereAll}）` : `action needed: ${more} more (all of them in ${whereAll})`}`);
  return lines;
}

/** One line: how many orders are parked, the first of them with their stop, and how to move them on. */
export function parkedLine(parked: readonly ParkedOrder[], count: number, lang: Lang, indent = ''): string | null {
  if (count === 0) return null;
  const ja = lang === 'ja';
  const named = parked.slice(0, PARKED_NAMED).map((p) => (ja ? `${p.orderNo}（${STAGE_LABEL[p.stage].ja}）` : `${p.orderNo} (${STAGE_LABEL[p.stage].en})`));
  const more = count - named.length;
  const list = ja ? `${named.join('、')}${more > 0 ? ` ほか ${more} 件` : ''}` : `${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  return ja
    ? `${indent}止めたままの注文 ${count} 件（実行時の --until の指定どおり。進めるには kaiyaku orders resume --order 注文番号 または --include-parked）: ${list}`
    : `${indent}parked: ${count} orders left where their run asked them to stop (--until); move them on with kaiyaku orders resume --order NO, or --include-parked: ${list}`;
}

/** A named order that is neither open nor waiting for the supplier. */
export function closedLine(orderNo: string, status: keyof typeof ORDER_STATUS_LABEL, lang: Lang): string {
  return lang === 'ja'
    ? `${orderNo}: ${ORDER_STATUS_LABEL[status].ja}のため、再開するものはありません`
    : `${orderNo}: ${ORDER_STATUS_LABEL[status].en}; nothing to resume`;
}
