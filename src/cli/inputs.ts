import fs from 'node:fs';
import path from 'node:path';
import { KaiyakuError, usageError, words, copyStreamedInput, isStreamedInput, readsStdin, streamedName } from '../index.js';
import { say, type Said, type Words } from '../messages/index.js';

/** One input of a command as given, and the file that is read for it. */
export interface Input {
  given: string;
  /** The file read: `given` itself, or the copy of a streamed input. */
  path: string;
  /** How summaries and messages name it: `stdin` for standard input, else as given. */
  shown: string;
  /** Standard input, a pipe or a device: read once into a copy, with no folder beside it. */
  streamed: boolean;
}

/**
 * The inputs of a command, each named once, the streamed ones (standard input as `-` or
 * /dev/stdin, a FIFO, a device) copied once so they can be read as often as the command
 * needs. `reports` says where a command that writes reports puts them: `beside` each
 * input refuses a streamed one before reading it (reports would land in /dev, or nowhere);
 * `none` for a command that writes none.
 */
export async function takeInputs(files: readonly string[], reports: 'beside' | 'folder' | 'none'): Promise<Input[]> {
  const seen = new Map<string, string>();
  for (const file of files) {
    const key = readsStdin(file) ? 'stdin' : sameFileKey(file);
    const earlier = seen.get(key);
    if (earlier !== undefined && earlier !== file) throw usageError(say('cli.sameFileTwoNames', { earlier, file }));
    if (earlier !== undefined) throw usageError(say('cli.fileNamedTwice', { file }));
    seen.set(key, file);
  }
  const streamed = files.filter(isStreamedInput);
  const first = streamed[0];
  if (reports === 'beside' && first !== undefined) {
    throw usageError(
      say('cli.streamedInputNeedsReports', {
        file: first,
        source: readsStdin(first) ? 'stdin' : 'stream',
        name: streamedName(first).replace(/\.csv$/i, ''),
      }),
    );
  }
  const inputs: Input[] = [];
  for (const given of files) {
    const isStreamed = streamed.includes(given);
    inputs.push({ given, path: isStreamed ? await copyStreamedInput(given) : given, shown: readsStdin(given) ? 'stdin' : given, streamed: isStreamed });
  }
  return inputs;
}

/** One key for every name of one file: its device and inode (symlinks and hard links too), else its absolute path. */
function sameFileKey(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.dev}:${st.ino}`;
  } catch {
    return path.resolve(file);
  }
}

/** An error about an input's copy, told with the name the user knows it by. */
export function namedAsGiven(error: unknown, input: Input): unknown {
  if (!input.streamed || !(error instanceof KaiyakuError)) return error;
  const rename = (text: string) => text.replaceAll(input.path, input.shown);
  const renamed = words(rename(error.words.en), rename(error.words.ja));
  // A message said from the book keeps its key, with the name in its parameters too.
  const said = error.said;
  const told: Said | Words =
    said === null
      ? renamed
      : { ...renamed, key: said.key, params: Object.fromEntries(Object.entries(said.params).map(([k, v]) => [k, typeof v === 'string' ? rename(v) : v])) };
  return new KaiyakuError(error.code, told, {
    cause: error,
    kind: error.kind,
    ...(error.detail !== undefined ? { detail: error.detail } : {}),
  });
}
