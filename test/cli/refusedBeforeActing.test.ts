/**
 * The cases that once acted before refusing, or refused untruthfully, each exactly as it
 * was met, through the real CLI in a copy of an operator's folder.
 */
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asNobody, NOBODY } from '../support/asNobody.js';
import { runCli } from '../support/cli.js';
import { buildSandbox, copySandbox, runIn, snapshot, type Sandbox } from '../support/sandbox.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await buildSandbox();
}, 180_000);
afterAll(() => sandbox?.cleanup());

/** Runs one case in a fresh copy and hands back the folder's state before and after. */
async function inCopy<T>(fn: (dir: string, before: Record<string, string>) => Promise<T>): Promise<T> {
  const run = copySandbox(sandbox);
  try {
    return await fn(run.dir, snapshot(run.dir));
  } finally {
    run.cleanup();
  }
}

describe('a typo never acts', () => {
  it.each([
    [['cancel', 'nov.csv', '--dry-rn'], /--dry-rn[\s\S]*--dry-run/],
    [['cancel', 'nov.csv', '--until', 'completd'], /--until/],
    [['serials', 'export', '--mark-notifed'], /--mark-notifed[\s\S]*--mark-notified/],
    [['cancel', '--inbox', 'inbox', '--archiv', 'arch'], /--archiv[\s\S]*--archive/],
    [['cancel', 'nov.csv', '--sim-fail-rate', '1.5'], /--sim-fail-rate/],
    [['cancel', 'nov.csv', '--sim-latency-ms', 'abc'], /--sim-latency-ms/],
    [['cancel', 'nov.csv', '--concurrency', '0'], /--concurrency/],
    [['cancel', 'nov.csv', '--end-date', '2030-02-29'], /2030-02-29/],
    [['serials', 'export', '--from', '2026-12-31', '--to', '2026-01-01'], /--from[\s\S]*--to/],
  ])('kaiyaku %j: exit 2, the argument named, nothing changed', async (args, named) => {
    await inCopy(async (dir, before) => {
      const r = await runIn(dir, args as string[]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(named as RegExp);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(snapshot(dir)).toEqual(before);
    });
  });

  it('says in English what it says in Japanese, whole: --lang en', async () => {
    await inCopy(async (dir) => {
      const r = await runIn(dir, ['cancel', 'nov.csv', '--dry-rn', '--lang', 'en']);
      expect(r.stderr).toContain('unknown option --dry-rn (did you mean --dry-run?)');
      const ja = await runIn(dir, ['cancel', 'nov.csv', '--dry-rn']);
      expect(ja.stderr).toContain('不明なオプション --dry-rn（--dry-run のことですか?）');
    });
  });

  it('an impossible date says the day does not exist, not that the format is wrong', async () => {
    await inCopy(async (dir) => {
      const r = await runIn(dir, ['cancel', 'nov.csv', '--end-date', '2030-02-29', '--lang', 'en']);
      expect(r.stderr).toContain('2030-02 has 28 days');
      const format = await runIn(dir, ['cancel', 'nov.csv', '--end-date', 'tomorrow', '--lang', 'en']);
      expect(format.stderr).toContain('2026-01-05, 2026/01/05, 2026/1/5, 20260105');
    });
  });

  it('--lang is accepted by every command: withdraw-acceptance --lang en acts and exits 0', async () => {
    await inCopy(async (dir) => {
      const r = await runIn(dir, ['orders', 'withdraw-acceptance', sandbox.orders.acceptedUnlinked, '--lang', 'en']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('acceptance withdrawn');
    });
  });
});

describe('destinations are checked before the work', () => {
  it('a report folder that does not exist: exit 2, no order created', async () => {
    await inCopy(async (dir, before) => {
      const r = await runIn(dir, ['cancel', 'nov.csv', '--reports', 'reprts-typo']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('--reports');
      expect(snapshot(dir)).toEqual(before);
    });
  });

  it('a summary JSON in a folder that does not exist: exit 2, the night untouched', async () => {
    await inCopy(async (dir, before) => {
      const r = await runIn(dir, ['cancel', '--inbox', 'inbox', '--settle-seconds', '0', '--summary-json', '/nonexistent/x.json']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('--summary-json');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(snapshot(dir)).toEqual(before);
    });
  });

  it('an archive under a file: exit 2, the night untouched', async () => {
    await inCopy(async (dir, before) => {
      const r = await runIn(dir, ['cancel', '--inbox', 'inbox', '--settle-seconds', '0', '--archive', 'nov.csv/archive']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('--archive');
      expect(snapshot(dir)).toEqual(before);
    });
  });

  it('--out in a folder that does not exist: exit 2', async () => {
    await inCopy(async (dir, before) => {
      const r = await runIn(dir, ['orders', 'list', '--out', 'nowhere/orders.csv']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('--out');
      expect(snapshot(dir)).toEqual(before);
    });
  });
});

describe('reports never overwrite each other', () => {
  it('two inputs with one base name get distinct reports, and the summary names each', async () => {
    await inCopy(async (dir) => {
      const header = readFileSync(join(dir, 'nov.csv'), 'utf8').split('\n')[0];
      mkdirSync(join(dir, 'tokyo'));
      mkdirSync(join(dir, 'osaka'));
      mkdirSync(join(dir, 'out'));
      writeFileSync(join(dir, 'tokyo', 'nov.csv'), `${header}\nNCN-NO-SUCH-1,,,,,,,Tokyo row\n`);
      writeFileSync(join(dir, 'osaka', 'nov.csv'), `${header}\nNCN-NO-SUCH-2,,,,,,,Osaka row\n`);
      const r = await runIn(dir, ['cancel', 'tokyo/nov.csv', 'osaka/nov.csv', '--reports', 'out', '--lang', 'en']);
      expect(r.code, r.stderr).toBe(1);
      const errors = readdirSync(join(dir, 'out')).filter((f) => f.endsWith('.errors.csv'));
      expect(errors).toHaveLength(2);
      const texts = errors.map((f) => readFileSync(join(dir, 'out', f), 'utf8')).join('\n');
      expect(texts).toContain('Tokyo row');
      expect(texts).toContain('Osaka row');
      for (const f of errors) expect(r.stdout).toContain(f);
    });
  });

  it('the same file named twice is refused', async () => {
    await inCopy(async (dir, before) => {
      const r = await runIn(dir, ['cancel', 'nov.csv', './nov.csv']);
      expect(r.code).toBe(2);
      expect(snapshot(dir)).toEqual(before);
    });
  });

  it('so is one file under two names: a symbolic link or a hard link', async () => {
    await inCopy(async (dir) => {
      symlinkSync('nov.csv', join(dir, 'soft.csv'));
      linkSync(join(dir, 'nov.csv'), join(dir, 'hard.csv'));
      const before = snapshot(dir);
      for (const other of ['soft.csv', 'hard.csv']) {
        const r = await runIn(dir, ['cancel', 'nov.csv', other, '--lang', 'en']);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`nov.csv and ${other} are the same file`);
        expect(snapshot(dir)).toEqual(before);
      }
    });
  });
});

describe('never destroy what the user had', () => {
  it("demo --dir refuses a folder holding a store of the user's", async () => {
    await inCopy(async (dir) => {
      mkdirSync(join(dir, 'prod'));
      copyFileSync(join(dir, 'kaiyaku.db'), join(dir, 'prod', 'kaiyaku.db'));
      const held = snapshot(dir);
      const r = await runIn(dir, ['demo', '--dir', 'prod']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('kaiyaku.db');
      expect(snapshot(dir)).toEqual(held);
      expect((await runIn(dir, ['demo', '--dir', '.'])).code).toBe(2);
      expect(snapshot(dir)).toEqual(held);
    });
  });

  it("demo twice in its own folder works; a file of the user's put there stops the third", async () => {
    await inCopy(async (dir) => {
      expect((await runIn(dir, ['demo', '--dir', 'd'])).code).toBe(0);
      expect((await runIn(dir, ['demo', '--dir', 'd'])).code).toBe(0);
      writeFileSync(join(dir, 'd', 'mine.txt'), 'keep me');
      const r = await runIn(dir, ['demo', '--dir', 'd']);
      expect(r.code).toBe(2);
      expect(readFileSync(join(dir, 'd', 'mine.txt'), 'utf8')).toBe('keep me');
    });
  });
});

describe('the store path', () => {
  it.each([
    [['contracts', 'import', 'contracts.csv', '--db', ''], {}],
    [['contracts', 'import', 'contracts.csv'], { KAIYAKU_DB: '' }],
  ])('an empty store path (%j, env %j) is refused, not a throw-away database', async (args, env) => {
    await inCopy(async (dir, before) => {
      const r = await runIn(dir, args as string[], env as NodeJS.ProcessEnv);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/--db|KAIYAKU_DB/);
      expect(snapshot(dir)).toEqual(before);
    });
  });

  it('a list of a store that does not exist says so and creates nothing', async () => {
    await inCopy(async (dir, before) => {
      const r = await runIn(dir, ['contracts', 'list', '--db', 'typo.db']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(existsSync(join(dir, 'typo.db'))).toBe(false);
      expect(snapshot(dir)).toEqual(before);
    });
  });
});

describe('messages name fields as the user knows them, whole in the chosen language', () => {
  it('import errors name 契約開始日 in Japanese and start_date in English', async () => {
    await inCopy(async (dir) => {
      const lines = readFileSync(join(dir, 'contracts.csv'), 'utf8').split('\n');
      const cells = lines[1]!.split(',');
      cells[2] = '2030-02-30';
      writeFileSync(join(dir, 'bad.csv'), `${lines[0]}\n${cells.join(',')}\n`);
      const ja = await runIn(dir, ['contracts', 'import', 'bad.csv']);
      expect(ja.code).toBe(2);
      expect(ja.stderr).toContain('契約開始日');
      expect(ja.stderr).not.toContain('startDate');
      const en = await runIn(dir, ['contracts', 'import', 'bad.csv', '--lang', 'en']);
      expect(en.stderr).toContain('start_date');
    });
  });

  it('a row too long to read is described in Japanese in a Japanese report', async () => {
    await inCopy(async (dir) => {
      const header = readFileSync(join(dir, 'nov.csv'), 'utf8').split('\n')[0];
      writeFileSync(join(dir, 'long.csv'), `${header}\nNCN202107-0000003109,,,,,,,${'x'.repeat(1_100_000)}\n`);
      const r = await runIn(dir, ['cancel', 'long.csv', '--dry-run']);
      expect(r.code).toBe(1);
      const result = readFileSync(join(dir, 'long.result.csv'), 'utf8');
      expect(result).toContain('行が長すぎます');
      expect(result).not.toContain('longer than');
    });
  });

  it('rows of one file whose columns mean the same field are refused naming both', async () => {
    await inCopy(async (dir, before) => {
      writeFileSync(join(dir, 'dup.csv'), '契約番号,商品コード,解約数,解約数量\nNCN202108-0000003200,M365-E3,,2\n');
      const r = await runIn(dir, ['cancel', 'dup.csv']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('解約数');
      expect(r.stderr).toContain('解約数量');
      const after = snapshot(dir);
      delete after['dup.csv'];
      expect(after).toEqual(before);
    });
  });
});

/**
 * A store the user may read but not write (root's files, run as nobody). Needs root and a
 * checkout nobody can read; skipped, saying why, where either is missing.
 */

describe('read-only use works read-only', () => {
  it.skipIf(!asNobody.ok)(`lists read a store the user cannot write; a command that writes is refused before any work ${asNobody.why}`, async () => {
    await inCopy(async (dir, before) => {
      chmodSync(dir, 0o755);
      const run = (args: string[]) => runCli([...args, '--lang', 'en'], { cwd: dir, uid: NOBODY, gid: NOBODY });
      const list = await run(['contracts', 'list', '--encoding', 'utf8']);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout.split('\r\n')[0]).toBe('no,status,contract_no,customer,products,subject,start_date,end_date,cancelled_on,billable');
      expect(list.stdout).toContain('NCN202107-0000003109');
      const orders = await run(['orders', 'list', '--encoding', 'utf8']);
      expect(orders.code, orders.stderr).toBe(0);
      expect(orders.stdout.split('\r\n')[0]).toMatch(/^no,order_no,contract_no/);
      const cancel = await run(['cancel', 'nov.csv', '--reports', '/tmp']);
      expect(cancel.code).toBe(2);
      expect(cancel.stderr).toContain('kaiyaku.db');
      expect(snapshot(dir)).toEqual(before);
    });
  });
});
