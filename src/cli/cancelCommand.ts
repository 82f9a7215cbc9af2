import type { Argv, CommandModule } from 'yargs';
import { FileLevelError } from '../csv/errors.js';
import { parseBusinessDate } from '../domain/dates.js';
import { STAGES, type Stage } from '../domain/types.js';
import { DEFAULT_CANCEL_OPTIONS, type CancelOptions } from '../pipeline/context.js';
import { runCancelFile, type CancelRunSummary } from '../pipeline/runCancel.js';
import { UsageError } from './errors.js';
import { reportExit } from './exitCode.js';
import { clearProgress, openDeps, withDb, withSupplier, type CommonArgs, type SupplierArgs } from './shared.js';

interface CancelArgs extends CommonArgs, SupplierArgs {
  files: string[];
  dryRun: boolean;
  until: Stage;
  endDate?: string;
  encoding: 'auto' | 'utf8' | 'cp932';
  reportEncoding: 'utf8' | 'utf8-bom' | 'cp932';
  lang: 'ja' | 'en';
  reports?: string;
}

export const cancelCommand: CommandModule<object, CancelArgs> = {
  command: 'cancel [files..]',
  describe: 'bulk cancellation: validate each file, create orders, accept, link, confirm, and write the reports',
  builder: (y: Argv) =>
    withSupplier(withDb(y))
      .positional('files', { type: 'string', array: true, describe: 'cancellation CSV files (each is its own run)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'validate against the store, change nothing' })
      .option('until', { choices: STAGES, default: 'completed' as Stage, describe: 'the last stage to reach' })
      .option('end-date', { type: 'string', describe: 'end date for rows without one (default: the run date)' })
      .option('encoding', { choices: ['auto', 'utf8', 'cp932'] as const, default: 'auto' as const, describe: 'input encoding' })
      .option('report-encoding', { choices: ['utf8', 'utf8-bom', 'cp932'] as const, default: 'utf8-bom' as const, describe: 'encoding of the result and error files' })
      .option('lang', { choices: ['ja', 'en'] as const, default: 'ja' as const, describe: 'headers, labels and messages of the reports' })
      .option('reports', { type: 'string', describe: 'folder for result and error files (default: beside each input)' })
      .example('$0 cancel nov.csv --dry-run', 'judge every row, change nothing; see nov.result.csv')
      .example('$0 cancel nov.csv --until accepted', 'create and accept the orders, link later')
      .example('$0 cancel a.csv b.csv --reports out/ --lang en', 'two runs, reports in out/') as unknown as Argv<CancelArgs>,
  handler: async (args) => {
    if (!args.files || args.files.length === 0) throw new UsageError('name at least one cancellation CSV file');
    let endDate: string | null = null;
    if (args.endDate !== undefined) {
      endDate = parseBusinessDate(args.endDate);
      if (!endDate) throw new UsageError(`--end-date "${args.endDate}" is not a date (use YYYY-MM-DD)`);
    }
    if (!Number.isInteger(args.concurrency) || args.concurrency < 1) throw new UsageError('--concurrency must be a whole number of at least 1');
    const options: CancelOptions = {
      ...DEFAULT_CANCEL_OPTIONS,
      dryRun: args.dryRun,
      until: args.until,
      endDate,
      concurrency: args.concurrency,
      confirmUnsettled: args.confirmUnsettled,
      inputEncoding: args.encoding,
      reportEncoding: args.reportEncoding,
      lang: args.lang,
      reportsDir: args.reports ?? null,
    };
    const deps = await openDeps(args);
    try {
      for (const file of args.files) {
        try {
          const summary = await runCancelFile(deps, file, options);
          clearProgress(args);
          if (!args.quiet) process.stdout.write(formatSummary(summary, args.dryRun));
          reportExit(summary.exitCode);
        } catch (error) {
          clearProgress(args);
          if (!(error instanceof FileLevelError)) throw error;
          process.stderr.write(`kaiyaku: ${file}: ${error.message}\n`);
          reportExit(2);
        }
      }
    } finally {
      await deps.close();
    }
  },
};

export function formatSummary(s: CancelRunSummary, dryRun: boolean): string {
  const parts = Object.entries(s.counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  const lines = [
    `${s.file}: ${s.rows} rows${dryRun ? ' (dry run: nothing changed)' : ''} — ${parts.join(', ') || 'no data rows'} (exit ${s.exitCode})`,
    `  result: ${s.resultPath}`,
    `  errors: ${s.errorsPath}`,
  ];
  if (s.advance) {
    const a = s.advance;
    lines.push(`  orders: accepted ${a.accepted}, sent ${a.sent}, settled ${a.settled}, pending ${a.pending}, refused by supplier ${a.rejected}, unreachable ${a.unavailable}, confirmed ${a.confirmed}`);
  }
  return `${lines.join('\n')}\n`;
}
