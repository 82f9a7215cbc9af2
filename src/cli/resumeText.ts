import { type Lang, type OrderNeedingOperator, type OrderStatus, type ParkedOrder, type Words } from '../index.js';
import { joinWords, say } from '../messages/index.js';

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
export function operatorLines(orders: readonly OrderNeedingOperator[], lang: Lang, whereAll: Words, indent = ''): string[] {
  const lines = orders.slice(0, OPERATOR_LINES).map((n) => `${indent}${say('cli.actionNeeded', { what: n.words })[lang]}`);
  const more = orders.length - OPERATOR_LINES;
  if (more > 0) lines.push(`${indent}${say('cli.actionNeededMore', { more, whereAll })[lang]}`);
  return lines;
}

/** One line: how many orders are parked, the first of them with their stop, and how to move them on. */
export function parkedLine(parked: readonly ParkedOrder[], count: number, lang: Lang, indent = ''): string | null {
  if (count === 0) return null;
  const named = parked.slice(0, PARKED_NAMED).map((p) => say('cli.parkedOrder', { orderNo: p.orderNo, stage: p.stage }));
  const more = count - named.length;
  const list = listOf(named, more > 0 ? say('cli.andMore', { more }) : null);
  return `${indent}${say('cli.parkedOrders', { count, list })[lang]}`;
}

/** Messages as one list in each language, with what follows the list (`ほか 3 件`). */
export function listOf(items: readonly Words[], after: Words | null = null): Words {
  return joinWords(items, say('cli.listSeparator'), after);
}

/** A named order that is neither open nor waiting for the supplier. */
export function closedLine(orderNo: string, status: OrderStatus, lang: Lang): string {
  return say('cli.orderClosed', { orderNo, status })[lang];
}
