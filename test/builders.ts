/**
 * Test data with defaults (changesets test-utils style): each builder gives a valid,
 * ordinary value, and a test overrides only what it is about.
 */
import type { CancelRow, ContractSnapshot, GroupPlan, PlannedLine, RuleContext, SnapshotLine } from '../src/domain/cancelRules.js';
import type { Contract, Serial } from '../src/domain/types.js';
import type { ContractInput, ContractLineInput } from '../src/store/contractRepository.js';

let nextId = 1;
/** Ids unique across one test file, so lines and serials of different snapshots never collide. */
export function freshId(): number {
  return nextId++;
}

/** The run's business day in the examples: a Thursday in November 2026 (JST). */
export const TODAY = '2026-11-26';

export function aContract(overrides: Partial<Contract> = {}): Contract {
  return {
    id: freshId(),
    contractNo: 'NCN202107-0000003109',
    contractDate: '2021-07-20',
    startDate: '2021-07-20',
    endDate: null,
    cancelledOn: null,
    status: 'active',
    subject: 'テスト',
    customer: 'factory2016T',
    endUser: 'factory2016T',
    billTo: 'factory2016T',
    shipTo: 'factory2016T',
    ...overrides,
  };
}

export function aSerial(serialNo: string, overrides: Partial<Serial> = {}): Serial {
  return { id: freshId(), lineId: 0, serialNo, status: 'active', ...overrides };
}

/** A subscription line, 3 × 870 円, active, not a trial, no serials, not held by an order. */
export function aLine(overrides: Partial<SnapshotLine> = {}): SnapshotLine {
  const id = overrides.id ?? freshId();
  return {
    id,
    contractId: 0,
    productCode: `O365-E1-${id}`,
    subscriptionId: `SUB-${id}`,
    quantity: 3,
    unitPrice: 870,
    isTrial: false,
    status: 'active',
    heldByOpenOrder: false,
    ...overrides,
    serials: (overrides.serials ?? []).map((s) => ({ ...s, lineId: id })),
  };
}

/** A serial-managed line with one active serial per unit. */
export function aSerialLine(serialNos: readonly string[], overrides: Partial<SnapshotLine> = {}): SnapshotLine {
  return aLine({ subscriptionId: '', quantity: serialNos.length, serials: serialNos.map((s) => aSerial(s)), ...overrides });
}

export function aSnapshot(lines: readonly SnapshotLine[] = [aLine()], contract: Partial<Contract> = {}): ContractSnapshot {
  const c = aContract(contract);
  return { contract: c, lines: lines.map((l) => ({ ...l, contractId: c.id })) };
}

let nextRow = 1;
/** A data row naming the default contract, everything else left empty (全選択, default dates). */
export function aRow(overrides: Partial<CancelRow> = {}): CancelRow {
  return {
    row: nextRow++,
    contractNo: 'NCN202107-0000003109',
    productCode: '',
    subscriptionId: '',
    serialNo: '',
    cancelQuantity: null,
    endDate: null,
    requestId: '',
    note: '',
    ...overrides,
  };
}

export function aRuleContext(overrides: Partial<RuleContext> = {}): RuleContext {
  return { appliedOn: TODAY, defaultEndDate: '2026-11-30', ...overrides };
}

export function aPlannedLine(overrides: Partial<PlannedLine> = {}): PlannedLine {
  return { lineId: 0, quantityBefore: 3, cancelQuantity: 3, unitPrice: 870, serialIds: [], ...overrides };
}

export function aPlan(overrides: Partial<GroupPlan> = {}): GroupPlan {
  return { contractId: 0, endDate: '2026-11-30', note: '', lines: [], rowLines: new Map(), ...overrides };
}

/** One line of `contracts import`: a subscription product, 3 × 870 円. */
export function aLineInput(overrides: Partial<ContractLineInput> = {}): ContractLineInput {
  return {
    supplier: 'Microsoft',
    productCode: 'O365-E1',
    productName: 'Office 365 E1',
    subscriptionId: `SUB-${freshId()}`,
    quantity: 3,
    unitPrice: 870,
    plan: '標準月額プラン',
    billingModel: '標準月額モデル',
    isTrial: false,
    serials: [],
    ...overrides,
  };
}

/** One contract of `contracts import` with a unique number and one default line. */
export function aContractInput(overrides: Partial<ContractInput> = {}): ContractInput {
  return {
    contractNo: `NCN202107-${String(freshId()).padStart(10, '0')}`,
    contractDate: '2021-07-20',
    startDate: '2021-07-20',
    endDate: null,
    subject: 'テスト',
    customer: 'factory2016T',
    endUser: 'factory2016T',
    billTo: 'factory2016T',
    shipTo: 'factory2016T',
    lines: [aLineInput()],
    ...overrides,
  };
}
