import type { Argv } from 'yargs';
import { migrate, openStore } from '../index.js';
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
        const says =
          args.lang === 'ja'
            ? applied.length > 0
              ? `適用しました: ${applied.join(', ')}`
              : 'データベースの構造は最新です'
            : applied.length > 0
              ? `applied: ${applied.join(', ')}`
              : 'the schema is up to date';
        process.stdout.write(`${says}\n`);
        return 0;
      } finally {
        await opened.close();
      }
    };
  },
};
