import { entry } from './entry.js';
import type { Words } from './words.js';
/** What the store itself says about a line it changed on its own (a migration, a line held by another order). */
export const STORE_WORDS = {
  'store.lineHeldByOpenOrder': {
    en: 'not applied to the contract line: another open order holds it',
    ja: '別の処理中の注文がこの明細を保持しているため、契約明細には反映していません',
  },
  'store.lineHeldAfterReason': entry<{ reason: Words }>(
    (p) => `${p.reason.en}; not applied to the contract line: another open order holds it`,
    (p) => `${p.reason.ja}。別の処理中の注文がこの明細を保持しているため、契約明細には反映していません`,
  ),
  'store.sentRefusalReopened': {
    en: 'an earlier version took this line for refused after its change was sent; the supplier may have taken it: a later run asks it again',
    ja: '以前のバージョンは、変更を送信した後のこの明細を拒否として扱いました。仕入元が変更を反映している可能性があるため、次回の実行で改めて確認します',
  },
  'store.sent404Reopened': {
    en: 'an earlier version took a 404 for a refusal after the change was sent; the supplier may have taken it: a later run asks it again',
    ja: '以前のバージョンは、変更を送信した後の 404 を拒否として扱いました。仕入元が変更を反映している可能性があるため、次回の実行で改めて確認します',
  },
  'store.postgresUnusable': entry<{ redact: string; why: string }>(
    (p) => `cannot use PostgreSQL at ${p.redact}: ${p.why}`,
    (p) => `PostgreSQL (${p.redact}) を使えません: ${p.why}`,
  ),
  'store.openFolderMissing': entry<{ file: string; dir: string }>(
    (p) => `cannot open the database ${p.file}: its folder ${p.dir} does not exist`,
    (p) => `データベース ${p.file} を開けません: フォルダー ${p.dir} がありません`,
  ),
  'store.noDatabase': entry<{ where: string }>(
    (p) => `there is no database at ${p.where}: check --db or KAIYAKU_DB; nothing was done (\`kaiyaku contracts import\` or \`kaiyaku migrate\` creates one)`,
    (p) =>
      `${p.where} にデータベースがありません。--db または KAIYAKU_DB を確認してください。何も行っていません（\`kaiyaku contracts import\` か \`kaiyaku migrate\` で作成されます）`,
  ),
  'store.notKaiyaku': entry<{ where: string }>(
    (p) =>
      `${p.where} is not a kaiyaku database (it has no knex_migrations table): check --db or KAIYAKU_DB; \`kaiyaku contracts import\` or \`kaiyaku migrate\` makes a new one`,
    (p) =>
      `${p.where} は kaiyaku のデータベースではありません（knex_migrations 表がありません）。--db または KAIYAKU_DB を確認してください。新しく作るには \`kaiyaku contracts import\` か \`kaiyaku migrate\` を使います`,
  ),
  'store.cannotOpen': entry<{ redact: string }>(
    (p) => `cannot open the database ${p.redact}`,
    (p) => `データベース ${p.redact} を開けません`,
  ),
  'store.readOnly': entry<{ redact: string; why: string }>(
    (p) => `cannot write the database ${p.redact}: the file or its folder is read-only for this user (${p.why})`,
    (p) => `データベース ${p.redact} に書き込めません。ファイルかフォルダーがこのユーザーには読み取り専用です（${p.why}）`,
  ),
  'store.cannotOpenBecause': entry<{ redact: string; why: string }>(
    (p) => `cannot open the database ${p.redact}: ${p.why}`,
    (p) => `データベース ${p.redact} を開けません: ${p.why}`,
  ),
  'store.cannotRead': entry<{ file: string; why: Words }>(
    (p) => `cannot read the database ${p.file}: ${p.why.en}`,
    (p) => `データベース ${p.file} を読み込めません: ${p.why.ja}`,
  ),
  'store.walNeedsShm': entry<{ file: string; why: string; path: string }>(
    (p) =>
      `cannot read the database ${p.file} (${p.why}): a database in WAL mode needs its -shm file, and SQLite may not create it in ${p.path}. Read it where a writer has it open, or from a folder this user may write to (a copy of the database and its -wal file will do)`,
    (p) =>
      `データベース ${p.file} を読み込めません（${p.why}）。WAL モードのデータベースには -shm ファイルが必要ですが、フォルダー ${p.path} に作成できません。書き込み中のプロセスがある間に読むか、このユーザーが書き込めるフォルダーに（-wal ファイルと一緒に）コピーして読んでください`,
  ),
  'store.schemaOutdated': entry<{ where: string; pending: string }>(
    (p) => `the database ${p.where} has not been migrated to this version of kaiyaku (missing: ${p.pending}): run \`kaiyaku migrate --db ${p.where}\` first`,
    (p) =>
      `データベース ${p.where} がこのバージョンの kaiyaku に合わせて更新されていません（未適用: ${p.pending}）。先に \`kaiyaku migrate --db ${p.where}\` を実行してください`,
  ),
  'store.schemaNewer': entry<{ where: string; unknown: string }>(
    (p) => `the database ${p.where} was migrated by a newer version of kaiyaku (unknown migrations: ${p.unknown}): use that version or newer`,
    (p) =>
      `データベース ${p.where} は新しいバージョンの kaiyaku で更新されています（このバージョンが知らない更新: ${p.unknown}）。そのバージョン以降を使ってください`,
  ),
  'store.dbIsFolder': entry<{ file: string }>(
    (p) => `cannot use ${p.file} as the database: it is a folder`,
    (p) => `${p.file} はフォルダーのため、データベースとして使えません`,
  ),
  'store.cannotWriteFile': entry<{ f: string; why: Words }>(
    (p) => `cannot write the database file ${p.f}: ${p.why.en}`,
    (p) => `データベースのファイル ${p.f} に書き込めません: ${p.why.ja}`,
  ),
  'store.createFolderMissing': entry<{ file: string; dir: string }>(
    (p) => `cannot create the database ${p.file}: its folder ${p.dir} does not exist`,
    (p) => `データベース ${p.file} を作成できません: フォルダー ${p.dir} がありません`,
  ),
  'store.walFolderNotWritable': entry<{ file: string; dir: string; why: Words }>(
    (p) =>
      `cannot write the database ${p.file}: its folder ${p.dir} does not allow creating files (${p.why.en}), and SQLite writes its -wal and -shm files there`,
    (p) =>
      `データベース ${p.file} に書き込めません: フォルダー ${p.dir} にファイルを作成できません（${p.why.ja}）。SQLite はそこに -wal と -shm のファイルを作ります`,
  ),
  'store.createFolderNotWritable': entry<{ file: string; dir: string; why: Words }>(
    (p) => `cannot create the database ${p.file}: its folder ${p.dir} does not allow creating files (${p.why.en})`,
    (p) => `データベース ${p.file} を作成できません: フォルダー ${p.dir} にファイルを作成できません（${p.why.ja}）`,
  ),
  'store.permissionDenied': { en: 'permission denied', ja: '権限がありません' },
  'store.readOnlyFileSystem': { en: 'the file system is read-only', ja: 'ファイルシステムが読み取り専用です' },
  'store.itIsAFolder': { en: 'it is a folder', ja: 'フォルダーです' },
  'store.migrationLocked': entry<{ where: string }>(
    (p) =>
      `the schema of ${p.where} is being migrated by another process, or a migration that was stopped left its lock behind (knex_migrations_lock.is_locked = 1). Try again shortly; if no other kaiyaku is using this database, clear the stale lock with: UPDATE knex_migrations_lock SET is_locked = 0`,
    (p) =>
      `データベース ${p.where} の構造を別のプロセスが更新中か、中断された更新のロックが残っています（knex_migrations_lock.is_locked = 1）。少し待ってからやり直してください。このデータベースを使う kaiyaku が他に動いていなければ、UPDATE knex_migrations_lock SET is_locked = 0 で古いロックを外してください`,
  ),
  'store.connectionLost': entry<{ why: string; next: Words }>(
    (p) => `the connection to the database was lost and did not come back (${p.why}): ${p.next.en}`,
    (p) => `データベースとの接続が切れ、再接続できませんでした（${p.why}）。${p.next.ja}`,
  ),
  'store.dbEmpty': {
    en: '--db is empty: give a database file or a postgres:// URL, or leave --db out to use KAIYAKU_DB or ./kaiyaku.db',
    ja: '--db が空です。データベースのファイルか postgres:// の URL を指定してください（--db を省くと KAIYAKU_DB または ./kaiyaku.db を使います）',
  },
  'store.dbVariableEmpty': {
    en: 'KAIYAKU_DB is set but empty: set it to a database file or a postgres:// URL, or unset it to use ./kaiyaku.db (an unset variable in a cron line becomes empty)',
    ja: '環境変数 KAIYAKU_DB が空です。データベースのファイルか postgres:// の URL を設定するか、設定を外して ./kaiyaku.db を使ってください（cron では未設定の変数が空になります）',
  },
} as const;
