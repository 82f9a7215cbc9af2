/**
 * What the command line says about its arguments (cli/validate.ts): what yargs refuses,
 * said again naming the argument and the nearest known one, and the values every command
 * checks before it prepares anything. `where` is the command as typed (`kaiyaku orders`);
 * `option` an option with its dashes (`--until`, `-q`); a list (`commands`, `names`) is
 * joined by `, `.
 */
import { entry } from './entry.js';
import type { Words } from './words.js';
import { jaList } from './cliWords.js';

/** What a number option takes, by `kind`. */
const NUMBER_KIND = {
  integer: { en: 'a whole number', ja: '整数' },
  number: { en: 'a number', ja: '数' },
} as const;
type NumberKind = keyof typeof NUMBER_KIND;
/** What a number option takes, said; a kind this version does not know, as its code. */
const kindOf = (kind: string, lang: 'en' | 'ja'): string => (NUMBER_KIND as Record<string, { en: string; ja: string }>)[kind]?.[lang] ?? kind;

/** The value given: as typed (text), or as read, where a value read that is no number at all (NaN) is said so. */
const given = (n: number | string, lang: 'en' | 'ja'): string =>
  typeof n === 'string' ? n : Number.isNaN(n) ? { en: 'not a number', ja: '数ではありません' }[lang] : String(n);

/** A space sets a number off from Japanese text (は 1 以上…), not a word (は整数で…). */
const spaced = (ja: string): string => `${/^\d/.test(ja) ? ' ' : ''}${ja}`;

export const CLI_ARGUMENTS_WORDS = {
  /** A refusal of the arguments (one or more lines), then where the command's help is. */
  'cli.seeHelp': entry<{ problem: Words; where: string }>(
    (p) => `${p.problem.en}\n(see ${p.where} --help)`,
    (p) => `${p.problem.ja}\n（${p.where} --help を参照してください）`,
  ),
  /** `guess`: the nearest command, or empty. */
  'cli.unknownCommand': entry<{ name: string; guess: string; where: string; commands: string }>(
    (p) => `unknown command "${p.name}"${p.guess ? ` (did you mean "${p.guess}"?)` : ''}; ${p.where} takes ${p.commands}`,
    (p) => `不明なコマンド「${p.name}」${p.guess ? `（「${p.guess}」のことですか?）` : ''}。${p.where} の後には ${jaList(p.commands)} のどれかを指定します`,
  ),
  /** `guess`: the nearest option, with its dashes, or empty. */
  'cli.unknownOption': entry<{ option: string; guess: string }>(
    (p) => `unknown option ${p.option}${p.guess ? ` (did you mean ${p.guess}?)` : ''}`,
    (p) => `不明なオプション ${p.option}${p.guess ? `（${p.guess} のことですか?）` : ''}`,
  ),
  'cli.unexpectedArgument': entry<{ name: string; where: string }>(
    (p) => `unexpected argument "${p.name}": ${p.where} takes no more arguments`,
    (p) => `余分な引数「${p.name}」: ${p.where} にはこれ以上の引数は指定できません`,
  ),
  /** `given` and `choices` as yargs writes them. */
  'cli.choiceInvalid': entry<{ option: string; given: string; choices: string }>(
    (p) => `${p.option} cannot be ${p.given}: use one of ${p.choices}`,
    (p) => `${p.option} に ${p.given} は指定できません: ${p.choices} のどれかを指定してください`,
  ),
  'cli.commandMissing': entry<{ where: string; commands: string }>(
    (p) => `name a command after ${p.where}: ${p.commands}`,
    (p) => `${p.where} の後にコマンドを指定してください: ${jaList(p.commands)}`,
  ),
  'cli.argumentsMissing': entry<{ where: string }>(
    (p) => `${p.where} needs more arguments`,
    (p) => `${p.where} に必要な引数が足りません`,
  ),
  /** `names`: the arguments missing, each as `<name>`. */
  'cli.argumentsRequired': entry<{ where: string; names: string }>(
    (p) => `${p.where} needs ${p.names}`,
    (p) => `${p.where} には ${jaList(p.names)} の指定が必要です`,
  ),
  'cli.argumentsTooMany': entry<{ where: string; max: number; given: number }>(
    (p) => `${p.where} takes at most ${p.max} argument(s); ${p.given} were given`,
    (p) => `${p.where} の引数は ${p.max} 個までです（${p.given} 個指定されました）`,
  ),
  'cli.optionValueMissing': entry<{ option: string }>(
    (p) => `${p.option} needs a value`,
    (p) => `${p.option} には値が必要です`,
  ),
  'cli.optionRepeated': entry<{ option: string; times: number }>(
    (p) => `${p.option} is given ${p.times} times; give it once`,
    (p) => `${p.option} が ${p.times} 回指定されています。1 回だけ指定してください`,
  ),
  'cli.optionEmpty': entry<{ option: string }>(
    (p) => `${p.option} needs a value; it was given empty`,
    (p) => `${p.option} に値がありません（空で指定されています）`,
  ),
  'cli.argumentEmpty': entry<{ name: string }>(
    (p) => `<${p.name}> is empty; name it`,
    (p) => `<${p.name}> が空です`,
  ),
  /** A number option out of its rule: 「1 以上 1000 以下の整数」. */
  'cli.numberNotInRange': entry<{ option: string; kind: NumberKind; min: number; max: number; value: number | string }>(
    (p) => `${p.option} must be ${kindOf(p.kind, 'en')} from ${p.min} to ${p.max} (got ${given(p.value, 'en')})`,
    (p) => `${p.option} は${spaced(`${p.min} 以上 ${p.max} 以下の${kindOf(p.kind, 'ja')}`)}で指定してください（指定値: ${given(p.value, 'ja')}）`,
  ),
  'cli.numberBelowMin': entry<{ option: string; kind: NumberKind; min: number; value: number | string }>(
    (p) => `${p.option} must be ${kindOf(p.kind, 'en')} of at least ${p.min} (got ${given(p.value, 'en')})`,
    (p) => `${p.option} は${spaced(`${p.min} 以上の${kindOf(p.kind, 'ja')}`)}で指定してください（指定値: ${given(p.value, 'ja')}）`,
  ),
  /** A number option with no range that is not what it takes (a whole number, a finite number). */
  'cli.numberNotOfKind': entry<{ option: string; kind: NumberKind; value: number | string }>(
    (p) => `${p.option} must be ${kindOf(p.kind, 'en')} (got ${given(p.value, 'en')})`,
    (p) => `${p.option} は${spaced(kindOf(p.kind, 'ja'))}で指定してください（指定値: ${given(p.value, 'ja')}）`,
  ),
  /** `--no-x` where `--x` (`target`) is not a yes/no option. */
  'cli.optionNotNegatable': entry<{ option: string; target: string }>(
    (p) => `${p.option}: ${p.target} is not a yes/no option and cannot be negated; leave it out instead`,
    (p) => `${p.option}: ${p.target} は有無を指定するオプションではないため、--no- を付けられません。指定しないでください`,
  ),
  'cli.negationWithValue': entry<{ option: string; target: string; value: string }>(
    (p) => `${p.option} takes no value (got "${p.value}"); write ${p.option} alone, or ${p.target}=false`,
    (p) => `${p.option} には値を指定できません（指定値: 「${p.value}」）。${p.option} だけか、${p.target}=false と書いてください`,
  ),
  /** A date option's value that is not a date; `problem`: what is wrong with it. */
  'cli.dateInvalid': entry<{ option: string; problem: Words }>(
    (p) => `${p.option}: ${p.problem.en}`,
    (p) => `${p.option}: ${p.problem.ja}`,
  ),
  'cli.yesNoValueInvalid': entry<{ option: string; value: string }>(
    (p) => `${p.option} is a yes/no option: give it alone, or as ${p.option}=true or ${p.option}=false (got "${p.value}")`,
    (p) =>
      `${p.option} は有無を指定するオプションです。${p.option} だけ、または ${p.option}=true か ${p.option}=false と指定してください（指定値: 「${p.value}」）`,
  ),
  /** A word after a yes/no option that was meant as its value (`--dry-run 1`). */
  'cli.yesNoFollowedByValue': entry<{ option: string; next: string }>(
    (p) =>
      `${p.option} takes no value, but "${p.next}" follows it; write ${p.option} alone (or ${p.option}=false). If "${p.next}" is a file, write it as ./${p.next}`,
    (p) =>
      `${p.option} には値を指定できませんが、後ろに「${p.next}」があります。${p.option} だけを指定してください（無効にするには ${p.option}=false）。「${p.next}」がファイルなら ./${p.next} と書いてください`,
  ),
} as const;
