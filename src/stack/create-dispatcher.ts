/**
 * The dispatcher as the config describes it, and the list file it starts from: built the same way
 * on the main thread, in worker threads and by `--check`.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/config-types.js';
import { Dispatcher, type LoadReport } from '../dispatcher/dispatcher.js';
import type { HealthConfig } from '../dispatcher/health.js';
import { parseReplyCodes } from '../shared/reply-codes.js';
import { SipDispatchError } from '../shared/errors.js';

/** Reads the list file; an unreadable file is a LIST_READ error naming it. */
export async function readListFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new SipDispatchError('LIST_READ', `${file}: cannot read dispatcher list: ${(e as Error).message}`, { file });
  }
}

/** Probing mode, thresholds and reply-code rules, shared by the dispatcher and the prober. */
export function healthConfig(config: Config): HealthConfig {
  return {
    probingMode: config.ds_probing_mode,
    probingThreshold: config.ds_probing_threshold,
    inactiveThreshold: config.ds_inactive_threshold,
    replyCodes: parseReplyCodes(config.ds_ping_reply_codes).rules,
  };
}

/** The dispatcher as the config describes it (also used by --check). */
export function createDispatcher(config: Config): Dispatcher {
  return new Dispatcher({
    listMode: config.list_mode,
    keepStateOnReload: config.reload_keeps_state,
    health: healthConfig(config),
    latency: { enabled: config.ds_ping_latency_stats, alpha: config.ds_latency_estimator_alpha / 1000 },
    callLoad: { expireMs: config.ds_hash_expire * 1000, initExpireMs: config.ds_hash_initexpire * 1000 },
    pingActive: config.ping_active,
    now: () => Date.now(),
    random: Math.random,
  });
}

/** Loads the list at start; any error is fatal and names file and line. */
export async function loadList(dispatcher: Dispatcher, file: string): Promise<LoadReport> {
  const r = dispatcher.load(await readListFile(file), file);
  if (!r.ok) throw new SipDispatchError(r.error.code, r.error.errors.join('\n'), { file, errors: r.error.errors });
  return r.value;
}
