/**
 * A supplier that speaks the HTTP API of supplier-api.md and answers as a test tells it: it
 * holds subscriptions (each starts at the quantity seeded), applies the changes it is told
 * to apply, and answers GETs and PATCHes through `onGet` / `onPatch`, which a test swaps
 * between two commands. It records every call (method, subscription, status, time).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeldSubscription {
  quantity: number;
  status: 'active' | 'deleted';
  /** A change is still provisioning: GET shows `"provisioning": "pending"`. */
  pending: boolean;
}

/** An answer: a status with a JSON body, or raw text (`text`, sent as HTML), or a dropped connection. */
export type Reply = { status: number; body?: unknown; text?: string; headers?: Record<string, string> } | 'drop';

export interface Asked {
  id: string;
  sub: HeldSubscription;
  /** The target of a PATCH (0 for `{status: "deleted"}`). */
  target: number;
  /** The PATCH's Idempotency-Key ('' for a GET). */
  key: string;
}

export interface Call {
  method: string;
  id: string;
  status: number | 'drop';
  at: number;
}

export interface HostileSupplier {
  url: string;
  subs: Map<string, HeldSubscription>;
  calls: Call[];
  onGet: (asked: Asked) => Reply;
  onPatch: (asked: Asked) => Reply;
  patches(): number;
  close(): Promise<void>;
}

/** The subscription resource the API answers with. */
export function resource(id: string, sub: HeldSubscription): Record<string, unknown> {
  return {
    id,
    quantity: sub.quantity,
    status: sub.status,
    etag: 'e1',
    cancellationAllowedUntil: '2099-01-01T00:00:00Z',
    refundableQuantity: sub.quantity,
    ...(sub.pending ? { provisioning: 'pending' } : {}),
  };
}

/** Applies a change to a held subscription. */
export function apply(sub: HeldSubscription, target: number): void {
  sub.quantity = target;
  if (target === 0) sub.status = 'deleted';
}

/** An honest supplier: GET answers the subscription; PATCH applies the target and answers 200 with it. */
export const honestGet = ({ id, sub }: Asked): Reply => ({ status: 200, body: resource(id, sub) });
export const honestPatch = ({ id, sub, target }: Asked): Reply => {
  apply(sub, target);
  return { status: 200, body: resource(id, sub) };
};

export async function startHostileSupplier(seeds: Record<string, number>): Promise<HostileSupplier> {
  const subs = new Map<string, HeldSubscription>(Object.entries(seeds).map(([id, quantity]) => [id, { quantity, status: 'active', pending: false }]));
  const calls: Call[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/v1\/customers\/[^/]+\/subscriptions\/([^/?]+)$/.exec(req.url ?? '');
      const id = match ? decodeURIComponent(match[1]!) : '';
      const sub = subs.get(id);
      let reply: Reply;
      if (!sub) reply = { status: 404, body: { code: 'NOT_FOUND', description: `subscription ${id} not found` } };
      else if (req.method === 'PATCH') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { quantity?: number; status?: string };
        reply = supplier.onPatch({ id, sub, target: body.status === 'deleted' ? 0 : Number(body.quantity), key: String(req.headers['idempotency-key'] ?? '') });
      } else reply = supplier.onGet({ id, sub, target: Number.NaN, key: '' });
      calls.push({ method: req.method ?? '', id, status: reply === 'drop' ? 'drop' : reply.status, at: Date.now() });
      if (reply === 'drop') {
        req.socket.destroy();
        return;
      }
      if (reply.text !== undefined) {
        res.writeHead(reply.status, { 'content-type': 'text/html', ...reply.headers });
        res.end(reply.text);
        return;
      }
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const supplier: HostileSupplier = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    subs,
    calls,
    onGet: honestGet,
    onPatch: honestPatch,
    patches: () => calls.filter((c) => c.method === 'PATCH').length,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return supplier;
}
