import type { Argv, CommandModule } from 'yargs';
import { jstTimestamp, parseBusinessDate } from '../domain/dates.js';
import { writeSerialExport } from '../reports/lists.js';
import { UsageError } from './errors.js';
import { openDeps, withCsvOutput, withDb, type CommonArgs } from './shared.js';

interface ExportArgs extends CommonArgs {
  from?: string;
  to?: string;
  unnotified: boolean;
  markNotified: boolean;
  out?: string;
  encoding: 'utf8' | 'utf8-bom' | 'cp932';
  lang: 'ja' | 'en';
}

function dateArg(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const parsed = parseBusinessDate(value);
  if (!parsed) throw new UsageError(`--${name} "${value}" is not a date (use YYYY-MM-DD)`);
  return parsed;
}

const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: 'the cancelled-serial notification CSV (解約シリアル通知用CSV)',
  builder: (y: Argv) =>
    withCsvOutput(withDb(y))
      .option('from', { type: 'string', describe: 'cancellation date (JST) from, inclusive' })
      .option('to', { type: 'string', describe: 'cancellation date (JST) to, inclusive' })
      .option('unnotified', { type: 'boolean', default: false, describe: 'only rows not yet marked notified' })
      .option('mark-notified', { type: 'boolean', default: false, describe: 'record the rows written as notified (when, by whom)' })
      .example('$0 serials export --unnotified --mark-notified --encoding cp932 --out serials.csv', 'what finance downloads each morning') as unknown as Argv<ExportArgs>,
  handler: async (args) => {
    const from = dateArg('from', args.from);
    const to = dateArg('to', args.to);
    const deps = await openDeps(args);
    try {
      const n = await writeSerialExport(deps.store, { out: args.out, encoding: args.encoding, lang: args.lang }, {
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        unnotified: args.unnotified,
        ...(args.markNotified ? { markNotified: { by: deps.operator, at: jstTimestamp(deps.clock()) } } : {}),
      });
      if (args.out && !args.quiet) process.stdout.write(`${args.out}: ${n} serial rows${args.markNotified ? ', marked notified' : ''}\n`);
    } finally {
      await deps.close();
    }
  },
};

export const serialsCommand: CommandModule = {
  command: 'serials <command>',
  describe: 'the cancelled-serial notification CSV',
  builder: (y) => y.command(exportCommand).demandCommand(1),
  handler: () => undefined,
};
