import { TransportError, type TransportResponse } from './transport.js';
import { say, type Said } from '../messages/index.js';

/**
 * Reading what the supplier answered (supplier-api.md): which answers are answers, what a
 * refusal says, the subscription resource, Retry-After, and the words for what went wrong
 * with a call, in English and Japanese (the supplier's own words inside stay as they came).
 */

/** What went wrong with one call, or why the client stops: said from the book (its key and parameters, and both languages). */
export type Problem = Said;

/** When a 429 carries no usable Retry-After. */
const DEFAULT_THROTTLE_MS = 1_000;

/** A call that got no answer: a timeout, or a connection dropped or refused (its errno code, when there is one). */
export function transportProblem(error: TransportError): Problem {
  if (error.reason === 'timeout') {
    const ms = /(\d+) ms/.exec(error.message)?.[1];
    return ms ? say('supplier.timedOutAfter', { message: error.message, ms }) : say('supplier.timedOut', { message: error.message });
  }
  const code = /\b(E[A-Z]{3,})\b/.exec(error.message)?.[1] ?? (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return code ? say('supplier.connectionFailedWithCode', { message: error.message, code }) : say('supplier.connectionFailed', { message: error.message });
}

/** An HTTP status, with the supplier's own words when its body has them. */
export function httpProblem(response: TransportResponse): Problem {
  const description = describeBody(response.body);
  return description ? say('supplier.httpWithWords', { status: response.status, description }) : say('supplier.http', { status: response.status });
}

/** An answer the API does not give: a 200 that is not a subscription, garbage, an HTML page, a redirect. */
export function unreadableProblem(response: TransportResponse): Problem {
  const body = truncate(typeof response.body === 'string' ? response.body : (JSON.stringify(response.body) ?? ''), 120);
  return say('supplier.unreadableAnswer', { status: response.status, body });
}

/** The statuses the API answers with: 2xx, and 4xx refusals (429 and 409 are handled before). 1xx and 3xx are not answers. */
export function isReadableAnswer(response: TransportResponse): boolean {
  return (response.status >= 200 && response.status < 300) || (response.status >= 400 && response.status < 500);
}

export function isTransient(status: number): boolean {
  return status === 409 || status >= 500;
}

/** A gateway in front of the supplier could not reach it (502) or gave up waiting (504): no answer from the supplier. */
export function isGatewayFailure(status: number): boolean {
  return status === 502 || status === 504;
}

/**
 * What a 429's Retry-After asks for: seconds or an HTTP date. Absent or empty, the client
 * waits a second. A value that asks for no wait (0, a negative number, a date already
 * past) or cannot be read is `unusable`: the client's own back-off stands in for it, so
 * a throttling supplier is never called back to back.
 */
export function retryAfter(value: string | undefined): { ms: number; unusable: string | null } {
  if (value === undefined || value.trim() === '') return { ms: DEFAULT_THROTTLE_MS, unusable: null };
  const seconds = /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  if (Number.isNaN(ms)) return { ms: DEFAULT_THROTTLE_MS, unusable: value };
  return ms > 0 ? { ms, unusable: null } : { ms: 0, unusable: value };
}

/**
 * 401, 403 or 407: a gateway (or the supplier's front door) refused us. Nothing about the
 * subscription: the supplier never saw the request, and no later call of this command fares better.
 */
export function isAccessRefused(status: number): boolean {
  return status === 401 || status === 403 || status === 407;
}

/**
 * Whether a 4xx is the supplier's own word (supplier-api.md): a 404 with no body or a JSON
 * one (the simulator's `{code: "NOT_FOUND"}`), any other refusal a JSON body naming its
 * code. An HTML page from a proxy, or a gateway's own JSON without a code, is an answer that
 * cannot be read: a misconfigured base URL answers 404 to every line, and taking that for
 * "unknown subscription" would fail them all for good.
 */
export function isSupplierRefusal(response: TransportResponse): boolean {
  const body = response.body;
  const json = typeof body === 'object' && body !== null && !Array.isArray(body);
  if (response.status === 404) return body === undefined || json;
  const code = json ? (body as Record<string, unknown>)['code'] : undefined;
  return typeof code === 'string' || typeof code === 'number';
}

export function refusalOf(status: number, body: unknown): { code: string; message: string } {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const code = fields['code'];
  const description = fields['description'] ?? fields['message'];
  const words = typeof description === 'string' ? description : typeof body === 'string' ? truncate(body) : `HTTP ${status}`;
  if (status === 404) return { code: 'NOT_FOUND', message: words };
  return {
    code: typeof code === 'string' || typeof code === 'number' ? String(code) : `HTTP_${status}`,
    message: words,
  };
}

/**
 * The subscription resource, or null when the body is not one: a quantity (a whole number
 * ≥ 0), a status, and, when the body names an id, the subscription asked about (an answer
 * about another subscription says nothing of this one). Ids are compared without regard to
 * case: Partner Center's are GUIDs, which a gateway may give back in another case.
 */
export function readResource(body: unknown, subscriptionId?: string): { quantity: number; status: 'active' | 'deleted'; pending: boolean } | null {
  if (typeof body !== 'object' || body === null) return null;
  const fields = body as Record<string, unknown>;
  const quantity = fields['quantity'];
  const status = fields['status'];
  if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity < 0 || (status !== 'active' && status !== 'deleted')) return null;
  const id = fields['id'];
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- an id that is an object reads '[object Object]': another subscription's
  if (subscriptionId !== undefined && id !== undefined && id !== null && String(id).toLowerCase() !== subscriptionId.toLowerCase()) return null;
  return { quantity, status, pending: fields['provisioning'] === 'pending' };
}

function describeBody(body: unknown): string {
  if (typeof body === 'object' && body !== null) {
    const description = (body as Record<string, unknown>)['description'];
    if (typeof description === 'string') return description;
  }
  return '';
}

function truncate(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
