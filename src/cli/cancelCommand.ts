import fs from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { runInbox, type NightSummary } from '../pipeline/runInbox.js';
import { KaiyakuError } from '../errors.js';
import { parseBusinessDate } from '../domain/dates.js';
import { STAGES, type Stage } from '../domain/types.js';
import { DEFAULT_CANCEL_OPTIONS, type CancelOptions } from '../pipeline/context.js';
import { runCancelFile, type CancelRunSummary } from '../pipeline/runCancel.js';
import { UsageError } from './errors.js';
import { reportExit } from './exitCode.js';
import { writeFailure } from './failure.js';
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
  inbox?: string;
  archive?: string;
  summaryJson?: string;
  settleSeconds: number;
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
      .option('reports', { type: 'string', describe: 'folder for result and error files (default: beside each input; with --inbox, the archive)' })
      .option('inbox', { type: 'string', describe: 'nightly mode: resume open orders, then run every settled *.csv in this folder in name order' })
      .option('archive', { type: 'string', describe: 'with --inbox: where finished files go (default: <inbox>/archive; unreadable ones to <archive>/rejected)' })
      .option('summary-json', { type: 'string', describe: 'with --inbox: write the night\'s summary as JSON here' })
      .option('settle-seconds', { type: 'number', default: 5, describe: 'with --inbox: a file changed more recently than this is left for the next run' })
      .example('$0 cancel --inbox /srv/kaiyaku/inbox --summary-json night.json --log-format json', 'the nightly job')
      .example('$0 cancel nov.csv --dry-run', 'judge every row, change nothing; see nov.result.csv')
      .example('$0 cancel nov.csv --until accepted', 'create and accept the orders, link later')
      .example('$0 cancel a.csv b.csv --reports out/ --lang en', 'two runs, reports in out/') as unknown as Argv<CancelArgs>,
  handler: async (args) => {
    if (args.inbox !== undefined && args.files && args.files.length > 0) throw new UsageError('give files or --inbox, not both');
    if (args.inbox === undefined && (!args.files || args.files.length === 0)) throw new UsageError('name at least one cancellation CSV file, or --inbox DIR');
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
      if (args.inbox !== undefined) {
        const night = await runInbox(deps, {
          inbox: args.inbox,
          archive: args.archive ?? null,
          reports: args.reports ?? null,
          settleMs: args.settleSeconds * 1000,
          lockStaleMs: 10 * 60_000,
          cancel: { ...options, reportsDir: null },
        });
        clearProgress(args);
        if (args.summaryJson) writeJsonAtomically(args.summaryJson, night);
        if (!args.quiet) process.stdout.write(formatNight(night));
        reportExit(night.exitCode);
        return;
      }
      for (const file of args.files ?? []) {
        try {
          const summary = await runCancelFile(deps, file, options);
          clearProgress(args);
          if (!args.quiet) process.stdout.write(formatSummary(summary, args.dryRun));
          reportExit(summary.exitCode);
        } catch (error) {
          clearProgress(args);
          if (!(error instanceof KaiyakuError) || error.kind === 'incomplete') throw error;
          writeFailure(`${file}: ${error.message}`, 'file.failed');
          reportExit(2);
        }
      }
    } finally {
      await deps.close();
    }
  },
};

function writeJsonAtomically(file: string, value: unknown): void {
  const temp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(temp, file);
}

export function formatNight(n: NightSummary): string {
  const lines = [`night: ${n.files.length} files, ${n.rows.total} rows, exit ${n.exitCode}, ${(n.durationMs / 1000).toFixed(1)} s`];
  lines.push(`  resumed ${n.resume.orders} open orders (confirmed ${n.resume.counts.confirmed})`);
  for (const f of n.files) {
    const counts = f.counts ? Object.entries(f.counts).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ') : '';
    lines.push(`  ${f.file}: ${f.status}${f.counts ? ` — ${f.rows} rows: ${counts || 'none'}` : ''}${f.reason ? ` — ${f.reason.split('\n')[0]}` : ''} (exit ${f.exitCode})`);
  }
  lines.push(`  orders: ${Object.entries(n.ordersByStatus).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`  supplier: ${n.supplier.calls} calls, ${n.supplier.retries} retries, ${n.supplier.throttled} throttled`);
  return `${lines.join('\n')}\n`;
}

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
