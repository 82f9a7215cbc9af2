import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KaiyakuError } from '../../src/errors.js';
import { checkStoreWritable, openStore } from '../../src/store/connect.js';
import { readOnlyUser } from './readOnlyUser.js';
import { knexOf } from '../../src/store/store.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-writable-'));
fs.chmodSync(tmp, 0o755);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let seq = 0;
function aDir(mode = 0o755): string {
  const dir = path.join(tmp, `d${++seq}`);
  fs.mkdirSync(dir);
  fs.chmodSync(dir, mode);
  return dir;
}

async function refusal(check: Promise<void>): Promise<KaiyakuError> {
  const error = await check.then(
    () => {
      throw new Error('the check passed');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KaiyakuError);
  return error as KaiyakuError;
}

describe('checkStoreWritable', () => {
  it('passes for an existing store and for a new file in a writable folder, leaving no file of its own behind', async () => {
    const dir = aDir();
    const file = path.join(dir, 'k.db');
    await checkStoreWritable(file);
    expect(fs.readdirSync(dir)).toEqual([]);
    await (await openStore(file)).close();
    const files = fs.readdirSync(dir);
    await checkStoreWritable(file);
    await checkStoreWritable(`sqlite:${file}`);
    expect(fs.readdirSync(dir)).toEqual(files);
  });

  it('refuses a store whose folder does not exist, and a folder given as the store', async () => {
    const missing = await refusal(checkStoreWritable(path.join(tmp, 'no-such-folder', 'k.db')));
    expect(missing.code).toBe('STORE_UNAVAILABLE');
    expect(missing.words.en).toMatch(/folder .*no-such-folder does not exist/);
    const folder = await refusal(checkStoreWritable(aDir()));
    expect(folder.code).toBe('STORE_UNAVAILABLE');
  });

  it('checks nothing for PostgreSQL or an in-memory database', async () => {
    await checkStoreWritable('postgres://nobody@127.0.0.1:1/none');
    await checkStoreWritable(':memory:');
  });
});

const user = readOnlyUser();

describe.skipIf(!user.available)(`checkStoreWritable for a user who may not write${user.available ? '' : ` (skipped: ${user.reason})`}`, () => {
  it('refuses a database file this user may not write: STORE_READ_ONLY naming the file', async () => {
    const dir = aDir(0o777);
    const file = path.join(dir, 'k.db');
    await (await openStore(file)).close();
    fs.chmodSync(file, 0o644);
    const error = await user.run(() => refusal(checkStoreWritable(file)));
    expect(error.code).toBe('STORE_READ_ONLY');
    expect(error.kind).toBe('unavailable');
    expect(error.words.en).toBe(`cannot write the database file ${file}: permission denied`);
    expect(error.words.ja).toContain(file);
  });

  it('refuses a writable file in a folder that does not allow creating files (SQLite writes -wal and -shm there), naming the folder', async () => {
    const dir = aDir();
    const file = path.join(dir, 'k.db');
    await (await openStore(file)).close();
    fs.chmodSync(file, 0o666);
    const error = await user.run(() => refusal(checkStoreWritable(file)));
    expect(error.code).toBe('STORE_READ_ONLY');
    expect(error.words.en).toContain(`its folder ${dir} does not allow creating files`);
    expect(error.words.en).toContain('-wal');
    expect(fs.readdirSync(dir)).toEqual(['k.db']);
  });

  it('refuses a -wal or -shm file this user may not write, naming it', async () => {
    const dir = aDir(0o777);
    const file = path.join(dir, 'k.db');
    const writer = await openStore(file);
    try {
      await knexOf(writer)('locks').insert({ name: 'x', holder: 'h', acquired_at: 'a', heartbeat_at: 'b' });
      fs.chmodSync(file, 0o666);
      fs.chmodSync(`${file}-wal`, 0o644);
      const error = await user.run(() => refusal(checkStoreWritable(file)));
      expect(error.code).toBe('STORE_READ_ONLY');
      expect(error.words.en).toContain(`${file}-wal`);
    } finally {
      await writer.close();
    }
  });

  it('refuses a new database in a folder that does not allow creating files', async () => {
    const dir = aDir();
    const file = path.join(dir, 'new.db');
    const error = await user.run(() => refusal(checkStoreWritable(file)));
    expect(error.code).toBe('STORE_READ_ONLY');
    expect(error.words.en).toBe(`cannot create the database ${file}: its folder ${dir} does not allow creating files (permission denied)`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('passes for a file and folder this user may write', async () => {
    const dir = aDir(0o777);
    const file = path.join(dir, 'k.db');
    await (await openStore(file)).close();
    fs.chmodSync(file, 0o666);
    await user.run(() => checkStoreWritable(file));
    expect(fs.readdirSync(dir)).toEqual(['k.db']);
  });
});
