import { describe, expect, it } from 'vitest';
import {
  accept,
  confirm,
  isOpen,
  link,
  supplierMayHaveTaken,
  ORDER_REFUSAL,
  withdraw,
  withdrawAcceptance,
  type ConfirmInput,
  type OrderSnapshot,
} from '../../src/domain/orderState.js';
import type { LinkageStatus, OrderStatus } from '../../src/domain/types.js';

const STATUSES: OrderStatus[] = ['requested', 'accepted', 'completed', 'withdrawn'];

function anOrder(status: OrderStatus, linkages: LinkageStatus[] = ['unlinked'], appliedOn = '2026-11-26'): OrderSnapshot {
  return { status, appliedOn, lines: linkages.map((linkageStatus) => ({ linkageStatus })) };
}

function aConfirmInput(overrides: Partial<ConfirmInput> = {}): ConfirmInput {
  return { endDate: '2026-11-30', contractStartDate: '2021-07-20', confirmUnsettled: false, ...overrides };
}

describe('accept (受付)', () => {
  it('moves a requested order to accepted', () => {
    expect(accept(anOrder('requested'))).toEqual({ ok: true, next: 'accepted' });
  });

  it.each(STATUSES.filter((s) => s !== 'requested'))('refuses from %s', (status) => {
    expect(accept(anOrder(status))).toEqual({ ok: false, refusal: 'NOT_REQUESTED' });
  });
});

describe('withdrawAcceptance (受付取消)', () => {
  it('takes an accepted order with nothing sent back to requested', () => {
    expect(withdrawAcceptance(anOrder('accepted', ['unlinked', 'unlinked']))).toEqual({ ok: true, next: 'requested' });
  });

  it('is allowed when the supplier refused a line for good: nothing was ordered', () => {
    const refused: OrderSnapshot = {
      status: 'accepted',
      appliedOn: '2026-11-26',
      lines: [{ linkageStatus: 'failed', linkageCode: '900117' }, { linkageStatus: 'unlinked' }],
    };
    expect(withdrawAcceptance(refused)).toEqual({ ok: true, next: 'requested' });
  });

  it('refuses with ALREADY_ORDERED when a failed line has no final refusal (an unreadable answer): the supplier may have taken it', () => {
    for (const linkageCode of ['BAD_RESPONSE', null]) {
      expect(withdrawAcceptance({ status: 'accepted', appliedOn: '2026-11-26', lines: [{ linkageStatus: 'failed', linkageCode }] })).toEqual({
        ok: false,
        refusal: 'ALREADY_ORDERED',
      });
    }
  });

  it.each<LinkageStatus>(['pending', 'linked'])('refuses with ALREADY_ORDERED once a line is %s', (sent) => {
    expect(withdrawAcceptance(anOrder('accepted', ['unlinked', sent]))).toEqual({ ok: false, refusal: 'ALREADY_ORDERED' });
  });

  it("says so in the portal's words", () => {
    expect(ORDER_REFUSAL.ALREADY_ORDERED.ja).toBe('発注済みの為、受付取消はできません');
  });

  it.each(STATUSES.filter((s) => s !== 'accepted'))('refuses from %s', (status) => {
    expect(withdrawAcceptance(anOrder(status))).toEqual({ ok: false, refusal: 'NOT_ACCEPTED' });
  });
});

describe('withdraw (キャンセル)', () => {
  it('withdraws a requested order', () => {
    expect(withdraw(anOrder('requested'))).toEqual({ ok: true, next: 'withdrawn' });
  });

  it.each(STATUSES.filter((s) => s !== 'requested'))('refuses from %s', (status) => {
    expect(withdraw(anOrder(status))).toEqual({ ok: false, refusal: 'NOT_REQUESTED' });
  });
});

describe('link (解約連携)', () => {
  it('keeps an accepted order accepted while a line is unlinked', () => {
    expect(link(anOrder('accepted', ['linked', 'unlinked']))).toEqual({ ok: true, next: 'accepted' });
  });

  it('has nothing to do when no line is unlinked', () => {
    expect(link(anOrder('accepted', ['linked', 'pending', 'failed']))).toEqual({ ok: false, refusal: 'NOTHING_TO_LINK' });
  });

  it.each(STATUSES.filter((s) => s !== 'accepted'))('refuses from %s', (status) => {
    expect(link(anOrder(status))).toEqual({ ok: false, refusal: 'NOT_ACCEPTED' });
  });
});

describe('confirm (解約確定)', () => {
  it('completes an accepted order whose lines are all linked', () => {
    expect(confirm(anOrder('accepted', ['linked', 'linked']), aConfirmInput())).toEqual({ ok: true, next: 'completed' });
  });

  it.each(STATUSES.filter((s) => s !== 'accepted'))('refuses from %s', (status) => {
    expect(confirm(anOrder(status, ['linked']), aConfirmInput())).toEqual({ ok: false, refusal: 'NOT_ACCEPTED' });
  });

  it('needs an end date', () => {
    expect(confirm(anOrder('accepted', ['linked']), aConfirmInput({ endDate: null }))).toEqual({ ok: false, refusal: 'END_DATE_REQUIRED' });
    expect(confirm(anOrder('accepted', ['linked']), aConfirmInput({ endDate: '' }))).toEqual({ ok: false, refusal: 'END_DATE_REQUIRED' });
  });

  it('refuses an end date before the contract start', () => {
    const result = confirm(anOrder('accepted', ['linked'], '2026-11-26'), aConfirmInput({ endDate: '2026-11-27', contractStartDate: '2026-12-01' }));
    expect(result).toEqual({ ok: false, refusal: 'END_DATE_BEFORE_START' });
  });

  it('refuses an end date before the application date', () => {
    const result = confirm(anOrder('accepted', ['linked'], '2026-11-26'), aConfirmInput({ endDate: '2026-11-25' }));
    expect(result).toEqual({ ok: false, refusal: 'END_DATE_BEFORE_APPLIED' });
  });

  it('accepts an end date equal to the application date and to the contract start', () => {
    const result = confirm(anOrder('accepted', ['linked'], '2026-11-26'), aConfirmInput({ endDate: '2026-11-26', contractStartDate: '2026-11-26' }));
    expect(result).toEqual({ ok: true, next: 'completed' });
  });

  it('refuses unlinked lines', () => {
    expect(confirm(anOrder('accepted', ['linked', 'unlinked']), aConfirmInput())).toEqual({ ok: false, refusal: 'NOT_LINKED' });
    expect(confirm(anOrder('accepted', ['unlinked']), aConfirmInput({ confirmUnsettled: true }))).toEqual({ ok: false, refusal: 'NOT_LINKED' });
  });

  it('refuses failed lines, even when told to confirm unsettled ones', () => {
    expect(confirm(anOrder('accepted', ['linked', 'failed']), aConfirmInput())).toEqual({ ok: false, refusal: 'LINKAGE_FAILED' });
    expect(confirm(anOrder('accepted', ['failed']), aConfirmInput({ confirmUnsettled: true }))).toEqual({ ok: false, refusal: 'LINKAGE_FAILED' });
  });

  it('refuses pending lines unless confirmUnsettled (「解約確定してもよろしいですか？」 answered yes)', () => {
    expect(confirm(anOrder('accepted', ['linked', 'pending']), aConfirmInput())).toEqual({ ok: false, refusal: 'UNSETTLED' });
    expect(confirm(anOrder('accepted', ['linked', 'pending']), aConfirmInput({ confirmUnsettled: true }))).toEqual({ ok: true, next: 'completed' });
  });
});

describe('helpers', () => {
  it('the supplier may have taken pending and linked lines, and failed ones without a final refusal; unlinked ones and final refusals not', () => {
    const refusedForGood: OrderSnapshot = {
      status: 'accepted',
      appliedOn: '2026-11-26',
      lines: [{ linkageStatus: 'unlinked' }, { linkageStatus: 'failed', linkageCode: '900117' }],
    };
    expect(supplierMayHaveTaken(refusedForGood)).toBe(false);
    expect(supplierMayHaveTaken({ ...refusedForGood, lines: [{ linkageStatus: 'failed', linkageCode: 'SUPPLIER_QUANTITY_MISMATCH' }] })).toBe(false);
    expect(supplierMayHaveTaken({ ...refusedForGood, lines: [{ linkageStatus: 'failed', linkageCode: 'BAD_RESPONSE' }] })).toBe(true);
    expect(supplierMayHaveTaken({ ...refusedForGood, lines: [{ linkageStatus: 'failed' }] })).toBe(true);
    expect(supplierMayHaveTaken(anOrder('accepted', ['pending']))).toBe(true);
    expect(supplierMayHaveTaken(anOrder('accepted', ['linked']))).toBe(true);
  });

  it('treats requested and accepted orders as open', () => {
    expect(STATUSES.filter(isOpen)).toEqual(['requested', 'accepted']);
  });
});
