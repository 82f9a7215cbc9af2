/**
 * Request keys are checked by the insert that writes them: an id another run recorded
 * since a page looked it up is not written twice nor rebound to this run's order, and the
 * insert says so, which makes the judge roll the page back and judge it again.
 */
import { describe, expect, it } from 'vitest';
import { validateContractGroup, type GroupPlan } from '../../src/domain/cancelRules.js';
import { transact } from '../../src/store/retry.js';
import { importContracts, loadSnapshots } from '../../src/store/contractRepository.js';
import { createCancelOrders } from '../../src/store/orderRepository.js';
import { findRequestKeys, insertRequestKeys } from '../../src/store/runRepository.js';
import { aContractInput, aRow, aRuleContext } from '../builders.js';
import { aRun, aWriteContext, useStore } from './useStore.js';
import { knexOf } from '../../src/store/store.js';

const ctx = useStore();

async function anOrder(): Promise<number> {
  const input = aContractInput();
  await importContracts(ctx.store, [input], 'importer', '2026-11-01 09:00:00');
  const snapshot = (await loadSnapshots(knexOf(ctx.store), [input.contractNo])).get(input.contractNo)!;
  const verdict = validateContractGroup([aRow({ contractNo: input.contractNo })], snapshot, aRuleContext({ defaultEndDate: '2026-11-30' }));
  if (!verdict.ok) throw new Error('the row was refused');
  const plan: GroupPlan = verdict.plan;
  const {
    created: [created],
  } = await transact(ctx.store, (trx) => createCancelOrders(trx, [plan], { ...aWriteContext(), runId: null }));
  return created!.orderId;
}

describe('request keys', () => {
  it('an id another run recorded meanwhile is left as that run wrote it, and the insert says it did not record it', async () => {
    const [firstOrder, secondOrder] = [await anOrder(), await anOrder()];
    const [firstRun, secondRun] = [await aRun(ctx.store), await aRun(ctx.store)];
    expect(await transact(ctx.store, (trx) => insertRequestKeys(trx, firstRun, [{ requestId: 'REQ-RACE-1', fingerprint: 'f1', orderId: firstOrder }]))).toBe(
      true,
    );

    // The second run looked the id up before the first recorded it, and now writes it too.
    const recorded = await transact(ctx.store, (trx) =>
      insertRequestKeys(trx, secondRun, [
        { requestId: 'REQ-RACE-2', fingerprint: 'f2', orderId: secondOrder },
        { requestId: 'REQ-RACE-1', fingerprint: 'f1', orderId: secondOrder },
      ]),
    );
    expect(recorded).toBe(false);
    const keys = await findRequestKeys(knexOf(ctx.store), ['REQ-RACE-1']);
    expect([...keys.values()].map((k) => k.orderId)).toEqual([firstOrder]);
  });

  it('a page of new ids is recorded whole', async () => {
    const order = await anOrder();
    const run = await aRun(ctx.store);
    const ids = ['REQ-NEW-1', 'REQ-NEW-2', 'REQ-NEW-3'];
    expect(
      await transact(ctx.store, (trx) =>
        insertRequestKeys(
          trx,
          run,
          ids.map((requestId) => ({ requestId, fingerprint: requestId, orderId: order })),
        ),
      ),
    ).toBe(true);
    expect((await findRequestKeys(knexOf(ctx.store), ids)).size).toBe(3);
  });
});
