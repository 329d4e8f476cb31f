/** Rendezvous ownership, the list digest and the remote-load table. */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listDigest } from '../../../src/cluster/list-digest.js';
import { RemoteLoads } from '../../../src/cluster/remote-loads.js';
import { rendezvousOwner } from '../../../src/cluster/rendezvous.js';
import { parseDispatcherList } from '../../../src/dispatcher/list-parser.js';

const ids = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 });

describe('rendezvousOwner', () => {
  it('picks a member, the same whatever the order of the member list', () => {
    fc.assert(fc.property(ids, fc.string(), (members, key) => {
      const owner = rendezvousOwner(key, members);
      expect(members).toContain(owner);
      expect(rendezvousOwner(key, [...members].reverse())).toBe(owner);
    }));
  });

  it('a member leaving moves only its own keys', () => {
    fc.assert(fc.property(ids.filter((m) => m.length >= 2), fc.array(fc.string(), { minLength: 1, maxLength: 30 }), (members, keys) => {
      const gone = members[0]!;
      const rest = members.slice(1);
      for (const key of keys) {
        const before = rendezvousOwner(key, members);
        if (before !== gone) expect(rendezvousOwner(key, rest)).toBe(before);
      }
    }));
  });

  it('spreads destinations over the members', () => {
    const members = ['sd1', 'sd2', 'sd3'];
    const counts = new Map<string, number>();
    for (let n = 0; n < 3000; n++) {
      const owner = rendezvousOwner(`1 sip:10.0.${n >> 8}.${n & 255}:5060`, members)!;
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    for (const m of members) expect(counts.get(m)).toBeGreaterThan(800);
  });

  it('has no owner without members', () => {
    expect(rendezvousOwner('1 sip:a', [])).toBeUndefined();
  });
});

describe('listDigest', () => {
  const entries = (text: string) => parseDispatcherList(text, 'x.list', 'strict').entries;
  it('ignores line order, comments and blank lines; sees URIs, flags, priorities and attributes', () => {
    const a = listDigest(entries('1 sip:10.0.0.11 0 0 duid=a\n2 sip:10.0.0.12 0 5'));
    expect(listDigest(entries('# farm\n\n2 sip:10.0.0.12 0 5\n1 sip:10.0.0.11 0 0 duid=a'))).toBe(a);
    expect(listDigest(entries('1 sip:10.0.0.11 0 0 duid=b\n2 sip:10.0.0.12 0 5'))).not.toBe(a);
    expect(listDigest(entries('1 sip:10.0.0.11 2 0 duid=a\n2 sip:10.0.0.12 0 5'))).not.toBe(a);
    expect(listDigest(entries('1 sip:10.0.0.11 0 0 duid=a\n2 sip:10.0.0.12 0 6'))).not.toBe(a);
    expect(listDigest(entries('1 sip:10.0.0.11 0 0 duid=a'))).not.toBe(a);
  });

  // instances of different versions compare digests: the way lines are built must not change it
  it('is sha256 of the sorted "set uri flags priority attrs" lines, as in 0.1', () => {
    const text = '10 sip:10.0.0.11 0 0 duid=a\n9 sip:10.0.0.12 0 5\n1 sip:b.example.com:5080;transport=tcp 2 1 weight=50;duid=z\n1 sip:a.example.com 0 0\n';
    expect(listDigest(entries(text))).toBe('f5c0bd87310639bf');
    const line = fc.record({ set: fc.nat(300), host: fc.constantFrom('10.0.0.11', '10.0.0.12', 'a.example.com'), flags: fc.nat(31), priority: fc.nat(20), duid: fc.option(fc.stringMatching(/^[a-z0-9]{1,6}$/)) });
    fc.assert(fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
      const parsed = entries(lines.map((l) => `${l.set} sip:${l.host} ${l.flags} ${l.priority}${l.duid === null ? '' : ` duid=${l.duid}`}`).join('\n'));
      const reference = parsed.map((e) => `${e.setId} ${e.uri} ${e.flags} ${e.priority} ${e.attrs.body}`).sort().join('\n');
      expect(listDigest(parsed)).toBe(createHash('sha256').update(reference).digest('hex').slice(0, 16));
    }));
  });
});

describe('RemoteLoads', () => {
  it('sums the latest publication of each instance and forgets a silent one', () => {
    const loads = new RemoteLoads();
    loads.receive({ origin: 'b', loads: { x: 3, y: 1 }, at: 0 }, 0);
    loads.receive({ origin: 'c', loads: { x: 2 }, at: 0 }, 500);
    expect([loads.total('x'), loads.total('y')]).toEqual([5, 1]);
    loads.receive({ origin: 'b', loads: { x: 1 }, at: 0 }, 1000);
    expect([loads.total('x'), loads.total('y')]).toEqual([3, 0]);
    loads.expire(3600, 3000);
    expect(loads.total('x')).toBe(1);
    loads.drop('b');
    expect(loads.total('x')).toBe(0);
  });
});
