/**
 * Hostile input: valid cancellation files put through a seeded mutator (byte flips,
 * truncation, stray quotes, NUL bytes, huge fields, CP932 and UTF-8 in one file, a 10 MB
 * line, empty and header-only files). Whatever comes in, `kaiyaku cancel` ends with exit
 * 0, 1 or 2 and a message, never "unexpected failure", and the store stays sound.
 *
 * Most cases call runCancelFile in-process (fast); a sample goes through the built CLI.
 * KAIYAKU_FUZZ_SEED=<n> replays one set of cases; KAIYAKU_FUZZ_CASES sets how many.
 */
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KaiyakuError } from '../../src/errors.js';
import { DEFAULT_CANCEL_OPTIONS, type CancelOptions, type PipelineDeps } from '../../src/pipeline/context.js';
import { importContractFile } from '../../src/contracts/importContracts.js';
import { runCancelFile, type CancelRunSummary } from '../../src/cancel/runCancel.js';
import { openStore, type Store } from '../../src/store/connect.js';
import { loadSubscriptionSeeds } from '../../src/store/supplierSeeds.js';
import { createSimSupplier, type Supplier } from '../../src/supplier/index.js';
import { runCli, type Ran } from '../support/cli.js';
import { useTempDir } from '../support/setup.js';
import { integrityViolations, lineQuantities, readCsv, rng, seedFromEnv } from './helpers.js';
import { knexOf } from '../../src/store/store.js';

const SEED = seedFromEnv('KAIYAKU_FUZZ_SEED');
const CASES = Number(process.env['KAIYAKU_FUZZ_CASES'] ?? 300);
const CLI_SAMPLE = 20;
const VERBOSE = process.env['KAIYAKU_FUZZ_VERBOSE'] === '1';
const CONTRACTS = 40;
const tmp = useTempDir('kaiyaku-fuzz-').dir;
const db = path.join(tmp, 'fuzz.db');
const inputs = path.join(tmp, 'in');
const reports = path.join(tmp, 'reports');

let store: Store;
let original = new Map<number, number>();
let supplier: Supplier | null = null;

const contractNo = (i: number) => `NCN202501-${String(i).padStart(10, '0')}`;

/** 40 contracts: two subscription lines of 100 000 seats each; the first five also a serial-managed line. */
function contractsCsv(): string {
  const lines = [
    'contract_no,contract_date,start_date,end_date,subject,customer,end_user,bill_to,ship_to,supplier,product_code,product_name,subscription_id,quantity,unit_price,plan,billing_model,is_trial,serials',
  ];
  for (let i = 1; i <= CONTRACTS; i++) {
    const head = `${contractNo(i)},2025-01-06,2025-01-06,,件名${i},顧客${i}株式会社,利用者${i},請求先${i},送付先${i}`;
    lines.push(`${head},Microsoft,O365-E1,Office 365 E1,FZ-E1-${i},100000,870,標準月額プラン,標準月額モデル,0,`);
    lines.push(`${head},Microsoft,PRJ-P1,Project Plan 1,FZ-P1-${i},100000,1250,標準月額プラン,標準月額モデル,0,`);
    if (i <= 5) lines.push(`${head},Vendor,DEV-KEY,デバイスキー,,3,5000,年額,年額,0,SN-${i}-1;SN-${i}-2;SN-${i}-3`);
  }
  return `${lines.join('\n')}\n`;
}

const nextYear = new Date().getUTCFullYear() + 1;
const DATE_FORMS = [`${nextYear}-03-31`, `${nextYear}/3/31`, `${nextYear}0331`, '', '', `${nextYear}-02-30`, '2000-01-01', 'いつか'];
const NOTES = ['', '解約のため', '「至急」対応', 'note, with comma', 'say "hi"', '＝SUM(A1)', '=1+1', '髙﨑①'];

/** A valid cancellation file (as text) in one of a few shapes operators send. */
function validCsv(r: () => number, caseNo: number): { text: string; encoding: 'utf8' | 'utf8-bom' | 'cp932'; eol: string } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const japanese = r() < 0.6;
  const header = japanese
    ? ['契約番号', '商品コード', '解約数', '契約終了日', '依頼番号', '備考']
    : ['contract_no', 'product_code', 'cancel_quantity', 'end_date', 'request_id', 'note'];
  const rows: string[][] = [];
  const n = 1 + Math.floor(r() * 12);
  for (let k = 0; k < n; k++) {
    const i = 1 + Math.floor(r() * CONTRACTS);
    // Rarely a whole line or contract (which would use the store up): mostly one seat, or a bad quantity.
    const product = r() < 0.03 ? '' : pick(['O365-E1', 'PRJ-P1', 'O365-E1', 'PRJ-P1', 'DEV-KEY', 'NOPE']);
    const quantity = r() < 0.02 ? '' : pick(['1', '1', '2', '1', '0', '-1', 'x', '1.5', '１']);
    const no =
      r() < 0.15
        ? contractNo(i)
            .replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)))
            .replace('-', '－')
        : contractNo(i);
    rows.push([no, product, quantity, pick(DATE_FORMS), r() < 0.5 ? `FZ-${SEED}-${caseNo}-${k}` : '', pick(NOTES)]);
  }
  const quote = (cell: string) => (/[",\r\n]/.test(cell) || r() < 0.1 ? `"${cell.replaceAll('"', '""')}"` : cell);
  const eol = pick(['\r\n', '\n', '\r\n']);
  const text = [header, ...rows].map((row) => row.map(quote).join(',')).join(eol) + (r() < 0.8 ? eol : '');
  return { text, encoding: pick(['utf8', 'utf8-bom', 'cp932'] as const), eol };
}

function encode(text: string, encoding: 'utf8' | 'utf8-bom' | 'cp932'): Buffer {
  if (encoding === 'cp932') return iconv.encode(text, 'cp932');
  return Buffer.concat([encoding === 'utf8-bom' ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')]);
}

type Mutation = (bytes: Buffer, r: () => number, base: ReturnType<typeof validCsv>) => Buffer;
const at = (r: () => number, n: number) => Math.floor(r() * (n + 1));
const MUTATIONS: Record<string, Mutation> = {
  none: (b) => b,
  byteFlips: (b, r) => {
    const out = Buffer.from(b);
    // Mostly to ASCII (so that the file still decodes and the damage reaches the parser), sometimes to any byte.
    for (let k = 1 + Math.floor(r() * 6); k > 0 && out.length > 0; k--) out[Math.floor(r() * out.length)] = Math.floor(r() * (r() < 0.7 ? 128 : 256));
    return out;
  },
  truncate: (b, r) => b.subarray(0, at(r, b.length)),
  quotes: (b, r) => {
    let out = b;
    for (let k = 1 + Math.floor(r() * 3); k > 0; k--) {
      const p = at(r, out.length);
      out = Buffer.concat([out.subarray(0, p), Buffer.from('"'), out.subarray(p)]);
    }
    return out;
  },
  nul: (b, r) => {
    let out = b;
    for (let k = 1 + Math.floor(r() * 4); k > 0; k--) {
      const p = at(r, out.length);
      out = Buffer.concat([out.subarray(0, p), Buffer.alloc(1 + Math.floor(r() * 3)), out.subarray(p)]);
    }
    return out;
  },
  hugeField: (b, r) => {
    // Into a cell after a comma: 50 k to 1.5 M characters (past the 1 M record limit sometimes).
    const commas = [...b.entries()].filter(([, v]) => v === 0x2c).map(([i]) => i);
    const p = commas.length > 0 ? commas[Math.floor(r() * commas.length)]! + 1 : b.length;
    const size = [50_000, 300_000, 1_500_000][Math.floor(r() * 3)]!;
    const fill = r() < 0.5 ? Buffer.alloc(size, 0x41) : Buffer.from('漢'.repeat(Math.ceil(size / 3)), 'utf8');
    return Buffer.concat([b.subarray(0, p), fill, b.subarray(p)]);
  },
  mixedEncodings: (_b, r, base) => {
    // Each line in UTF-8 or CP932, chosen line by line.
    const lines = base.text.split(base.eol);
    return Buffer.concat(
      lines.map((line, i) =>
        Buffer.concat([r() < 0.5 ? iconv.encode(line, 'cp932') : Buffer.from(line, 'utf8'), i < lines.length - 1 ? Buffer.from(base.eol) : Buffer.alloc(0)]),
      ),
    );
  },
  duplicateRows: (b, r) => {
    const text = b.toString('latin1');
    const lines = text.split('\n');
    const k = Math.floor(r() * lines.length);
    lines.splice(k, 0, ...Array.from({ length: 1 + Math.floor(r() * 4) }, () => lines[k] ?? ''));
    return Buffer.from(lines.join('\n'), 'latin1');
  },
  deleteRange: (b, r) => {
    const p = at(r, b.length);
    return Buffer.concat([b.subarray(0, p), b.subarray(Math.min(b.length, p + 1 + Math.floor(r() * 40)))]);
  },
  lineEndings: (b, r) =>
    Buffer.from(
      b.toString('latin1').replace(/\r?\n/g, () => ['\r', '\n', '\r\n', '\n\n', '\r\r\n'][Math.floor(r() * 5)]!),
      'latin1',
    ),
  randomBytes: (_b, r) => Buffer.from(Array.from({ length: Math.floor(r() * 600) }, () => Math.floor(r() * 256))),
  bomInside: (b, r) => {
    const p = at(r, b.length);
    return Buffer.concat([b.subarray(0, p), Buffer.from([0xef, 0xbb, 0xbf]), b.subarray(p)]);
  },
  extraColumns: (b) => Buffer.from(b.toString('latin1').replace(/^([^\r\n]*)/, '$1,謎の列,,'), 'latin1'),
  controlChars: (b, r) => {
    const out = Buffer.from(b);
    for (let k = 0; k < 8 && out.length > 0; k++) out[Math.floor(r() * out.length)] = [0x01, 0x08, 0x0b, 0x0c, 0x1b, 0x7f][Math.floor(r() * 6)]!;
    return out;
  },
};

/** Fixed cases that a mutator reaches rarely. */
function fixedCases(): { name: string; bytes: Buffer }[] {
  const header = Buffer.from('契約番号,商品コード,解約数,依頼番号\r\n', 'utf8');
  const tenMb = 10 * 1024 * 1024;
  return [
    { name: 'empty file', bytes: Buffer.alloc(0) },
    { name: 'BOM only', bytes: Buffer.from([0xef, 0xbb, 0xbf]) },
    { name: 'blank lines only', bytes: Buffer.from('\r\n\r\n,,,\r\n') },
    { name: 'header only', bytes: header },
    { name: 'header only, no line end', bytes: Buffer.from('契約番号,商品コード,解約数') },
    { name: 'header without contract column', bytes: Buffer.from(`商品コード,解約数\r\nO365-E1,1\r\n`) },
    { name: 'unclosed quote to the end', bytes: Buffer.concat([header, Buffer.from(`"${contractNo(1)},O365-E1,1,x\r\n${contractNo(2)},O365-E1,1,y\r\n`)]) },
    { name: 'NUL bytes only', bytes: Buffer.alloc(1000) },
    { name: '10 MB single line (no header row)', bytes: Buffer.alloc(tenMb, 0x61) },
    {
      name: '10 MB data row after the header',
      bytes: Buffer.concat([
        header,
        Buffer.from(`${contractNo(3)},O365-E1,1,`),
        Buffer.alloc(tenMb, 0x62),
        Buffer.from(`\r\n${contractNo(4)},O365-E1,1,FZ-TAIL-${SEED}\r\n`),
      ]),
    },
    // Past the record limit, the quote is taken as stray and its 10 000 lines come back as rows.
    {
      name: '10 MB quoted field spanning lines',
      bytes: Buffer.concat([header, Buffer.from(`${contractNo(5)},O365-E1,1,"`), Buffer.from(`${'x'.repeat(1023)}\n`.repeat(10_240)), Buffer.from(`"\r\n`)]),
    },
  ];
}

interface CaseOutcome {
  name: string;
  file: string;
  /** in-process: the summary or the file-level error; CLI: the process result. */
  summary?: CancelRunSummary;
  fileError?: KaiyakuError;
  cli?: Ran;
}

function optionsFor(r: () => number): CancelOptions {
  const until = r() < 0.15 ? 'accepted' : r() < 0.1 ? 'requested' : 'completed';
  return {
    ...DEFAULT_CANCEL_OPTIONS,
    lang: r() < 0.5 ? 'en' : 'ja',
    reportEncoding: 'utf8',
    reportsDir: reports,
    concurrency: 4,
    until,
    dryRun: r() < 0.1,
    inputEncoding: r() < 0.85 ? 'auto' : r() < 0.5 ? 'utf8' : 'cp932',
  };
}

const deps = (): PipelineDeps => ({
  store,
  clock: () => new Date(),
  operator: 'fuzz',
  supplierName: 'sim',
  log: () => undefined,
  supplier: async () => {
    // A simulator seeded from the store as it is now, as each CLI process does.
    await supplier?.close();
    supplier = createSimSupplier({ latencyMs: 0, failRate: 0, rateLimit: 0, asyncRate: 0, seed: SEED }, await loadSubscriptionSeeds(knexOf(store)), {
      timeoutMs: 5_000,
      maxAttempts: 3,
      baseDelayMs: 1,
      maxDelayMs: 5,
    });
    return supplier;
  },
});

/** Counts that a dry run must leave as they are. */
async function fingerprint(): Promise<string> {
  const parts: string[] = [];
  for (const table of ['change_orders', 'order_lines', 'line_claims', 'runs', 'run_rows', 'request_keys', 'cancelled_serials', 'audit_log']) {
    parts.push(`${table}=${((await knexOf(store)(table).count({ n: '*' }))[0] as { n: number }).n}`);
  }
  const q = (await knexOf(store)('contract_lines').sum({ q: 'quantity' }))[0] as { q: number };
  return `${parts.join(' ')} quantity=${q.q}`;
}

function checkReports(o: CaseOutcome, s: CancelRunSummary): string[] {
  const problems: string[] = [];
  if (s.exitCode !== 0 && s.exitCode !== 1) problems.push(`exit code ${s.exitCode as number}`);
  if (!fs.existsSync(s.resultPath)) return [...problems, 'no result file'];
  const rows = readCsv(s.resultPath);
  if (rows.length !== s.rows) problems.push(`result file has ${rows.length} rows, the run counted ${s.rows}`);
  const numbers = rows.map((r) => Number(Object.values(r)[0]));
  if (numbers.some((n, i) => !Number.isInteger(n) || n < 1 || (i > 0 && n <= numbers[i - 1]!)))
    problems.push(`row numbers not increasing: ${numbers.slice(0, 10).join(',')}`);
  const total = Object.values(s.counts).reduce((a, b) => a + b, 0);
  if (total !== s.rows) problems.push(`counts ${JSON.stringify(s.counts)} do not add up to ${s.rows}`);
  const bad = s.counts.refused + s.counts.failed + s.counts.pending;
  if ((bad > 0 ? 1 : 0) !== s.exitCode) problems.push(`exit ${s.exitCode} with counts ${JSON.stringify(s.counts)}`);
  if (fs.existsSync(s.errorsPath)) {
    const errors = readCsv(s.errorsPath).length;
    if (errors !== s.counts.refused + s.counts.failed) problems.push(`error file has ${errors} rows, refused+failed = ${s.counts.refused + s.counts.failed}`);
  } else problems.push('no error file');
  return problems.map((p) => `${o.name}: ${p}`);
}

describe('hostile cancellation files', () => {
  beforeAll(async () => {
    fs.mkdirSync(inputs);
    fs.mkdirSync(reports);
    store = await openStore(db);
    const contracts = path.join(tmp, 'contracts.csv');
    fs.writeFileSync(contracts, contractsCsv());
    await importContractFile({ ...deps(), operator: 'fuzz' }, contracts, 'auto');
    original = await lineQuantities(knexOf(store));
  });
  afterAll(async () => {
    await supplier?.close();
    await store?.close();
  });

  it(`${CASES} mutated files in-process and ${CLI_SAMPLE} through the CLI: exit 0, 1 or 2 with a message; the store stays sound (seed ${SEED})`, async () => {
    const r = rng(SEED);
    const names = Object.keys(MUTATIONS);
    const cases: { name: string; bytes: Buffer }[] = fixedCases();
    for (let c = 0; cases.length < CASES; c++) {
      const base = validCsv(r, c);
      const kinds = Array.from({ length: r() < 0.3 ? 2 : 1 }, () => names[Math.floor(r() * names.length)]!);
      let bytes = encode(base.text, base.encoding);
      for (const kind of kinds) bytes = MUTATIONS[kind]!(bytes, r, base);
      cases.push({ name: `case ${c} (${base.encoding}, ${kinds.join('+')})`, bytes });
    }
    // The CLI sample: every fixed case but the largest, and some mutated ones.
    const viaCli = new Set<number>();
    for (let k = 0; viaCli.size < CLI_SAMPLE; k++) viaCli.add(k < 8 ? k : Math.floor(r() * cases.length));

    const problems: string[] = [];
    const outcomes: CaseOutcome[] = [];
    const started = Date.now();
    const cliCases: { index: number; file: string; name: string; args: string[] }[] = [];
    for (const [index, c] of cases.entries()) {
      const file = path.join(inputs, `case-${String(index).padStart(4, '0')}.csv`);
      fs.writeFileSync(file, c.bytes);
      const options = optionsFor(r);
      if (viaCli.has(index)) {
        const args = [
          'cancel',
          file,
          '--db',
          db,
          '--reports',
          reports,
          '--lang',
          options.lang,
          '--report-encoding',
          'utf8',
          '--until',
          options.until,
          '--encoding',
          options.inputEncoding,
          '--concurrency',
          '4',
          ...(options.dryRun ? ['--dry-run'] : []),
        ];
        cliCases.push({ index, file, name: c.name, args });
        continue;
      }
      const o: CaseOutcome = { name: `${c.name} [${file}]`, file };
      const before = options.dryRun ? await fingerprint() : '';
      const caseStarted = Date.now();
      try {
        o.summary = await runCancelFile(deps(), file, options);
        problems.push(...checkReports(o, o.summary));
      } catch (error) {
        if (error instanceof KaiyakuError && error.message.trim() !== '') o.fileError = error;
        else problems.push(`${o.name}: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
      if (options.dryRun && (await fingerprint()) !== before) problems.push(`${o.name}: a dry run changed the store`);
      if (VERBOSE)
        console.error(
          `${o.name}: ${Date.now() - caseStarted} ms, ${o.fileError?.code ?? (o.summary ? `exit ${o.summary.exitCode} ${JSON.stringify(o.summary.counts)}` : 'failed')}`,
        );
      outcomes.push(o);
    }
    const inProcessMs = Date.now() - started;

    // Through the CLI, two at a time on the same store (busy states between them are real).
    const cliStarted = Date.now();
    for (let k = 0; k < cliCases.length; k += 2) {
      const pair = cliCases.slice(k, k + 2);
      const ran = await Promise.all(pair.map((c) => runCli(c.args, tmp)));
      pair.forEach((c, j) => {
        const res = ran[j]!;
        const o: CaseOutcome = { name: `${c.name} [${c.file}] via CLI`, file: c.file, cli: res };
        outcomes.push(o);
        if (res.code !== 0 && res.code !== 1 && res.code !== 2) problems.push(`${o.name}: exit ${res.code} (signal ${res.signal}): ${res.stderr}`);
        if (/unexpected failure|SQLITE_BUSY|database is locked/.test(res.stderr)) problems.push(`${o.name}: ${res.stderr}`);
        if (res.code === 2 && !/^kaiyaku: .+/m.test(res.stderr)) problems.push(`${o.name}: exit 2 without a message`);
        if ((res.code === 0 || res.code === 1) && !/rows|行/.test(res.stdout)) problems.push(`${o.name}: exit ${res.code} without a summary`);
      });
    }
    const cliMs = Date.now() - cliStarted;

    const fileErrors = new Map<string, number>();
    for (const o of outcomes) {
      const code = o.fileError?.code ?? (o.cli ? `cli exit ${o.cli.code}` : o.summary ? `exit ${o.summary.exitCode}` : 'failed');
      fileErrors.set(code, (fileErrors.get(code) ?? 0) + 1);
    }
    const orders = ((await knexOf(store)('change_orders').count({ n: '*' }))[0] as { n: number }).n;
    console.info(
      `fuzz (seed ${SEED}): ${cases.length - cliCases.length} cases in-process in ${inProcessMs} ms, ${cliCases.length} via the CLI in ${cliMs} ms; outcomes ${JSON.stringify(Object.fromEntries(fileErrors))}; ${orders} orders created`,
    );
    expect(problems.slice(0, 10), `seed ${SEED}`).toEqual([]);

    // The store after everything: sound, nothing left running or locked.
    expect(await integrityViolations(knexOf(store), original), `seed ${SEED}`).toEqual([]);
    expect(await knexOf(store)('locks').select('name', 'holder')).toEqual([]);
    expect(Number(orders), 'some cases got through to orders').toBeGreaterThan(10);
  }, 170_000);
});
