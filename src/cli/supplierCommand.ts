import type { Argv } from 'yargs';
import { usageError, openStore, subscriptionSeedsOf, startSupplierServer } from '../index.js';
import { say } from '../messages/index.js';
import type { CliCommand, CliGroup } from './command.js';
import { checkStore, type CommonArgs } from './shared.js';

interface ServeArgs extends CommonArgs {
  port: number;
  host: string;
  latencyMs: number;
  failRate: number;
  rateLimit: number;
  asyncRate: number;
  seed: number;
}

const serveCommand: CliCommand<ServeArgs> = {
  command: 'serve',
  describe: 'the supplier simulator over HTTP on loopback, seeded from the store',
  builder: (y: Argv) =>
    y
      .option('db', { type: 'string', describe: 'seed subscriptions from this store (env KAIYAKU_DB; default ./kaiyaku.db)' })
      .option('port', { type: 'number', default: 8787, describe: 'port to listen on (0: any free port)' })
      .option('host', { type: 'string', default: '127.0.0.1' })
      .option('latency-ms', { type: 'number', default: 0, describe: 'mean latency per call' })
      .option('fail-rate', { type: 'number', default: 0, describe: 'share of calls answered 503 (0–1)' })
      .option('rate-limit', { type: 'number', default: 0, describe: 'calls per second before 429 (0: none)' })
      .option('async-rate', { type: 'number', default: 0, describe: 'share of changes answered 202 (0–1)' })
      .option('seed', { type: 'number', default: 1, describe: 'seed for every random choice' })
      .example('$0 supplier serve --port 8787 --latency-ms 50 --fail-rate 0.2', 'then: kaiyaku cancel nov.csv --supplier http://127.0.0.1:8787'),
  prepare: async (args) => {
    const store = await checkStore(args, 'read');
    return async () => {
      const opened = await openStore(store.spec, { access: 'read' });
      const seeds = await subscriptionSeedsOf(opened).finally(() => opened.close());
      const server = await startSupplierServer({
        port: args.port,
        host: args.host,
        knobs: { latencyMs: args.latencyMs, failRate: args.failRate, rateLimit: args.rateLimit, asyncRate: args.asyncRate, seed: args.seed },
        seeds,
      }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE') {
          throw usageError(say('cli.portInUse', { host: args.host, port: args.port }));
        }
        if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
          throw usageError(say('cli.hostNotHere', { host: args.host }));
        }
        throw error;
      });
      process.stdout.write(`${say('cli.simulatorListening', { url: server.url, subscriptions: seeds.length })[args.lang]}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      return 0;
    };
  },
};

export const supplierCommand: CliGroup = {
  command: 'supplier <command>',
  describe: 'the supplier linkage simulator',
  subcommands: [serveCommand],
};
