import { describe, expect, it } from 'vitest';
import { kamailioHash } from '../../../src/dispatcher/hash.js';
import { select, type SelectionKey, type SelectOptions } from '../../../src/dispatcher/select.js';
import { ownLatency } from '../../../src/dispatcher/latency-stats.js';
import type { Snapshot } from '../../../src/dispatcher/snapshot.js';
import { destinationsOf, key, name, opts, seeded, set1, setFlags } from './helpers.js';

/** Runs `n` selections and returns the picks' names. */
function picks(s: Snapshot, alg: number, n: number, o: Partial<SelectOptions> = {}, k: (i: number) => SelectionKey = () => key()): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(select(s, 1, alg, k(i), opts(o)).map(name)[0] ?? '-');
  return out;
}

const counts = (xs: string[]): Record<string, number> => xs.reduce<Record<string, number>>((acc, x) => ({ ...acc, [x]: (acc[x] ?? 0) + 1 }), {});

describe('array order and pick sequences', () => {
  // priorities 3,2,1 give array a,b,c; equal priorities come in reverse file order
  const abc = (): Snapshot => set1('a.test 0 3', 'b.test 0 2', 'c.test 0 1');

  it.each([
    { title: 'round robin (4) cycles in array order', make: abc, down: [], alg: 4, n: 7, want: 'a b c a b c a' },
    { title: 'round robin skips a down entry and goes on after the one used', make: abc, down: ['b'], alg: 4, n: 6, want: 'a c a c a c' },
    { title: 'round robin over equal priorities runs in reverse file order', make: () => set1('a.test', 'b.test', 'c.test'), down: [], alg: 4, n: 4, want: 'c b a c' },
    { title: 'priority (8) always takes the first usable entry', make: abc, down: [], alg: 8, n: 3, want: 'a a a' },
    { title: 'priority (8) moves to the next entry when the first is down', make: abc, down: ['a'], alg: 8, n: 2, want: 'b b' },
    { title: 'algorithm 14 runs round robin when every priority is the same and > 0', make: () => set1('a.test 0 5', 'b.test 0 5'), down: [], alg: 14, n: 4, want: 'b a b a' },
    { title: 'algorithm 14 is priority when priorities differ', make: abc, down: [], alg: 14, n: 3, want: 'a a a' },
    { title: 'algorithm 14 is priority when the common priority is 0', make: () => set1('a.test', 'b.test'), down: [], alg: 14, n: 3, want: 'b b b' },
    { title: 'an unknown algorithm takes entry 0 like Kamailio', make: abc, down: [], alg: 99, n: 2, want: 'a a' },
    { title: 'nothing is selected when every entry is down', make: abc, down: ['a', 'b', 'c'], alg: 4, n: 2, want: '- -' },
  ])('$title', ({ make, down, alg, n, want }) => {
    const s = make();
    for (const d of destinationsOf(s)) if ((down as string[]).includes(name(d))) setFlags(d, 1);
    expect(picks(s, alg, n).join(' ')).toBe(want);
  });

  it('trying destinations stay selectable; inactive and disabled never are', () => {
    const s = set1('a.test 1 3', 'b.test 4 2', 'c.test 2 1');
    expect(picks(s, 4, 3)).toEqual(['c', 'c', 'c']);
    expect(select(s, 1, 8, key(), opts()).map(name)).toEqual(['c']);
  });
});

describe('failover order: the pick, those after it, those before it, then the default', () => {
  const abcd = (): Snapshot => set1('a.test 0 4', 'b.test 0 3', 'c.test 0 2', 'd.test 0 1');

  it('round robin pick in the middle', () => {
    const s = abcd();
    select(s, 1, 4, key(), opts());
    expect(select(s, 1, 4, key(), opts()).map(name)).toEqual(['b', 'c', 'd', 'a']);
  });

  it('skips unusable entries and caps the list with limit', () => {
    const s = abcd();
    setFlags(destinationsOf(s)[2]!, 4);
    expect(select(s, 1, 8, key(), opts()).map(name)).toEqual(['a', 'b', 'd']);
    expect(select(s, 1, 8, key(), opts({ limit: 2 })).map(name)).toEqual(['a', 'b']);
  });

  it('use_default keeps the last entry out of the rotation and appends it', () => {
    const s = abcd();
    expect(picks(s, 4, 4, { useDefault: true })).toEqual(['a', 'b', 'c', 'a']);
    expect(select(s, 1, 8, key(), opts({ useDefault: true })).map(name)).toEqual(['a', 'b', 'c', 'd']);
    for (const d of destinationsOf(s).slice(0, 3)) setFlags(d, 1);
    expect(select(s, 1, 8, key(), opts({ useDefault: true })).map(name)).toEqual(['d']);
    setFlags(destinationsOf(s)[3]!, 1);
    expect(select(s, 1, 8, key(), opts({ useDefault: true }))).toEqual([]);
  });

  it('an unknown set gives no candidates', () => {
    expect(select(abcd(), 2, 4, key(), opts())).toEqual([]);
  });
});

describe('hash algorithms use Kamailio keys', () => {
  const five = (): Snapshot => set1('a.test 0 5', 'b.test 0 4', 'c.test 0 3', 'd.test 0 2', 'e.test 0 1');
  const letters = ['a', 'b', 'c', 'd', 'e'];

  it.each([
    { alg: 0, k: key({ callId: '  call-1@host \r\n' }), h: kamailioHash('call-1@host') },
    { alg: 1, k: key({ fromUri: 'sip:alice@atlanta.com:5080;transport=tcp' }), h: kamailioHash('alice', 'atlanta.com:5080') },
    { alg: 2, k: key({ toUri: 'sip:bob@biloxi.com:5060' }), h: kamailioHash('bob', 'biloxi.com') },
    { alg: 3, k: key({ ruri: 'sips:carol@chicago.com' }), h: kamailioHash('carol', 'chicago.com') },
    { alg: 5, k: key({ authUser: 'dave@realm.example' }), h: kamailioHash('dave') },
    { alg: 7, k: key({ hashValue: ' tenant-42 ' }), h: kamailioHash('tenant-42') },
  ])('algorithm $alg picks entry hash % n', ({ alg, k, h }) => {
    expect(select(five(), 1, alg, k, opts()).map(name)[0]).toBe(letters[h % 5]);
  });

  it('hashes the wire bytes of a UTF-8 user as Kamailio does', () => {
    const wire = Buffer.from('sip:josé@example.com', 'utf8').toString('latin1');
    expect(select(five(), 1, 1, key({ fromUri: wire }), opts()).map(name)[0]).toBe(letters[kamailioHash(Buffer.from('josé').toString('latin1'), 'example.com') % 5]);
  });

  // A deliberate difference from Kamailio, which fails the selection.
  it.each([
    { title: 'a tel: From (algorithm 1)', alg: 1, k: { fromUri: 'tel:+123' } },
    { title: 'an http: From (algorithm 1)', alg: 1, k: { fromUri: 'http://example.com/' } },
    { title: 'a tel: To (algorithm 2)', alg: 2, k: { toUri: 'tel:+123' } },
    { title: 'a Request-URI without host (algorithm 3)', alg: 3, k: { ruri: 'sip:alice@' } },
    { title: 'an empty hash value (algorithm 7)', alg: 7, k: { hashValue: '  ' } },
    { title: 'no hash value (algorithm 7)', alg: 7, k: {} },
  ])('falls back to the Call-ID hash on $title', ({ alg, k }) => {
    const callId = 'a84b4c76e66710@pc33.atlanta.com';
    const got = select(five(), 1, alg, key({ ...k, callId }), opts()).map(name);
    expect(got[0]).toBe(letters[kamailioHash(callId) % 5]);
    expect(got).toEqual(select(five(), 1, 0, key({ callId }), opts()).map(name));
  });

  it('algorithm 5 without credentials falls back to round robin', () => {
    expect(picks(five(), 5, 3)).toEqual(['a', 'b', 'c']);
  });

  it('use_default hashes over n - 1 entries', () => {
    const h = kamailioHash('call-x');
    expect(select(five(), 1, 0, key({ callId: 'call-x' }), opts({ useDefault: true })).map(name)[0]).toBe(letters[h % 4]);
  });
});

describe('hash failover', () => {
  const callIds = Array.from({ length: 4000 }, (_, i) => `call-${i}@test`);
  const six = (): Snapshot => set1('a.test 0 6', 'b.test 0 5', 'c.test 0 4', 'd.test 0 3', 'e.test 0 2', 'f.test 0 1');

  function mapping(s: Snapshot, mode: 'neighbour' | 'spread'): string[] {
    return callIds.map((callId) => select(s, 1, 0, key({ callId }), opts({ hashFailover: mode })).map(name)[0] ?? '-');
  }

  it('neighbour (Kamailio): all of a down entry goes to the next one', () => {
    const s = six();
    const before = mapping(s, 'neighbour');
    setFlags(destinationsOf(s)[2]!, 1);
    const after = mapping(s, 'neighbour');
    const moved = counts(after.filter((x, i) => x !== before[i]));
    expect(moved).toEqual({ d: before.filter((x) => x === 'c').length });
  });

  it('spread: only the down entry keys move, spread over every live entry, and come back', () => {
    const s = six();
    const before = mapping(s, 'spread');
    expect(before).toEqual(mapping(six(), 'neighbour'));
    setFlags(destinationsOf(s)[2]!, 1);
    const after = mapping(s, 'spread');
    callIds.forEach((_, i) => {
      if (before[i] !== 'c') expect(after[i]).toBe(before[i]);
    });
    const moved = counts(after.filter((_, i) => before[i] === 'c'));
    const total = before.filter((x) => x === 'c').length;
    expect(Object.keys(moved).sort()).toEqual(['a', 'b', 'd', 'e', 'f']);
    for (const n of Object.values(moved)) expect(n / total).toBeGreaterThan(0.12);
    setFlags(destinationsOf(s)[2]!, 0);
    expect(mapping(s, 'spread')).toEqual(before);
  });
});

describe('weights', () => {
  it('algorithm 9: weights 70/30 give 7000/3000 of 10,000 picks (the 100-slot table)', () => {
    const s = set1('a.test 0 2 weight=70', 'b.test 0 1 weight=30');
    const c = counts(picks(s, 9, 10000));
    expect(Math.abs(c.a! / 10000 - 0.7)).toBeLessThanOrEqual(0.03);
    expect(c).toEqual({ a: 7000, b: 3000 });
  });

  it('algorithm 9: a down entry slots fall through to its neighbour (not rebalanced, like Kamailio)', () => {
    const s = set1('a.test 0 3 weight=30', 'b.test 0 2 weight=30', 'c.test 0 1 weight=40');
    setFlags(destinationsOf(s)[2]!, 1);
    expect(counts(picks(s, 9, 1000))).toEqual({ a: 700, b: 300 });
  });

  it('algorithm 9 without a weight on the first entry always starts at entry 0', () => {
    const s = set1('a.test 0 2', 'b.test 0 1 weight=100');
    expect(counts(picks(s, 9, 50))).toEqual({ a: 50 });
  });

  it('algorithm 11: exact proportions over live destinations, interleaved', () => {
    const s = set1('a.test 0 2 rweight=70', 'b.test 0 1 rweight=30');
    const seq = picks(s, 11, 10000);
    expect(counts(seq)).toEqual({ a: 7000, b: 3000 });
    expect(seq.slice(0, 10).join('')).toBe('abaaabaaba');
  });

  it('algorithm 11: a down destination share is redistributed in proportion', () => {
    const s = set1('a.test 0 3 rweight=50', 'b.test 0 2 rweight=30', 'c.test 0 1 rweight=20');
    setFlags(destinationsOf(s)[1]!, 1);
    expect(counts(picks(s, 11, 700))).toEqual({ a: 500, c: 200 });
  });

  it('algorithm 11: 200 equal destinations each get an equal share (no 100-slot truncation)', () => {
    const s = set1(...Array.from({ length: 200 }, (_, i) => `h${i}.test 0 0 rweight=1`));
    const c = counts(picks(s, 11, 1000));
    expect(Object.keys(c)).toHaveLength(200);
    expect(new Set(Object.values(c))).toEqual(new Set([5]));
  });
});

describe('random, call load, parallel and latency', () => {
  it('algorithm 6 uses the random source, then probes like the others', () => {
    const s = set1('a.test 0 3', 'b.test 0 2', 'c.test 0 1');
    expect(select(s, 1, 6, key(), opts({ random: () => 0.5 })).map(name)).toEqual(['b', 'c', 'a']);
    setFlags(destinationsOf(s)[1]!, 1);
    expect(select(s, 1, 6, key(), opts({ random: () => 0.5 })).map(name)).toEqual(['c', 'a']);
    const c = counts(picks(set1('a.test', 'b.test'), 6, 4000, { random: seeded(7) }));
    expect(c.a! / 4000).toBeGreaterThan(0.45);
  });

  it('algorithm 10: least loaded usable entry under maxload, ties to the lowest index', () => {
    const s = set1('a.test 0 3 duid=a;maxload=2', 'b.test 0 2 duid=b', 'c.test 0 1 duid=c');
    const load: Record<string, number> = { a: 1, b: 1, c: 3 };
    const callLoad = (d: { target: { host: string } }): number => load[d.target.host.charAt(0)] ?? 0;
    expect(select(s, 1, 10, key(), opts({ callLoad })).map(name)).toEqual(['a', 'b', 'c']);
    load.a = 2;
    expect(select(s, 1, 10, key(), opts({ callLoad })).map(name)).toEqual(['b', 'c']);
    load.b = 4;
    expect(select(s, 1, 10, key(), opts({ callLoad })).map(name)).toEqual(['c', 'b']);
    expect(select(s, 1, 10, key({ isInvite: false }), opts({ callLoad })).map(name)).toEqual(['a', 'b', 'c']);
  });

  it('algorithm 12: every live destination (never a down one)', () => {
    const s = set1('a.test 0 3', 'b.test 1 2', 'c.test 0 1');
    expect(select(s, 1, 12, key(), opts()).map(name)).toEqual(['a', 'c']);
  });

  it('algorithm 13: latency handicap on priority, round robin among the best, down entries last out', () => {
    const s = set1('a.test 0 10', 'b.test 0 10', 'c.test 0 10');
    const [c, b, a] = destinationsOf(s);
    expect([a, b, c].map((d) => name(d!))).toEqual(['a', 'b', 'c']);
    ownLatency(a!.runtime).estimate = 50;
    ownLatency(b!.runtime).estimate = 5;
    ownLatency(c!.runtime).estimate = 8;
    // array c, b, a (reverse file order); adjusted priorities c 10, b 10, a 10 - 50/10 = 5
    expect(select(s, 1, 13, key(), opts()).map(name)).toEqual(['c', 'b', 'a']);
    expect(select(s, 1, 13, key(), opts()).map(name)).toEqual(['b', 'c', 'a']);
    setFlags(b!, 1);
    expect(select(s, 1, 13, key(), opts()).map(name)).toEqual(['c', 'a']);
  });
});
