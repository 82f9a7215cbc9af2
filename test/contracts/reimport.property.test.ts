/**
 * Re-importing the master any number of times, in the forms distributors' systems produce
 * (rows shuffled, ids and codes in another case, contract numbers in lower case,
 * subscription ids appearing, serials added and removed, stale quantities after a
 * cancellation), with cancellations in between: after every import, each contract's
 * lines, seats, prices and serials must equal a simple model of the latest file plus what
 * the cancellations decided. The model knows which line each row really is (the
 * generator made them); the store must find out from the rows alone.
 *
 * In-process (importContractFile and runCancelFile on one SQLite store, the simulator as
 * supplier), so that a few hundred imports and cancellations fit in seconds (30 runs by
 * default, about 6 s; RUNS=400 for a longer search). fast-check prints the seed and the
 * shrunk scenario of a failure; the assertion message holds every file of the run.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idKey, serialKey } from '../../src/domain/lineIdentity.js';
import { DEFAULT_CANCEL_OPTIONS, type PipelineDeps } from '../../src/pipeline/context.js';
import { importContractFile } from '../../src/contracts/importContracts.js';
import { runCancelFile } from '../../src/cancel/runCancel.js';
import { openStore, type Store } from '../../src/store/connect.js';
import { createSimSupplier, type Supplier } from '../../src/supplier/index.js';
import { knexOf } from '../../src/store/store.js';

const HEADER =
  'contract_no,contract_date,start_date,end_date,subject,customer,end_user,bill_to,ship_to,supplier,product_code,product_name,subscription_id,quantity,unit_price,plan,billing_model,is_trial,serials';
const END = `${new Date().getUTCFullYear() + 1}-12-31`;
const PRICES = [500, 870, 1000, 1250];

/** A small deterministic generator for the details of one step, from the step's seed. */
function random(seed: number): { int(n: number): number; chance(p: number): boolean; pick<T>(xs: readonly T[]): T; shuffle<T>(xs: readonly T[]): T[] } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    int,
    chance: (p) => next() < p,
    pick: (xs) => xs[int(xs.length)]!,
    shuffle: (xs) => {
      const out = [...xs];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
  };
}

const flipCase = (r: ReturnType<typeof random>, s: string) => (r.chance(0.5) ? s.toLowerCase() : s.toUpperCase());

/** One contract line as the generator knows it: what it really is, and what the store should hold. */
interface ModelLine {
  /** The product code (upper case) and the subscription id it has or will get ('' never). */
  code: string;
  sub: string;
  /** Whether files give the subscription id yet (once given, always given). */
  subGiven: boolean;
  /** Serial-managed lines always list this serial: lines of one product without ids are told apart by it. */
  anchor: string | null;
  /** The serials the last file listed for it. */
  fileSerials: string[];
  // What the store should hold.
  qty: number;
  price: number;
  active: Set<string>;
  cancelled: Set<string>;
  status: 'active' | 'cancelled';
  /** The quantity the master and the store last agreed on. */
  agreed: number;
  /** What the line had before its latest completed cancellation; null before any. */
  lastBefore: number | null;
  /** An open order holds it. */
  held: boolean;
  storedSub: string;
}

interface ModelContract {
  no: string;
  startDate: string;
  subject: string;
  endDate: string;
  status: 'active' | 'cancelled';
  lines: ModelLine[];
}

interface Model {
  contracts: ModelContract[];
  serialCounter: number;
  requestCounter: number;
}

/** The universe of a run: contracts and their lines, as the first master gives them. */
const lineSpec = fc.record({
  code: fc.constantFrom('E1', 'P1', 'ES'),
  sub: fc.constantFrom('now', 'later', 'never'),
  serial: fc.boolean(),
});
const universe = fc.array(fc.array(lineSpec, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 });

type Step = { kind: 'import'; seed: number } | { kind: 'cancel'; seed: number; until: 'completed' | 'requested' };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.integer().map((seed): Step => ({ kind: 'import', seed })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer(), fc.constantFrom('completed' as const, 'completed' as const, 'requested' as const))
      .map(([seed, until]): Step => ({ kind: 'cancel', seed, until })),
  },
);

function buildModel(specs: { code: string; sub: string; serial: boolean }[][]): Model {
  const model: Model = { contracts: [], serialCounter: 0, requestCounter: 0 };
  specs.forEach((lines, c) => {
    const no = `NCN202401-${String(9000 + c).padStart(10, '0')}`;
    const contract: ModelContract = { no, startDate: '2024-01-05', subject: `件名${c}`, endDate: '', status: 'active', lines: [] };
    lines.forEach((spec, l) => {
      // Lines of one product without ids must be serial-managed, so that their anchor tells them apart.
      const twin = spec.sub !== 'now' && lines.some((o, k) => k !== l && o.code === spec.code && o.sub !== 'now');
      const serialManaged = spec.serial || twin;
      contract.lines.push({
        code: spec.code,
        sub: spec.sub === 'never' ? '' : `${no.slice(-4)}${l}AB-CDEF-${spec.code}`,
        subGiven: spec.sub === 'now',
        anchor: serialManaged ? `SN-${no.slice(-4)}-${l}-A` : null,
        fileSerials: [],
        qty: 0,
        price: 0,
        active: new Set(),
        cancelled: new Set(),
        status: 'active',
        agreed: 0,
        lastBefore: null,
        held: false,
        storedSub: '',
      });
    });
    model.contracts.push(contract);
  });
  return model;
}

/** The next master file: some contracts (all of them the first time), rows shuffled, cases changed; and what the store should then hold. */
function nextMaster(model: Model, seed: number, first: boolean): { text: string; refusals: number } {
  const r = random(seed);
  const rows: string[] = [];
  let refusals = 0;
  for (const contract of model.contracts) {
    if (!first && r.chance(0.25)) continue;
    const subject = r.chance(0.2) ? `${contract.subject}+` : contract.subject;
    const endDate = r.chance(0.3) ? (contract.endDate === '' ? '2030-03-31' : '') : contract.endDate;
    for (const line of contract.lines) {
      if (line.sub !== '' && !line.subGiven && r.chance(0.5)) line.subGiven = true;
      const price = first || r.chance(0.3) ? r.pick(PRICES) : line.price;
      let serials: string[] = [];
      let qty: number;
      if (line.anchor !== null) {
        const fresh = () => `SN-${++model.serialCounter}`;
        if (first) serials = [line.anchor, ...Array.from({ length: r.int(3) }, fresh)];
        else if (line.lastBefore !== null && r.chance(0.5)) {
          // A master that agrees with the cancellation, or one from before it (cancelled serials still listed).
          serials = [...line.active, ...[...line.cancelled].filter(() => r.chance(0.5))];
          if (!serials.some((s) => serialKey(s) === serialKey(line.anchor!))) serials.push(line.anchor);
        } else {
          const kept = line.fileSerials.filter((s) => serialKey(s) === serialKey(line.anchor!) || r.chance(0.7));
          serials = [...kept, ...Array.from({ length: r.int(3) }, fresh)];
        }
        // Serials listed before may come in lower case; a new one comes as its maker wrote it (cancellation rows name it so).
        const known = new Set(line.fileSerials.map(serialKey));
        serials = serials.map((s) => (known.has(serialKey(s)) && r.chance(0.2) ? s.toLowerCase() : serialKey(s)));
        qty = serials.length;
      } else {
        qty = first || r.chance(0.4) ? 1 + r.int(5) : line.qty;
      }
      rows.push(
        [
          r.chance(0.2) ? contract.no.toLowerCase() : contract.no,
          '2024-01-05',
          r.chance(0.5) ? contract.startDate : contract.startDate.replace(/-/g, '/'),
          endDate,
          subject,
          '顧客株式会社',
          '',
          '',
          '',
          'Microsoft',
          flipCase(r, line.code),
          `商品 ${line.code}`,
          line.subGiven ? flipCase(r, line.sub) : '',
          String(qty),
          String(price),
          '標準月額プラン',
          '標準月額モデル',
          r.pick(['0', '', '無', 'いいえ', 'false']),
          serials.join(r.chance(0.5) ? ';' : '；'),
        ].join(','),
      );
      line.fileSerials = serials;
      // What the store should now hold for the line.
      const fileKeys = new Set(serials.map(serialKey));
      const active = new Set([...fileKeys].filter((k) => !line.cancelled.has(k)));
      if (first) {
        Object.assign(line, { qty, price, active, agreed: qty, storedSub: line.subGiven ? line.sub : '' });
        continue;
      }
      // The file's quantity is taken while the master is in step with the store (or gives
      // what the store has); once a cancellation moved the line, an older master's (the
      // agreed one, or the one before the latest cancellation) is kept as stored, and any
      // other is refused for the line.
      const inStep = qty === line.qty || (line.agreed === line.qty && line.status === 'active');
      const older = !inStep && (qty === line.agreed || qty === line.lastBefore);
      const quantity = inStep ? qty : line.qty;
      const subAppears = line.subGiven && line.storedSub === '';
      const changes =
        price !== line.price || quantity !== line.qty || subAppears || active.size !== line.active.size || [...active].some((k) => !line.active.has(k));
      if ((line.held && changes) || (!inStep && !older) || (serials.length > 0 && active.size !== quantity)) {
        refusals++;
        continue;
      }
      Object.assign(line, { qty: quantity, price, active, agreed: inStep ? qty : line.agreed, storedSub: subAppears ? line.sub : line.storedSub });
    }
    contract.subject = subject;
    if (contract.status === 'active') contract.endDate = endDate;
  }
  // Rows of one contract need not be together.
  return { text: `${HEADER}\n${r.shuffle(rows).join('\n')}\n`, refusals };
}

/** A cancellation the rules accept on the model's store, as one row; null when no line can take one. */
function nextCancel(model: Model, seed: number): { row: string; contract: ModelContract; line: ModelLine; quantity: number; serials: string[] } | null {
  const r = random(seed);
  const candidates = model.contracts.flatMap((contract) =>
    contract.lines
      .filter((line) => line.status === 'active' && line.qty > 0 && !line.held)
      .filter(
        (line) =>
          line.storedSub !== '' ||
          line.active.size > 0 ||
          !contract.lines.some((o) => o !== line && idKey(o.code) === idKey(line.code) && o.status === 'active' && o.qty > 0),
      )
      .map((line) => ({ contract, line })),
  );
  if (candidates.length === 0) return null;
  const { contract, line } = r.pick(candidates);
  const no = r.chance(0.3) ? contract.no.toLowerCase() : contract.no;
  const request = `REQ-${++model.requestCounter}`;
  const uniqueCode = !contract.lines.some((o) => o !== line && idKey(o.code) === idKey(line.code) && o.status === 'active' && o.qty > 0);
  const serialManaged = line.active.size > 0;
  if (serialManaged && (r.chance(0.6) || (line.storedSub === '' && !uniqueCode))) {
    const serial = r.pick([...line.active].sort());
    return { row: `${no},,,${serial},,${END},${request}`, contract, line, quantity: 1, serials: [serial] };
  }
  const byId = line.storedSub !== '' ? `,${flipCase(r, line.storedSub)}` : `${flipCase(r, line.code)},`;
  // A serial-managed line is cancelled whole; others whole or in part.
  const whole = serialManaged || r.chance(0.3);
  const quantity = whole ? line.qty : 1 + r.int(line.qty);
  return { row: `${no},${byId},,${whole ? '' : quantity},${END},${request}`, contract, line, quantity, serials: serialManaged ? [...line.active] : [] };
}

/** Each contract as the store holds it, in the model's terms, lines in a canonical order. */
async function storeView(store: Store): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const contracts = await knexOf(store)('contracts').orderBy('contract_no');
  for (const c of contracts) {
    const lines = await knexOf(store)('contract_lines').where({ contract_id: c.id }).orderBy('line_no');
    const serials = await knexOf(store)('serials')
      .whereIn(
        'line_id',
        lines.map((l) => l.id),
      )
      .andWhere('status', 'active');
    out[c.contract_no] = {
      status: c.status,
      subject: c.subject,
      endDate: c.end_date ?? '',
      lines: lines
        .map((l) =>
          [
            idKey(l.product_code),
            idKey(l.subscription_id),
            Number(l.quantity),
            Number(l.unit_price),
            l.status,
            serials
              .filter((s) => s.line_id === l.id)
              .map((s) => serialKey(s.serial_no))
              .sort()
              .join(' '),
          ].join('|'),
        )
        .sort(),
    };
  }
  return out;
}

function modelView(model: Model): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of [...model.contracts].sort((a, b) => a.no.localeCompare(b.no))) {
    out[c.no] = {
      status: c.status,
      subject: c.subject,
      endDate: c.endDate,
      lines: c.lines.map((l) => [idKey(l.code), idKey(l.storedSub), l.qty, l.price, l.status, [...l.active].sort().join(' ')].join('|')).sort(),
    };
  }
  return out;
}

describe('re-importing the master', () => {
  it("leaves every contract's lines, seats, prices and serials as the latest file plus what cancellations decided", async () => {
    await fc.assert(
      fc.asyncProperty(universe, fc.array(step, { minLength: 1, maxLength: 7 }), async (specs, steps) => {
        const dir = mkdtempSync(join(tmpdir(), 'kaiyaku-reimport-'));
        const store = await openStore(join(dir, 'store.db'));
        let supplier: Supplier | null = null;
        const deps: PipelineDeps = {
          store,
          clock: () => new Date(),
          operator: 'property',
          supplierName: 'sim',
          log: () => undefined,
          supplier: async () => (supplier ??= createSimSupplier({ latencyMs: 0, failRate: 0, rateLimit: 0, asyncRate: 0, seed: 1 }, [])),
        };
        const model = buildModel(specs);
        const trail: string[] = [];
        try {
          const importing = async (seed: number, first: boolean) => {
            const { text, refusals } = nextMaster(model, seed, first);
            const file = join(dir, `master-${trail.length}.csv`);
            writeFileSync(file, text);
            trail.push(`import:\n${text}`);
            const summary = await importContractFile(deps, file, 'auto');
            expect(summary.linesRefused, trail.join('\n')).toBe(refusals);
            expect(summary.linesCreated, trail.join('\n')).toBe(first ? specs.flat().length : 0);
            expect(await storeView(store), trail.join('\n')).toEqual(modelView(model));
          };
          await importing(1, true);
          for (const s of steps) {
            if (s.kind === 'import') {
              await importing(s.seed, false);
              continue;
            }
            const cancel = nextCancel(model, s.seed);
            if (!cancel) continue;
            // The master speaks for the supplier's world: a master that set a line to 1 seat
            // means the subscription holds 1. Linkage asks the supplier what it holds before a
            // change, so each cancellation meets a simulator that learns the store's (the
            // master's) quantities, not one that kept its own count across imports.
            await (supplier as Supplier | null)?.close();
            supplier = null;
            const file = join(dir, `cancel-${trail.length}.csv`);
            writeFileSync(file, `契約番号,商品コード,サブスクリプションID,シリアル番号,解約数,契約終了日,依頼番号\n${cancel.row}\n`);
            trail.push(`cancel --until ${s.until}: ${cancel.row}`);
            await runCancelFile(deps, file, { ...DEFAULT_CANCEL_OPTIONS, until: s.until, endDate: END, lang: 'en', reportsDir: dir });
            const [result] = parse(readFileSync(file.replace(/\.csv$/, '.result.csv')), { bom: true, columns: true }) as Record<string, string>[];
            expect(result, trail.join('\n')).toMatchObject({ result: 'completed', error_code: '' });
            const { contract, line } = cancel;
            if (s.until === 'requested') line.held = true;
            else {
              line.lastBefore = line.qty;
              line.qty -= cancel.quantity;
              for (const serial of cancel.serials) {
                line.active.delete(serialKey(serial));
                line.cancelled.add(serialKey(serial));
              }
              if (line.qty === 0) line.status = 'cancelled';
              if (contract.lines.every((l) => l.status === 'cancelled')) {
                contract.status = 'cancelled';
                contract.endDate = END;
              }
            }
            expect(await storeView(store), trail.join('\n')).toEqual(modelView(model));
          }
        } finally {
          if (supplier) await (supplier as Supplier).close();
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: Number(process.env.RUNS ?? 30) },
    );
  }, 180_000);
});
