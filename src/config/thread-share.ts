/**
 * `max_transactions` and `max_completed_transactions` bound the whole process: with `workers` > 1
 * each thread runs its own transaction table, so each enforces its share of the limit. The
 * threads take turns at the one UDP socket and own requests by Call-ID, so a flood spreads evenly
 * and the shares fill together.
 */
import type { ResolvedConfig } from './resolve.js';

/** What one of `threads` threads enforces of a process-wide `limit`: ceil(limit / threads); 0 (no cap) stays 0. */
export function threadShare(limit: number, threads: number): number {
  return limit === 0 ? 0 : Math.ceil(limit / Math.max(1, threads));
}

export interface ThreadLimits {
  /** max_transactions' share: unanswered forwarded requests before new initial ones get 503. */
  readonly maxTransactions: number;
  /** max_completed_transactions' share: answered transactions waiting out their timers. */
  readonly maxCompleted: number;
}

/** One thread's shares of the process-wide transaction caps, for a process of `threads` threads. */
export function threadLimits(resolved: Pick<ResolvedConfig, 'relay' | 'transactions'>, threads: number): ThreadLimits {
  return {
    maxTransactions: threadShare(resolved.relay.shedding.maxTransactions, threads),
    maxCompleted: threadShare(resolved.transactions.maxCompleted, threads),
  };
}
