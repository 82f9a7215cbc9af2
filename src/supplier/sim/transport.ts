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
  return JSON.parse(JSON.stringify(value)) as unknown;
}
