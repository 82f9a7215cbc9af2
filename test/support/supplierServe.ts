import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './cli.js';

/**
 * `kaiyaku supplier serve --port 0 …` as a child of the test, resolved once it prints the
 * URL it listens on (a free port chosen by the system).
 */
export function spawnSupplierServe(cwd: string, args: readonly string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'supplier', 'serve', '--port', '0', '--lang', 'en', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`supplier serve printed no URL: ${out} ${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /on (http:\/\/\S+) with/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.on('exit', (code) => reject(new Error(`supplier serve exited ${code}: ${err}`)));
  });
}
