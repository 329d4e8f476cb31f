/**
 * Selections per second for every algorithm with 2, 10 and 100 destinations.
 * One bench iteration runs BATCH selections over distinct keys: selections/s = ops/s × BATCH.
 * Run: npx vitest bench --run bench/dispatcher
 */
import { bench, describe } from 'vitest';
import { flagsToState } from '../../src/dispatcher/flags.js';
import { parseDispatcherList } from '../../src/dispatcher/list-parser.js';
import { select, type SelectionKey, type SelectOptions } from '../../src/dispatcher/select.js';
import { buildSnapshot, EMPTY_SNAPSHOT, type Snapshot } from '../../src/dispatcher/snapshot.js';

const BATCH = 1000;
const ALGORITHMS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];

function snapshotWith(n: number): Snapshot {
  const lines = Array.from({ length: n }, (_, i) => `1 sip:10.0.${i >> 8}.${i & 255}:5060 0 ${i % 3} duid=gw${i};weight=${Math.max(1, Math.floor(100 / n))};rweight=${1 + (i % 5)}`);
  const parsed = parseDispatcherList(lines.join('\n'), 'bench.list', 'strict');
  return buildSnapshot(parsed.entries, EMPTY_SNAPSHOT, { keepState: true, random: Math.random }).snapshot;
}

const keys: SelectionKey[] = Array.from({ length: BATCH }, (_, i) => ({
  callId: `${(i * 2654435761) >>> 0}-${i}@client.example.com`,
  fromUri: `sip:user${i}@atlanta.example.com`,
  toUri: `sip:+1415555${String(i).padStart(4, '0')}@biloxi.example.com:5080`,
  ruri: `sip:+1415555${String(i).padStart(4, '0')}@10.0.0.1`,
  authUser: `user${i}`,
  hashValue: `tenant-${i % 97}`,
  isInvite: true,
}));

const options: SelectOptions = { limit: 0, useDefault: false, hashFailover: 'neighbour', callLoad: () => 0 };
const sink: unknown[] = [];

function run(s: Snapshot, alg: number, o: SelectOptions): void {
  for (let i = 0; i < BATCH; i++) sink[i & 7] = select(s, 1, alg, keys[i]!, o);
}

for (const n of [2, 10, 100]) {
  describe(`${n} destinations, ${BATCH} selections per op`, () => {
    const s = snapshotWith(n);
    for (const alg of ALGORITHMS) {
      bench(`algorithm ${alg}`, () => run(s, alg, options), { time: 400, warmupTime: 100 });
    }
  });
}

describe(`hash failover with one of 10 destinations down, ${BATCH} selections per op`, () => {
  const s = snapshotWith(10);
  s.sets.get(1)!.destinations[3]!.runtime.health = { state: flagsToState(1), count: 0 };
  bench('algorithm 0, neighbour', () => run(s, 0, options), { time: 400, warmupTime: 100 });
  bench('algorithm 0, spread', () => run(s, 0, { ...options, hashFailover: 'spread' }), { time: 400, warmupTime: 100 });
});

describe(`candidate list size, 10 destinations, ${BATCH} selections per op`, () => {
  const s = snapshotWith(10);
  bench('algorithm 4, limit 0 (all 10)', () => run(s, 4, options), { time: 400, warmupTime: 100 });
  bench('algorithm 4, limit 3', () => run(s, 4, { ...options, limit: 3 }), { time: 400, warmupTime: 100 });
});
