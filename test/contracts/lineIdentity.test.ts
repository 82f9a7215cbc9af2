/**
 * The one definition of a contract line's identity (domain/lineIdentity.ts), on its own:
 * which stored line each line of a master file is.
 */
import { describe, expect, it } from 'vitest';
import { canonicalContractNo, namesLine, pairLines, type PairableLine } from '../../src/domain/lineIdentity.js';

const line = (productCode: string, subscriptionId = '', serials: string[] = [], content = 'same'): PairableLine => ({
  productCode,
  subscriptionId,
  serials,
  content: () => content,
});
const pairs = (stored: PairableLine[], incoming: PairableLine[]) => {
  const r = pairLines(stored, incoming);
  return { pairs: r.pairs.map((p) => (p.kind === 'new' ? 'new' : `${p.kind === 'existing' ? '' : 'id-missing:'}${p.stored}`)), unpaired: r.unpaired };
};

describe('pairLines', () => {
  it('pairs by subscription id whatever its case, and across product codes (a plan change keeps the subscription)', () => {
    expect(pairs([line('E1', 'AB-CD'), line('P1', 'EF-01')], [line('P1', 'ef-01'), line('E3', 'ab-cd')])).toEqual({ pairs: ['1', '0'], unpaired: [] });
  });

  it('never pairs a stored id with another id: a different subscription is a new line, and the old one is left unpaired', () => {
    expect(pairs([line('E1', 'OLD')], [line('E1', 'NEW')])).toEqual({ pairs: ['new'], unpaired: [0] });
  });

  it('an id appearing takes the stored line of its product that had none', () => {
    expect(pairs([line('E1'), line('P1')], [line('P1', 'SUB-P'), line('E1', 'SUB-E')])).toEqual({ pairs: ['1', '0'], unpaired: [] });
  });

  it('lines of one product without ids pair by position, unless serials or content say which is which', () => {
    expect(pairs([line('ES', '', [], 'a'), line('ES', '', [], 'b')], [line('ES', '', [], 'x'), line('ES', '', [], 'y')]).pairs).toEqual(['0', '1']);
    expect(pairs([line('ES', '', [], 'a'), line('ES', '', [], 'b')], [line('ES', '', [], 'b'), line('ES', '', [], 'a')]).pairs).toEqual(['1', '0']);
    expect(pairs([line('ES', '', ['S1', 'S2']), line('ES', '', ['S3'])], [line('es', '', ['s3']), line('ES', '', ['S2', 'S9'])]).pairs).toEqual(['1', '0']);
    // Serials shared with both stored lines decide nothing: position does.
    expect(pairs([line('ES', '', ['S1']), line('ES', '', ['S2'])], [line('ES', '', ['S2', 'S1']), line('ES', '', ['S7'])]).pairs).toEqual(['0', '1']);
  });

  it('a file line without an id, where the store has the product only on a line whose id the file does not name, is id-missing; more lines are new', () => {
    expect(pairs([line('E1', 'KEEP')], [line('E1')])).toEqual({ pairs: ['id-missing:0'], unpaired: [0] });
    expect(pairs([line('E1', 'KEEP')], [line('E1', 'KEEP'), line('E1')])).toEqual({ pairs: ['0', 'new'], unpaired: [] });
    expect(pairs([line('E1')], [line('E1'), line('E1')])).toEqual({ pairs: ['0', 'new'], unpaired: [] });
  });
});

describe('namesLine (how a cancellation row finds its line)', () => {
  it('matches product codes and subscription ids without regard to case; an empty value names any', () => {
    const stored = { productCode: 'O365-E1', subscriptionId: 'SC0F21D7-C48D' };
    expect(namesLine({ productCode: 'o365-e1', subscriptionId: '' }, stored)).toBe(true);
    expect(namesLine({ productCode: '', subscriptionId: 'sc0f21d7-c48d' }, stored)).toBe(true);
    expect(namesLine({ productCode: 'O365-E3', subscriptionId: 'SC0F21D7-C48D' }, stored)).toBe(false);
  });

  it('contract numbers are upper-cased', () => {
    expect(canonicalContractNo('ncn202107-0000003109')).toBe('NCN202107-0000003109');
  });
});
