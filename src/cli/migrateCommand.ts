import type { Argv, CommandModule } from 'yargs';
import { migrate, openStore, resolveDbSpec } from '../store/connect.js';

export const migrateCommand: CommandModule<object, { db?: string }> = {
  command: 'migrate',
  describe: 'apply pending schema migrations (every command also does this on first use)',
  builder: (y: Argv) => y.option('db', { type: 'string', describe: 'SQLite file or postgres:// URL' }) as unknown as Argv<{ db?: string }>,
  handler: async (args) => {
    const store = await openStore(resolveDbSpec(args.db), { migrate: false });
    try {
      const applied = await migrate(store);
      process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'the schema is up to date\n');
    } finally {
      await store.close();
    }
  },
};
