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
import { copySandbox, runIn, snapshot, useSandboxWithSupplier } from '../support/sandbox.js';

const setup = useSandboxWithSupplier({ beforeAll, afterAll });

let pathsFound: string[][] | null = null;
/** The commands `kaiyaku --help` lists, followed down to their subcommands (read once). */
function commandPaths(): string[][] {
  pathsFound ??= readCommandPaths();
  return pathsFound;
}

function readCommandPaths(): string[][] {
  const paths: string[][] = [];
  const visit = (path: string[]) => {
    const help = runIn(setup.sandbox().template, [...path, '--help', '--lang', 'en']).stdout;
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
    for (const sub of new Set(subs)) visit([...path, sub]);
  };
  visit([]);
  return paths;
}

const optionsFound = new Map<string, { name: string; kind: 'number' | 'choices' | 'string' | 'boolean' }[]>();
/** The options of a command as its --help shows them, with what kind of value each takes (read once). */
function optionsOf(path: string[]): { name: string; kind: 'number' | 'choices' | 'string' | 'boolean' }[] {
  const key = path.join(' ');
  if (!optionsFound.has(key)) optionsFound.set(key, readOptions(path));
  return optionsFound.get(key)!;
}

function readOptions(path: string[]): { name: string; kind: 'number' | 'choices' | 'string' | 'boolean' }[] {
  const help = runIn(setup.sandbox().template, [...path, '--help', '--lang', 'en']).stdout;
  return [...help.matchAll(/^ {2}(?:-\w, )?--([a-z][a-z-]*)\b[^\n]*?\[(number|choices|string|boolean)/gm)].map((m) => ({
    name: m[1]!,
    kind: m[2] as 'number',
  }));
}

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

async function expectNothingDone(args: string[], named: RegExp): Promise<void> {
  const run = copySandbox(setup.sandbox());
  try {
    const before = snapshot(run.dir);
    const calls = await setup.supplier().calls();
    const r = runIn(run.dir, args, {}, 20_000);
    expect(r.code, `kaiyaku ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(2);
    expect(r.stderr).toMatch(named);
    expect(r.stderr, 'no stack trace for a condition we can name').not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
    expect(snapshot(run.dir)).toEqual(before);
    expect(await setup.supplier().calls()).toBe(calls);
  } finally {
    run.cleanup();
  }
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

  it('each base invocation is valid: the mistakes below are the only reason for exit 2', () => {
    for (const p of commandPaths()) {
      if (p.join(' ') === 'supplier serve') continue; // it serves until stopped
      const run = copySandbox(setup.sandbox());
      try {
        const r = runIn(run.dir, baseArgs(p));
        expect(r.code, `kaiyaku ${baseArgs(p).join(' ')}\n${r.stderr}`).not.toBe(2);
      } finally {
        run.cleanup();
      }
    }
  });

  it('an unknown option', async () => {
    for (const p of commandPaths()) await expectNothingDone([...baseArgs(p), '--bogus-option'], /--bogus-option/);
  });

  it('a misspelling of one of its own options, with the option meant suggested', async () => {
    for (const p of commandPaths()) {
      const own = optionsOf(p).filter((o) => !GLOBAL.has(o.name));
      const target = own.sort((a, b) => b.name.length - a.name.length)[0];
      if (!target) continue;
      const typo = misspell(target.name);
      await expectNothingDone([...baseArgs(p), `--${typo}`, ...(target.kind === 'boolean' ? [] : ['1'])], new RegExp(`--${typo}[\\s\\S]*--${target.name}`));
    }
  });

  it('a bad value: a word for a number, a choice it does not offer, a language it does not speak', async () => {
    for (const p of commandPaths()) {
      const own = optionsOf(p).filter((o) => !GLOBAL.has(o.name));
      const number = own.find((o) => o.kind === 'number');
      const choice = own.find((o) => o.kind === 'choices');
      if (number) await expectNothingDone([...baseArgs(p), `--${number.name}`, 'abc'], new RegExp(`--${number.name}`));
      if (choice) await expectNothingDone([...baseArgs(p), `--${choice.name}`, 'bogus'], new RegExp(`--${choice.name}`));
      await expectNothingDone([...baseArgs(p), '--lang', 'fr'], /--lang/);
    }
  });

  it('an extra positional argument', async () => {
    for (const p of commandPaths()) await expectNothingDone([...baseArgs(p), 'extra-arg'], /extra-arg/);
  });

  it('a value given to a yes/no option (--dry-run=1, =yes, the typo =ture, --x 1): yargs read them as false, or as a file name', async () => {
    for (const p of commandPaths()) {
      const yesNo = optionsOf(p).filter((o) => o.kind === 'boolean' && o.name !== 'help' && o.name !== 'version');
      for (const o of yesNo) await expectNothingDone([...baseArgs(p), `--${o.name}=1`, '--lang', 'en'], new RegExp(`--${o.name}[\\s\\S]*"1"`));
      const own = yesNo.find((o) => o.name !== 'quiet') ?? yesNo[0];
      if (own) await expectNothingDone([...baseArgs(p), `--${own.name}`, '1', '--lang', 'en'], new RegExp(`--${own.name} takes no value, but "1" follows it`));
    }
    const cancel = ['cancel', 'nov.csv', '--supplier', setup.supplier().url];
    await expectNothingDone([...cancel, '--dry-run=yes'], /--dry-run/);
    await expectNothingDone([...cancel, '--dry-run=ture'], /--dry-run/);
    await expectNothingDone([...cancel, '--dry-run', 'ture'], /--dry-run/);
    await expectNothingDone([...cancel, '--no-dry-run=true'], /--no-dry-run/);
    await expectNothingDone(['serials', 'export', '--unnotified=yes', '--mark-notified', '--out', 'serials.csv'], /--unnotified/);
    // A negation belongs to yes/no options only: --no-db would make the store path `false`.
    await expectNothingDone(['orders', 'list', '--no-db'], /--no-db/);
    await expectNothingDone([...cancel, '-q1'], /-q/);
  }, 240_000);

  it('a yes/no option still takes true and false, alone and negated', () => {
    const run = copySandbox(setup.sandbox());
    try {
      writeFileSync(join(run.dir, 'one.csv'), '契約番号,商品コード,解約数\nNCN202105-0000003108,M365-BB,1\n');
      const orders = () => runIn(run.dir, ['orders', 'list', '--lang', 'en', '--encoding', 'utf8']).stdout;
      const before = orders();
      for (const form of [['--dry-run'], ['--dry-run=true'], ['--dry-run', 'true']]) {
        const r = runIn(run.dir, ['cancel', 'one.csv', '--supplier', setup.supplier().url, ...form, '--lang', 'en']);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/dry run: nothing changed/);
      }
      expect(orders()).toBe(before);
      for (const form of [['--dry-run=false'], ['--no-dry-run']]) {
        const r = runIn(run.dir, ['cancel', 'one.csv', '--supplier', setup.supplier().url, '--until', 'requested', ...form, '--lang', 'en']);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).not.toMatch(/dry run/);
      }
      expect(
        orders()
          .split('\n')
          .filter((l) => l.includes('NCN202105-0000003108')),
      ).toHaveLength(1);
    } finally {
      run.cleanup();
    }
  });

  it('an option given twice that takes one value', async () => {
    for (const p of commandPaths()) await expectNothingDone([...baseArgs(p), '--lang', 'en', '--lang', 'ja'], /--lang/);
  });
});
