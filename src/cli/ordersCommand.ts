import type { Argv, CommandModule } from 'yargs';
import { parseBusinessDate } from '../domain/dates.js';
import { STAGES, type OrderStatus, type Stage } from '../domain/types.js';
import { acceptOrder, confirmOrder, linkOrder, resumeOpenOrders, withdrawOrder, withdrawOrderAcceptance } from '../pipeline/orderSteps.js';
import { writeOrderList } from '../reports/lists.js';
import { UsageError } from './errors.js';
import { reportExit } from './exitCode.js';
import { clearProgress, openDeps, withCsvOutput, withDb, withSupplier, type CommonArgs, type SupplierArgs } from './shared.js';

interface ListArgs extends CommonArgs {
  status?: OrderStatus;
  out?: string;
  encoding: 'utf8' | 'utf8-bom' | 'cp932';
  lang: 'ja' | 'en';
}
interface StepArgs extends CommonArgs, SupplierArgs {
  orderNo: string;
  endDate?: string;
}
interface ResumeArgs extends CommonArgs, SupplierArgs {
  until: Stage;
}

const listCommand: CommandModule<object, ListArgs> = {
  command: 'list',
  describe: 'the change-order list (契約変更一覧) as CSV, with amounts before and after',
  builder: (y: Argv) =>
    withCsvOutput(withDb(y))
      .option('status', { choices: ['requested', 'accepted', 'completed', 'withdrawn'] as const, describe: 'only orders in this status' })
      .example('$0 orders list --status accepted', 'orders waiting for linkage or confirmation') as unknown as Argv<ListArgs>,
  handler: async (args) => {
    const deps = await openDeps(args);
    try {
      await writeOrderList(deps.store, { out: args.out, encoding: args.encoding, lang: args.lang }, args.status ? { status: args.status } : {});
    } finally {
      await deps.close();
    }
  },
};

const resumeCommand: CommandModule<object, ResumeArgs> = {
  command: 'resume',
  describe: 'advance every open order left by earlier runs (pending linkage, unsettled lines, unconfirmed orders)',
  builder: (y: Argv) =>
    withSupplier(withDb(y))
      .option('until', { choices: STAGES, default: 'completed' as Stage, describe: 'the last stage to reach' })
      .example('$0 orders resume', 'what the nightly job runs after new files') as unknown as Argv<ResumeArgs>,
  handler: async (args) => {
    const deps = await openDeps(args);
    try {
      const { orders, counts } = await resumeOpenOrders(deps, { until: args.until, concurrency: args.concurrency, confirmUnsettled: args.confirmUnsettled });
      clearProgress(args);
      const left = await deps.store.db('change_orders').whereIn('status', ['requested', 'accepted']).count({ n: '*' }).first();
      const open = Number(left?.['n'] ?? 0);
      if (!args.quiet) {
        process.stdout.write(`resume: ${orders} open orders — accepted ${counts.accepted}, sent ${counts.sent}, settled ${counts.settled}, pending ${counts.pending}, refused by supplier ${counts.rejected}, unreachable ${counts.unavailable}, confirmed ${counts.confirmed}; still open ${open}\n`);
      }
      reportExit(open > 0 && args.until === 'completed' ? 1 : 0);
    } finally {
      await deps.close();
    }
  },
};

function stepCommand(name: string, describe: string, run: (deps: Awaited<ReturnType<typeof openDeps>>, args: StepArgs) => Promise<string>, extra?: (y: Argv) => Argv): CommandModule<object, StepArgs> {
  return {
    command: `${name} <orderNo>`,
    describe,
    builder: (y: Argv) => {
      const base = withSupplier(withDb(y)).positional('orderNo', { type: 'string', demandOption: true, describe: 'NOD…' });
      return (extra ? extra(base) : base).example(`$0 orders ${name} NOD202611-0000000001`, describe) as unknown as Argv<StepArgs>;
    },
    handler: async (args) => {
      const deps = await openDeps(args);
      try {
        const message = await run(deps, args);
        if (!args.quiet) process.stdout.write(`${message}\n`);
      } finally {
        await deps.close();
      }
    },
  };
}

export const ordersCommand: CommandModule = {
  command: 'orders <command>',
  describe: 'list orders, resume open ones, or take one step on one order (the portal\'s buttons)',
  builder: (y) =>
    y
      .command(listCommand)
      .command(resumeCommand)
      .command(stepCommand('accept', '受付: requested → accepted', async (deps, a) => (await acceptOrder(deps, a.orderNo), `${a.orderNo}: 受付済 (accepted)`)))
      .command(stepCommand('withdraw-acceptance', '受付取消: accepted → requested, while nothing is linked', async (deps, a) => (await withdrawOrderAcceptance(deps, a.orderNo), `${a.orderNo}: 申請 (requested)`)))
      .command(
        stepCommand('link', '解約連携: send the unlinked lines to the supplier', async (deps, a) => {
          const c = await linkOrder(deps, a.orderNo, { concurrency: a.concurrency });
          if (c.rejected > 0 || c.unavailable > 0 || c.pending > 0) reportExit(1);
          return `${a.orderNo}: 解約連携 — settled ${c.settled}, pending ${c.pending}, refused ${c.rejected}, unreachable ${c.unavailable}${c.settled > 0 && c.rejected === 0 && c.unavailable === 0 && c.pending === 0 ? ' — 解約連携が完了しました' : ''}`;
        }),
      )
      .command(
        stepCommand(
          'confirm',
          '解約確定: apply the new quantities with a contract end date (--end-date is required)',
          async (deps, a) => {
            let endDate: string | null = null;
            if (a.endDate !== undefined) {
              endDate = parseBusinessDate(a.endDate);
              if (!endDate) throw new UsageError(`--end-date "${a.endDate}" is not a date (use YYYY-MM-DD)`);
            }
            await confirmOrder(deps, a.orderNo, { endDate, confirmUnsettled: a.confirmUnsettled });
            return `${a.orderNo}: 変更済 (completed), 契約終了日 ${endDate}`;
          },
          (y) => y.option('end-date', { type: 'string', describe: '契約終了日 (required)' }),
        ),
      )
      .command(stepCommand('withdraw', 'キャンセル: withdraw a requested order', async (deps, a) => (await withdrawOrder(deps, a.orderNo), `${a.orderNo}: キャンセル (withdrawn)`)))
      .demandCommand(1),
  handler: () => undefined,
};
