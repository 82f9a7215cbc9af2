import type { Lang } from '../errors.js';

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
