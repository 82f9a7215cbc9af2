import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The same CLI on PostgreSQL, when a server is given (KAIYAKU_TEST_PG_URL, an empty
 * database this test may fill). CI has none yet: the PostgreSQL issue brings one.
 */
const url = process.env['KAIYAKU_TEST_PG_URL'];
const BIN = path.resolve('dist/cli/main.js');

describe.skipIf(!url)('PostgreSQL store', () => {
  it('runs the fixture cancellation end to end, and the same file again is already done', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-pg-'));
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--db', url!], { encoding: 'utf8' });
    expect(run('contracts', 'import', 'fixtures/contracts.csv', '-q').status).toBe(0);
    const input = path.join(dir, 'in.csv');
    fs.copyFileSync('fixtures/cancel-sample.csv', input);
    expect(run('cancel', input, '--lang', 'en', '-q').status).toBe(1);
    const results = () => fs.readFileSync(path.join(dir, 'in.result.csv'), 'utf8').trim().split('\r\n').slice(1).map((l) => l.split(',')[5]);
    expect(results()).toEqual(['completed', 'completed', 'completed', 'completed', 'refused']);
    expect(run('cancel', input, '--lang', 'en', '-q').status).toBe(1);
    expect(results()).toEqual(['already_done', 'already_done', 'already_done', 'already_done', 'refused']);
  });
});
