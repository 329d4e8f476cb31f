/**
 * The dispatcher as the config describes it, and the list file it starts from: built the same way
 * on the main thread, in worker threads and by `--check`.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/config-types.js';
import { Dispatcher, type LoadReport } from '../dispatcher/dispatcher.js';
import { resolveConfig } from '../config/resolve.js';
import { systemClock } from '../shared/clock.js';
import { SipDispatchError } from '../shared/errors.js';

/** Reads the list file; an unreadable file is a LIST_READ error naming it. */
export async function readListFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new SipDispatchError('LIST_READ', `${file}: cannot read dispatcher list: ${(e as Error).message}`, { file });
  }
}

/** The dispatcher as the config describes it (also used by --check and by worker threads). */
export function createDispatcher(config: Config): Dispatcher {
  return new Dispatcher({ ...resolveConfig(config).dispatcher, now: systemClock.now, random: Math.random });
}

/** Loads the list at start; any error is fatal and names file and line. */
export async function loadList(dispatcher: Dispatcher, file: string): Promise<LoadReport> {
  const r = dispatcher.load(await readListFile(file), file);
  if (!r.ok) throw new SipDispatchError(r.error.code, r.error.errors.join('\n'), { file, errors: r.error.errors });
  return r.value;
}
