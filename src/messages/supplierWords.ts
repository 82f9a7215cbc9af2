import { entry } from './entry.js';
import type { Words } from './words.js';
/** What the supplier room says. */
export const SUPPLIER_WORDS = {
  'supplier.http': entry<{ status: number; description: string; description2: string }>(
    (p) => `HTTP ${p.status}${p.description}`,
    (p) => `HTTP ${p.status}${p.description2}`,
  ),
  'supplier.anAnswerThatCouldNot': entry<{ status: number; body: string }>(
    (p) => `an answer that could not be read (HTTP ${p.status}: ${p.body})`,
    (p) => `読み取れない応答（HTTP ${p.status}: ${p.body}）`,
  ),
  'supplier.theSupplierTimeBudgetOf': entry<{ seconds: string }>(
    (p) => `the supplier time budget of this command (--supplier-budget-seconds ${p.seconds}) is spent`,
    (p) => `このコマンドで仕入元に使える時間（--supplier-budget-seconds ${p.seconds}）を使い切りました`,
  ),
  'supplier.supplierUnavailableAfterAttemptsLast': entry<{ failedAttempts: number; lastProblem: Words; why: Words; noUsableAnswerJa: string }>(
    (p) => `supplier unavailable after ${p.failedAttempts} attempts; last: ${p.lastProblem.en}; not retried: ${p.why.en}`,
    (p) => `${p.noUsableAnswerJa}。再試行しません: ${p.why.ja}`,
  ),
  'supplier.supplierUnavailableNotSent': entry<{ why: Words }>(
    (p) => `supplier unavailable, not sent: ${p.why.en}`,
    (p) => `送信していません: ${p.why.ja}`,
  ),
  'supplier.supplierKeptThrottlingHttp429': entry<{ throttles: number }>(
    (p) => `supplier kept throttling (HTTP 429 ${p.throttles} times)`,
    (p) => `仕入元が流量制限を続けました（HTTP 429 が ${p.throttles} 回）`,
  ),
  'supplier.theSupplierAskedToWait': entry<{ seconds: string; seconds2: string }>(
    (p) => `the supplier asked to wait ${p.seconds} s (HTTP 429 Retry-After), longer than the ${p.seconds2} s a command waits`,
    (p) => `仕入元が ${p.seconds} 秒の待機を求めました（HTTP 429 Retry-After）。1 つのコマンドで待つ上限の ${p.seconds2} 秒を超えています`,
  ),
  'supplier.theSupplierHasServedNo': entry<{ seconds: string }>(
    (p) => `the supplier has served no call for ${p.seconds} s, answering HTTP 429 (throttled)`,
    (p) => `仕入元が ${p.seconds} 秒間どの呼び出しにも応じず、HTTP 429（流量制限）を返しています`,
  ),
  'supplier.theSupplierSGatewayRefused': entry<{ en: string; ja: string }>(
    (p) => `the supplier's gateway refused access (${p.en}): check the supplier URL and its credentials`,
    (p) => `仕入元のゲートウェイがアクセスを拒否しました（${p.ja}）。仕入元の URL と認証情報を確認してください`,
  ),
} as const;
