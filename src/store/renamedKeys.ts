import type { Knex } from 'knex';

/**
 * Keys of the book that were renamed after 014 began keeping them, by room: old name → new
 * name. Only keys that can reach the store are here: a refused row's detail
 * (run_rows.error_detail: the row's problem as judging or reading the file said it) and a
 * line's words (order_lines.linkage_detail: ours about the supplier's answer, with the
 * supplier client's reason inside). Fixed as 015 renamed them: a later rename is a later
 * migration.
 */
export const RENAMED_KEYS = {
  run_rows: {
    error_detail: {
      cancel: {
        columnHasAValueBut: 'valueWithoutHeader',
        orderOf: 'requestIdOrder',
        wasUsedForAnotherRow: 'requestIdUsed',
        requestIdAppearsEarlierIn: 'requestIdTwiceInFile',
        anotherRunTookTheLine: 'lineTakenByOtherRun',
        orderOfAndNothingShows: 'possibleRepeat',
      },
      csv: {
        fieldsWhereTheHeaderHas: 'fieldCount',
        columnHoldsANulCharacter: 'nulInValue',
      },
      domain: {
        isNotADateWrite: 'dateUnreadable',
        isNotADateThere: 'noSuchMonth',
        isNotADayOf: 'noSuchDay',
      },
    },
  },
  order_lines: {
    linkage_detail: {
      supplier: {
        anAnswerThatCouldNot: 'unreadableAnswer',
        theSupplierTimeBudgetOf: 'budgetSpent',
        supplierUnavailableAfterAttemptsLast: 'gaveUpAfterAttempts',
        supplierUnavailableNotSent: 'gaveUpUnsent',
        supplierKeptThrottlingHttp429: 'keptThrottling',
        theSupplierAskedToWait: 'retryAfterTooLong',
        theSupplierHasServedNo: 'throttledTooLong',
        theSupplierSGatewayRefused: 'accessRefused',
      },
    },
  },
} as const satisfies Record<string, Record<string, Record<string, Record<string, string>>>>;

/** The renames of one column, as whole keys: [old, new]. */
export function renamedKeysOf(rooms: Record<string, Record<string, string>>): [string, string][] {
  return Object.entries(rooms).flatMap(([room, names]) => Object.entries(names).map(([from, to]): [string, string] => [`${room}.${from}`, `${room}.${to}`]));
}

/**
 * Renames the keys inside the JSON the store keeps (messages/book.ts toStored: no spaces,
 * `"key":"room.name"`, a message's parts nested as messages of their own): one statement
 * per column, touching only the rows that hold an old key. No new name is an old one, so
 * the order of the replacements does not matter.
 */
export async function renameStoredKeys(knex: Knex): Promise<void> {
  for (const [table, columns] of Object.entries(RENAMED_KEYS)) {
    for (const [column, rooms] of Object.entries(columns)) {
      const pairs = renamedKeysOf(rooms).map(([from, to]) => [`"key":"${from}"`, `"key":"${to}"`] as const);
      let replaced = '??';
      const bindings: string[] = [column];
      for (const [from, to] of pairs) {
        replaced = `replace(${replaced}, ?, ?)`;
        bindings.push(from, to);
      }
      await knex(table)
        .where((q) => {
          for (const [from] of pairs) void q.orWhere(column, 'like', `%${from}%`);
        })
        .update({ [column]: knex.raw(replaced, bindings) });
    }
  }
}
