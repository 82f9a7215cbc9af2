import { describe, expect, it } from 'vitest';
import { confirm, isFinalRefusal, resumeVerdict, type ConfirmInput, type OrderLineSnapshot, type ResumeSnapshot } from '../../src/domain/orderState.js';
import type { OrderStatus } from '../../src/domain/types.js';

/** Orders the supplier took in part or not at all: confirmation releases what it refused; resume says who moves next. */

const LATE: OrderLineSnapshot = { linkageStatus: 'failed', linkageCode: '900117' };
const UNREADABLE: OrderLineSnapshot = { linkageStatus: 'failed', linkageCode: 'BAD_RESPONSE' };
const LINKED: OrderLineSnapshot = { linkageStatus: 'linked' };
const PENDING: OrderLineSnapshot = { linkageStatus: 'pending' };
const UNLINKED: OrderLineSnapshot = { linkageStatus: 'unlinked' };

function input(overrides: Partial<ConfirmInput> = {}): ConfirmInput {
  return { endDate: '2026-11-30', contractStartDate: '2021-07-20', confirmUnsettled: false, ...overrides };
}

function order(status: OrderStatus, lines: OrderLineSnapshot[], endDate: string | null = '2026-11-30'): ResumeSnapshot {
  return { status, appliedOn: '2026-11-26', endDate, contractStartDate: '2021-07-20', lines };
}

describe('confirm with refused lines', () => {
  it('a refused line blocks confirmation unless it may be released', () => {
    expect(confirm(order('accepted', [LINKED, LATE]), input())).toEqual({ ok: false, refusal: 'LINKAGE_FAILED' });
    expect(confirm(order('accepted', [LINKED, LATE]), input({ releaseRefused: 'none' }))).toEqual({ ok: false, refusal: 'LINKAGE_FAILED' });
    expect(confirm(order('accepted', [LINKED, LATE]), input({ releaseRefused: 'final' }))).toEqual({ ok: true, next: 'completed' });
    expect(confirm(order('accepted', [LINKED, LATE]), input({ releaseRefused: 'any' }))).toEqual({ ok: true, next: 'completed' });
  });

  it('resume (final) releases only refusals retrying cannot change; an operator (any) releases every one', () => {
    expect(confirm(order('accepted', [LINKED, UNREADABLE]), input({ releaseRefused: 'final' }))).toEqual({ ok: false, refusal: 'LINKAGE_FAILED' });
    expect(confirm(order('accepted', [LINKED, UNREADABLE]), input({ releaseRefused: 'any' }))).toEqual({ ok: true, next: 'completed' });
  });

  it('an order the supplier took nothing of is not confirmed: NOTHING_TAKEN', () => {
    for (const releaseRefused of ['final', 'any'] as const) {
      expect(confirm(order('accepted', [LATE, LATE]), input({ releaseRefused }))).toEqual({ ok: false, refusal: 'NOTHING_TAKEN' });
    }
  });

  it('a taken line still unsettled needs --confirm-unsettled; a line not sent still blocks', () => {
    expect(confirm(order('accepted', [PENDING, LATE]), input({ releaseRefused: 'any' }))).toEqual({ ok: false, refusal: 'UNSETTLED' });
    expect(confirm(order('accepted', [PENDING, LATE]), input({ releaseRefused: 'any', confirmUnsettled: true }))).toEqual({ ok: true, next: 'completed' });
    expect(confirm(order('accepted', [UNLINKED, LATE, LINKED]), input({ releaseRefused: 'any' }))).toEqual({ ok: false, refusal: 'NOT_LINKED' });
  });

  it('finality: a 4xx code is final; an unreadable answer or no code is not', () => {
    expect(isFinalRefusal(LATE)).toBe(true);
    expect(isFinalRefusal({ linkageStatus: 'failed', linkageCode: 'NOT_FOUND' })).toBe(true);
    expect(isFinalRefusal(UNREADABLE)).toBe(false);
    expect(isFinalRefusal({ linkageStatus: 'failed', linkageCode: null })).toBe(false);
    expect(isFinalRefusal({ linkageStatus: 'unlinked', linkageCode: 'SUPPLIER_UNAVAILABLE' })).toBe(false);
  });
});

describe('resumeVerdict', () => {
  const opts = { confirmUnsettled: false };

  it('lines to send or to ask about: resume goes on (the supplier unreachable or not settled)', () => {
    expect(resumeVerdict(order('accepted', [{ linkageStatus: 'unlinked', linkageCode: 'SUPPLIER_UNAVAILABLE' }, LATE]), opts)).toEqual({ kind: 'advance' });
    expect(resumeVerdict(order('accepted', [PENDING, LATE]), opts)).toEqual({ kind: 'advance' });
    expect(resumeVerdict(order('completed', [PENDING]), opts)).toEqual({ kind: 'advance' });
    expect(resumeVerdict(order('requested', [UNLINKED]), opts)).toEqual({ kind: 'advance' });
  });

  it('every line refused for good: the operator withdraws the acceptance, then the order', () => {
    expect(resumeVerdict(order('accepted', [LATE, { linkageStatus: 'failed', linkageCode: 'SUPPLIER_QUANTITY_MISMATCH' }]), opts)).toEqual({
      kind: 'operator',
      action: 'withdrawAcceptance',
      refusal: 'NOTHING_TAKEN',
    });
  });

  it('a refusal that is not final (an unreadable answer) is never advice to withdraw: resume asks the supplier again', () => {
    expect(resumeVerdict(order('accepted', [LATE, UNREADABLE]), opts)).toEqual({ kind: 'advance' });
    expect(resumeVerdict(order('accepted', [UNREADABLE]), opts)).toEqual({ kind: 'advance' });
  });

  it('acceptance withdrawn after the refusal: the operator withdraws the order (resume does not accept it again)', () => {
    expect(resumeVerdict(order('requested', [LATE]), opts)).toEqual({ kind: 'operator', action: 'withdraw', refusal: 'REFUSED_AND_SENT_BACK' });
  });

  it('taken in part with a final refusal: resume confirms it itself', () => {
    expect(resumeVerdict(order('accepted', [LINKED, LATE]), opts)).toEqual({ kind: 'advance' });
  });

  it('taken in part with an answer that is not a final refusal: resume asks again; an end date the rules refuse: the operator confirms', () => {
    expect(resumeVerdict(order('accepted', [LINKED, UNREADABLE]), opts)).toEqual({ kind: 'advance' });
    expect(resumeVerdict(order('accepted', [LINKED], '2026-11-01'), opts)).toEqual({ kind: 'operator', action: 'confirm', refusal: 'END_DATE_BEFORE_APPLIED' });
  });
});
