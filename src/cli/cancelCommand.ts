import path from 'node:path';
import type { Argv } from 'yargs';
import {
  KaiyakuError,
  type Lang,
  usageError,
  words,
  checkFolderClear,
  checkFolderCreatable,
  checkFolderWritable,
  checkOutputClear,
  checkOutputFile,
  sameLocation,
  writeFileAtomically,
  type Guard,
  checkCancelFile,
  type CheckedCancelFile,
  runInbox,
  type NightSummary,
  STAGES,
  type Stage,
  DEFAULT_CANCEL_OPTIONS,
  stageAtLeast,
  type CancelOptions,
  ROW_RESULT_LABEL,
  runCancelFile,
  type CancelRunSummary,
  planReportPaths,
  type ReportPlan,
  combineExitCodes,
} from '../index.js';
import { say, type Words } from '../messages/index.js';
import type { CliCommand } from './command.js';
import { exitCodeOf } from './exit.js';
import { writeFailure } from './output.js';
import { listOf, operatorLines, parkedLine } from './resumeText.js';
import { checkStore, clearProgress, openDeps, resolveSupplierSpec, storeGuards, withDb, withSupplier, type CommonArgs, type SupplierArgs } from './shared.js';
import { namedAsGiven, takeInputs, type Input } from './inputs.js';
import { dateArgument } from './validate.js';

interface CancelArgs extends CommonArgs, SupplierArgs {
  files?: string[];
  dryRun: boolean;
  until: Stage;
  endDate?: string;
  encoding: 'auto' | 'utf8' | 'cp932';
  reportEncoding: 'utf8' | 'utf8-bom' | 'cp932';
  reports?: string;
  inbox?: string;
  archive?: string;
  summaryJson?: string;
  settleSeconds?: number;
  allowRepeat: boolean;
  repeatDays: number;
}

/** The nightly options, which mean nothing without --inbox. */
const INBOX_ONLY = ['archive', 'summary-json', 'settle-seconds'] as const;

export const cancelCommand: CliCommand<CancelArgs> = {
  command: 'cancel [files..]',
  describe: 'bulk cancellation: validate each file, create orders, accept, link, confirm, and write the reports',
  builder: (y: Argv) =>
    withSupplier(withDb(y))
      .positional('files', {
        type: 'string',
        array: true,
        describe: 'cancellation CSV files (each is its own run); - reads standard input, whose reports (stdin.result.csv, stdin.errors.csv) need --reports',
      })
      .option('dry-run', { type: 'boolean', default: false, describe: 'validate against the store, change nothing' })
      .option('until', { choices: STAGES, default: 'completed' as Stage, describe: 'the last stage to reach' })
      .option('end-date', { type: 'string', describe: 'end date for rows without one (default: the run date); 2026-01-05, 2026/1/5 or 20260105' })
      .option('encoding', { choices: ['auto', 'utf8', 'cp932'] as const, default: 'auto' as const, describe: 'input encoding' })
      .option('report-encoding', {
        choices: ['utf8', 'utf8-bom', 'cp932'] as const,
        default: 'utf8-bom' as const,
        describe: 'encoding of the result and error files',
      })
      .option('reports', { type: 'string', describe: 'an existing folder for result and error files (default: beside each input; with --inbox, the archive)' })
      .option('allow-repeat', {
        type: 'boolean',
        default: false,
        describe:
          'a row without a request id that repeats an earlier request, and is not a re-drop of its file, is a new request (default: refused as POSSIBLE_REPEAT)',
      })
      .option('repeat-days', {
        type: 'number',
        default: 7,
        describe: 'for how many days a re-drop of a file (or of its error file) counts as the same request',
      })
      .option('inbox', { type: 'string', describe: 'nightly mode: resume open orders, then run every settled *.csv in this folder in name order' })
      .option('archive', {
        type: 'string',
        describe: 'with --inbox: where finished files go (default: <inbox>/archive; unreadable ones to <archive>/rejected)',
      })
      .option('summary-json', { type: 'string', describe: "with --inbox: write the night's summary as JSON here" })
      .option('settle-seconds', { type: 'number', describe: 'with --inbox: a file changed more recently than this is left for the next run (default 5)' })
      .example('$0 cancel --inbox /srv/kaiyaku/inbox --supplier https://gw.example/ --summary-json night.json --log-format json', 'the nightly job')
      .example('$0 cancel nov.csv --dry-run', 'judge every row, change nothing; see nov.result.csv')
      .example('$0 cancel nov.csv --until accepted', 'create and accept the orders, link later')
      .example('$0 cancel mar.csv --allow-repeat --supplier https://gw.example/', "rows that repeat an earlier month's request are new requests")
      .example('$0 cancel a.csv b.csv --reports out/ --lang en --supplier sim', 'two runs against the in-process simulator, reports in out/')
      .example('iconv -f sjis nov.txt | $0 cancel - --reports out/ --dry-run', 'standard input; reports out/stdin.result.csv and out/stdin.errors.csv'),
  prepare: async (args) => {
    const files = args.files ?? [];
    if (args.inbox !== undefined && files.length > 0) throw usageError(say('cli.cancelFilesAndInbox'));
    if (args.inbox !== undefined && args.dryRun) throw usageError(say('cli.cancelDryRunWithInbox'));
    if (args.inbox === undefined && files.length === 0) throw usageError(say('cli.cancelNothingNamed'));
    if (args.inbox === undefined) {
      const stray = INBOX_ONLY.filter((name) => args[name as keyof CancelArgs] !== undefined);
      if (stray.length > 0) throw usageError(say('cli.cancelInboxOnly', { options: stray.map((n) => `--${n}`).join(', ') }));
    }
    const endDate = dateArgument('end-date', args.endDate) ?? null;
    // A night resumes open orders (linkage included, up to --until); files link unless dry or stopped before linkage.
    const links = stageAtLeast(args.until, 'linked') && (args.inbox !== undefined || !args.dryRun);
    const supplier = resolveSupplierSpec(args.supplier, links);
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
      allowRepeat: args.allowRepeat,
      repeatDays: args.repeatDays,
    };

    if (args.inbox !== undefined) {
      const inbox = args.inbox;
      checkFolderWritable(inbox, '--inbox');
      const archive = args.archive ?? path.join(inbox, 'archive');
      const archiveOption = args.archive !== undefined ? '--archive' : '--inbox';
      checkFolderCreatable(archive, archiveOption);
      checkFolderCreatable(path.join(archive, 'rejected'), archiveOption);
      // The night creates its report folder (default: the archive) as it does the archive.
      if (args.reports !== undefined) checkFolderCreatable(args.reports, '--reports');
      // Error files are taken from the inbox (fixed and dropped back): the night's own must go elsewhere.
      if (args.reports !== undefined && sameLocation(args.reports, inbox)) throw usageError(say('cli.cancelReportsInInbox'));
      // An archive that is the inbox takes every file back in, with a copy of it: the inbox doubles every night.
      const inboxGuard: Guard = { path: inbox, kind: 'folder', what: say('cli.cancelInboxGuard', { inbox }) };
      checkFolderClear(archive, archiveOption, [inboxGuard]);
      checkFolderClear(path.join(archive, 'rejected'), archiveOption, [inboxGuard]);
      if (args.summaryJson !== undefined) checkOutputFile(args.summaryJson, '--summary-json');
      const store = await checkStore(args, 'write');
      if (args.summaryJson !== undefined) {
        checkOutputClear(args.summaryJson, '--summary-json', [...storeGuards(store), inboxGuard]);
        checkSummaryBesideNight(args.summaryJson, archive, args.reports ?? archive);
      }
      return async () => {
        const deps = await openDeps(store, args, supplier);
        try {
          const night = await runInbox(deps, {
            inbox,
            archive: args.archive ?? null,
            reports: args.reports ?? null,
            settleMs: (args.settleSeconds ?? 5) * 1000,
            lockStaleMs: 10 * 60_000,
            cancel: { ...options, reportsDir: null },
            // In text mode the summary names them in the chosen language; events are for a machine reading stderr.
            announce: args.logFormat === 'json',
          });
          clearProgress(args);
          const summaryWritten = args.summaryJson === undefined || writeNightSummary(args.summaryJson, night, args);
          // The night's work stands whatever became of its summary file; a scheduler must still
          // hear of the loss, and the summary on stdout says the exit code the process ends with.
          const exitCode = summaryWritten ? night.exitCode : (Math.max(night.exitCode, 1) as 1 | 2);
          if (!args.quiet) process.stdout.write(formatNight({ ...night, exitCode }, args.lang));
          // What only an operator can do is said even with --quiet, as orders resume does.
          else if (night.resume.needsOperator.length > 0)
            process.stdout.write(`${operatorLines(night.resume.needsOperator, args.lang, say('cli.nightNeedsOperatorInSummary')).join('\n')}\n`);
          return exitCode;
        } finally {
          await deps.close();
        }
      };
    }

    const inputs = await takeInputs(files, args.reports === undefined ? 'beside' : 'folder');
    // Every file is read and its header checked before any of them runs: a bad third file stops the command before the first.
    const checked: CheckedCancelFile[] = [];
    for (const input of inputs)
      checked.push(await checkCancelFile(input.path, args.encoding).catch((error: unknown) => Promise.reject(namedAsGiven(error, input))));
    const reports = planReportPaths(
      inputs.map((i) => i.path),
      options.reportsDir,
    );
    if (args.reports !== undefined) checkFolderWritable(args.reports, '--reports');
    if (args.reports === undefined)
      // checkFolderWritable names the folder by one text, in the language chosen.
      for (const dir of new Set(files.map((f) => path.dirname(path.resolve(f))))) checkFolderWritable(dir, say('cli.cancelInputFolder')[args.lang]);
    // A dry run changes nothing in the store: it opens it read-only (no migration, no lock).
    const store = await checkStore(args, args.dryRun ? 'read' : 'write');
    checkReportsClear(inputs, reports, [...storeGuards(store), ...inputs.filter((i) => !i.streamed).map((i) => inputGuard(i.given))]);

    return async () => {
      const deps = await openDeps(store, args, supplier);
      const codes: number[] = [];
      try {
        for (const [i, input] of inputs.entries()) {
          const planned = reports[i]!;
          try {
            const summary = await runCancelFile(deps, checked[i]!, {
              ...options,
              namedInput: !input.streamed,
              reportsDir: planned.reportsDir,
              reportName: planned.reportName,
            });
            clearProgress(args);
            if (!args.quiet) process.stdout.write(formatSummary({ ...summary, file: input.shown }, args.dryRun, args.lang));
            codes.push(summary.exitCode);
          } catch (caught) {
            clearProgress(args);
            const error = namedAsGiven(caught, input);
            if (!(error instanceof KaiyakuError)) throw error;
            writeFailure({ json: args.logFormat === 'json' }, error.text(args.lang), 'file.failed');
            codes.push(exitCodeOf(error.kind));
          }
        }
      } finally {
        await deps.close();
      }
      return combineExitCodes(codes);
    };
  },
};

/** `--summary-json`, written whole or not at all; a failure (a full disk) is said, and false returned. */
/**
 * The night writes archived inputs (in the archive and its rejected/ folder) and reports
 * (`*.result.csv`, `*.errors.csv` in --reports): a summary written over one of them would
 * destroy it, so it may not be in the archive, nor a `.csv` among the reports.
 */
function checkSummaryBesideNight(summary: string, archive: string, reports: string): void {
  const folder = path.dirname(path.resolve(summary));
  const inArchive = [archive, path.join(archive, 'rejected')].some((dir) => sameLocation(folder, dir));
  const onReport = sameLocation(folder, reports) && /\.csv$/i.test(summary);
  if (!inArchive && !onReport) return;
  throw usageError(say('cli.cancelSummaryAmongNightFiles', { summary, among: inArchive ? 'archive' : 'reports' }));
}

function writeNightSummary(file: string, night: NightSummary, args: Pick<CancelArgs, 'lang' | 'logFormat'>): boolean {
  try {
    writeFileAtomically(file, `${JSON.stringify(night, null, 2)}\n`);
    return true;
  } catch (error) {
    if (!(error instanceof KaiyakuError)) throw error;
    writeFailure({ json: args.logFormat === 'json' }, error.text(args.lang), error.code.toLowerCase().replace('_', '.'));
    return false;
  }
}

/** An input file, which no report of the same command may replace (it may not have been read yet). */
function inputGuard(file: string): Guard {
  return { path: file, kind: 'file', what: say('cli.cancelInputGuard', { file }) };
}

function checkReportsClear(inputs: readonly Input[], plans: readonly ReportPlan[], guards: readonly Guard[]): void {
  plans.forEach((plan, i) => {
    const what = say('cli.cancelReportOf', { file: inputs[i]!.shown });
    for (const report of [plan.result, plan.errors]) checkOutputClear(report, what, guards);
  });
}

/** The console says a result in the words of the result file (one book of words: 検証OK, 処理済…). */
const RESULT_WORDS: Record<string, Words> = ROW_RESULT_LABEL;
/** What became of a file of the night. */
const FILE_STATUS_WORDS: Record<string, Words> = {
  archived: say('cli.nightFileArchived'),
  set_aside: say('cli.nightFileSetAside'),
  left_for_later: say('cli.nightFileLeftForLater'),
  gone: say('cli.nightFileGone'),
};

/** Counts by label, those above zero: `完了 3、エラー 1`. */
function countsText(counts: Record<string, number>, table: Record<string, Words>): Words {
  const counted = Object.entries(counts).filter(([, n]) => n > 0);
  return listOf(counted.map(([k, n]) => say('cli.count', { label: table[k] ?? words(k, k), count: n })));
}

export function formatNight(n: NightSummary, lang: Lang = 'en'): string {
  const lines = [say('cli.nightHeader', { files: n.files.length, rows: n.rows.total, exit: n.exitCode, seconds: (n.durationMs / 1000).toFixed(1) })[lang]];
  const r = n.resume;
  lines.push(`  ${say('cli.nightResumed', { orders: r.orders, confirmed: r.counts.confirmed })[lang]}`);
  if (r.waiting > 0) lines.push(`  ${say('cli.nightWaiting', { orders: r.waiting })[lang]}`);
  lines.push(...operatorLines(r.needsOperator, lang, say('cli.nightNeedsOperatorInSummary'), '  '));
  const parked = parkedLine(r.parked.orders, r.parked.count, lang, '  ');
  if (parked) lines.push(parked);
  for (const f of n.files) {
    const rows = f.counts ? ` — ${say('cli.nightFileRows', { rows: f.rows, counts: countsText(f.counts, RESULT_WORDS) })[lang]}` : '';
    const reason = f.reason ? ` — ${f.reason.split('\n')[0]}` : '';
    const reports = f.resultPath ? say('cli.nightFileResult', { path: f.resultPath })[lang] : '';
    lines.push(`  ${f.file}: ${FILE_STATUS_WORDS[f.status]?.[lang] ?? f.status}${rows}${reason}${reports}${say('cli.exitNote', { exit: f.exitCode })[lang]}`);
  }
  if (n.ordersByStatus === null) lines.push(`  ${say('cli.nightOrdersNotCounted')[lang]}`);
  else lines.push(`  ${say('cli.nightOrders', n.ordersByStatus)[lang]}`);
  lines.push(`  ${say('cli.nightSupplier', { calls: n.supplier.calls, retries: n.supplier.retries, throttled: n.supplier.throttled })[lang]}`);
  return `${lines.join('\n')}\n`;
}

export function formatSummary(s: CancelRunSummary, dryRun: boolean, lang: Lang = 'en'): string {
  const lines = [
    say('cli.fileSummary', { file: s.file, rows: s.rows, dryRun: dryRun ? 1 : 0, counts: countsText(s.counts, RESULT_WORDS), exit: s.exitCode })[lang],
    `  ${say('cli.fileResultAt', { path: s.resultPath })[lang]}`,
    `  ${say('cli.fileErrorsAt', { path: s.errorsPath })[lang]}`,
  ];
  if (s.advance) {
    const a = s.advance;
    lines.push(`  ${say('cli.fileOrders', a)[lang]}`);
  }
  return `${lines.join('\n')}\n`;
}
