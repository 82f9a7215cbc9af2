import type { Transport } from '../transport.js';
import type { SupplierSimulator } from './simulator.js';

/**
 * The in-process simulator as a transport. Bodies go through JSON both ways so that the
 * caller and the simulator never share objects, as over the wire.
 */
export function createSimTransport(simulator: SupplierSimulator): Transport {
  // It answers in process and never reads the signal: the client times its calls out itself.
  const transport = async (req: Parameters<Transport>[0]): ReturnType<Transport> => {
    const response = await simulator.handle({
      method: req.method,
      path: req.path,
      headers: req.headers,
      ...(req.body === undefined ? {} : { body: throughJson(req.body) }),
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) headers[name.toLowerCase()] = value;
    return { status: response.status, headers, ...(response.body === undefined ? {} : { body: throughJson(response.body) }) };
  };
  return Object.assign(transport, { ignoresSignal: true as const });
}

function throughJson(value: unknown): unknown {
  return flatCopy(value) ?? (JSON.parse(JSON.stringify(value)) as unknown);
}

/**
 * What the JSON round trip gives for a flat plain object of text, finite numbers (not -0),
 * booleans and null (every body the client and the simulator write), copied directly; null
 * for anything else, which then goes through JSON.
 */
function flatCopy(value: unknown): Record<string, unknown> | null {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return null;
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key) || key === '__proto__') return null;
    const v = (value as Record<string, unknown>)[key];
    if (!(typeof v === 'string' || typeof v === 'boolean' || v === null || (typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0)))) return null;
    out[key] = v;
  }
  return out;
}
