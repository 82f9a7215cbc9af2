import { existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import {
  type Lang,
  type Words,
  applyContractFile,
  explainRefusal,
  importFieldLabel as label,
  readContractFile,
  type ImportSummary,
  resolveDbSpec,
  type FieldChange,
  type ImportField,
  writeContractList,
} from '../index.js';
import { say } from '../messages/index.js';
import type { CliCommand, CliGroup } from './command.js';
import { namedAsGiven, takeInputs } from './inputs.js';
import { checkStore, openDeps, prepareListCommand, withCsvOutput, withDb, type CommonArgs, type StoreUse } from './shared.js';

interface ImportArgs extends CommonArgs {
  file: string;
  encoding: 'auto' | 'utf8' | 'cp932';
  dryRun: boolean;
  acceptQuantities: boolean;
}
interface ListArgs extends CommonArgs {
  status?: 'active' | 'cancelled';
  out?: string;
  encoding: 'utf8' | 'utf8-bom' | 'cp932';
}

const importCommand: CliCommand<ImportArgs> = {
  command: 'import <file>',
  describe: 'upsert contracts, lines and serials from a CSV (契約一括登録)',
  builder: (y: Argv) =>
    withDb(y)
      .positional('file', { type: 'string', demandOption: true, describe: 'the contract master CSV (- reads standard input)' })
      .option('encoding', { choices: ['auto', 'utf8', 'cp932'] as const, default: 'auto' as const, describe: 'input encoding' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'show what the import would create, update, keep and refuse; change nothing' })
      .option('accept-quantities', {
        type: 'boolean',
        default: false,
        describe: "take the file's quantity for lines refused because a cancellation left them at another one (once the supplier's seats are checked)",
      })
      .example('$0 contracts import fixtures/contracts.csv', 'load the sample contracts')
      .example('$0 contracts import master.csv --dry-run', 'what a re-import would change, before it does')
      .example('$0 contracts import master.csv --accept-quantities', "after checking the supplier: take the file's quantities the import refused"),
  prepare: async (args) => {
    // The whole file is read and checked here: a file that cannot be imported is refused
    // before any store is opened (or created).
    const [input] = await takeInputs([args.file], 'none');
    const read = await readContractFile(input!.path, args.encoding).catch((error: unknown) => Promise.reject(namedAsGiven(error, input!)));
    const file = { ...read, file: input!.shown };
    const store = args.dryRun ? await previewStore(args) : await checkStore(args, 'write', { create: true });
    return async () => {
      for (const column of file.unknownColumns) process.stderr.write(`${say('cli.importUnknownColumn', { file: args.file, column })[args.lang]}\n`);
      const deps = store === null ? null : await openDeps(store, args);
      try {
        const summary = await applyContractFile(deps, file, { dryRun: args.dryRun, acceptQuantities: args.acceptQuantities });
        const exitCode = summary.linesRefused > 0 ? 1 : 0;
        // A refused line is never left unsaid: under --quiet its reason goes to stderr.
        if (!args.quiet) process.stdout.write(formatImportSummary(summary, args.lang, exitCode));
        else if (exitCode !== 0) process.stderr.write(formatImportSummary(summary, args.lang, exitCode, { refusalsOnly: true }));
        return exitCode;
      } finally {
        await deps?.close();
      }
    };
  },
};

/**
 * The store a dry run reads: opened read-only, so that the preview writes nothing, not
 * even a migration. A SQLite file that does not exist yet is no store at all (null):
 * every contract would be new, and the preview does not create the file.
 */
async function previewStore(args: ImportArgs): Promise<StoreUse | null> {
  const spec = resolveDbSpec(args.db);
  if (!/^postgres(ql)?:\/\//i.test(spec)) {
    const file = spec.startsWith('sqlite:') ? spec.slice('sqlite:'.length) : spec;
    if (file !== ':memory:' && !existsSync(file)) return null;
  }
  return checkStore(args, 'read');
}

/**
 * The import's summary: totals, then each contract that changed or has something to say
 * (a refused line, a stored line the file does not name), line by line. Contracts created
 * are counted only. A dry run prints exactly what the import would.
 */
export function formatImportSummary(s: ImportSummary, lang: Lang, exitCode: number, options: { refusalsOnly?: boolean } = {}): string {
  const out: string[] = [];
  // The totals: everything but the contracts' own reports, which follow line by line.
  const { contracts, dryRun, ...totals } = s;
  out.push(say('cli.importSummary', { ...totals, dryRun: dryRun ? 1 : 0, exit: exitCode })[lang]);
  const inLang = (w: Words) => w[lang];
  const outcome = { created: say('cli.importCreated'), updated: say('cli.importUpdated'), unchanged: say('cli.importUnchanged') };
  const separator = say('cli.importChangeSeparator')[lang];
  const quote = (field: ImportField, value: string) => (['quantity', 'unitPrice', 'isTrial'].includes(field) ? value : `"${value}"`);
  const change = (c: FieldChange) => `${inLang(label(c.field))} ${quote(c.field, c.before)} → ${quote(c.field, c.after)}`;
  const lineName = (l: { lineNo: number | null; productCode: string; subscriptionId: string }) => {
    const ids = [l.productCode, l.subscriptionId].filter((v) => v !== '').join(' / ');
    return (l.lineNo === null ? say('cli.importNewLine', { ids }) : say('cli.importLine', { lineNo: l.lineNo, ids }))[lang];
  };
  const list = (serials: readonly string[]) => (serials.length <= 5 ? serials.join(', ') : `${serials.slice(0, 5).join(', ')}, …`);
  for (const c of contracts) {
    const notInFile = options.refusalsOnly ? [] : c.notInFile;
    const lines = c.lines.filter(
      (l) => l.outcome === 'refused' || (!options.refusalsOnly && (l.outcome === 'updated' || (l.outcome === 'created' && c.outcome !== 'created'))),
    );
    if (lines.length === 0 && notInFile.length === 0 && (options.refusalsOnly || c.outcome !== 'updated')) continue;
    out.push(`  ${c.contractNo}: ${outcome[c.outcome][lang]}${c.changes.length > 0 ? ` — ${c.changes.map(change).join(separator)}` : ''}`);
    for (const l of lines) {
      const where = l.row === null ? '' : say('cli.importRow', { row: l.row })[lang];
      if (l.outcome === 'refused') {
        out.push(`    ${where}${lineName(l)}: ${say('cli.importRefused')[lang]} — ${inLang(explainRefusal(l.refusal!))}`);
        continue;
      }
      const parts = l.changes.map(change);
      const { added, removed, moved } = l.serials;
      if (added.length > 0) parts.push(say('cli.importSerialsAdded', { count: added.length, serials: list(added) })[lang]);
      if (removed.length > 0) parts.push(say('cli.importSerialsRemoved', { count: removed.length, serials: list(removed) })[lang]);
      for (const m of moved) parts.push(say('cli.importSerialMoved', { serial: m.serial, fromLineNo: m.fromLineNo })[lang]);
      out.push(
        `    ${where}${lineName(l)}: ${outcome[l.outcome === 'created' ? 'created' : 'updated'][lang]}${parts.length > 0 ? ` — ${parts.join(separator)}` : ''}`,
      );
    }
    for (const l of notInFile) out.push(`    ${lineName(l)}: ${say('cli.importNotInFile')[lang]}`);
  }
  if (s.keptFromCancellation > 0 && !options.refusalsOnly) out.push(`  ${say('cli.importKeptFromCancellation', { count: s.keptFromCancellation })[lang]}`);
  return `${out.join('\n')}\n`;
}

const listCommand: CliCommand<ListArgs> = {
  command: 'list',
  describe: 'the contract list (契約一覧) as CSV',
  builder: (y: Argv) =>
    withCsvOutput(withDb(y, 'read'))
      .option('status', { choices: ['active', 'cancelled'] as const, describe: 'only contracts in this status' })
      .example('$0 contracts list --status cancelled --out cancelled.csv', 'cancelled contracts, for Excel'),
  prepare: (args) =>
    prepareListCommand(args, (deps) =>
      writeContractList(deps.store, { out: args.out, encoding: args.encoding, lang: args.lang }, args.status ? { status: args.status } : {}),
    ),
};

export const contractsCommand: CliGroup = {
  command: 'contracts <command>',
  describe: 'import and list contracts',
  subcommands: [importCommand, listCommand],
};
