import fs from 'node:fs';
import type { Argv } from 'yargs';
import { usageError, type Words, jstTimestamp, checkOutputClear, checkOutputFile, writeSerialExport } from '../index.js';
import { say } from '../messages/index.js';
import type { CliCommand, CliGroup } from './command.js';
import { stdoutMustArriveWhole, writeFailure } from './output.js';
import { checkStore, openDeps, storeGuards, withCsvOutput, withDb, type CommonArgs } from './shared.js';
import { dateArgument } from './validate.js';

interface ExportArgs extends CommonArgs {
  from?: string;
  to?: string;
  unnotified: boolean;
  markNotified: boolean;
  out?: string;
  encoding: 'utf8' | 'utf8-bom' | 'cp932';
}

const exportCommand: CliCommand<ExportArgs> = {
  command: 'export',
  describe: 'the cancelled-serial notification CSV (解約シリアル通知用CSV)',
  builder: (y: Argv) =>
    withCsvOutput(withDb(y))
      .option('from', { type: 'string', describe: 'cancellation date (JST) from, inclusive: 2026-01-05, 2026/1/5 or 20260105' })
      .option('to', { type: 'string', describe: 'cancellation date (JST) to, inclusive' })
      .option('unnotified', { type: 'boolean', default: false, describe: 'only rows not yet marked notified' })
      .option('mark-notified', { type: 'boolean', default: false, describe: 'record the rows written as notified (when, by whom)' })
      .example('$0 serials export --unnotified --mark-notified --encoding cp932 --out serials.csv', 'what finance downloads each morning'),
  prepare: async (args) => {
    const from = dateArgument('from', args.from);
    const to = dateArgument('to', args.to);
    if (from !== undefined && to !== undefined && from > to) {
      throw usageError(say('cli.serialsFromAfterTo', { from, to }));
    }
    if (args.out !== undefined) checkOutputFile(args.out, '--out');
    // Only marking writes: a plain export reads the store without migrating or locking it.
    const store = await checkStore(args, args.markNotified ? 'write' : 'read');
    if (args.out !== undefined) checkOutputClear(args.out, '--out', storeGuards(store));
    if (args.out !== undefined && args.markNotified) refuseExistingMarkedFile(args.out);
    return async () => {
      // Rows are marked only once every byte reached the reader: one that leaves early is a failure here.
      if (args.markNotified && args.out === undefined) stdoutMustArriveWhole();
      const deps = await openDeps(store, args);
      try {
        const filter = {
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
          unnotified: args.unnotified,
          ...(args.markNotified ? { markNotified: { by: deps.operator, at: jstTimestamp(deps.clock()) } } : {}),
        };
        const notice = (file: string, message: Words) => deps.log({ kind: 'warning', file, message });
        const { rows: n, heldByOthers } = await writeSerialExport(deps.store, { out: args.out, encoding: args.encoding, lang: args.lang }, filter, notice);
        if (args.out && !args.quiet) {
          process.stdout.write(`${say('cli.serialsWritten', { out: args.out, rows: n, marked: args.markNotified ? 1 : 0 })[args.lang]}\n`);
        }
        if (heldByOthers === 0 || (args.unnotified && args.quiet)) return 0;
        // Another export was writing these rows at the time: it notifies them, never both.
        writeFailure(
          { json: args.logFormat === 'json' },
          say('cli.serialsHeldByOthers', { rows: heldByOthers, missing: args.unnotified ? 0 : 1 })[args.lang],
          'serials.held_by_another_export',
        );
        // Without --unnotified the user asked for every row of the range: the file lacks some.
        return args.unnotified ? 0 : 1;
      } finally {
        await deps.close();
      }
    };
  },
};

export const serialsCommand: CliGroup = {
  command: 'serials <command>',
  describe: 'the cancelled-serial notification CSV',
  subcommands: [exportCommand],
};

/**
 * A marking export never writes over a file that is there: it may be an earlier export
 * finance has not collected yet, whose rows are marked notified and would be lost (the
 * daily job writing the same name before yesterday's file was read). Name each day's file
 * (serials-2026-12-01.csv), or move the collected one away first.
 */
function refuseExistingMarkedFile(out: string): void {
  if (!fs.existsSync(out)) return;
  throw usageError(say('cli.serialsMarkedFileExists', { out }));
}
