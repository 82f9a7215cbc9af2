/**
 * kaiyaku as a library, as another project gets it: the package packed (`npm pack`), its
 * tarball installed in a folder of its own, and imported by name. The consumer runs the
 * demo's job through the entry alone (contracts imported, a cancellation file run against
 * the simulator, the rows handed back as data, a list and finance's export written), and a
 * TypeScript consumer type-checks against the declarations the package ships.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let consumer: string;

function run(cmd: string, args: readonly string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' },
  });
}

beforeAll(() => {
  consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'kaiyaku-consumer-'));
  // npm test built dist/ just before; packing runs no script of ours (prepare would build again).
  const packed = JSON.parse(run(NPM, ['pack', ROOT, '--ignore-scripts', '--json', '--pack-destination', consumer], consumer)) as {
    filename: string;
    files: { path: string }[];
  }[];
  const tarball = path.join(consumer, packed[0]!.filename);
  expect(packed[0]!.files.map((f) => f.path)).toContain('dist/index.js');
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // The dependencies come from the registry (or npm's cache); sqlite3's native part is the one
  // this project's install built, for the same version, instead of compiling it again here.
  run(NPM, ['install', '--prefer-offline', '--ignore-scripts', '--no-package-lock', tarball], consumer);
  const ours = path.join(ROOT, 'node_modules', 'sqlite3');
  const theirs = path.join(consumer, 'node_modules', 'sqlite3');
  const version = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  expect(version(theirs)).toBe(version(ours));
  fs.cpSync(path.join(ours, 'build'), path.join(theirs, 'build'), { recursive: true });
}, 300_000);

afterAll(() => {
  if (consumer) fs.rmSync(consumer, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('is imported by name and runs the whole job through its entry alone', () => {
    const work = path.join(consumer, 'work');
    fs.mkdirSync(work);
    fs.copyFileSync(path.join(ROOT, 'fixtures', 'cancel-sample.csv'), path.join(work, 'cancel-sample.csv'));
    fs.writeFileSync(
      path.join(consumer, 'job.mjs'),
      `
import path from 'node:path';
import * as kaiyaku from 'kaiyaku';
const { openPipeline, importContractFile, runCancelFile, writeOrderList, writeSerialExport, DEFAULT_CANCEL_OPTIONS, KaiyakuError } = kaiyaku;
const work = ${JSON.stringify(work)};
const events = [];
const deps = await openPipeline({ store: path.join(work, 'k.db'), supplier: 'sim', operator: 'library-test', log: (e) => events.push(e.kind) });
const rows = [];
try {
  const imported = await importContractFile(deps, ${JSON.stringify(path.join(ROOT, 'fixtures', 'contracts.csv'))}, 'auto');
  const run = await runCancelFile(deps, path.join(work, 'cancel-sample.csv'), { ...DEFAULT_CANCEL_OPTIONS, lang: 'en', onRows: (page) => { rows.push(...page); } });
  const orders = await writeOrderList(deps.store, { out: path.join(work, 'orders.csv'), encoding: 'utf8', lang: 'en' }, {});
  const serials = await writeSerialExport(deps.store, { out: path.join(work, 'serials.csv'), encoding: 'utf8', lang: 'en' }, {});
  let refused = null;
  try { await runCancelFile(deps, path.join(work, 'missing.csv'), DEFAULT_CANCEL_OPTIONS); } catch (e) { refused = e instanceof KaiyakuError ? e.code : String(e); }
  console.log(JSON.stringify({ exports: Object.keys(kaiyaku).length, contracts: imported.contractsCreated, counts: run.counts, exitCode: run.exitCode, rows, orders, serials: serials.rows ?? serials, refused, resultFile: run.resultPath }));
} finally {
  await deps.close();
}
`,
    );
    const out = JSON.parse(run(process.execPath, ['job.mjs'], consumer)) as {
      exports: number;
      contracts: number;
      counts: Record<string, number>;
      exitCode: number;
      rows: { rowNo: number; result: string; errorCode: string | null; orderNo: string | null; contractNo: string }[];
      orders: number;
      refused: string;
      resultFile: string;
    };
    expect(out.exports).toBeGreaterThan(30);
    expect(out.contracts).toBeGreaterThan(0);
    // The rows as data say what the result file says, row by row.
    const fileRows = fs
      .readFileSync(out.resultFile, 'utf8')
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/)
      .slice(1);
    expect(out.rows).toHaveLength(fileRows.length);
    expect(out.rows.map((r) => r.rowNo)).toEqual(fileRows.map((_, i) => i + 1));
    const total = Object.values(out.counts).reduce((a, b) => a + b, 0);
    expect(total).toBe(out.rows.length);
    expect(out.rows.filter((r) => r.result === 'completed').length).toBe(out.counts['completed']);
    expect(out.counts['completed']).toBeGreaterThan(0);
    // The sample refuses a row on purpose (a trial product), with its code.
    expect(out.rows.some((r) => r.result === 'refused' && r.errorCode !== null)).toBe(true);
    for (const r of out.rows.filter((x) => x.result === 'completed')) expect(r.orderNo).toMatch(/\S/);
    expect(out.exitCode).toBe(1);
    // One order per contract: rows of one contract share it.
    expect(out.orders).toBe(new Set(out.rows.flatMap((r) => (r.orderNo ? [r.orderNo] : []))).size);
    // A library caller gets the same typed error the CLI maps to exit 2.
    expect(out.refused).toMatch(/^[A-Z_]+$/);
  });

  it('keeps its insides its own: a deep import is refused by the exports map', () => {
    fs.writeFileSync(
      path.join(consumer, 'deep.mjs'),
      `try { await import('kaiyaku/dist/store/connect.js'); console.log('imported'); } catch (e) { console.log(e.code); }`,
    );
    expect(run(process.execPath, ['deep.mjs'], consumer).trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('ships the declarations a TypeScript consumer type-checks against', () => {
    fs.writeFileSync(
      path.join(consumer, 'typed.ts'),
      `
import { openPipeline, runCancelFile, DEFAULT_CANCEL_OPTIONS, type CancelRunSummary, type ResultRowView, type PipelineDeps } from 'kaiyaku';
export async function cancel(file: string): Promise<[CancelRunSummary, ResultRowView[]]> {
  const deps: PipelineDeps & { close(): Promise<void> } = await openPipeline({ store: 'k.db', supplier: 'sim', operator: 'typed' });
  const rows: ResultRowView[] = [];
  try {
    return [await runCancelFile(deps, file, { ...DEFAULT_CANCEL_OPTIONS, onRows: (page) => void rows.push(...page) }), rows];
  } finally {
    await deps.close();
  }
}
`,
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = [
      tsc,
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--skipLibCheck',
      '--types',
      'node',
      '--typeRoots',
      path.join(ROOT, 'node_modules', '@types'),
      'typed.ts',
    ];
    expect(() => run(process.execPath, args, consumer)).not.toThrow();
  });
});
