/**
 * Algorithm 7 from the routes table: the route's hash_value template is printed per request (as
 * Kamailio's pv_printf prints hash_pvar) and hashed with Kamailio's ds_get_hash, checked against
 * vectors Kamailio 5.6 computed (test/fixtures/dispatcher/kamailio-hash-vectors.json).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hashTrimmed } from '../../../src/dispatcher/hash.js';
import { select } from '../../../src/dispatcher/select.js';
import { destinationsOf, key, opts, set1, snapshotOf } from '../dispatcher/helpers.js';
import { candidate, RelayHarness } from './relay-harness.js';

interface Vector {
  nslots: number;
  values: string[];
  hashid_unsigned: number;
  slot: number;
}
const vectors = (JSON.parse(readFileSync(new URL('../../fixtures/dispatcher/kamailio-hash-vectors.json', import.meta.url), 'utf8')) as { vectors: Vector[] }).vectors;

/** What the relay hands the dispatcher as algorithm 7's key for one INVITE. */
function hashValueOf(template: string, invite: Parameters<RelayHarness['invite']>[0] = {}): string | undefined {
  const h = new RelayHarness({ algorithm: 7, hashValue: template });
  h.dispatcher.candidates = [candidate('a', 1)];
  h.invite(invite);
  return h.dispatcher.keys[0]?.hashValue;
}

describe('a route hash_value printed per request', () => {
  it.each([
    { template: '$fU@$fd', invite: { from: 'sip:alice@Example.COM:5070;transport=udp' }, want: 'alice@Example.COM' },
    { template: '$fu', invite: { from: 'sip:alice@example.com' }, want: 'sip:alice@example.com' },
    { template: '$tU/$rU@$rd', invite: {}, want: '1000/1000@192.0.2.1' },
    { template: '$ci', invite: { callId: 'abc@h' }, want: 'abc@h' },
    { template: 'tenant-$hdr(X-Tenant)', invite: { headers: ['X-Tenant: 42'] }, want: 'tenant-42' },
    { template: '$hdr(x-tenant)', invite: { headers: ['X-Tenant: first', 'X-Tenant: second'] }, want: 'first' },
    { template: '$hdr(X-Tenant)', invite: {}, want: '<null>' },
    { template: '$fU@$fd', invite: { from: 'sip:example.com' }, want: '<null>@example.com' },
    { template: '$au', invite: { headers: ['Proxy-Authorization: Digest username="bob@realm", realm="realm", nonce="n", uri="sip:1000@192.0.2.1", response="r"'] }, want: 'bob' },
    { template: '$si:$sp', invite: {}, want: '192.0.2.10:5062' },
  ])('$template → $want', ({ template, invite, want }) => {
    expect(hashValueOf(template, invite)).toBe(want);
  });

  it('leaves the key alone on routes without hash_value', () => {
    const h = new RelayHarness({ algorithm: 4 });
    h.dispatcher.candidates = [candidate('a', 1)];
    h.invite();
    expect(h.dispatcher.keys[0]?.hashValue).toBeUndefined();
  });
});

describe("algorithm 7 picks what Kamailio's hash picks", () => {
  const userAtHost = vectors.filter((v) => v.values.length === 1 && /^[^@]+@[^@]+$/.test(v.values[0]!));

  it('has user@host vectors to check', () => {
    expect(userAtHost.length).toBeGreaterThanOrEqual(2);
  });

  it.each(userAtHost)('$fU@$fd of sip:$values.0 → slot $slot of $nslots', (v) => {
    const value = hashValueOf('$fU@$fd', { from: `sip:${v.values[0]}` })!;
    expect(value).toBe(v.values[0]);
    expect(hashTrimmed(value)).toBe(v.hashid_unsigned);
    const s = set1(...Array.from({ length: v.nslots }, (_, i) => `d${i}.test`));
    const picked = select(s, 1, 7, key({ hashValue: value }), opts())[0];
    expect(picked).toBe(destinationsOf(s)[v.slot]);
  });
});

describe('algorithm 7 through the relay picks the destination Kamailio 5.6 picked (hash_pvar)', () => {
  interface Row {
    from: string;
    tenant?: string;
    picked: string;
  }
  const recorded = JSON.parse(readFileSync(new URL('../../fixtures/dispatcher/kamailio-hash-pvar.json', import.meta.url), 'utf8')) as {
    list: string;
    templates: Record<string, Row[]>;
  };
  const rows = Object.entries(recorded.templates).flatMap(([template, rs]) => rs.map((r) => ({ template, ...r })));

  it('has rows for both templates, picking several destinations', () => {
    expect(Object.keys(recorded.templates)).toEqual(['$fU@$fd', '$hdr(X-Tenant)']);
    expect(new Set(rows.map((r) => r.picked)).size).toBeGreaterThan(3);
  });

  it.each(rows)('$template, From $from, X-Tenant $tenant → $picked', ({ template, from, tenant, picked }) => {
    const value = hashValueOf(template, { from, headers: tenant === undefined ? [] : [`X-Tenant: ${tenant}`] })!;
    const s = snapshotOf(recorded.list);
    expect(select(s, 1, 7, key({ hashValue: value }), opts())[0]?.uri).toBe(picked);
  });
});
