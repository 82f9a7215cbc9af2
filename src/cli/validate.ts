import { explainDateProblem, readBusinessDate, type IsoDate, KaiyakuError, usageError, words, type Lang, type Words } from '../index.js';
import { joinWords, say } from '../messages/index.js';
import type { KnownOptions, ParseState } from './command.js';

/**
 * Checks of argument values that yargs does not make, shared by every command, and the
 * words for what yargs itself refuses. Everything here runs before any store is opened.
 */

/**
 * The last value given for `--name` in raw arguments. Only for a message about arguments
 * that could not be parsed (which language, which log format): nothing else reads argv.
 */
export function lastValueInArgv(argv: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  argv.forEach((arg, i) => {
    if (arg.startsWith(`--${name}=`)) found = arg.slice(name.length + 3);
    else if (arg === `--${name}`) found = argv[i + 1];
  });
  return found;
}

export function langOfArgv(argv: readonly string[]): Lang {
  const value = lastValueInArgv(argv, 'lang');
  return value === 'en' ? 'en' : 'ja';
}

/** The number of single-character edits between two words (Levenshtein). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The closest candidate, if it is close enough to be what was meant. */
export function nearest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 3 ? 0.5 : editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

const kebab = (name: string): boolean => !/[A-Z]/.test(name);
const camelCase = (name: string): string => name.replace(/-+([^-])/g, (_, c: string) => c.toUpperCase());
const dashed = (name: string): string => (name.length === 1 ? `-${name}` : `--${name}`);

/** Messages one per line, in each language. */
function lines(said: readonly Words[]): Words {
  return joinWords(said, '\n');
}

/** yargs' refusals, rewritten to name the argument, suggest the nearest known one, and point at --help. */
export function explainParseFailure(message: string, argv: readonly string[], state: ParseState): Words {
  const context = state.context;
  const where = ['kaiyaku', ...context.path].join(' ');
  const out = (problem: Words): Words => say('cli.seeHelp', { problem, where });
  /** The word typed where a subcommand goes. */
  const typed = argv[context.path.length];
  const commands = context.subcommands.join(', ');
  const unknownCommand = (name: string): Words => say('cli.unknownCommand', { name, guess: nearest(name, context.subcommands) ?? '', where, commands });

  // `--quiet 1` where no positional is taken: the stray "1" was meant for the yes/no option before it.
  const strayValue = /^(Unknown arguments?|Too many non-option arguments)/.test(message) && context.options ? yesNoProblems(argv, context.options) : [];
  if (strayValue.length > 0) return out(lines(strayValue));
  // A word where a subcommand goes that names none: everything after it belonged to the
  // command that was meant, so the one thing to say is which command that probably was.
  if (context.subcommands.length > 0 && typed !== undefined && !typed.startsWith('-') && !context.subcommands.includes(typed))
    return out(unknownCommand(typed));
  const unknown = /^Unknown arguments?: (.*)$/s.exec(message);
  if (unknown) {
    // yargs names an unknown option twice, as typed and in camelCase: keep the form typed.
    const listed = unknown[1]!.split(', ');
    const names = listed.filter((name) => !listed.some((other) => other !== name && camelCase(other) === name));
    const given = new Set(argv.filter((a) => a.startsWith('-')).map((a) => a.replace(/^-+/, '').split('=')[0]!));
    const options = (context.options?.names ?? []).filter(kebab);
    const said: Words[] = [];
    for (const name of names) {
      if (given.has(name)) {
        const guess = nearest(name, options);
        said.push(say('cli.unknownOption', { option: dashed(name), guess: guess ? dashed(guess) : '' }));
      } else if (given.has(`no-${name}`)) {
        // `--no-dry-rn`: yargs names it without its `no-`, as if it were a stray argument.
        const guess = nearest(name, (context.options?.booleans ?? []).filter(kebab));
        said.push(say('cli.unknownOption', { option: `--no-${name}`, guess: guess ? `--no-${guess}` : '' }));
      } else if (context.subcommands.length > 0) said.push(unknownCommand(name));
      else said.push(say('cli.unexpectedArgument', { name, where }));
    }
    if (said.length > 0) return out(lines(said));
  }
  const choices = [...message.matchAll(/Argument: (\S+), Given: (.*?), Choices: (.*)/g)];
  if (choices.length > 0) return out(lines(choices.map((m) => say('cli.choiceInvalid', { option: `--${m[1]!}`, given: m[2]!, choices: m[3]! }))));
  const missingArg = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/.exec(message);
  if (missingArg) {
    if (context.subcommands.length > 0) {
      if (typed !== undefined && !typed.startsWith('-')) return out(unknownCommand(typed));
      return out(say('cli.commandMissing', { where, commands }));
    }
    return out(say('cli.argumentsMissing', { where }));
  }
  const missingOption = /^Missing required arguments?: (.*)$/.exec(message);
  if (missingOption) {
    const names = missingOption[1]!.split(', ').filter(kebab);
    return out(say('cli.argumentsRequired', { where, names: names.map((n) => `<${n}>`).join(', ') }));
  }
  const tooMany = /^Too many non-option arguments: got (\d+), maximum of (\d+)$/.exec(message);
  if (tooMany && context.subcommands.length > 0 && typed !== undefined && !context.subcommands.includes(typed)) return out(unknownCommand(typed));
  if (tooMany) return out(say('cli.argumentsTooMany', { where, max: Number(tooMany[2]), given: Number(tooMany[1]) }));
  const noValue = /^Not enough arguments following: (.*)$/.exec(message);
  if (noValue) return out(say('cli.optionValueMissing', { option: `--${noValue[1]!}` }));
  // A refusal this version does not know: yargs' own words, in both languages.
  return out(words(message, message));
}

/** Rules for every numeric option, by name: the same name means the same rule on every command. */
const NUMBER_RULES: Record<string, { min?: number; max?: number; integer?: boolean }> = {
  concurrency: { min: 1, max: 1000, integer: true },
  'sim-latency-ms': { min: 0, max: 600_000 },
  'sim-fail-rate': { min: 0, max: 1 },
  'sim-rate-limit': { min: 0 },
  'sim-async-rate': { min: 0, max: 1 },
  'sim-seed': { integer: true },
  'latency-ms': { min: 0, max: 600_000 },
  'fail-rate': { min: 0, max: 1 },
  'rate-limit': { min: 0 },
  'async-rate': { min: 0, max: 1 },
  seed: { integer: true },
  port: { min: 0, max: 65_535, integer: true },
  'settle-seconds': { min: 0, max: 86_400 },
  'repeat-days': { min: 0, max: 36_500, integer: true },
  'supplier-timeout-ms': { min: 1, max: 600_000 },
  'supplier-circuit-threshold': { min: 0, max: 100_000, integer: true },
  'supplier-budget-seconds': { min: 1, max: 604_800, integer: true },
};

/**
 * What every command checks before it prepares anything: an option given twice that takes
 * one value, an empty value, a number out of its range. Yargs accepts all three.
 */
export function checkArguments(args: Record<string, unknown>, known: KnownOptions, argv: readonly string[]): void {
  // A misread yes/no option also shows as a bogus repeat (`--no-db` makes --db [x, false]): say only what was typed wrong.
  const yesNo = yesNoProblems(argv, known);
  if (yesNo.length > 0) throw usageFrom(yesNo);
  const problems: Words[] = [];
  const given = new Set(argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]!));
  for (const name of known.names.filter(kebab)) {
    const value = args[name];
    if (value === undefined) continue;
    if (Array.isArray(value) && !known.arrays.includes(name)) {
      problems.push(say('cli.optionRepeated', { option: `--${name}`, times: value.length }));
      continue;
    }
    if (typeof value === 'string' && value.trim() === '') {
      problems.push(given.has(name) ? say('cli.optionEmpty', { option: `--${name}` }) : say('cli.argumentEmpty', { name }));
      continue;
    }
    const rule = NUMBER_RULES[name];
    if (known.numbers.includes(name) && rule && typeof value === 'number') {
      // Checked as typed: yargs reads `0x10` as 16, `1e3` as 1000 and an empty value as 0.
      const text = typedValue(argv, name, known.aliases[name] ?? []);
      if (text !== null && text.trim() === '') {
        problems.push(say('cli.optionEmpty', { option: `--${name}` }));
        continue;
      }
      const problem = numberProblem(name, value, rule, text);
      if (problem) problems.push(problem);
    }
  }
  if (problems.length > 0) throw usageFrom(problems);
}

function usageFrom(problems: readonly Words[]): KaiyakuError {
  // One problem keeps the book's key and parameters; several are said one per line.
  return new KaiyakuError('USAGE', problems.length === 1 ? problems[0]! : lines(problems));
}

/** A number as a person writes one in decimal: `16`, `-1`, `0.5`, `.5` (no `0x10`, `1e3`, `1_000`). */
const DECIMAL = /^[-+]?(\d+(\.\d*)?|\.\d+)$/;

/** What was typed after `--name` (or one of its aliases), the last time it was; null if it was not typed. */
function typedValue(argv: readonly string[], name: string, aliases: readonly string[]): string | null {
  const flags = new Set([name, ...aliases].map(dashed));
  let typed: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    const eq = a.indexOf('=');
    if (eq > 0 && flags.has(a.slice(0, eq))) typed = a.slice(eq + 1);
    else if (flags.has(a) && i + 1 < argv.length) typed = argv[++i]!;
  }
  return typed;
}

/** A number option's value against its rule; `text`, what was typed, is what the message shows and must be a decimal number. */
function numberProblem(name: string, value: number, rule: { min?: number; max?: number; integer?: boolean }, text: string | null = null): Words | null {
  const bad =
    (text !== null && !DECIMAL.test(text.trim())) ||
    !Number.isFinite(value) ||
    (rule.integer && !Number.isInteger(value)) ||
    (rule.min !== undefined && value < rule.min) ||
    (rule.max !== undefined && value > rule.max);
  if (!bad) return null;
  const said = { option: `--${name}`, kind: rule.integer ? ('integer' as const) : ('number' as const), value: text ?? value };
  // 「1 以上 1000 以下の整数」, 「0 以上の数」, or 「整数」 alone when there is no range.
  if (rule.min !== undefined && rule.max !== undefined) return say('cli.numberNotInRange', { ...said, min: rule.min, max: rule.max });
  if (rule.min !== undefined) return say('cli.numberBelowMin', { ...said, min: rule.min });
  return say('cli.numberNotOfKind', said);
}

/** A date option's value read as a business date; a usage error that says what is wrong otherwise. */
export function dateArgument(name: string, value: string | undefined): IsoDate | undefined {
  if (value === undefined) return undefined;
  const reading = readBusinessDate(value.normalize('NFKC'));
  if (reading.ok) return reading.date;
  throw usageError(say('cli.dateInvalid', { option: `--${name}`, problem: explainDateProblem(value, reading) }));
}

/**
 * A yes/no option takes no value, or exactly `true` or `false`. yargs reads any other
 * value as false (`--dry-run=1`, `=yes`, the typo `=ture`: a real run), and a word after
 * the option as a positional argument (`--dry-run 1` names a file "1"). Both are refused
 * here, from the arguments as typed, for every yes/no option of every command. `--no-x`
 * (yargs' negation) means `--x=false` and takes no value either; an option that is not
 * yes/no cannot be negated (`--no-db` would make the store path `false`).
 */
export function yesNoProblems(argv: readonly string[], known: KnownOptions): Words[] {
  const problems: Words[] = [];
  const end = argv.indexOf('--');
  const typed = end === -1 ? argv : argv.slice(0, end);
  typed.forEach((token, i) => {
    const option = optionToken(token);
    if (option === null) return;
    const { shown, name, value } = option;
    const negated = option.long && name.startsWith('no-') && !isKnown(name, known) && isKnown(name.slice(3), known);
    if (negated) {
      const target = name.slice(3);
      if (!isYesNo(target, known)) problems.push(say('cli.optionNotNegatable', { option: `--${name}`, target: `--${target}` }));
      else if (value !== undefined) problems.push(say('cli.negationWithValue', { option: `--${name}`, target: `--${target}`, value }));
      return;
    }
    if (!isYesNo(name, known)) return;
    if (value !== undefined) {
      if (value !== 'true' && value !== 'false') problems.push(say('cli.yesNoValueInvalid', { option: shown, value }));
      return;
    }
    const next = typed[i + 1];
    if (next !== undefined && looksLikeYesNoValue(next)) {
      problems.push(say('cli.yesNoFollowedByValue', { option: shown, next }));
    }
  });
  return problems;
}

/** `--name[=value]` or `-n[=value]`, as typed; null for a positional argument or a negative number. */
function optionToken(token: string): { long: boolean; shown: string; name: string; value: string | undefined } | null {
  const long = /^--([^=]+)(?:=([\s\S]*))?$/.exec(token);
  if (long) return { long: true, shown: `--${long[1]!}`, name: long[1]!, value: long[2] };
  const short = /^-([A-Za-z])(=?)([\s\S]*)$/.exec(token);
  if (!short) return null;
  // `-q` alone, `-qh` (two flags), `-q=1`, or `-q1` (yargs reads the rest as -q's value).
  const bare = short[2] === '' && /^[A-Za-z]*$/.test(short[3]!);
  return { long: false, shown: `-${short[1]!}`, name: short[1]!, value: bare ? undefined : short[3] };
}

const kebabOf = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function namesOf(name: string, known: KnownOptions): string[] {
  const own = [name, kebabOf(name)];
  return [
    ...own,
    ...own.flatMap((n) => known.aliases[n] ?? []),
    ...Object.entries(known.aliases)
      .filter(([, list]) => own.some((n) => list.includes(n)))
      .map(([main]) => main),
  ];
}

function isKnown(name: string, known: KnownOptions): boolean {
  return namesOf(name, known).some((n) => known.names.includes(n) || known.booleans.includes(n));
}

function isYesNo(name: string, known: KnownOptions): boolean {
  return namesOf(name, known).some((n) => known.booleans.includes(n));
}

const YES_NO_WORDS = new Set(['yes', 'no', 'y', 'n', 'on', 'off', 'true', 'false']);

/**
 * A word after a yes/no option that was meant as its value: a number, yes/no/on/off, or
 * true/false in another case or misspelt (`True`, `ture`, `flase`). yargs itself takes an
 * exact `true` or `false` as the value, so those never get here. A path (with `.` or `/`)
 * is never one: `--dry-run nov.csv` names a file.
 */
function looksLikeYesNoValue(word: string): boolean {
  if (word === 'true' || word === 'false' || /[./\\]/.test(word)) return false;
  const lower = word.toLowerCase();
  if (/^\d+$/.test(lower) || YES_NO_WORDS.has(lower)) return true;
  return lower.length >= 3 && lower.length <= 6 && (editDistance(lower, 'true') <= 2 || editDistance(lower, 'false') <= 2);
}
