/** `--log-format json` promises one JSON event per stderr line: a failure line is one too. */
const jsonLogs = (() => {
  const i = process.argv.lastIndexOf('--log-format');
  return process.argv.includes('--log-format=json') || (i !== -1 && process.argv[i + 1] === 'json');
})();

export function writeFailure(message: string, name = 'failed'): void {
  process.stderr.write(jsonLogs ? `${JSON.stringify({ at: new Date().toISOString(), kind: 'error', name, message })}\n` : `kaiyaku: ${message}\n`);
}
