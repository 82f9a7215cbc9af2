import type { Argv, CommandModule } from 'yargs';
import { importContractFile } from '../pipeline/importContracts.js';
import { writeContractList } from '../reports/lists.js';
import { openDeps, withCsvOutput, withDb, type CommonArgs } from './shared.js';

interface ImportArgs extends CommonArgs {
  file: string;
  encoding: 'auto' | 'utf8' | 'cp932';
}
interface ListArgs extends CommonArgs {
  status?: 'active' | 'cancelled';
  out?: string;
  encoding: 'utf8' | 'utf8-bom' | 'cp932';
  lang: 'ja' | 'en';
}

const importCommand: CommandModule<object, ImportArgs> = {
  command: 'import <file>',
  describe: 'upsert contracts, lines and serials from a CSV (契約一括登録)',
  builder: (y: Argv) =>
    withDb(y)
      .positional('file', { type: 'string', demandOption: true })
      .option('encoding', { choices: ['auto', 'utf8', 'cp932'] as const, default: 'auto' as const, describe: 'input encoding' })
      .example('$0 contracts import fixtures/contracts.csv', 'load the sample contracts') as unknown as Argv<ImportArgs>,
  handler: async (args) => {
    const deps = await openDeps(args);
    try {
      const c = await importContractFile(deps, args.file, args.encoding);
      if (!args.quiet) {
        process.stdout.write(`${args.file}: ${c.rows} rows — contracts created ${c.contractsCreated}, updated ${c.contractsUpdated}; lines created ${c.linesCreated}, updated ${c.linesUpdated}; serials added ${c.serialsCreated}\n`);
      }
    } finally {
      await deps.close();
    }
  },
};

const listCommand: CommandModule<object, ListArgs> = {
  command: 'list',
  describe: 'the contract list (契約一覧) as CSV',
  builder: (y: Argv) =>
    withCsvOutput(withDb(y))
      .option('status', { choices: ['active', 'cancelled'] as const, describe: 'only contracts in this status' })
      .example('$0 contracts list --status cancelled --out cancelled.csv', 'cancelled contracts, for Excel') as unknown as Argv<ListArgs>,
  handler: async (args) => {
    const deps = await openDeps(args);
    try {
      await writeContractList(deps.store, { out: args.out, encoding: args.encoding, lang: args.lang }, args.status ? { status: args.status } : {});
    } finally {
      await deps.close();
    }
  },
};

export const contractsCommand: CommandModule = {
  command: 'contracts <command>',
  describe: 'import and list contracts',
  builder: (y) => y.command(importCommand).command(listCommand).demandCommand(1),
  handler: () => undefined,
};
