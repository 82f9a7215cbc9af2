import type { Argv, CommandModule } from 'yargs';
import { openStore, resolveDbSpec } from '../store/connect.js';
import { loadSubscriptionSeeds } from '../store/supplierSeeds.js';
import { startSupplierServer } from '../supplier/index.js';
import { UsageError } from './errors.js';

interface ServeArgs {
  db?: string;
  port: number;
  host: string;
  latencyMs: number;
  failRate: number;
  rateLimit: number;
  asyncRate: number;
  seed: number;
}

const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'the supplier simulator over HTTP on loopback, seeded from the store',
  builder: (y: Argv) =>
    y
      .option('db', { type: 'string', describe: 'seed subscriptions from this store (env KAIYAKU_DB; default ./kaiyaku.db)' })
      .option('port', { type: 'number', default: 8787 })
      .option('host', { type: 'string', default: '127.0.0.1' })
      .option('latency-ms', { type: 'number', default: 0 })
      .option('fail-rate', { type: 'number', default: 0 })
      .option('rate-limit', { type: 'number', default: 0 })
      .option('async-rate', { type: 'number', default: 0 })
      .option('seed', { type: 'number', default: 1 })
      .example('$0 supplier serve --port 8787 --latency-ms 50 --fail-rate 0.2', 'then: kaiyaku cancel nov.csv --supplier http://127.0.0.1:8787') as unknown as Argv<ServeArgs>,
  handler: async (args) => {
    const store = await openStore(resolveDbSpec(args.db));
    const seeds = await loadSubscriptionSeeds(store.db);
    await store.close();
    const server = await startSupplierServer({
      port: args.port,
      host: args.host,
      knobs: { latencyMs: args.latencyMs, failRate: args.failRate, rateLimit: args.rateLimit, asyncRate: args.asyncRate, seed: args.seed },
      seeds,
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') throw new UsageError(`port ${args.port} on ${args.host} is already in use (try another --port, or --port 0 for a free one)`);
      if (error instanceof RangeError || error instanceof TypeError) throw new UsageError(error.message);
      throw error;
    });
    process.stdout.write(`supplier simulator on ${server.url} with ${seeds.length} subscriptions (stats: ${server.url}/_sim/stats)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => void server.close().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
};

export const supplierCommand: CommandModule = {
  command: 'supplier <command>',
  describe: 'the supplier linkage simulator',
  builder: (y) => y.command(serveCommand).demandCommand(1),
  handler: () => undefined,
};
