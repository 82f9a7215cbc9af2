import { explainDateProblem, readBusinessDate, type IsoDate, KaiyakuError, words, type Lang, type Words } from '../index.js';
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

/** yargs' refusals, rewritten to name the argument, suggest the nearest known one, and point at --help. */
export function explainParseFailure(message: string, argv: readonly string[], state: ParseState): Words {
  const context = state.context;
  const where = ['kaiyaku', ...context.path].join(' ');
  const help = words(`(see ${where} --help)`, `（${where} --help を参照してください）`);
  const out = (w: Words): Words => words(`${w.en}\n${help.en}`, `${w.ja}\n${help.ja}`);
  /** The word typed where a subcommand goes. */
  const typed = argv[context.path.length];
  const unknownCommand = (name: string): Words => {
    const guess = nearest(name, context.subcommands);
    return words(
      `unknown command "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}; ${where} takes ${context.subcommands.join(', ')}`,
      `不明なコマンド「${name}」${guess ? `（「${guess}」のことですか?）` : ''}。${where} の後には ${context.subcommands.join('、')} のどれかを指定します`,
    );
  };

  // `--quiet 1` where no positional is taken: the stray "1" was meant for the yes/no option before it.
  const strayValue = /^(Unknown arguments?|Too many non-option arguments)/.test(message) && context.options ? yesNoProblems(argv, context.options) : [];
  if (strayValue.length > 0) return out(words(strayValue.map((p) => p.en).join('\n'), strayValue.map((p) => p.ja).join('\n')));
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
    const en: string[] = [];
    const ja: string[] = [];
    for (const name of names) {
      if (given.has(name)) {
        const guess = nearest(name, options);
        en.push(`unknown option ${dashed(name)}${guess ? ` (did you mean ${dashed(guess)}?)` : ''}`);
        ja.push(`不明なオプション ${dashed(name)}${guess ? `（${dashed(guess)} のことですか?）` : ''}`);
      } else if (context.subcommands.length > 0) {
        const w = unknownCommand(name);
        en.push(w.en);
        ja.push(w.ja);
      } else {
        en.push(`unexpected argument "${name}": ${where} takes no more arguments`);
        ja.push(`余分な引数「${name}」: ${where} にはこれ以上の引数は指定できません`);
      }
    }
    if (en.length > 0) return out(words(en.join('\n'), ja.join('\n')));
  }
  const choices = [...message.matchAll(/Argument: (\S+), Given: (.*?), Choices: (.*)/g)];
  if (choices.length > 0) {
    return out(
      words(
        choices.map((m) => `--${m[1]} cannot be ${m[2]}: use one of ${m[3]}`).join('\n'),
        choices.map((m) => `--${m[1]} に ${m[2]} は指定できません: ${m[3]} のどれかを指定してください`).join('\n'),
      ),
    );
  }
  const missingArg = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/.exec(message);
  if (missingArg) {
    if (context.subcommands.length > 0) {
      if (typed !== undefined && !typed.startsWith('-')) return out(unknownCommand(typed));
      return out(
        words(
          `name a command after ${where}: ${context.subcommands.join(', ')}`,
          `${where} の後にコマンドを指定してください: ${context.subcommands.join('、')}`,
        ),
      );
    }
    return out(words(`${where} needs more arguments`, `${where} に必要な引数が足りません`));
  }
  const missingOption = /^Missing required arguments?: (.*)$/.exec(message);
  if (missingOption) {
    const names = missingOption[1]!.split(', ').filter(kebab);
    return out(words(`${where} needs ${names.map((n) => `<${n}>`).join(', ')}`, `${where} には ${names.map((n) => `<${n}>`).join('、')} の指定が必要です`));
  }
  const tooMany = /^Too many non-option arguments: got (\d+), maximum of (\d+)$/.exec(message);
  if (tooMany && context.subcommands.length > 0 && typed !== undefined && !context.subcommands.includes(typed)) return out(unknownCommand(typed));
  if (tooMany)
    return out(
      words(
        `${where} takes at most ${tooMany[2]} argument(s); ${tooMany[1]} were given`,
        `${where} の引数は ${tooMany[2]} 個までです（${tooMany[1]} 個指定されました）`,
      ),
    );
  const noValue = /^Not enough arguments following: (.*)$/.exec(message);
  if (noValue) return out(words(`--${noValue[1]} needs a value`, `--${noValue[1]} には値が必要です`));
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
      problems.push(
        words(`--${name} is given ${value.length} times; give it once`, `--${name} が ${value.length} 回指定されています。1 回だけ指定してください`),
      );
      continue;
    }
    if (typeof value === 'string' && value.trim() === '') {
      problems.push(
        given.has(name)
          ? words(`--${name} needs a value; it was given empty`, `--${name} に値がありません（空で指定されています）`)
          : words(`<${name}> is empty; name it`, `<${name}> が空です`),
      );
      continue;
    }
    const rule = NUMBER_RULES[name];
    if (known.numbers.includes(name) && rule && typeof value === 'number') {
      const problem = numberProblem(name, value, rule);
      if (problem) problems.push(problem);
    }
  }
  if (problems.length > 0) throw usageFrom(problems);
}

function usageFrom(problems: readonly Words[]): KaiyakuError {
  return new KaiyakuError('USAGE', words(problems.map((p) => p.en).join('\n'), problems.map((p) => p.ja).join('\n')));
}

function numberProblem(name: string, value: number, rule: { min?: number; max?: number; integer?: boolean }): Words | null {
  const range =
    rule.min !== undefined && rule.max !== undefined
      ? words(`from ${rule.min} to ${rule.max}`, `${rule.min} 以上 ${rule.max} 以下`)
      : rule.min !== undefined
        ? words(`of at least ${rule.min}`, `${rule.min} 以上`)
        : words('', '');
  const kind = rule.integer ? words('a whole number', '整数') : words('a number', '数');
  // 「1 以上 1000 以下の整数」, or 「整数」 alone when there is no range.
  const wanted = words(`${kind.en}${range.en ? ` ${range.en}` : ''}`, range.ja ? `${range.ja}の${kind.ja}` : kind.ja);
  const bad =
    !Number.isFinite(value) ||
    (rule.integer && !Number.isInteger(value)) ||
    (rule.min !== undefined && value < rule.min) ||
    (rule.max !== undefined && value > rule.max);
  if (!bad) return null;
  const shown = Number.isNaN(value) ? words('not a number', '数ではありません') : words(String(value), String(value));
  // A space sets a number off from Japanese text (は 1 以上…), not a word (は整数で…).
  return words(
    `--${name} must be ${wanted.en} (got ${shown.en})`,
    `--${name} は${/^\d/.test(wanted.ja) ? ' ' : ''}${wanted.ja}で指定してください（指定値: ${shown.ja}）`,
  );
}

/** A date option's value read as a business date; a usage error that says what is wrong otherwise. */
export function dateArgument(name: string, value: string | undefined): IsoDate | undefined {
  if (value === undefined) return undefined;
  const reading = readBusinessDate(value.normalize('NFKC'));
  if (reading.ok) return reading.date;
  const why = explainDateProblem(value, reading);
  throw new KaiyakuError('USAGE', words(`--${name}: ${why.en}`, `--${name}: ${why.ja}`));
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
      if (!isYesNo(target, known))
        problems.push(
          words(
            `--${name}: --${target} is not a yes/no option and cannot be negated; leave it out instead`,
            `--${name}: --${target} は有無を指定するオプションではないため、--no- を付けられません。指定しないでください`,
          ),
        );
      else if (value !== undefined)
        problems.push(
          words(
            `--${name} takes no value (got "${value}"); write --${name} alone, or --${target}=false`,
            `--${name} には値を指定できません（指定値: 「${value}」）。--${name} だけか、--${target}=false と書いてください`,
          ),
        );
      return;
    }
    if (!isYesNo(name, known)) return;
    if (value !== undefined) {
      if (value !== 'true' && value !== 'false')
        problems.push(
          words(
            `${shown} is a yes/no option: give it alone, or as ${shown}=true or ${shown}=false (got "${value}")`,
            `${shown} は有無を指定するオプションです。${shown} だけ、または ${shown}=true か ${shown}=false と指定してください（指定値: 「${value}」）`,
          ),
        );
      return;
    }
    const next = typed[i + 1];
    if (next !== undefined && looksLikeYesNoValue(next)) {
      problems.push(
        words(
          `${shown} takes no value, but "${next}" follows it; write ${shown} alone (or ${shown}=false). If "${next}" is a file, write it as ./${next}`,
          `${shown} には値を指定できませんが、後ろに「${next}」があります。${shown} だけを指定してください（無効にするには ${shown}=false）。「${next}」がファイルなら ./${next} と書いてください`,
        ),
      );
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
