import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUsable } from '../../../src/dispatcher/flags.js';
import { select, type SelectionKey, type SelectOptions } from '../../../src/dispatcher/select.js';
import type { Destination, Snapshot } from '../../../src/dispatcher/snapshot.js';
import { setFlags, snapshotOf } from '../../unit/dispatcher/helpers.js';

interface Spec {
  flags: number;
  priority: number;
  weight: number;
  rweight: number;
}

const specArb = fc.record({
  flags: fc.constantFrom(0, 0, 0, 1, 2, 4, 8, 9, 10, 32),
  priority: fc.integer({ min: 0, max: 3 }),
  weight: fc.integer({ min: 0, max: 100 }),
  rweight: fc.integer({ min: 0, max: 100 }),
});

function build(specs: Spec[], seed: number): Snapshot {
  const lines = specs.map((s, i) => {
    const attrs = [`duid=d${i}`, s.weight > 0 ? `weight=${s.weight}` : '', s.rweight > 0 ? `rweight=${s.rweight}` : ''].filter(Boolean).join(';');
    return `7 sip:h${i}.test ${s.flags} ${s.priority} ${attrs}`;
  });
  return snapshotOf(lines.join('\n'), seed);
}

const keyArb: fc.Arbitrary<SelectionKey> = fc.record({
  callId: fc.string({ minLength: 1, maxLength: 24 }),
  fromUri: fc.tuple(fc.stringMatching(/^[a-z0-9.]{1,8}$/), fc.stringMatching(/^[a-z]{1,8}\.[a-z]{2,3}$/)).map(([u, h]) => `sip:${u}@${h}`),
  toUri: fc.constantFrom('sip:bob@biloxi.com', 'sip:carol@chicago.com:5070'),
  ruri: fc.constantFrom('sip:bob@biloxi.com', 'sips:x@y.org'),
  authUser: fc.option(fc.stringMatching(/^[a-z]{0,6}(@[a-z]{1,4})?$/), { nil: undefined }),
  hashValue: fc.option(fc.string({ maxLength: 6 }), { nil: undefined }),
  isInvite: fc.boolean(),
});

const optsArb: fc.Arbitrary<SelectOptions> = fc.record({
  limit: fc.constantFrom(0, 0, 1, 2, 5),
  useDefault: fc.boolean(),
  hashFailover: fc.constantFrom('neighbour' as const, 'spread' as const),
  random: fc.double({ min: 0, max: 0.999999, noNaN: true }).map((r) => () => r),
});

const algArb = fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 64);
const live = (s: Snapshot): Destination[] => (s.sets.get(7)?.destinations ?? []).filter((d) => isUsable(d.runtime.health.state));

describe('selection properties', () => {
  it('never selects an inactive or disabled destination, and never the same one twice', () => {
    fc.assert(
      fc.property(fc.array(specArb, { minLength: 1, maxLength: 9 }), fc.integer(), algArb, fc.array(keyArb, { minLength: 1, maxLength: 5 }), optsArb, (specs, seed, alg, keys, o) => {
        const s = build(specs, seed);
        for (const k of keys) {
          const out = select(s, 7, alg, k, o);
          expect(out.every((d) => isUsable(d.runtime.health.state))).toBe(true);
          expect(new Set(out).size).toBe(out.length);
          if (o.limit > 0) expect(out.length).toBeLessThanOrEqual(o.limit);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the unlimited failover list holds every live destination exactly once', () => {
    fc.assert(
      fc.property(fc.array(specArb, { minLength: 1, maxLength: 9 }), fc.integer(), fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 8, 9, 11, 12, 13, 14), keyArb, optsArb, (specs, seed, alg, k, o) => {
        const s = build(specs, seed);
        const out = select(s, 7, alg, k, { ...o, limit: 0 });
        if (out.length === 0) return;
        expect([...out].sort((a, b) => a.index - b.index)).toEqual(live(s));
      }),
      { numRuns: 300 },
    );
  });

  it('something is selected whenever a destination is live and the key is usable', () => {
    fc.assert(
      fc.property(fc.array(specArb, { minLength: 1, maxLength: 9 }), fc.integer(), fc.constantFrom(0, 4, 6, 8, 9, 11, 12, 13, 14), keyArb, optsArb, (specs, seed, alg, k, o) => {
        const s = build(specs, seed);
        expect(select(s, 7, alg, k, o).length > 0).toBe(live(s).length > 0);
      }),
      { numRuns: 200 },
    );
  });

  it('spread: a destination going down moves only its own keys, and they come back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(0, 0, 0, 1), { minLength: 2, maxLength: 10 }),
        fc.nat(),
        fc.array(fc.string({ minLength: 1, maxLength: 16 }), { minLength: 1, maxLength: 60 }),
        fc.boolean(),
        (flags, pick, callIds, useDefault) => {
          const s = snapshotOf(flags.map((f, i) => `7 sip:h${i}.test ${f}`).join('\n'));
          const dests = s.sets.get(7)!.destinations;
          const o: SelectOptions = { limit: 1, useDefault, hashFailover: 'spread' };
          const map = (): (string | undefined)[] => callIds.map((callId) => select(s, 7, 0, { callId, fromUri: '', toUri: '', ruri: '', isInvite: true }, o)[0]?.uri);
          const victim = dests[pick % dests.length]!;
          if (!isUsable(victim.runtime.health.state)) return;
          const before = map();
          setFlags(victim, 1);
          const after = map();
          before.forEach((uri, i) => {
            if (uri !== victim.uri) expect(after[i]).toBe(uri);
            else expect(after[i]).not.toBe(victim.uri);
          });
          setFlags(victim, 0);
          expect(map()).toEqual(before);
        },
      ),
      { numRuns: 200 },
    );
  });
});
