#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { diskFullError, KaiyakuError, type Lang, connectionLostError, isConnectionLost } from '../index.js';
import { say } from '../messages/index.js';
import { cancelCommand } from './cancelCommand.js';
import { toYargs, type CliCommand, type CliGroup, type GlobalArgs, type ParseState, type Work } from './command.js';
import { contractsCommand } from './contractsCommand.js';
import { demoCommand } from './demoCommand.js';
import { exitCodeOf } from './exit.js';
import { tuneHeapForBatch } from './heap.js';
import { migrateCommand } from './migrateCommand.js';
import { ordersCommand } from './ordersCommand.js';
import { closedStdoutEndsQuietly, writeFailure, type Output } from './output.js';
import { serialsCommand } from './serialsCommand.js';
import { supplierCommand } from './supplierCommand.js';
import { checkArguments, explainParseFailure, langOfArgv, lastValueInArgv } from './validate.js';

const COMMANDS: readonly (CliCommand<never> | CliGroup)[] = [
  cancelCommand,
  contractsCommand,
  ordersCommand,
  serialsCommand,
  supplierCommand,
  demoCommand,
  migrateCommand,
];

/**
 * The one place that decides how the process exits. In order: yargs parses and checks
 * names and choices; the chosen command checks every value and destination and returns
 * its work; only then does the work run. Any refusal before the work is exit 2 with
 * nothing done. Errors are mapped by kind (exit.ts), never by where they came from.
 */
async function main(argv: string[]): Promise<number> {
  const state: ParseState = { chosen: null, context: { path: [], options: null, subcommands: COMMANDS.map((c) => c.command.split(' ')[0]!) } };
  let parser = yargs(argv.map((a) => (a === '-' ? DASH : a)))
    .scriptName('kaiyaku')
    .usage('$0 <command> [options]\n\nBulk cancellation of CP-Web contracts (既存契約の解約).')
    .option('lang', {
      choices: ['ja', 'en'] as const,
      default: 'ja' as const,
      describe: 'language of messages, and of headers and labels in the CSV files written',
    })
    .option('log-format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'stderr log lines as text or one JSON event per line' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress or summary chatter' });
  skipHelpCache(parser);
  for (const c of COMMANDS) parser = parser.command(toYargs(c, state));
  parser = parser
    .demandCommand(1, 1)
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((message, error) => {
      // Throwing is what stops yargs: a fail callback that returns lets it run the handler.
      throw error ?? new ParseFailure(message);
    });

  const fallback: Output = { lang: langOfArgv(argv), json: lastValueInArgv(argv, 'log-format') === 'json', quiet: false };
  try {
    await parser.parseAsync();
  } catch (error) {
    if (error instanceof ParseFailure) {
      const words = explainParseFailure(error.message.replaceAll(DASH, '-'), argv, state);
      writeFailure(fallback, words[fallback.lang], 'usage');
      return 2;
    }
    return reportFailure(error, fallback);
  }
  const chosen = state.chosen;
  // --help and --version print and end without choosing a command.
  if (!chosen) return 0;
  const args = withDashes(chosen.args) as Record<string, unknown> & GlobalArgs;
  // A repeated --lang is refused below; its message still needs one language.
  const lang = typeof args.lang === 'string' ? args.lang : langOfArgv(argv);
  const out: Output = { lang, json: args['log-format'] === 'json', quiet: args['quiet'] === true };
  let work: Work;
  try {
    checkArguments(args, chosen.options, argv);
    work = await chosen.command.prepare(args as never);
  } catch (error) {
    return reportFailure(error, out);
  }
  let code: number;
  let failure: unknown = null;
  try {
    code = await work();
  } catch (error) {
    failure = error;
    code = reportFailure(error, out, { started: true });
  }
  return reportLostOutput(code, failure, out);
}

/** The first failure to write standard output, other than a reader that left: said once the command ends. */
let stdoutFailure: Error | null = null;

/**
 * Standard output that could not be written (a full disk, `> /dev/full`) is said, unless
 * the failure reported already is that one (a list written to stdout): the summary or
 * message it held is lost, so the command did not end as it should (at least 1).
 */
function reportLostOutput(code: number, reported: unknown, out: Output): number {
  if (stdoutFailure === null || (reported instanceof KaiyakuError && reported.cause === stdoutFailure)) return code;
  const named =
    diskFullError(stdoutFailure, say('cli.cannotWriteStdout'), 'incomplete') ??
    new KaiyakuError('FILE_UNWRITABLE', say('cli.cannotWriteStdoutBecause', { reason: stdoutFailure.message }), {
      cause: stdoutFailure,
      kind: 'incomplete',
    });
  writeFailure(out, named.text(out.lang), named.code.toLowerCase().replace('_', '.'));
  return Math.max(code, 1);
}

class ParseFailure extends Error {}

/**
 * yargs renders a command's whole help text (cliui and wrap-ansi: about 0.1 s of CPU for
 * `cancel`, which has many options) every time that command is parsed, only to keep it for a
 * showHelp() called later. kaiyaku never shows help once a command is chosen (`--help` is
 * rendered afresh, and the fail callback throws instead of printing help), so that
 * rendering is skipped. The hook is yargs' own, not part of its typed API: should a
 * version lack it, yargs keeps rendering and nothing else changes.
 */
function skipHelpCache(parser: unknown): void {
  const usage = (parser as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } })
    .getInternalMethods?.()
    .getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

const RUN_AGAIN = say('cli.runAgain');

/**
 * A lone `-` (standard input) goes through yargs as this word and comes back as `-`:
 * yargs reads `-` where a positional goes as an option marker with no name, so
 * `cancel -` had no file and `contracts import -` an empty one.
 */
const DASH = 'kaiyaku\u2063dash';

function withDashes(args: Record<string, unknown>): Record<string, unknown> {
  const restore = (v: unknown): unknown => (v === DASH ? '-' : Array.isArray(v) ? v.map(restore) : v);
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, restore(v)]));
}

/** A failure as an error we can name, where we can: a lost database connection, a full disk. */
function nameFailure(caught: unknown, phase: { started: boolean }): unknown {
  if (caught instanceof KaiyakuError) return caught;
  // A lost database connection that retries did not get back is named, not a stack trace.
  if (isConnectionLost(caught)) return connectionLostError(caught, RUN_AGAIN);
  // A full disk under a database or file error we did not name: named here, once for all.
  return diskFullError(caught, say('cli.cannotWriteDatabaseOrFile'), phase.started ? 'incomplete' : 'unavailable') ?? caught;
}

function reportFailure(caught: unknown, out: Output, phase = { started: false }): number {
  const error = nameFailure(caught, phase);
  if (error instanceof KaiyakuError) {
    writeFailure(out, error.text(out.lang), error.code.toLowerCase().replace('_', '.'));
    return exitCodeOf(error.kind);
  }
  // Database errors quote their whole statement; thousands of rows of it help nobody.
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  writeFailure(out, `${unexpected(out.lang)}: ${text.length > 2000 ? `${text.slice(0, 1000)} … ${text.slice(-1000)}` : text}`);
  // A failure we cannot name, once the work has started, may come after some of it was done: 2 would say it did not.
  return phase.started ? 1 : 2;
}

function unexpected(lang: Lang): string {
  return say('cli.unexpectedFailure')[lang];
}

// A reader that stops early (`| head`) is not a failure of ours, unless the command's output
// counts only when whole (a marking export): that command meets the closed pipe and says so.
// Any other failure (a full disk) is kept, not thrown: thrown from here it was a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE' && closedStdoutEndsQuietly()) process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  stdoutFailure ??= error;
});
// Messages and logs go to stderr; a reader of stderr that went away (a log pipe closed) must
// not end the work half-way, leaving a night's later files unrun and its summary unwritten.
process.stderr.on('error', () => undefined);
tuneHeapForBatch();
process.exitCode = await main(hideBin(process.argv));
