/**
 * `--log-format json`: stderr is one JSON event per line, for log shippers — the lock, the
 * resume, each file's start and end, files set aside or deferred, and supplier throttling.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { cancelCsv, drop, nightArgs, prepareBase, readSummary, setUpNight } from './helpers.js';

interface LogEvent {
  at: string;
  kind: string;
  name?: string;
  message: string;
  data?: Record<string, unknown>;
}

describe('--log-format json', () => {
  it('writes only JSON lines on stderr, naming every step of the night', async () => {
    const night = setUpNight('json', await prepareBase('json', 40));
    drop(night, 'a.csv', cancelCsv(night, 1, 40));
    drop(night, 'b-bad.csv', 'foo,bar\n1,2\n');
    drop(night, 'c-fresh.csv', cancelCsv(night, 1, 1), true);
    const r = await runCli(nightArgs(night, ['--sim-rate-limit', '20', '--log-format', 'json']), night.dir);
    expect(r.code, r.stderr).toBe(1); // a.csv was processed although b-bad.csv was refused

    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(0);
    const events = lines.map((l) => {
      expect(() => JSON.parse(l), `not JSON: ${l}`).not.toThrow();
      return JSON.parse(l) as LogEvent;
    });
    for (const e of events) {
      expect(Number.isNaN(Date.parse(e.at))).toBe(false);
      expect(typeof e.message).toBe('string');
    }
    const names = events.map((e) => e.name);
    for (const name of ['lock.taken', 'resume.finished', 'file.started', 'file.finished', 'file.set_aside', 'file.deferred', 'supplier.throttled'])
      expect(names).toContain(name);
    expect(names[0]).toBe('lock.taken');
    expect(names.filter((n) => n === 'file.started')).toHaveLength(2);
    expect(events.find((e) => e.name === 'file.finished')!.data).toMatchObject({ completed: 40, exitCode: 0 });
    expect(events.find((e) => e.name === 'file.set_aside')!.data).toMatchObject({ code: 'COLUMN_MISSING' });

    const s = readSummary(night);
    expect(s.supplier.throttled).toBeGreaterThan(0);
    expect(s.supplier.retries).toBeGreaterThan(0);
    expect(s.files.map((f) => [f.file, f.status])).toEqual([
      ['a.csv', 'archived'],
      ['b-bad.csv', 'set_aside'],
      ['c-fresh.csv', 'left_for_later'],
    ]);
  });
});
