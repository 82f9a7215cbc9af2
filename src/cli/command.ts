import type { Argv, CommandModule } from 'yargs';
import { type Lang } from '../index.js';

/**
 * How every command is built, so that no command can act on an argument it cannot use.
 *
 * A command has three parts, run strictly in this order by main:
 * 1. `builder`: the yargs options; yargs parses and checks names, choices and positionals.
 * 2. `prepare(args)`: checks every value and every destination (numbers, dates, files,
 *    folders, the store's path) and returns the work. It opens no store and touches no
 *    file; anything it throws means nothing was done (exit 2).
 * 3. the work itself, which returns its exit code.
 *
 * yargs' own handler only records which command was chosen. The reason: yargs runs a
 * command's handler even after its validation failed when a custom `.fail()` returns
 * instead of throwing (that is how `cancel nov.csv --dry-rn` once cancelled every row and
 * only then printed "Unknown arguments"). Running the work after `parseAsync` has resolved
 * makes the order certain for every command, present and future.
 */
export interface CliCommand<A = Record<string, unknown>> {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv;
  prepare: (args: A & GlobalArgs) => Promise<Work> | Work;
}

/** A group of subcommands (`orders list`, `orders resume`, …). */
export interface CliGroup {
  command: string;
  describe: string;
  subcommands: readonly (CliCommand<never> | CliGroup)[];
}

/** The work of a command, run once every argument was checked; resolves to the exit code. */
export type Work = () => Promise<number>;

export interface GlobalArgs {
  lang: Lang;
  _: (string | number)[];
  $0: string;
}

/** What the parse chose: the command, its arguments, and the options it knows. */
export interface Chosen {
  command: CliCommand<never>;
  args: Record<string, unknown>;
  options: KnownOptions;
}

/** The options of the command being parsed, as yargs knows them after its builder ran. */
export interface KnownOptions {
  names: string[];
  arrays: string[];
  numbers: string[];
  /** The yes/no options, under every name yargs knows them by (aliases and camelCase included). */
  booleans: string[];
  /** Each option's other names (`quiet` → `q`). */
  aliases: Record<string, string[]>;
}

export const NO_OPTIONS: KnownOptions = { names: [], arrays: [], numbers: [], booleans: [], aliases: {} };

export interface ParseState {
  chosen: Chosen | null;
  /** The innermost command or group whose builder ran: its options or subcommands are what a typo was meant to be. */
  context: { path: string[]; options: KnownOptions | null; subcommands: string[] };
}

export function isGroup(c: CliCommand<never> | CliGroup): c is CliGroup {
  return 'subcommands' in c;
}

/** The name a command is called by: `import <file>` → `import`. */
export function commandName(c: { command: string }): string {
  return c.command.split(' ')[0]!;
}

export function toYargs(c: CliCommand<never> | CliGroup, state: ParseState, parents: string[] = []): CommandModule {
  const path = [...parents, commandName(c)];
  if (isGroup(c)) {
    return {
      command: c.command,
      describe: c.describe,
      builder: (y: Argv) => {
        state.context = { path, options: null, subcommands: c.subcommands.map(commandName) };
        let out = y;
        for (const sub of c.subcommands) out = out.command(toYargs(sub, state, path));
        return out.demandCommand(1, 1);
      },
      handler: () => undefined,
    };
  }
  return {
    command: c.command,
    describe: c.describe,
    builder: (y: Argv) => {
      const built = c.builder(y);
      state.context = { path, options: knownOptions(built), subcommands: [] };
      return built;
    },
    handler: (args) => {
      state.chosen = { command: c, args: args as Record<string, unknown>, options: state.context.options ?? NO_OPTIONS };
    },
  };
}

function knownOptions(y: Argv): KnownOptions {
  const o = (
    y as unknown as { getOptions(): { key: Record<string, unknown>; array: string[]; number: string[]; boolean: string[]; alias: Record<string, string[]> } }
  ).getOptions();
  return { names: Object.keys(o.key), arrays: [...o.array], numbers: [...o.number], booleans: [...o.boolean], aliases: { ...o.alias } };
}
