import { type Lang } from '../index.js';

/** Where a command's words go: stderr for messages (stdout is the CSV's), in the chosen language and format. */
export interface Output {
  lang: Lang;
  /** `--log-format json`: one JSON event per stderr line, failures included. */
  json: boolean;
  quiet: boolean;
}

export function writeFailure(out: Pick<Output, 'json'>, message: string, name = 'failed'): void {
  process.stderr.write(out.json ? `${JSON.stringify({ at: new Date().toISOString(), kind: 'error', name, message })}\n` : `kaiyaku: ${message}\n`);
}

let readerMayStopEarly = true;

/**
 * A reader of standard output that stops early (`| head`, EPIPE) ends a list or a plain
 * export quietly: reading part of a list is normal. A command whose output counts only
 * when whole (a marking export to stdout) calls this before it writes, and then meets the
 * closed pipe as a failure of its own, which it reports.
 */
export function stdoutMustArriveWhole(): void {
  readerMayStopEarly = false;
}

/** Whether a closed standard output ends the command quietly (see stdoutMustArriveWhole). */
export function closedStdoutEndsQuietly(): boolean {
  return readerMayStopEarly;
}
