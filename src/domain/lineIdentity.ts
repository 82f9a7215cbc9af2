/**
 * What makes a contract line the same line again, for every path that looks one up: the
 * cancellation rules (a row names a line by product code and/or subscription id) and the
 * contract import (a row of the master file is an existing line, or a new one). Pure: no
 * I/O here. Values reach these functions already NFKC-normalised and trimmed
 * (csv/headers.ts normaliseValue); what is left to decide is case, and position.
 *
 * A line's identity within its contract:
 * - its supplier subscription id, compared without regard to case (GUIDs come either way);
 * - without one, its product code (without regard to case) and its position among the
 *   contract's lines of that code.
 */

/** The form in which product codes and subscription ids are compared. */
export function idKey(value: string): string {
  return value.toUpperCase();
}

/** Two product codes or subscription ids that name the same thing: `o365-e1` is `O365-E1`. */
export function sameId(a: string, b: string): boolean {
  return idKey(a) === idKey(b);
}

/**
 * A contract number as it is stored and looked up on every path: `ncn202107-…` typed by
 * hand is the portal's `NCN202107-…`. (Cancellation rows are read the same way:
 * cancel/intake.ts.)
 */
export function canonicalContractNo(normalised: string): string {
  return normalised.toUpperCase();
}

/** The form in which serials are compared: `sn-1` and `SN-1` are one licence unit. */
export function serialKey(serial: string): string {
  return serial.toUpperCase();
}

export interface LineIds {
  productCode: string;
  subscriptionId: string;
}

/**
 * Whether a row that names a product code and/or a subscription id names this line; an
 * empty value names any. This is how a cancellation row finds its line.
 */
export function namesLine(row: LineIds, line: LineIds): boolean {
  return (
    (row.productCode === '' || sameId(line.productCode, row.productCode)) && (row.subscriptionId === '' || sameId(line.subscriptionId, row.subscriptionId))
  );
}

/** A line as the pairing sees it, stored or from the file. */
export interface PairableLine extends LineIds {
  /** Serials the line holds or lists (a stored line's cancelled ones too: they were its units). */
  serials: readonly string[];
  /** Everything else about the line, as one comparable value (prices, quantity, names); asked only when ids and serials do not decide. */
  content: () => string;
}

export type Pairing =
  /** The file's line is this stored line (index into the stored list). */
  | { kind: 'existing'; stored: number }
  /** A line the contract does not have yet. */
  | { kind: 'new' }
  /**
   * The file gives no subscription id, and the only line it can be is this stored line,
   * whose id the file names nowhere: it is neither a new line (that would double its
   * seats) nor, without the id, certainly this one.
   */
  | { kind: 'id-missing'; stored: number };

/**
 * Which stored line each line of the file is, within one contract. Stored lines come in
 * line order, the file's in file order. In turn:
 * 1. the same subscription id;
 * 2. among lines of one product code that have no subscription id in the store: the one
 *    stored line that shares serials with the file's line (rows shuffled, serials
 *    changed in part);
 * 3. the stored line whose content equals the file's line (rows shuffled, nothing changed);
 * 4. position: the n-th such line of the file without an id is the n-th stored one;
 * 5. then a file line with an id the store does not know takes the next stored line of
 *    its product code that has no id (the id appearing);
 * 6. what is left is new, except a file line without an id whose product code the store
 *    has only on a line with an id the file does not name (`id-missing`).
 * A stored line with one subscription id is never the file's line with another.
 * Stored lines no file line is paired with are `unpaired`.
 */
export function pairLines(stored: readonly PairableLine[], incoming: readonly PairableLine[]): { pairs: Pairing[]; unpaired: number[] } {
  const taken = stored.map(() => false);
  const pairs: (Pairing | undefined)[] = incoming.map(() => undefined);
  const take = (i: number, j: number) => {
    taken[i] = true;
    pairs[j] = { kind: 'existing', stored: i };
  };

  const bySubscription = new Map<string, number[]>();
  stored.forEach((s, i) => {
    if (s.subscriptionId === '') return;
    const key = idKey(s.subscriptionId);
    bySubscription.set(key, [...(bySubscription.get(key) ?? []), i]);
  });
  incoming.forEach((f, j) => {
    if (f.subscriptionId === '') return;
    const i = (bySubscription.get(idKey(f.subscriptionId)) ?? []).find((c) => !taken[c]);
    if (i !== undefined) take(i, j);
  });

  // From here on, a file line pairs only with a stored line of its product code that has no id.
  const open = (j: number) => pairs[j] === undefined;
  const eligible = (i: number, j: number) => !taken[i] && stored[i]!.subscriptionId === '' && sameId(stored[i]!.productCode, incoming[j]!.productCode);
  const shares = (i: number, j: number) => {
    const mine = new Set(stored[i]!.serials.map(serialKey));
    return incoming[j]!.serials.some((s) => mine.has(serialKey(s)));
  };
  const storedIndexes = stored.map((_, i) => i);
  const incomingIndexes = incoming.map((_, j) => j);

  // 2. Shared serials, when they point one way only.
  for (const j of incomingIndexes) {
    if (!open(j) || incoming[j]!.serials.length === 0) continue;
    const candidates = storedIndexes.filter((i) => eligible(i, j) && shares(i, j));
    if (candidates.length !== 1) continue;
    const i = candidates[0]!;
    const rivals = incomingIndexes.filter((k) => k !== j && open(k) && eligible(i, k) && shares(i, k));
    if (rivals.length === 0) take(i, j);
  }
  // 3. The same content.
  for (const j of incomingIndexes) {
    if (!open(j)) continue;
    const content = incoming[j]!.content();
    const i = storedIndexes.find((c) => eligible(c, j) && stored[c]!.content() === content);
    if (i !== undefined) take(i, j);
  }
  // 4. Position, among lines without an id on both sides.
  for (const j of incomingIndexes) {
    if (!open(j) || incoming[j]!.subscriptionId !== '') continue;
    const i = storedIndexes.find((c) => eligible(c, j));
    if (i !== undefined) take(i, j);
  }
  // 5. An id appearing on a line the store has without one.
  for (const j of incomingIndexes) {
    if (!open(j)) continue;
    const i = storedIndexes.find((c) => eligible(c, j));
    if (i !== undefined) take(i, j);
  }
  // 6. New lines, or a line whose id the file leaves out.
  const named = new Set(incoming.filter((f) => f.subscriptionId !== '').map((f) => idKey(f.subscriptionId)));
  for (const j of incomingIndexes) {
    if (!open(j)) continue;
    const f = incoming[j]!;
    const i =
      f.subscriptionId === ''
        ? storedIndexes.find(
            (c) =>
              !taken[c] && stored[c]!.subscriptionId !== '' && !named.has(idKey(stored[c]!.subscriptionId)) && sameId(stored[c]!.productCode, f.productCode),
          )
        : undefined;
    pairs[j] = i === undefined ? { kind: 'new' } : { kind: 'id-missing', stored: i };
  }
  return { pairs: pairs as Pairing[], unpaired: storedIndexes.filter((i) => !taken[i]) };
}
