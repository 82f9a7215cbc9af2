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
      for (const column of file.unknownColumns)
        process.stderr.write(
          args.lang === 'ja' ? `警告: ${args.file}: 不明な列を無視しました: ${column}\n` : `warning: ${args.file}: unknown column ignored: ${column}\n`,
        );
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
  const ja = lang === 'ja';
  const out: string[] = [];
  out.push(
    ja
      ? `${s.file}: ${s.rows} 行${s.dryRun ? '（ドライラン: 何も変更していません）' : ''} — 契約 新規 ${s.contractsCreated}、更新 ${s.contractsUpdated}、変更なし ${s.contractsUnchanged}; 明細 新規 ${s.linesCreated}、更新 ${s.linesUpdated}、変更なし ${s.linesUnchanged}、取り込み不可 ${s.linesRefused}; シリアル 追加 ${s.serialsAdded}、削除 ${s.serialsRemoved}、移動 ${s.serialsMoved}（終了コード ${exitCode}）`
      : `${s.file}: ${s.rows} rows${s.dryRun ? ' (dry run: nothing changed)' : ''} — contracts created ${s.contractsCreated}, updated ${s.contractsUpdated}, unchanged ${s.contractsUnchanged}; lines created ${s.linesCreated}, updated ${s.linesUpdated}, unchanged ${s.linesUnchanged}, refused ${s.linesRefused}; serials added ${s.serialsAdded}, removed ${s.serialsRemoved}, moved ${s.serialsMoved} (exit ${exitCode})`,
  );
  const say = (w: Words) => (ja ? w.ja : w.en);
  const quote = (field: ImportField, value: string) => (['quantity', 'unitPrice', 'isTrial'].includes(field) ? value : `"${value}"`);
  const change = (c: FieldChange) => `${say(label(c.field))} ${quote(c.field, c.before)} → ${quote(c.field, c.after)}`;
  const lineName = (l: { lineNo: number | null; productCode: string; subscriptionId: string }) => {
    const ids = [l.productCode, l.subscriptionId].filter((v) => v !== '').join(' / ');
    return l.lineNo === null ? (ja ? `新しい明細（${ids}）` : `new line (${ids})`) : ja ? `明細 ${l.lineNo}（${ids}）` : `line ${l.lineNo} (${ids})`;
  };
  const list = (serials: readonly string[]) => (serials.length <= 5 ? serials.join(', ') : `${serials.slice(0, 5).join(', ')}, …`);
  for (const c of s.contracts) {
    const notInFile = options.refusalsOnly ? [] : c.notInFile;
    const lines = c.lines.filter(
      (l) => l.outcome === 'refused' || (!options.refusalsOnly && (l.outcome === 'updated' || (l.outcome === 'created' && c.outcome !== 'created'))),
    );
    if (lines.length === 0 && notInFile.length === 0 && (options.refusalsOnly || c.outcome !== 'updated')) continue;
    out.push(
      `  ${c.contractNo}: ${ja ? { created: '新規', updated: '更新', unchanged: '変更なし' }[c.outcome] : c.outcome}${c.changes.length > 0 ? ` — ${c.changes.map(change).join(ja ? '、' : '; ')}` : ''}`,
    );
    for (const l of lines) {
      const where = l.row === null ? '' : ja ? `${l.row} 行目 ` : `row ${l.row}, `;
      if (l.outcome === 'refused') {
        out.push(`    ${where}${lineName(l)}: ${ja ? '取り込み不可' : 'refused'} — ${say(explainRefusal(l.refusal!))}`);
        continue;
      }
      const parts = l.changes.map(change);
      const { added, removed, moved } = l.serials;
      if (added.length > 0) parts.push(ja ? `シリアル追加 ${added.length}（${list(added)}）` : `serials added ${added.length} (${list(added)})`);
      if (removed.length > 0) parts.push(ja ? `シリアル削除 ${removed.length}（${list(removed)}）` : `serials removed ${removed.length} (${list(removed)})`);
      for (const m of moved) parts.push(ja ? `シリアル「${m.serial}」を明細 ${m.fromLineNo} から移動` : `serial "${m.serial}" moved from line ${m.fromLineNo}`);
      const what = l.outcome === 'created' ? (ja ? '新規' : 'created') : ja ? '更新' : 'updated';
      out.push(`    ${where}${lineName(l)}: ${what}${parts.length > 0 ? ` — ${parts.join(ja ? '、' : '; ')}` : ''}`);
    }
    for (const l of notInFile) out.push(`    ${lineName(l)}: ${ja ? 'ファイルにない明細（そのまま残します）' : 'not in the file (kept as it is)'}`);
  }
  if (s.keptFromCancellation > 0 && !options.refusalsOnly) {
    out.push(
      ja
        ? `  解約で確定した値 ${s.keptFromCancellation} 件はファイルの値ではなく登録済みの値のままです（解約済み契約の契約終了日、解約で変わった明細の数量）`
        : `  ${s.keptFromCancellation} value(s) decided by cancellations kept as stored, where the file gives others (end dates of cancelled contracts, quantities of lines a cancellation changed)`,
    );
  }
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
