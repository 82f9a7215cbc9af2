import { type OrderState } from '../store/index.js';
import { advanceOrders, noAdvance, type AdvanceOptions } from './advance.js';
import { stageAtLeast, stageWithin, type PipelineDeps } from '../pipeline/context.js';
import { orderReached, type AdvanceCounts, type Stage } from '../domain/types.js';

/**
 * "A stop chosen is kept" (cli.md): an order remembers the stage its run was asked to stop
 * at (`--until requested|accepted|linked`). Once there it is parked: a night and a plain
 * `orders resume` leave it until an operator moves it. Before it gets there (a run killed
 * after creating its orders) they take it only as far as that stop.
 */

/** An open order standing at (or past) the stage its run asked it to stop at. */
export function isParked(o: Pick<OrderState, 'status' | 'holdStage' | 'lines'>): boolean {
  if (o.holdStage === null || (o.status !== 'requested' && o.status !== 'accepted')) return false;
  return orderReached(
    o.holdStage,
    o.status,
    o.lines.map((l) => l.linkageStatus),
  );
}

/** How far a run asked to reach `until` may take this order: a completed order has no stop left. */
export function targetOf(o: Pick<OrderState, 'status' | 'holdStage'>, until: Stage): Stage {
  return stageWithin(until, o.status === 'completed' ? null : o.holdStage);
}

function addCounts(into: AdvanceCounts, more: AdvanceCounts): void {
  for (const key of Object.keys(into) as (keyof AdvanceCounts)[]) into[key] += more[key];
}

/**
 * Advances orders as far as `options.until` allows, never past the stop each one records.
 * Parked orders are left as they stand and returned; the others go, a group per stage, to
 * the earlier of `until` and their stop.
 */
export async function advanceWithinHolds(
  deps: PipelineDeps,
  orderIds: readonly number[],
  options: AdvanceOptions,
): Promise<{ counts: AdvanceCounts; parked: number[] }> {
  const counts = noAdvance();
  const parked: number[] = [];
  const byStage = new Map<Stage, number[]>();
  const states = await deps.store.orders.loadOrderStates(orderIds);
  for (const id of orderIds) {
    const o = states.get(id);
    if (o && isParked(o)) {
      parked.push(id);
      continue;
    }
    const stage = o ? targetOf(o, options.until) : options.until;
    const group = byStage.get(stage);
    if (group) group.push(id);
    else byStage.set(stage, [id]);
  }
  // The furthest stage first: in a night nearly every order is in it.
  const stages = [...byStage.keys()].sort((a, b) => (stageAtLeast(a, b) ? -1 : 1));
  for (const stage of stages) addCounts(counts, await advanceOrders(deps, byStage.get(stage)!, { ...options, until: stage }));
  return { counts, parked };
}
