import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import { usageError, DEFAULT_CANCEL_OPTIONS, importContractFile, runCancelFile, writeContractList, writeOrderList, writeSerialExport } from '../index.js';
import { say, type Words } from '../messages/index.js';
import { formatSummary } from './cancelCommand.js';
import type { CliCommand } from './command.js';
import { openDeps, type CommonArgs } from './shared.js';

interface DemoArgs extends CommonArgs {
  dir: string;
}

export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** Left in a folder the demo made: only such a folder is ever cleared by a later demo. */
const MARKER = '.kaiyaku-demo';
/** What a demo writes; a demo folder holding anything else is the user's and is left alone. */
const DEMO_FILES =
  /^(\.kaiyaku-demo|kaiyaku\.db(-wal|-shm|-journal)?|cancel-sample(\.result|\.errors)?\.csv|contracts\.csv|orders\.csv|cancelled-serials\.csv)$/;

export const demoCommand: CliCommand<DemoArgs> = {
  command: 'demo',
  describe: 'the main job on the embedded default: a fresh SQLite store, the fixture contracts, a sample file through every stage',
  builder: (y: Argv) =>
    y
      .option('dir', {
        type: 'string',
        default: 'kaiyaku-demo',
        describe: 'working folder for the demo database and reports: a new or empty folder, or one an earlier demo made',
      })
      .example('$0 demo --dir /tmp/try-kaiyaku', 'run the demo in a folder of your choice'),
  prepare: (args) => {
    const dir = path.resolve(args.dir);
    checkDemoFolder(dir);
    return async () => {
      fs.mkdirSync(dir, { recursive: true });
      // Clear only what an earlier demo wrote (checked above): never anything of the user's.
      for (const name of fs.readdirSync(dir)) if (DEMO_FILES.test(name)) fs.rmSync(path.join(dir, name), { force: true });
      fs.writeFileSync(path.join(dir, MARKER), 'made by kaiyaku demo; a later demo may clear this folder\n');
      const input = path.join(dir, 'cancel-sample.csv');
      fs.copyFileSync(path.join(FIXTURES_DIR, 'cancel-sample.csv'), input);
      const db = path.join(dir, 'kaiyaku.db');
      const lang = args.lang;
      // The demo links with the in-process simulator, by name: nothing leaves this machine.
      const deps = await openDeps(
        { spec: db, access: 'write', create: true },
        { operator: 'demo', simLatencyMs: 5, quiet: args.quiet, logFormat: args.logFormat, lang: args.lang },
        'sim',
      );
      try {
        const imported = await importContractFile(deps, path.join(FIXTURES_DIR, 'contracts.csv'), 'auto');
        process.stdout.write(`${say('cli.demoImported', { contracts: imported.contractsCreated, lines: imported.linesCreated, db })[lang]}\n`);
        const summary = await runCancelFile(deps, input, { ...DEFAULT_CANCEL_OPTIONS, lang: args.lang });
        process.stdout.write(formatSummary(summary, false, args.lang));
        process.stdout.write(`  ${say('cli.demoRefusedOnPurpose')[lang]}\n`);
        const out = (name: string) => ({ out: path.join(dir, name), encoding: 'utf8-bom' as const, lang: args.lang });
        await writeContractList(deps.store, out('contracts.csv'), {});
        await writeOrderList(deps.store, out('orders.csv'), {});
        await writeSerialExport(deps.store, out('cancelled-serials.csv'), {});
        const rows: [Words, string][] = [
          [say('cli.demoResultFile'), summary.resultPath],
          [say('cli.demoErrorFile'), summary.errorsPath],
          [say('cli.demoContractList'), path.join(dir, 'contracts.csv')],
          [say('cli.demoOrderList'), path.join(dir, 'orders.csv')],
          [say('cli.demoCancelledSerials'), path.join(dir, 'cancelled-serials.csv')],
        ];
        process.stdout.write(
          [
            say('cli.demoReports')[lang],
            ...rows.map(([name, file]) => `  ${padToWidth(name[lang], 22)}${file}`),
            say('cli.demoNext', { db: path.relative(process.cwd(), db) })[lang],
            '',
          ].join('\n'),
        );
        // The sample holds deliberately wrong rows to show the error file: that is the demo working.
        return 0;
      } finally {
        await deps.close();
      }
    };
  },
};

/** The demo recreates its folder: refuse one that holds anything it did not make. */
function checkDemoFolder(dir: string): void {
  if (!fs.existsSync(dir)) {
    if (!fs.existsSync(path.dirname(dir))) throw usageError(say('cli.demoParentMissing', { dir }));
    return;
  }
  if (!fs.statSync(dir).isDirectory()) throw usageError(say('cli.demoDirIsFile', { dir }));
  const entries = fs.readdirSync(dir);
  if (entries.length === 0) return;
  const foreign = entries.filter((name) => !DEMO_FILES.test(name));
  if (!entries.includes(MARKER) || foreign.length > 0) {
    const shown = (foreign.length > 0 ? foreign : entries).slice(0, 5).join(', ');
    throw usageError(say('cli.demoDirNotEmpty', { dir, files: shown }));
  }
}

/** Pads to a width in terminal columns: a full-width character takes two. */
function padToWidth(text: string, width: number): string {
  let used = 0;
  for (const ch of text) used += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return text + ' '.repeat(Math.max(1, width - used));
}
