import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, generate, useTempDir } from '../support/setup.js';
import { readResult } from './harness.js';

const tmp = useTempDir();
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const ROWS = 30;
const LATE = 2;
const SLOW = 3;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function kaiyaku(args: string[], cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env['KAIYAKU_DB'];
    const child = spawn(process.execPath, [MAIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const servers: ChildProcess[] = [];
afterAll(() => {
  for (const s of servers) if (s.exitCode === null && s.pid !== undefined) s.kill('SIGKILL');
});

/** `kaiyaku supplier serve --port 0`: the URL it prints is the one to use. */
function serve(args: string[], cwd: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [MAIN, 'supplier', 'serve', '--port', '0', '--lang', 'en', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`supplier serve printed no URL: ${out} ${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /on (http:\/\/\S+) with (\d+) subscriptions/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`supplier serve exited ${code}: ${err}`));
    });
  });
}

describe('the CLI against `kaiyaku supplier serve`', () => {
  it('cancel exits 1 while rows are pending or refused; orders resume settles the rest; the server stops on SIGTERM', async () => {
    expect(fs.existsSync(MAIN), 'run npm run build first').toBe(true);
    const dir = tmp.make('cli');
    const gen = await generate({ rows: ROWS, out: dir, late: LATE, slow: SLOW, prefix: 'CLI' });
    const db = path.join(dir, 'cli.db');
    const common = ['--db', db, '--operator', 'test', '--quiet'];

    const imported = await kaiyaku(['contracts', 'import', gen.contracts, ...common], dir);
    expect(imported.code, imported.stderr).toBe(0);

    const { child: server, url } = await serve(['--db', db, '--latency-ms', '2', '--fail-rate', '0.1', '--async-rate', '0.3', '--seed', '5'], dir);
    const linkArgs = ['--supplier', url, '--concurrency', '16'];

    const cancel = await kaiyaku(['cancel', gen.cancel, ...common, ...linkArgs, '--lang', 'en', '--report-encoding', 'utf8', '--reports', dir], dir);
    expect(cancel.code, cancel.stderr).toBe(1);
    const rows = readResult(path.join(dir, 'cancel.result.csv'));
    expect(rows).toHaveLength(ROWS);
    for (const r of rows) {
      const i = Number(r.contract_no.slice(-10));
      if (i <= LATE) expect([r.result, r.error_code, r.linkage_status]).toEqual(['failed', 'SUPPLIER_REJECTED', 'failed']);
      else if (i <= LATE + SLOW) expect([r.result, r.linkage_status]).toEqual(['pending', 'pending']);
      else expect(['completed', 'pending']).toContain(r.result);
    }
    const errorsFile = fs.readFileSync(path.join(dir, 'cancel.errors.csv'), 'utf8');
    expect(errorsFile.trim().split('\n')).toHaveLength(1 + LATE);

    // Resume until only the refused NCE-LATE orders are open, each named with what an operator
    // must do: exit 1 all along, since they need a person (the same-file run below shows that
    // they stay as they are).
    const stillOpen: number[] = [];
    for (let i = 0; i < 6; i++) {
      const resume = await kaiyaku(['orders', 'resume', ...common.filter((a) => a !== '--quiet'), ...linkArgs, '--lang', 'en'], dir);
      const m = /still open (\d+) \(waiting (\d+), need an operator (\d+)\)/.exec(resume.stdout);
      expect(m, resume.stdout).not.toBeNull();
      stillOpen.push(Number(m![1]));
      expect(Number(m![3])).toBe(LATE);
      expect(resume.stdout.split('\n').filter((l) => l.startsWith('action needed: ') && l.includes('kaiyaku orders withdraw-acceptance NOD'))).toHaveLength(
        LATE,
      );
      expect(resume.code, resume.stdout).toBe(1);
      if (stillOpen.at(-1) === LATE) {
        expect(Number(m![2])).toBe(0);
        break;
      }
    }
    expect(stillOpen.at(-1)).toBe(LATE);
    console.log(`[linkage cli] open orders after each resume: ${stillOpen.join(' → ')}`);

    // The same file again: done rows are already_done, the refused ones still failed.
    const again = await kaiyaku(['cancel', gen.cancel, ...common, ...linkArgs, '--lang', 'en', '--report-encoding', 'utf8', '--reports', dir], dir);
    expect(again.code).toBe(1);
    const againRows = readResult(path.join(dir, 'cancel.result.csv'));
    expect(againRows.filter((r) => r.result === 'already_done')).toHaveLength(ROWS - LATE);
    expect(againRows.filter((r) => r.result === 'failed')).toHaveLength(LATE);

    const stats = (await (await fetch(`${url}/_sim/stats`)).json()) as { subscriptions: Record<string, { quantity: number; pending: boolean }> };
    expect(Object.values(stats.subscriptions).every((s) => !s.pending)).toBe(true);

    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
