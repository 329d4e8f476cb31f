/** Shared builders for the dispatcher tests. */
import { flagsToState } from '../../../src/dispatcher/flags.js';
import { parseDispatcherList } from '../../../src/dispatcher/list-parser.js';
import type { DispatcherOptions } from '../../../src/dispatcher/dispatcher.js';
import type { SelectionKey, SelectOptions } from '../../../src/dispatcher/select.js';
import { buildSnapshot, EMPTY_SNAPSHOT, type Destination, type Snapshot } from '../../../src/dispatcher/snapshot.js';

/** A deterministic random source (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A snapshot from list text (strict; fails the test on any error). */
export function snapshotOf(text: string, seed = 1): Snapshot {
  const parsed = parseDispatcherList(text, 'test.list', 'strict');
  if (parsed.errors.length > 0) throw new Error(parsed.errors.join('\n'));
  return buildSnapshot(parsed.entries, EMPTY_SNAPSHOT, { keepState: true, random: seeded(seed) }).snapshot;
}

/** Set 1 with one line per entry: `name flags priority attrs`, URIs sip:<name>.test. */
export function set1(...lines: string[]): Snapshot {
  return snapshotOf(lines.map((l) => `1 sip:${l}`).join('\n'));
}

export const key = (over: Partial<SelectionKey> = {}): SelectionKey => ({
  callId: 'a84b4c76e66710@pc33.atlanta.com',
  fromUri: 'sip:alice@atlanta.com',
  toUri: 'sip:bob@biloxi.com',
  ruri: 'sip:bob@biloxi.com',
  isInvite: true,
  ...over,
});

export const opts = (over: Partial<SelectOptions> = {}): SelectOptions => ({ limit: 0, useDefault: false, hashFailover: 'neighbour', ...over });

/** The host label of a destination (sip:a.test → a). */
export const name = (d: Destination): string => d.target.host.replace(/\.test$/, '');

export function setFlags(d: Destination, flags: number): void {
  d.runtime.health = { state: flagsToState(flags), count: 0 };
}

export function destinationsOf(s: Snapshot, setId = 1): readonly Destination[] {
  return s.sets.get(setId)?.destinations ?? [];
}

/** Dispatcher options for tests: strict list, probing mode 1, latency on, a fixed clock and seed. */
export function dispatcherOptions(over: Partial<DispatcherOptions> = {}): DispatcherOptions {
  return {
    listMode: 'strict',
    keepStateOnReload: true,
    health: { probingMode: 1, probingThreshold: 1, inactiveThreshold: 1, replyCodes: { codes: [], classes: [] } },
    traffic: { threshold: 5, maxEjectionPercent: 50 },
    latency: { enabled: true, alpha: 0.9 },
    callLoad: { expireMs: 60_000, initExpireMs: 10_000 },
    pingActive: true,
    now: () => 0,
    random: seeded(1),
    ...over,
  };
}
