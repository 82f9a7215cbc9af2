import { entry } from './entry.js';
import type { Words } from './words.js';
/** What the files room says. */
export const FILES_WORDS = {
  'files.diskFull': entry<{ where: Words; code: string }>(
    (p) => `${p.where.en}: the disk is full (${p.code}). Free some space and run the same command again: nothing was left half-written`,
    (p) =>
      `${p.where.ja}: ディスクの空きがありません（${p.code}）。空きを作ってから同じコマンドをもう一度実行してください（書きかけのまま残ったものはありません）`,
  ),
  'files.cannotWrite': entry<{ path: string }>(
    (p) => `cannot write ${p.path}`,
    (p) => `${p.path} を書き込めません`,
  ),
  'files.cannotWriteBecause': entry<{ path: string; reason: string }>(
    (p) => `cannot write ${p.path}: ${p.reason}`,
    (p) => `${p.path} を書き込めません: ${p.reason}`,
  ),
  'files.noSuchFile': entry<{ path: string }>(
    (p) => `no such file: ${p.path}`,
    (p) => `ファイルがありません: ${p.path}`,
  ),
  'files.folderNotFile': entry<{ path: string }>(
    (p) => `${p.path} is a folder, not a file`,
    (p) => `${p.path} はフォルダーです（ファイルを指定してください）`,
  ),
  'files.cannotRead': entry<{ path: string; reason: string }>(
    (p) => `cannot read ${p.path}: ${p.reason}`,
    (p) => `${p.path} を読み込めません: ${p.reason}`,
  ),
  'files.folderMissing': { en: 'the folder does not exist', ja: 'フォルダーがありません' },
  'files.folderIsFile': { en: 'this is a file, not a folder', ja: 'フォルダーではなくファイルです' },
  'files.outputIsFolder': { en: 'this is a folder; give a file name', ja: 'フォルダーです。ファイル名を指定してください' },
  'files.outputNotRegular': {
    en: 'this is not a regular file (a device or a pipe); give a file name, or leave the option out where the output can go to standard output',
    ja: '通常のファイルではありません（デバイスかパイプ）。ファイル名を指定するか、標準出力に書き出せる場合はこのオプションを省いてください',
  },
  'files.parentMissing': entry<{ parent: string }>(
    (p) => `the folder ${p.parent} does not exist`,
    (p) => `フォルダー ${p.parent} がありません`,
  ),
  'files.parentIsFile': entry<{ parent: string }>(
    (p) => `${p.parent} is a file, not a folder`,
    (p) => `${p.parent} はフォルダーではなくファイルです`,
  ),
  'files.newFolderIsFile': { en: 'this is a file, not a folder', ja: 'フォルダーではなくファイルです' },
  'files.pathPartIsFile': entry<{ p: string }>(
    (p) => `${p.p} is a file, so the folder cannot be created`,
    (p) => `${p.p} がファイルのため、フォルダーを作れません`,
  ),
  'files.noPathPart': { en: 'no part of the path exists', ja: 'パスのどの部分も存在しません' },
  'files.pathThroughFile': { en: 'a part of the path is a file, not a folder', ja: 'パスの途中にフォルダーではなくファイルがあります' },
  'files.folderNotWritable': entry<{ where: string; reasonOf: string; where2: string }>(
    (p) => `no file can be created in the folder${p.where} (${p.reasonOf})`,
    (p) => `フォルダー${p.where2}にファイルを作成できません（${p.reasonOf}）`,
  ),
  'files.unwritable': entry<{ option: string; target: string; why: Words }>(
    (p) => `${p.option} ${p.target}: ${p.why.en}; nothing was done`,
    (p) => `${p.option} ${p.target}: ${p.why.ja}。何も行っていません`,
  ),
  'files.wouldReplace': entry<{ what: Words }>(
    (p) => `is ${p.what.en}: writing there would destroy it. Give another path`,
    (p) => `は${p.what.ja}です。書き込むと壊れてしまいます。別のパスを指定してください`,
  ),
  'files.insideInputFolder': entry<{ what: Words }>(
    (p) => `is inside ${p.what.en}, which is for files to process only. Give a path outside it`,
    (p) => `は${p.what.ja}の中です。そこには処理するファイルだけを置きます。その外のパスを指定してください`,
  ),
  'files.wouldBeInput': entry<{ what: Words }>(
    (p) => `is ${p.what.en}: what is put there would be taken as input again. Give another folder`,
    (p) => `は${p.what.ja}です。そこに置いたファイルがまた入力として読まれてしまいます。別のフォルダーを指定してください`,
  ),
  'files.landsOnGuarded': entry<{ o: Words; target: string; why: Words }>(
    (p) => `${p.o.en} ${p.target} ${p.why.en}; nothing was done`,
    (p) => `${p.o.ja} ${p.target} ${p.why.ja}。何も行っていません`,
  ),
  'files.stdinIsTerminal': entry<{ given: string }>(
    (p) => `${p.given}: standard input is the terminal; pipe or redirect the file into it (kaiyaku cancel - --reports out < nov.csv)`,
    (p) => `${p.given}: 標準入力が端末のままです。ファイルをパイプかリダイレクトで渡してください（kaiyaku cancel - --reports out < nov.csv）`,
  ),
} as const;
