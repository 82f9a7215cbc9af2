import type { Argv } from 'yargs';
import { inspectFile } from '../csv/decode.js';
import { checkOutputFile } from '../files/destinations.js';
import { importContractFile } from '../pipeline/importContracts.js';
import { writeContractList } from '../reports/lists.js';
import type { CliCommand, CliGroup } from './command.js';
import { checkStore, openDeps, withCsvOutput, withDb, type CommonArgs } from './shared.js';

interface ImportArgs extends CommonArgs {
  file: string;
  encoding: 'auto' | 'utf8' | 'cp932';
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
      .positional('file', { type: 'string', demandOption: true, describe: 'the contract master CSV' })
      .option('encoding', { choices: ['auto', 'utf8', 'cp932'] as const, default: 'auto' as const, describe: 'input encoding' })
      .example('$0 contracts import fixtures/contracts.csv', 'load the sample contracts'),
  prepare: async (args) => {
    await inspectFile(args.file, args.encoding);
    const store = await checkStore(args, 'write');
    return async () => {
      const deps = await openDeps(store, args);
      try {
        const c = await importContractFile(deps, args.file, args.encoding);
        if (!args.quiet) {
          process.stdout.write(
            args.lang === 'ja'
              ? `${args.file}: ${c.rows} 行 — 契約 新規 ${c.contractsCreated}、更新 ${c.contractsUpdated}; 明細 新規 ${c.linesCreated}、更新 ${c.linesUpdated}; シリアル 追加 ${c.serialsCreated}\n`
              : `${args.file}: ${c.rows} rows — contracts created ${c.contractsCreated}, updated ${c.contractsUpdated}; lines created ${c.linesCreated}, updated ${c.linesUpdated}; serials added ${c.serialsCreated}\n`,
          );
        }
        return 0;
      } finally {
        await deps.close();
      }
    };
  },
};

const listCommand: CliCommand<ListArgs> = {
  command: 'list',
  describe: 'the contract list (契約一覧) as CSV',
  builder: (y: Argv) =>
    withCsvOutput(withDb(y, 'read'))
      .option('status', { choices: ['active', 'cancelled'] as const, describe: 'only contracts in this status' })
      .example('$0 contracts list --status cancelled --out cancelled.csv', 'cancelled contracts, for Excel'),
  prepare: async (args) => {
    if (args.out !== undefined) checkOutputFile(args.out, '--out');
    const store = await checkStore(args, 'read');
    return async () => {
      const deps = await openDeps(store, args);
      try {
        await writeContractList(deps.store, { out: args.out, encoding: args.encoding, lang: args.lang }, args.status ? { status: args.status } : {});
        return 0;
      } finally {
        await deps.close();
      }
    };
  },
};

export const contractsCommand: CliGroup = {
  command: 'contracts <command>',
  describe: 'import and list contracts',
  subcommands: [importCommand, listCommand],
};
