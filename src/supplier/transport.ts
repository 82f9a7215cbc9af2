import http from 'node:http';
import https from 'node:https';

/**
 * How the client reaches the supplier: one request in, one response out. A transport
 * throws a `TransportError` when no answer came (dropped connection, refused connection,
 * aborted by the signal); every HTTP status, error or not, is a response.
 */
/** What the client sends: one of the two methods it uses, a path, headers and a JSON body. */
export interface TransportRequest {
  method: 'GET' | 'PATCH';
  /** Path with URL-encoded segments, optionally with a query string. */
  path: string;
  headers: Record<string, string | undefined>;
  body?: unknown;
}

/** What came back. Header names are lower case. */
export interface TransportResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export type Transport = ((req: TransportRequest, signal: AbortSignal) => Promise<TransportResponse>) & {
  /**
   * The transport never reads the signal (an in-process one answers at once): the client then
   * hands it one that is never aborted instead of a new one per call, and still times the call
   * out itself.
   */
  readonly ignoresSignal?: true;
};

export class TransportError extends Error {
  constructor(
    readonly reason: 'dropped' | 'timeout',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

export interface HttpTransport {
  transport: Transport;
  close(): void;
}

/**
 * node:http(s) with one keep-alive agent. `maxSockets` is well above the concurrency the
 * pipeline uses (64+), so requests never queue inside the agent where our timeout would
 * count time not spent at the supplier.
 */
export function createHttpTransport(baseUrl: string, maxSockets = 256): HttpTransport {
  const base = new URL(baseUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TypeError(`supplier URL must be http(s), got ${baseUrl}`);
  }
  const client = base.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const prefix = base.pathname.replace(/\/+$/, '');
  const hostname = base.hostname.replace(/^\[(.*)\]$/, '$1');

  const transport: Transport = (req, signal) =>
    new Promise<TransportResponse>((resolve, reject) => {
      const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
      const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
      for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name.toLowerCase()] = value;
      if (payload) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = payload.length;
      }
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof TransportError ? error : new TransportError('dropped', `connection dropped (${describeError(error)})`, { cause: error }));
      };
      const request = client.request({
        protocol: base.protocol,
        hostname,
        port: base.port === '' ? undefined : Number(base.port),
        path: prefix + req.path,
        method: req.method,
        headers,
        agent,
      });
      const onAbort = (): void => {
        const reason: unknown = signal.reason;
        const error = reason instanceof TransportError ? reason : new TransportError('timeout', 'request aborted', { cause: reason });
        fail(error);
        request.destroy(error);
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      request.on('error', fail);
      request.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(new Error('response cut short'));
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          const text = Buffer.concat(chunks).toString('utf8');
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          const body = parseBody(text);
          resolve({ status: res.statusCode ?? 0, headers: responseHeaders, ...(body === undefined ? {} : { body }) });
        });
      });
      request.end(payload);
    });

  return { transport, close: () => agent.destroy() };
}

/** JSON when it parses, the text otherwise (a gateway's HTML error page, say). */
function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
