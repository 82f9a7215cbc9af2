import type { Argv } from 'yargs';
import {
  KaiyakuError,
  usageError,
  openStore,
  STAGES,
  type OrderStatus,
  type Stage,
  stageAtLeast,
  acceptOrder,
  confirmOrder,
  linkOrder,
  findOrder,
  resumeOpenOrders,
  withdrawOrder,
  withdrawOrderAcceptance,
  type ResumeSummary,
  openOrderCount,
  orderIdsByNo,
  writeOrderList,
  DEFAULT_CONCURRENCY,
} from '../index.js';
import { say } from '../messages/index.js';
import { closedLine, operatorLines, parkedLine } from './resumeText.js';
import type { CliCommand, CliGroup } from './command.js';
import {
  checkStore,
  clearProgress,
  resolveSupplierSpec,
  openDeps,
  prepareListCommand,
  withCsvOutput,
  withDb,
  withSupplier,
  type CommonArgs,
  type SupplierArgs,
} from './shared.js';
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
  order?: string[];
  includeParked: boolean;
}

const listCommand: CliCommand<ListArgs> = {
  command: 'list',
  describe: 'the change-order list (契約変更一覧) as CSV, with amounts before and after',
  builder: (y: Argv) =>
    withCsvOutput(withDb(y, 'read'))
      .option('status', { choices: ['requested', 'accepted', 'completed', 'withdrawn'] as const, describe: 'only orders in this status' })
      .example('$0 orders list --status accepted', 'orders waiting for linkage or confirmation'),
  prepare: (args) =>
    prepareListCommand(args, (deps) =>
      writeOrderList(deps.store, { out: args.out, encoding: args.encoding, lang: args.lang }, args.status ? { status: args.status } : {}),
    ),
};

const resumeCommand: CliCommand<ResumeArgs> = {
  command: 'resume',
  describe: 'advance the open orders left by earlier runs (pending linkage, unsettled lines, unconfirmed orders); orders parked by --until stay unless named',
  builder: (y: Argv) =>
    withSupplier(withDb(y))
      .option('until', { choices: STAGES, default: 'completed' as Stage, describe: 'the last stage to reach' })
      .option('order', { type: 'string', array: true, describe: 'only this order (repeatable), moved on even where its run asked it to stop' })
      .option('include-parked', { type: 'boolean', default: false, describe: 'move on the orders parked where their run asked them to stop (--until) too' })
      .example('$0 orders resume --supplier https://gw.example/', 'what the nightly job runs before new files (or KAIYAKU_SUPPLIER)')
      .example('$0 orders resume --order NOD202611-0000000001 --supplier https://gw.example/', 'link and confirm an order a run left at --until accepted'),
  prepare: async (args) => {
    const supplier = resolveSupplierSpec(args.supplier, stageAtLeast(args.until, 'linked'));
    const orderNos = args.order === undefined ? undefined : [...new Set(args.order.map(normaliseOrderNo))];
    if (orderNos !== undefined && (orderNos.length === 0 || orderNos.includes(''))) throw usageError(say('cli.orderNoMissing'));
    const store = await checkStore(args, 'write');
    if (orderNos !== undefined) await checkOrdersExist(store.spec, orderNos);
    return async () => {
      const deps = await openDeps(store, args, supplier);
      try {
        const orderIds = orderNos === undefined ? undefined : [...(await orderIdsByNo(deps.store, orderNos)).values()];
        // In text mode the orders needing an operator are printed below, in the chosen language;
        // with --log-format json they are events as well, for the machine reading stderr.
        const summary = await resumeOpenOrders(deps, {
          until: args.until,
          concurrency: args.concurrency,
          confirmUnsettled: args.confirmUnsettled,
          announce: args.logFormat === 'json',
          ...(orderIds !== undefined ? { orderIds } : {}),
          includeParked: args.includeParked,
        });
        clearProgress(args);
        printResume(summary, await openOrderCount(deps.store), args);
        // Exit 0 means nothing needs a person: 1 while an order waits on the supplier or needs an
        // operator. Parked orders are where an operator chose to leave them.
        return summary.waiting > 0 || summary.needsOperator.length > 0 ? 1 : 0;
      } finally {
        await deps.close();
      }
    };
  },
};

function printResume(summary: ResumeSummary, open: number, args: Pick<ResumeArgs, 'lang' | 'quiet'>): void {
  const { orders, counts, waiting, needsOperator, parked, closed } = summary;
  const lines: string[] = [];
  if (!args.quiet) {
    lines.push(
      say('cli.resumeSummary', {
        ...counts,
        orders,
        open,
        waiting,
        needsOperator: needsOperator.length,
      })[args.lang],
    );
    const parkedText = parkedLine(parked, parked.length, args.lang);
    if (parkedText) lines.push(parkedText);
    for (const c of closed) lines.push(closedLine(c.orderNo, c.status, args.lang));
  }
  // What only an operator can do, one line per order, even with --quiet: it is the point of the run.
  lines.push(...operatorLines(needsOperator, args.lang, say('cli.resumeNeedsOperatorInEvents')));
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
}

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
      // Only linkage talks to the supplier; the other buttons take no --supplier at all.
      const supplier = step.linksToSupplier ? resolveSupplierSpec(args.supplier, true) : null;
      step.check?.(args);
      const store = await checkStore(args, 'write');
      const orderNo = normaliseOrderNo(args.orderNo);
      await checkOrdersExist(store.spec, [orderNo]);
      return async () => {
        const deps = await openDeps(store, args, supplier);
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

const steps: Step[] = [
  {
    name: 'accept',
    describe: '受付: requested → accepted',
    run: async (deps, a) => (await acceptOrder(deps, a.orderNo), { message: say('cli.orderAccepted', { orderNo: a.orderNo })[a.lang], exit: 0 }),
  },
  {
    name: 'withdraw-acceptance',
    describe: '受付取消: accepted → requested, while nothing is linked',
    run: async (deps, a) => (
      await withdrawOrderAcceptance(deps, a.orderNo),
      { message: say('cli.orderAcceptanceWithdrawn', { orderNo: a.orderNo })[a.lang], exit: 0 }
    ),
  },
  {
    name: 'link',
    describe: '解約連携: send the unlinked lines to the supplier',
    linksToSupplier: true,
    run: async (deps, a) => {
      const c = await linkOrder(deps, a.orderNo, { concurrency: a.concurrency ?? DEFAULT_CONCURRENCY });
      const done = c.settled > 0 && c.rejected === 0 && c.unavailable === 0 && c.pending === 0 && c.heldElsewhere === 0;
      const message = say('cli.orderLinked', {
        orderNo: a.orderNo,
        settled: c.settled,
        pending: c.pending,
        rejected: c.rejected,
        unavailable: c.unavailable,
        heldElsewhere: c.heldElsewhere,
        complete: done ? 1 : 0,
      })[a.lang];
      return { message, exit: c.rejected > 0 || c.unavailable > 0 || c.pending > 0 || c.heldElsewhere > 0 ? 1 : 0 };
    },
  },
  {
    name: 'confirm',
    describe: '解約確定: apply the new quantities with a contract end date (--end-date is required)',
    options: (y) =>
      y.option('end-date', { type: 'string', describe: '契約終了日 (required): 2026-01-05, 2026/1/5 or 20260105' }).option('confirm-unsettled', {
        type: 'boolean',
        default: false,
        describe: "confirm even if the supplier has not settled (the portal's 「よろしいですか」)",
      }),
    check: (a) => {
      if (a.endDate === undefined) throw usageError(say('cli.confirmNeedsEndDate'));
      dateArgument('end-date', a.endDate);
    },
    run: async (deps, a) => {
      const endDate = dateArgument('end-date', a.endDate) ?? null;
      await confirmOrder(deps, a.orderNo, { endDate, confirmUnsettled: a.confirmUnsettled ?? false });
      return { message: say('cli.orderConfirmed', { orderNo: a.orderNo, endDate: String(endDate) })[a.lang], exit: 0 };
    },
  },
  {
    name: 'withdraw',
    describe: 'キャンセル: withdraw a requested order',
    run: async (deps, a) => (await withdrawOrder(deps, a.orderNo), { message: say('cli.orderWithdrawn', { orderNo: a.orderNo })[a.lang], exit: 0 }),
  },
];

export const ordersCommand: CliGroup = {
  command: 'orders <command>',
  describe: "list orders, resume open ones, or take one step on one order (the portal's buttons)",
  subcommands: [listCommand, resumeCommand, ...steps.map(stepCommand)],
};

/**
 * An order number that names no order is refused before the store is opened for writing,
 * so that exit 2 leaves even SQLite's housekeeping files as they were (and a mistyped
 * --db creates no empty store). A store whose
 * schema is behind cannot be read this way; the write open migrates it and the step
 * itself then refuses an unknown number.
 */
async function checkOrdersExist(spec: string, orderNos: readonly string[]): Promise<void> {
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    store = await openStore(spec, { access: 'read' });
  } catch (error) {
    if (error instanceof KaiyakuError && error.code === 'SCHEMA_OUTDATED') return;
    throw error;
  }
  try {
    for (const orderNo of orderNos) await findOrder(store, orderNo);
  } finally {
    await store.close();
  }
}

/** An order number as typed: full-width digits and lower case are read as the number they mean. */
function normaliseOrderNo(typed: string): string {
  return typed.normalize('NFKC').trim().toUpperCase();
}
