import type { Argv } from 'yargs';
import { migrate, openStore } from '../index.js';
import { say } from '../messages/index.js';
import type { CliCommand } from './command.js';
import { checkStore, type CommonArgs } from './shared.js';

export const migrateCommand: CliCommand<CommonArgs> = {
  command: 'migrate',
  describe: 'apply pending schema migrations (every command that writes also does this on first use)',
  builder: (y: Argv) => y.option('db', { type: 'string', describe: 'SQLite file or postgres:// URL (env KAIYAKU_DB; default ./kaiyaku.db)' }),
  prepare: async (args) => {
    const store = await checkStore(args, 'write', { create: true });
    return async () => {
      const opened = await openStore(store.spec, { migrate: false });
      try {
        const applied = await migrate(opened);
        const says = applied.length > 0 ? say('cli.migrationsApplied', { migrations: applied.join(', ') }) : say('cli.schemaUpToDate');
        process.stdout.write(`${says[args.lang]}\n`);
        return 0;
      } finally {
        await opened.close();
      }
    };
  },
};
