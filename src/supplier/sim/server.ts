import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SubscriptionSeed } from '../port.js';
import { SupplierSimulator, type SimKnobs, type SimResponse } from './simulator.js';

export interface SupplierServerOptions {
  /** 0 = an ephemeral port. */
  port: number;
  /** Default 127.0.0.1; only loopback addresses are accepted. */
  host?: string;
  knobs: SimKnobs;
  seeds: SubscriptionSeed[];
}

export interface SupplierServer {
  url: string;
  port: number;
  simulator: SupplierSimulator;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1_000_000;

/**
 * The simulator over HTTP (`kaiyaku supplier serve`). Loopback only: it has no
 * authentication and lets anyone change the quantities it holds.
 */
export async function startSupplierServer(opts: SupplierServerOptions): Promise<SupplierServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new RangeError(`the supplier simulator listens on loopback only, not ${host}`);
  const simulator = new SupplierSimulator(opts.knobs, opts.seeds);
  const server = http.createServer((req, res) => {
    serve(simulator, req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, { status: 500, headers: {}, body: { code: 'INTERNAL', description: String(error) } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    simulator,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function serve(simulator: SupplierSimulator, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const text = await readBody(req);
  if (text === null) {
    send(res, { status: 413, headers: {}, body: { code: 'BODY_TOO_LARGE', description: `the body exceeds ${MAX_BODY_BYTES} bytes` } });
    return;
  }
  let body: unknown;
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text) as unknown;
    } catch (error) {
      send(res, { status: 400, headers: {}, body: { code: 'MALFORMED_JSON', description: `the body is not JSON: ${(error as Error).message}` } });
      return;
    }
  }
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  const response = await simulator.handle({
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers,
    ...(body === undefined ? {} : { body }),
  });
  send(res, response);
}

/** The body as text, or null when it is too large. */
async function readBody(req: http.IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: http.ServerResponse, response: SimResponse): void {
  const payload = response.body === undefined ? undefined : JSON.stringify(response.body);
  const headers: http.OutgoingHttpHeaders = { ...response.headers };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['content-length'] = Buffer.byteLength(payload);
  }
  res.writeHead(response.status, headers);
  res.end(payload);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
