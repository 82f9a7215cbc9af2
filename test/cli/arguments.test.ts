/**
 * "No command acts on an argument it cannot use": for every command and subcommand that
 * `kaiyaku --help` lists, an unknown option, a misspelling of one of its own options, a
 * bad value and an extra positional argument each end in exit 2 with the argument named,
 * and nothing changed: every file of the operator's folder (the store included) is
 * byte-identical, no file appeared, and the supplier received no call.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eachLimited } from '../support/cli.js';
import { copySandbox, runIn, snapshot, useSandboxWithSupplier } from '../support/sandbox.js';

const setup = useSandboxWithSupplier({ beforeAll, afterAll });

let pathsFound: string[][] = [];
/** The commands `kaiyaku --help` lists, followed down to their subcommands (read once, before the tests). */
function commandPaths(): string[][] {
  return pathsFound;
}

async function readCommandPaths(): Promise<string[][]> {
  const paths: string[][] = [];
  const visit = async (path: string[]): Promise<void> => {
    const help = (await runIn(setup.sandbox().template, [...path, '--help', '--lang', 'en'])).stdout;
    const section = help.split(/\n(?:Options|Positionals):/)[0]!;
    const subs = section
      .split('\n')
      .filter((line) => line.startsWith('  kaiyaku '))
      .map((line) =>
        line
          .trim()
          .split(/\s{2,}/)[0]!
          .split(' ')
          .filter((w) => !/^[<[]/.test(w))
          .at(-1)!,
      )
      .filter((c) => !path.includes(c));
    if (subs.length === 0) {
      paths.push(path);
      return;
    }
    await Promise.all([...new Set(subs)].map((sub) => visit([...path, sub])));
  };
  await visit([]);
  // One order, however the reads finished.
  return paths.sort((a, b) => a.join(' ').localeCompare(b.join(' ')));
}

const optionsFound = new Map<string, { name: string; kind: 'number' | 'choices' | 'string' | 'boolean' }[]>();
/** The options of a command as its --help shows them, with what kind of value each takes (read once, before the tests). */
function optionsOf(path: string[]): { name: string; kind: 'number' | 'choices' | 'string' | 'boolean' }[] {
  return optionsFound.get(path.join(' '))!;
}

async function readOptions(path: string[]): Promise<{ name: string; kind: 'number' | 'choices' | 'string' | 'boolean' }[]> {
  const help = (await runIn(setup.sandbox().template, [...path, '--help', '--lang', 'en'])).stdout;
  return [...help.matchAll(/^ {2}(?:-\w, )?--([a-z][a-z-]*)\b[^\n]*?\[(number|choices|string|boolean)/gm)].map((m) => ({
    name: m[1]!,
    kind: m[2] as 'number',
  }));
}

beforeAll(async () => {
  pathsFound = await readCommandPaths();
  await eachLimited(pathsFound, async (p) => void optionsFound.set(p.join(' '), await readOptions(p)));
}, 180_000);

const GLOBAL = new Set(['help', 'version', 'lang', 'log-format', 'quiet']);

/** A valid invocation of each command, to which each case adds one mistake. */
function baseArgs(path: string[]): string[] {
  const o = setup.sandbox().orders;
  const linking = ['--supplier', setup.supplier().url];
  switch (path.join(' ')) {
    case 'cancel':
      return ['cancel', 'nov.csv', ...linking];
    case 'contracts import':
      return ['contracts', 'import', 'contracts.csv'];
    case 'contracts list':
      return ['contracts', 'list', '--out', 'list.csv'];
    case 'orders list':
      return ['orders', 'list', '--out', 'orders.csv'];
    case 'orders resume':
      return ['orders', 'resume', ...linking];
    case 'orders accept':
      return ['orders', 'accept', o.requested];
    case 'orders withdraw-acceptance':
      return ['orders', 'withdraw-acceptance', o.acceptedUnlinked];
    case 'orders link':
      return ['orders', 'link', o.acceptedUnlinked, ...linking];
    case 'orders confirm':
      return ['orders', 'confirm', o.accepted, '--end-date', '2099-01-31'];
    case 'orders withdraw':
      return ['orders', 'withdraw', o.requested];
    case 'serials export':
      return ['serials', 'export', '--mark-notified', '--out', 'serials.csv'];
    case 'supplier serve':
      return ['supplier', 'serve', '--port', '0'];
    case 'demo':
      return ['demo', '--dir', 'demo-out'];
    case 'migrate':
      return ['migrate'];
    default:
      throw new Error(`no base arguments for "${path.join(' ')}": add them here`);
  }
}

/** Drops one letter from the middle: --dry-run → --dry-un. */
function misspell(name: string): string {
  const i = Math.max(1, Math.floor(name.length / 2));
  return name.slice(0, i) + name.slice(i + 1);
}

/**
 * Each invocation, in a fresh copy of the operator's folder: exit 2 naming the argument, no
 * stack trace, nothing on stdout, every file byte-identical. The cases run side by side (each
 * in its own folder); the supplier's count of calls is the same after all of them as before,
 * so none of them called it.
 */
async function expectNothingDone(cases: readonly (readonly [args: string[], named: RegExp])[]): Promise<void> {
  const calls = (await setup.supplier().stats()).total;
  await eachLimited(cases, async ([args, named]) => {
    const run = copySandbox(setup.sandbox());
    try {
      const before = snapshot(run.dir);
      const r = await runIn(run.dir, args, {}, { timeoutMs: 60_000 });
      expect(r.code, `kaiyaku ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(named);
      expect(r.stderr, 'no stack trace for a condition we can name').not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
      expect(snapshot(run.dir)).toEqual(before);
    } finally {
      run.cleanup();
    }
  });
  expect((await setup.supplier().stats()).total).toBe(calls);
}

describe('every command refuses what it cannot use, before doing anything', () => {
  it('finds every command of --help (and needs a base invocation for each)', () => {
    const paths = commandPaths().map((p) => p.join(' '));
    expect(paths).toEqual(
      expect.arrayContaining([
        'cancel',
        'contracts import',
        'contracts list',
        'orders list',
        'orders resume',
        'orders confirm',
        'serials export',
        'supplier serve',
        'demo',
        'migrate',
      ]),
    );
    for (const p of commandPaths()) expect(() => baseArgs(p)).not.toThrow();
  });

  it('each base invocation is valid: the mistakes below are the only reason for exit 2', async () => {
    // supplier serve serves until stopped.
    await eachLimited(
      commandPaths().filter((p) => p.join(' ') !== 'supplier serve'),
      async (p) => {
        const run = copySandbox(setup.sandbox());
        try {
          const r = await runIn(run.dir, baseArgs(p));
          expect(r.code, `kaiyaku ${baseArgs(p).join(' ')}\n${r.stderr}`).not.toBe(2);
        } finally {
          run.cleanup();
        }
      },
    );
  });

  it('an unknown option', async () => {
    await expectNothingDone(commandPaths().map((p) => [[...baseArgs(p), '--bogus-option'], /--bogus-option/]));
  });

  it('a misspelling of one of its own options, with the option meant suggested', async () => {
    const cases: [string[], RegExp][] = [];
    for (const p of commandPaths()) {
      const own = optionsOf(p).filter((o) => !GLOBAL.has(o.name));
      const target = own.sort((a, b) => b.name.length - a.name.length)[0];
      if (!target) continue;
      const typo = misspell(target.name);
      cases.push([[...baseArgs(p), `--${typo}`, ...(target.kind === 'boolean' ? [] : ['1'])], new RegExp(`--${typo}[\\s\\S]*--${target.name}`)]);
    }
    await expectNothingDone(cases);
  });

  it('a bad value: a word for a number, a choice it does not offer, a language it does not speak', async () => {
    const cases: [string[], RegExp][] = [];
    for (const p of commandPaths()) {
      const own = optionsOf(p).filter((o) => !GLOBAL.has(o.name));
      const number = own.find((o) => o.kind === 'number');
      const choice = own.find((o) => o.kind === 'choices');
      if (number) cases.push([[...baseArgs(p), `--${number.name}`, 'abc'], new RegExp(`--${number.name}`)]);
      if (choice) cases.push([[...baseArgs(p), `--${choice.name}`, 'bogus'], new RegExp(`--${choice.name}`)]);
      cases.push([[...baseArgs(p), '--lang', 'fr'], /--lang/]);
    }
    await expectNothingDone(cases);
  });

  it('an extra positional argument', async () => {
    await expectNothingDone(commandPaths().map((p) => [[...baseArgs(p), 'extra-arg'], /extra-arg/]));
  });

  it('a value given to a yes/no option (--dry-run=1, =yes, the typo =ture, --x 1): yargs read them as false, or as a file name', async () => {
    const cases: [string[], RegExp][] = [];
    for (const p of commandPaths()) {
      const yesNo = optionsOf(p).filter((o) => o.kind === 'boolean' && o.name !== 'help' && o.name !== 'version');
      for (const o of yesNo) cases.push([[...baseArgs(p), `--${o.name}=1`, '--lang', 'en'], new RegExp(`--${o.name}[\\s\\S]*"1"`)]);
      const own = yesNo.find((o) => o.name !== 'quiet') ?? yesNo[0];
      if (own) cases.push([[...baseArgs(p), `--${own.name}`, '1', '--lang', 'en'], new RegExp(`--${own.name} takes no value, but "1" follows it`)]);
    }
    const cancel = ['cancel', 'nov.csv', '--supplier', setup.supplier().url];
    cases.push(
      [[...cancel, '--dry-run=yes'], /--dry-run/],
      [[...cancel, '--dry-run=ture'], /--dry-run/],
      [[...cancel, '--dry-run', 'ture'], /--dry-run/],
      [[...cancel, '--no-dry-run=true'], /--no-dry-run/],
      [['serials', 'export', '--unnotified=yes', '--mark-notified', '--out', 'serials.csv'], /--unnotified/],
      // A negation belongs to yes/no options only: --no-db would make the store path `false`.
      [['orders', 'list', '--no-db'], /--no-db/],
      [[...cancel, '-q1'], /-q/],
    );
    await expectNothingDone(cases);
  }, 240_000);

  it('a yes/no option still takes true and false, alone and negated', async () => {
    const run = copySandbox(setup.sandbox());
    try {
      writeFileSync(join(run.dir, 'one.csv'), '契約番号,商品コード,解約数\nNCN202105-0000003108,M365-BB,1\n');
      const orders = async () => (await runIn(run.dir, ['orders', 'list', '--lang', 'en', '--encoding', 'utf8'])).stdout;
      const before = await orders();
      for (const form of [['--dry-run'], ['--dry-run=true'], ['--dry-run', 'true']]) {
        const r = await runIn(run.dir, ['cancel', 'one.csv', '--supplier', setup.supplier().url, ...form, '--lang', 'en']);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/dry run: nothing changed/);
      }
      expect(await orders()).toBe(before);
      for (const form of [['--dry-run=false'], ['--no-dry-run']]) {
        const r = await runIn(run.dir, ['cancel', 'one.csv', '--supplier', setup.supplier().url, '--until', 'requested', ...form, '--lang', 'en']);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).not.toMatch(/dry run/);
      }
      expect((await orders()).split('\n').filter((l) => l.includes('NCN202105-0000003108'))).toHaveLength(1);
    } finally {
      run.cleanup();
    }
  });

  it('an option given twice that takes one value', async () => {
    await expectNothingDone(commandPaths().map((p) => [[...baseArgs(p), '--lang', 'en', '--lang', 'ja'], /--lang/]));
  });
});
