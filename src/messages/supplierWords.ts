import { entry } from './entry.js';
import type { Words } from './words.js';
/** What the supplier room says. */
export const SUPPLIER_WORDS = {
  'supplier.http': entry<{ status: number }>(
    (p) => `HTTP ${p.status}`,
    (p) => `HTTP ${p.status}`,
  ),
  'supplier.httpWithWords': entry<{ status: number; description: string }>(
    (p) => `HTTP ${p.status} (${p.description})`,
    (p) => `HTTP ${p.status}（${p.description}）`,
  ),
  'supplier.unreadableAnswer': entry<{ status: number; body: string }>(
    (p) => `an answer that could not be read (HTTP ${p.status}: ${p.body})`,
    (p) => `読み取れない応答（HTTP ${p.status}: ${p.body}）`,
  ),
  'supplier.budgetSpent': entry<{ seconds: string }>(
    (p) => `the supplier time budget of this command (--supplier-budget-seconds ${p.seconds}) is spent`,
    (p) => `このコマンドで仕入元に使える時間（--supplier-budget-seconds ${p.seconds}）を使い切りました`,
  ),
  'supplier.gaveUpAfterAttempts': entry<{ failedAttempts: number; lastProblem: Words; why: Words }>(
    (p) => `supplier unavailable after ${p.failedAttempts} attempts; last: ${p.lastProblem.en}; not retried: ${p.why.en}`,
    (p) =>
      p.failedAttempts === 1
        ? `仕入元から有効な応答がありませんでした（1 回: ${p.lastProblem.ja}）。再試行しません: ${p.why.ja}`
        : `仕入元から ${p.failedAttempts} 回とも有効な応答がありませんでした（最後: ${p.lastProblem.ja}）。再試行しません: ${p.why.ja}`,
  ),
  'supplier.gaveUpUnsent': entry<{ why: Words }>(
    (p) => `supplier unavailable, not sent: ${p.why.en}`,
    (p) => `送信していません: ${p.why.ja}`,
  ),
  'supplier.keptThrottling': entry<{ throttles: number }>(
    (p) => `supplier kept throttling (HTTP 429 ${p.throttles} times)`,
    (p) => `仕入元が流量制限を続けました（HTTP 429 が ${p.throttles} 回）`,
  ),
  'supplier.retryAfterTooLong': entry<{ seconds: string; seconds2: string }>(
    (p) => `the supplier asked to wait ${p.seconds} s (HTTP 429 Retry-After), longer than the ${p.seconds2} s a command waits`,
    (p) => `仕入元が ${p.seconds} 秒の待機を求めました（HTTP 429 Retry-After）。1 つのコマンドで待つ上限の ${p.seconds2} 秒を超えています`,
  ),
  'supplier.throttledTooLong': entry<{ seconds: string }>(
    (p) => `the supplier has served no call for ${p.seconds} s, answering HTTP 429 (throttled)`,
    (p) => `仕入元が ${p.seconds} 秒間どの呼び出しにも応じず、HTTP 429（流量制限）を返しています`,
  ),
  'supplier.accessRefused': entry<{ answer: Words }>(
    (p) => `the supplier's gateway refused access (${p.answer.en}): check the supplier URL and its credentials`,
    (p) => `仕入元のゲートウェイがアクセスを拒否しました（${p.answer.ja}）。仕入元の URL と認証情報を確認してください`,
  ),
  // The English of a call without an answer is the transport's own message.
  'supplier.timedOutAfter': entry<{ message: string; ms: string }>(
    (p) => p.message,
    (p) => `${p.ms} ms 以内に応答がありませんでした`,
  ),
  'supplier.timedOut': entry<{ message: string }>(
    (p) => p.message,
    () => '応答がないまま打ち切りました',
  ),
  'supplier.connectionFailedWithCode': entry<{ message: string; code: string }>(
    (p) => p.message,
    (p) => `接続できませんでした（${p.code}）`,
  ),
  'supplier.connectionFailed': entry<{ message: string }>(
    (p) => p.message,
    () => '接続できませんでした',
  ),
  'supplier.circuitOpen': entry<{ failures: number; last: Words }>(
    (p) => `the circuit is open after ${p.failures} calls in a row without an answer (last: ${p.last.en})`,
    (p) => `${p.failures} 回続けて仕入元から応答がなかったため、呼び出しを止めています（最後: ${p.last.ja}）`,
  ),
  'supplier.noFailure': { en: 'none', ja: 'なし' },
  'supplier.retryAfterUnusable': entry<{ shown: string; maxSeconds: string }>(
    (p) =>
      `the supplier answered HTTP 429 with Retry-After: "${p.shown}", which asks for no usable wait; the client spaces its calls by its own back-off instead (up to ${p.maxSeconds} s)`,
    (p) =>
      `仕入元が HTTP 429 に待機時間として使えない Retry-After: "${p.shown}" を付けて応答しました。代わりに、クライアント側で間隔を空けて呼び出します（最大 ${p.maxSeconds} 秒）`,
  ),
  'supplier.changeAnswerUnread': entry<{ answer: Words }>(
    (p) => `the supplier answered the change with ${p.answer.en}, not the subscription: whether it took the change is not known; a later run asks it`,
    (p) => `仕入元は変更に対し、サブスクリプションではなく${p.answer.ja}を返しました。変更が反映されたかは分かりません。次回の実行で仕入元に確認します`,
  ),
  // 「n 回とも」 needs two or more.
  'supplier.noUsableAnswer': entry<{ attempts: number; last: Words }>(
    (p) => `supplier unavailable after ${p.attempts} attempts; last: ${p.last.en}`,
    (p) =>
      p.attempts === 1
        ? `仕入元から有効な応答がありませんでした（1 回: ${p.last.ja}）`
        : `仕入元から ${p.attempts} 回とも有効な応答がありませんでした（最後: ${p.last.ja}）`,
  ),
} as const;
