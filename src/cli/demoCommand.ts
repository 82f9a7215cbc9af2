import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_CANCEL_OPTIONS } from '../pipeline/context.js';
import { importContractFile } from '../pipeline/importContracts.js';
import { runCancelFile } from '../pipeline/runCancel.js';
import { writeContractList, writeOrderList, writeSerialExport } from '../reports/lists.js';
import { formatSummary } from './cancelCommand.js';
import { reportExit } from './exitCode.js';
import { openDeps } from './shared.js';

interface DemoArgs {
  dir: string;
  lang: 'ja' | 'en';
}

export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'the main job on the embedded default: a fresh SQLite store, the fixture contracts, a sample file through every stage',
  builder: (y: Argv) =>
    y
      .option('dir', { type: 'string', default: 'kaiyaku-demo', describe: 'working folder for the demo database and reports (recreated)' })
      .option('lang', { choices: ['ja', 'en'] as const, default: 'ja' as const }) as unknown as Argv<DemoArgs>,
  handler: async (args) => {
    const dir = path.resolve(args.dir);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const input = path.join(dir, 'cancel-sample.csv');
    fs.copyFileSync(path.join(FIXTURES_DIR, 'cancel-sample.csv'), input);
    const db = path.join(dir, 'kaiyaku.db');
    const deps = await openDeps({ db, operator: 'demo', simLatencyMs: 5 });
    try {
      const imported = await importContractFile(deps, path.join(FIXTURES_DIR, 'contracts.csv'), 'auto');
      process.stdout.write(`imported ${imported.contractsCreated} contracts (${imported.linesCreated} lines) into ${db}\n`);
      const summary = await runCancelFile(deps, input, { ...DEFAULT_CANCEL_OPTIONS, lang: args.lang });
      process.stdout.write(formatSummary(summary, false));
      process.stdout.write('  (one row is refused on purpose — a contract with a trial product cannot be cancelled as a whole — to show the error file)\n');
      const out = (name: string) => ({ out: path.join(dir, name), encoding: 'utf8-bom' as const, lang: args.lang });
      await writeContractList(deps.store, out('contracts.csv'), {});
      await writeOrderList(deps.store, out('orders.csv'), {});
      await writeSerialExport(deps.store, out('cancelled-serials.csv'), {});
      process.stdout.write(
        [
          'reports:',
          `  result file         ${summary.resultPath}`,
          `  error file          ${summary.errorsPath}`,
          `  contract list       ${path.join(dir, 'contracts.csv')}`,
          `  order list          ${path.join(dir, 'orders.csv')}`,
          `  cancelled serials   ${path.join(dir, 'cancelled-serials.csv')}`,
          `try: npx kaiyaku orders list --db ${path.relative(process.cwd(), db)} --lang en --encoding utf8`,
          '',
        ].join('\n'),
      );
      // The sample holds deliberately wrong rows to show the error file: that is the demo working.
      reportExit(0);
    } finally {
      await deps.close();
    }
  },
};
