import { TransportError, type TransportResponse } from './transport.js';

/**
 * Reading what the supplier answered (supplier-api.md): which answers are answers, what a
 * refusal says, the subscription resource, Retry-After, and the words for what went wrong
 * with a call, in English and Japanese (the supplier's own words inside stay as they came).
 */

/** What went wrong with one call, or why the client stops: English and Japanese. */
export interface Problem {
  en: string;
  ja: string;
}

/** When a 429 carries no usable Retry-After. */
const DEFAULT_THROTTLE_MS = 1_000;

/** A call that got no answer: a timeout, or a connection dropped or refused (its errno code, when there is one). */
export function transportProblem(error: TransportError): Problem {
  if (error.reason === 'timeout') {
    const ms = /(\d+) ms/.exec(error.message)?.[1];
    return { en: error.message, ja: ms ? `${ms} ms 以内に応答がありませんでした` : '応答がないまま打ち切りました' };
  }
  const code = /\b(E[A-Z]{3,})\b/.exec(error.message)?.[1] ?? (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return { en: error.message, ja: `接続できませんでした${code ? `（${code}）` : ''}` };
}

/** An HTTP status, with the supplier's own words when its body has them. */
export function httpProblem(response: TransportResponse): Problem {
  const description = describeBody(response.body);
  return { en: `HTTP ${response.status}${description ? ` (${description})` : ''}`, ja: `HTTP ${response.status}${description ? `（${description}）` : ''}` };
}

/** An answer the API does not give: a 200 that is not a subscription, garbage, an HTML page, a redirect. */
export function unreadableProblem(response: TransportResponse): Problem {
  const body = truncate(typeof response.body === 'string' ? response.body : (JSON.stringify(response.body) ?? ''), 120);
  return { en: `an answer that could not be read (HTTP ${response.status}: ${body})`, ja: `読み取れない応答（HTTP ${response.status}: ${body}）` };
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

/** Retry-After is seconds or an HTTP date. */
export function retryAfterMs(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_THROTTLE_MS;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? DEFAULT_THROTTLE_MS : Math.max(0, date - Date.now());
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

export function readResource(body: unknown): { quantity: number; status: 'active' | 'deleted'; pending: boolean } | null {
  if (typeof body !== 'object' || body === null) return null;
  const fields = body as Record<string, unknown>;
  const quantity = fields['quantity'];
  const status = fields['status'];
  if (typeof quantity !== 'number' || (status !== 'active' && status !== 'deleted')) return null;
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
