#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { KaiyakuError } from '../errors.js';
import { cancelCommand } from './cancelCommand.js';
import { contractsCommand } from './contractsCommand.js';
import { demoCommand } from './demoCommand.js';
import { UsageError } from './errors.js';
import { writeFailure } from './failure.js';
import { tuneHeapForBatch } from './heap.js';
import { currentExit, reportExit } from './exitCode.js';
import { migrateCommand } from './migrateCommand.js';
import { ordersCommand } from './ordersCommand.js';
import { serialsCommand } from './serialsCommand.js';
import { supplierCommand } from './supplierCommand.js';

/**
 * The one place that decides how the process exits: commands throw typed errors, this
 * maps them to cli.md's codes (0 done, 1 some rows not done or a step refused, 2 nothing
 * done) and a one-line message.
 */
async function main(argv: string[]): Promise<number> {
  let usageFailure: string | null = null;
  try {
    await yargs(argv)
      .scriptName('kaiyaku')
      .usage('$0 <command> [options]\n\nBulk cancellation of CP-Web contracts (既存契約の解約).')
      .command(cancelCommand)
      .command(contractsCommand)
      .command(ordersCommand)
      .command(serialsCommand)
      .command(supplierCommand)
      .command(demoCommand)
      .command(migrateCommand)
      .demandCommand(1, 'name a command')
      .strict()
      .recommendCommands()
      .help()
      .alias('h', 'help')
      .version()
      .wrap(Math.min(110, process.stdout.columns ?? 100))
      .fail((message, error) => {
        if (error) throw error;
        usageFailure = message;
      })
      .parseAsync();
  } catch (error) {
    return reportFailure(error);
  }
  if (usageFailure !== null) {
    process.stderr.write(`kaiyaku: ${usageFailure}\n(see kaiyaku --help)\n`);
    return 2;
  }
  return currentExit();
}

function reportFailure(error: unknown): number {
  if (error instanceof KaiyakuError) {
    writeFailure(error.message);
    return error.kind === 'refused' || error.kind === 'incomplete' ? 1 : 2;
  }
  if (error instanceof UsageError) {
    writeFailure(error.message);
    return 2;
  }
  // Database errors quote their whole statement; thousands of rows of it help nobody.
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  writeFailure(`unexpected failure: ${text.length > 2000 ? `${text.slice(0, 1000)} … ${text.slice(-1000)}` : text}`);
  return 2;
}

// A reader that stops early (`| head`) is not a failure of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(currentExit());
  throw error;
});
reportExit(0);
tuneHeapForBatch();
process.exitCode = await main(hideBin(process.argv));
