import type { Argv } from 'yargs';
import { KaiyakuError, usageError, words } from '../errors.js';
import { openStore } from '../store/connect.js';
import { STAGES, type OrderStatus, type Stage } from '../domain/types.js';
import { acceptOrder, confirmOrder, linkOrder, requireOrder, resumeOpenOrders, withdrawOrder, withdrawOrderAcceptance } from '../pipeline/orderSteps.js';
import { writeOrderList } from '../reports/lists.js';
import type { CliCommand, CliGroup } from './command.js';
import { checkStore, checkSupplierSpec, clearProgress, openDeps, prepareListCommand, withCsvOutput, withDb, withSupplier, type CommonArgs, type SupplierArgs } from './shared.js';
import { dateArgument } from './validate.js';

interface ListArgs extends CommonArgs {
  status?: OrderStatus;
  out?: string;
  encoding: 'utf8' | 'utf8-bom' | 'cp932';
}
interface StepArgs extends CommonArgs, Partial<SupplierArgs> {
  orderNo: string;
  endDate?: string;
}
interface ResumeArgs extends CommonArgs, SupplierArgs {
  until: Stage;
}

const listCommand: CliCommand<ListArgs> = {
  command: 'list',
  describe: 'the change-order list (契約変更一覧) as CSV, with amounts before and after',
  builder: (y: Argv) =>
    withCsvOutput(withDb(y, 'read'))
      .option('status', { choices: ['requested', 'accepted', 'completed', 'withdrawn'] as const, describe: 'only orders in this status' })
      .example('$0 orders list --status accepted', 'orders waiting for linkage or confirmation'),
  prepare: (args) => prepareListCommand(args, (deps) => writeOrderList(deps.store, { out: args.out, encoding: args.encoding, lang: args.lang }, args.status ? { status: args.status } : {})),
};

const resumeCommand: CliCommand<ResumeArgs> = {
  command: 'resume',
  describe: 'advance every open order left by earlier runs (pending linkage, unsettled lines, unconfirmed orders)',
  builder: (y: Argv) =>
    withSupplier(withDb(y))
      .option('until', { choices: STAGES, default: 'completed' as Stage, describe: 'the last stage to reach' })
      .example('$0 orders resume', 'what the nightly job runs after new files'),
  prepare: async (args) => {
    checkSupplierSpec(args.supplier);
    const store = await checkStore(args, 'write');
    return async () => {
      const deps = await openDeps(store, args);
      try {
        // In text mode the orders needing an operator are printed below, in the chosen language;
        // with --log-format json they are events as well, for the machine reading stderr.
        const { orders, counts, waiting, needsOperator } = await resumeOpenOrders(deps, { until: args.until, concurrency: args.concurrency, confirmUnsettled: args.confirmUnsettled, announce: args.logFormat === 'json' });
        clearProgress(args);
        const left = await deps.store.db('change_orders').whereIn('status', ['requested', 'accepted']).count({ n: '*' }).first();
        const open = Number(left?.['n'] ?? 0);
        const ja = args.lang === 'ja';
        if (!args.quiet) {
          const differs =
            (counts.quantityDiffers > 0 ? (ja ? `、仕入元で数量が異なる ${counts.quantityDiffers}` : `, settled at another quantity ${counts.quantityDiffers}`) : '') +
            (counts.heldElsewhere > 0 ? (ja ? `、別の実行が連携中 ${counts.heldElsewhere}` : `, being linked by another run ${counts.heldElsewhere}`) : '');
          process.stdout.write(
            ja
              ? `resume: 未完了の注文 ${orders} 件 — 受付 ${counts.accepted}、送信 ${counts.sent}、連携済 ${counts.settled}、応答待ち ${counts.pending}、仕入元が拒否 ${counts.rejected}、接続不可 ${counts.unavailable}${differs}、解約確定 ${counts.confirmed}; 未完了のまま ${open}（次回続行 ${waiting}、要対応 ${needsOperator.length}）\n`
              : `resume: ${orders} open orders — accepted ${counts.accepted}, sent ${counts.sent}, settled ${counts.settled}, pending ${counts.pending}, refused by supplier ${counts.rejected}, unreachable ${counts.unavailable}${differs}, confirmed ${counts.confirmed}; still open ${open} (waiting ${waiting}, need an operator ${needsOperator.length})\n`,
          );
        }
        // What only an operator can do, one line per order, even with --quiet: it is the point of the run.
        for (const n of needsOperator) process.stdout.write(`${ja ? '要対応' : 'action needed'}: ${n.words[args.lang]}\n`);
        // 1 only while something a later resume can move is left (a supplier unreachable or
        // not settled); orders waiting for an operator are named above and do not fail the run.
        return waiting > 0 ? 1 : 0;
      } finally {
        await deps.close();
      }
    };
  },
};

type Deps = Awaited<ReturnType<typeof openDeps>>;

interface Step {
  name: string;
  describe: string;
  /** Only linkage talks to the supplier: the other buttons take no --supplier or --sim-* options. */
  linksToSupplier?: boolean;
  options?: (y: Argv) => Argv;
  /** Checks the step's own options before anything runs; returns what the step needs. */
  check?: (args: StepArgs) => void;
  run: (deps: Deps, args: StepArgs) => Promise<{ message: string; exit: 0 | 1 }>;
}

function stepCommand(step: Step): CliCommand<StepArgs> {
  return {
    command: `${step.name} <orderNo>`,
    describe: step.describe,
    builder: (y: Argv) => {
      const base = (step.linksToSupplier ? withSupplier(withDb(y)) : withDb(y)).positional('orderNo', { type: 'string', demandOption: true, describe: 'NOD…' });
      return (step.options ? step.options(base) : base).example(`$0 orders ${step.name} NOD202611-0000000001`, step.describe);
    },
    prepare: async (args) => {
      if (args.supplier !== undefined) checkSupplierSpec(args.supplier);
      step.check?.(args);
      const store = await checkStore(args, 'write');
      const orderNo = args.orderNo.normalize('NFKC').trim().toUpperCase();
      await checkOrderExists(store.spec, orderNo);
      return async () => {
        const deps = await openDeps(store, args);
        try {
          const { message, exit } = await step.run(deps, { ...args, orderNo });
          if (!args.quiet) process.stdout.write(`${message}\n`);
          return exit;
        } finally {
          await deps.close();
        }
      };
    },
  };
}

const says = (lang: string, ja: string, en: string) => (lang === 'ja' ? ja : en);

const steps: Step[] = [
  {
    name: 'accept',
    describe: '受付: requested → accepted',
    run: async (deps, a) => (await acceptOrder(deps, a.orderNo), { message: `${a.orderNo}: ${says(a.lang, '受付済', 'accepted')}`, exit: 0 }),
  },
  {
    name: 'withdraw-acceptance',
    describe: '受付取消: accepted → requested, while nothing is linked',
    run: async (deps, a) => (await withdrawOrderAcceptance(deps, a.orderNo), { message: `${a.orderNo}: ${says(a.lang, '申請（受付取消しました）', 'requested (acceptance withdrawn)')}`, exit: 0 }),
  },
  {
    name: 'link',
    describe: '解約連携: send the unlinked lines to the supplier',
    linksToSupplier: true,
    run: async (deps, a) => {
      const c = await linkOrder(deps, a.orderNo, { concurrency: a.concurrency ?? 16 });
      const done = c.settled > 0 && c.rejected === 0 && c.unavailable === 0 && c.pending === 0 && c.heldElsewhere === 0;
      const elsewhere = c.heldElsewhere > 0 ? words(`, being linked by another run ${c.heldElsewhere}`, `、別の実行が連携中 ${c.heldElsewhere}`) : words('', '');
      const message = says(
        a.lang,
        `${a.orderNo}: 解約連携 — 連携済 ${c.settled}、応答待ち ${c.pending}、拒否 ${c.rejected}、接続不可 ${c.unavailable}${elsewhere.ja}${done ? ' — 解約連携が完了しました' : ''}`,
        `${a.orderNo}: linkage — settled ${c.settled}, pending ${c.pending}, refused ${c.rejected}, unreachable ${c.unavailable}${elsewhere.en}${done ? ' — linkage complete' : ''}`,
      );
      return { message, exit: c.rejected > 0 || c.unavailable > 0 || c.pending > 0 || c.heldElsewhere > 0 ? 1 : 0 };
    },
  },
  {
    name: 'confirm',
    describe: '解約確定: apply the new quantities with a contract end date (--end-date is required)',
    options: (y) =>
      y
        .option('end-date', { type: 'string', describe: '契約終了日 (required): 2026-01-05, 2026/1/5 or 20260105' })
        .option('confirm-unsettled', { type: 'boolean', default: false, describe: 'confirm even if the supplier has not settled (the portal\'s 「よろしいですか」)' }),
    check: (a) => {
      if (a.endDate === undefined) throw usageError('orders confirm needs --end-date (契約終了日), e.g. --end-date 2026-12-31', 'orders confirm には --end-date（契約終了日）が必要です。例: --end-date 2026-12-31');
      dateArgument('end-date', a.endDate);
    },
    run: async (deps, a) => {
      const endDate = dateArgument('end-date', a.endDate) ?? null;
      await confirmOrder(deps, a.orderNo, { endDate, confirmUnsettled: a.confirmUnsettled ?? false });
      return { message: `${a.orderNo}: ${says(a.lang, `変更済（解約確定）、契約終了日 ${endDate}`, `completed (confirmed), end date ${endDate}`)}`, exit: 0 };
    },
  },
  {
    name: 'withdraw',
    describe: 'キャンセル: withdraw a requested order',
    run: async (deps, a) => (await withdrawOrder(deps, a.orderNo), { message: `${a.orderNo}: ${says(a.lang, 'キャンセル', 'withdrawn')}`, exit: 0 }),
  },
];

export const ordersCommand: CliGroup = {
  command: 'orders <command>',
  describe: 'list orders, resume open ones, or take one step on one order (the portal\'s buttons)',
  subcommands: [listCommand, resumeCommand, ...steps.map(stepCommand)],
};

/**
 * An order number that names no order is refused before the store is opened for writing,
 * so that exit 2 leaves even SQLite's housekeeping files as they were (and a mistyped
 * --db creates no empty store). A store whose
 * schema is behind cannot be read this way; the write open migrates it and the step
 * itself then refuses an unknown number.
 */
async function checkOrderExists(spec: string, orderNo: string): Promise<void> {
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    store = await openStore(spec, { access: 'read' });
  } catch (error) {
    if (error instanceof KaiyakuError && error.code === 'SCHEMA_OUTDATED') return;
    throw error;
  }
  try {
    await requireOrder(store.db, orderNo);
  } finally {
    await store.close();
  }
}
