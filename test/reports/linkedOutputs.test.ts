/**
 * An output named through a symbolic link is written where the link leads: the link stays
 * a link, and the file it points at (a finance share, a redirected /dev/stdout) gets the
 * rows. Writing beside the name and renaming over it replaced the link with a regular
 * file: the share never got the rows, and a run with --out /dev/stdout replaced the
 * system's /dev/stdout.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('outputs named through a symbolic link', () => {
  it('are written where the link leads, and the link stays a link', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-linked-'));
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, 'share'));
    fs.writeFileSync(path.join(dir, 'share', 'finance.csv'), 'old\n');
    fs.symlinkSync('share/finance.csv', path.join(dir, 'myout'));
    fs.symlinkSync('share', path.join(dir, 'via'));
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--db', 'k.db'], { cwd: dir, encoding: 'utf8' });
    expect(run('contracts', 'import', path.resolve('fixtures/contracts.csv'), '-q').status).toBe(0);
    expect(run('contracts', 'list', '--out', 'myout', '--lang', 'en', '--encoding', 'utf8').status).toBe(0);
    expect(fs.lstatSync(path.join(dir, 'myout')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'share', 'finance.csv'), 'utf8')).toMatch(/^no,status,contract_no/);
    // A folder on the way that is a link: the file lands where it leads, and no link is replaced.
    expect(run('orders', 'list', '--out', 'via/orders.csv', '--lang', 'en', '--encoding', 'utf8').status).toBe(0);
    expect(fs.lstatSync(path.join(dir, 'via')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'share', 'orders.csv'), 'utf8')).toMatch(/^no,order_no/);
  });
});
