/**
 * "Exit 2 means nothing changed", for argument lists nobody wrote down: fast-check builds
 * a valid invocation of a command and then makes the mistakes operators make (an unknown
 * or misspelled option, a value out of range, an empty value, an option twice, a stray
 * word, a dropped argument) in random numbers and positions. Whatever the CLI decides,
 * exit 2 must leave every file of the folder, the store included, byte-identical, and
 * the supplier uncalled. The seed and the shrunk argument list are printed on failure.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copySandbox, runIn, snapshot, useSandboxWithSupplier } from '../support/sandbox.js';

const setup = useSandboxWithSupplier({ beforeAll, afterAll });

const OPTIONS = [
  'dry-run',
  'until',
  'end-date',
  'encoding',
  'report-encoding',
  'reports',
  'inbox',
  'archive',
  'summary-json',
  'settle-seconds',
  'concurrency',
  'supplier',
  'sim-latency-ms',
  'sim-fail-rate',
  'sim-rate-limit',
  'sim-async-rate',
  'sim-seed',
  'confirm-unsettled',
  'db',
  'operator',
  'out',
  'status',
  'from',
  'to',
  'unnotified',
  'mark-notified',
  'lang',
  'log-format',
  'quiet',
  'dir',
];
const VALUES = [
  'abc',
  '-1',
  '0',
  '1',
  '1.5',
  '2',
  '',
  '2030-02-29',
  '2026-12-31',
  'fr',
  'en',
  'ja',
  'json',
  'cp932',
  'completed',
  'sim',
  'no-such-dir/x.csv',
  '/nonexistent/x',
  'out.csv',
  '.',
];

function base(command: string): string[] {
  const o = setup.sandbox().orders;
  const linking = ['--supplier', setup.supplier().url];
  const table: Record<string, string[]> = {
    cancel: ['cancel', 'nov.csv', ...linking],
    night: ['cancel', '--inbox', 'inbox', '--settle-seconds', '0', ...linking],
    import: ['contracts', 'import', 'contracts.csv'],
    'contracts list': ['contracts', 'list', '--out', 'list.csv'],
    'orders list': ['orders', 'list', '--out', 'orders.csv'],
    resume: ['orders', 'resume', ...linking],
    accept: ['orders', 'accept', o.requested],
    withdraw: ['orders', 'withdraw', o.requested],
    link: ['orders', 'link', o.acceptedUnlinked, ...linking],
    confirm: ['orders', 'confirm', o.accepted, '--end-date', '2099-01-31'],
    serials: ['serials', 'export', '--mark-notified', '--out', 'serials.csv'],
    demo: ['demo', '--dir', 'demo-out'],
  };
  return table[command]!;
}

type Mistake =
  | { kind: 'unknown'; name: string; at: number }
  | { kind: 'typo'; option: string; cut: number; at: number }
  | { kind: 'value'; option: string; value: string; at: number }
  | { kind: 'word'; value: string; at: number }
  | { kind: 'drop'; at: number };

const mistake: fc.Arbitrary<Mistake> = fc.oneof(
  fc.record({ kind: fc.constant('unknown' as const), name: fc.constantFrom('bogus', 'dryrun', 'force', 'yes', 'x'), at: fc.nat() }),
  fc.record({ kind: fc.constant('typo' as const), option: fc.constantFrom(...OPTIONS), cut: fc.nat(), at: fc.nat() }),
  fc.record({ kind: fc.constant('value' as const), option: fc.constantFrom(...OPTIONS), value: fc.constantFrom(...VALUES), at: fc.nat() }),
  fc.record({ kind: fc.constant('word' as const), value: fc.constantFrom('extra', 'nov.csv', 'NOD202611-0000000099', '--', '-'), at: fc.nat() }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
);

/** Applies the mistakes after the command words, where an operator would type them. */
function apply(args: string[], commandWords: number, mistakes: Mistake[]): string[] {
  const out = [...args];
  for (const m of mistakes) {
    const at = commandWords + (m.at % (out.length - commandWords + 1));
    switch (m.kind) {
      case 'unknown':
        out.splice(at, 0, `--${m.name}`);
        break;
      case 'typo': {
        const cut = 1 + (m.cut % (m.option.length - 1));
        out.splice(at, 0, `--${m.option.slice(0, cut)}${m.option.slice(cut + 1)}`);
        break;
      }
      case 'value':
        out.splice(at, 0, `--${m.option}`, m.value);
        break;
      case 'word':
        out.splice(at, 0, m.value);
        break;
      case 'drop':
        if (out.length > commandWords) out.splice(Math.min(at, out.length - 1), 1);
        break;
    }
  }
  return out;
}

describe('exit 2 means nothing changed, for generated argument lists', () => {
  it('holds for every generated mistake', async () => {
    const commands = ['cancel', 'night', 'import', 'contracts list', 'orders list', 'resume', 'accept', 'withdraw', 'link', 'confirm', 'serials', 'demo'];
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...commands), fc.array(mistake, { minLength: 1, maxLength: 3 }), async (command, mistakes) => {
        const args = base(command);
        const words = args[0] === 'cancel' || args[0] === 'demo' ? 1 : 2;
        const given = apply(args, words, mistakes);
        const run = copySandbox(setup.sandbox());
        try {
          const before = snapshot(run.dir);
          const calls = (await setup.supplier().stats()).total;
          const r = await runIn(run.dir, given, {}, { timeoutMs: 60_000 });
          const shown = `kaiyaku ${given.map((a) => JSON.stringify(a)).join(' ')}\nexit ${r.code}\nstderr: ${r.stderr}`;
          expect([0, 1, 2], shown).toContain(r.code);
          if (r.code === 2) {
            refused++;
            expect(snapshot(run.dir), shown).toEqual(before);
            expect((await setup.supplier().stats()).total, shown).toBe(calls);
            expect(r.stderr, shown).not.toMatch(/\n\s+at /);
            expect(r.stderr.trim(), shown).not.toBe('');
          }
        } finally {
          run.cleanup();
        }
      }),
      { numRuns: Number(process.env['KAIYAKU_PROPERTY_RUNS'] ?? 40), verbose: true },
    );
    // The generator is built to make mistakes: most runs must be refusals, or it tests nothing.
    expect(refused).toBeGreaterThan(10);
  }, 600_000);
});
