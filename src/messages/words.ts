/** The languages a user can choose (`--lang`); Japanese is the default everywhere. */
export type Lang = 'ja' | 'en';

/** The same message in each language a user can choose. */
export interface Words {
  en: string;
  ja: string;
}

/** Both languages at once: `words('no such file', 'ファイルがありません')`. */
export function words(en: string, ja: string): Words {
  return { en, ja };
}
