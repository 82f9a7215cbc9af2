/** The languages a user can choose (`--lang`); Japanese is the default everywhere. */
export type Lang = 'ja' | 'en';

/** The same message in each language a user can choose. */
export interface Words {
  en: string;
  ja: string;
}

/** Between the items of a list, each language its own way: `a, b` and `a、b`. */
export const LIST_SEPARATOR: Words = { en: ', ', ja: '、' };

/**
 * Messages joined into one, each language on its own: `separator` the same in both (a line
 * break) or each language's own (`, ` and `、`); `after` follows the list (`ほか 3 件`).
 */
export function joinWords(items: readonly Words[], separator: string | Words, after: Words | null = null): Words {
  const sep = typeof separator === 'string' ? { en: separator, ja: separator } : separator;
  return { en: items.map((w) => w.en).join(sep.en) + (after?.en ?? ''), ja: items.map((w) => w.ja).join(sep.ja) + (after?.ja ?? '') };
}

/** Both languages at once: `words('no such file', 'ファイルがありません')`. */
export function words(en: string, ja: string): Words {
  return { en, ja };
}
