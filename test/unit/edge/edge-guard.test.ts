import { describe, expect, it } from 'vitest';
import type { Ban } from '../../../src/edge/ban-table.js';
import { allocateEdgeTables, EdgeGuard, type EdgeGuardOptions, type SharedEdgeTables } from '../../../src/edge/edge-guard.js';
import { DEFAULT_SCANNER_AGENTS } from '../../../src/edge/scanner-filter.js';
import { sourceKey } from '../../../src/edge/source-key.js';
import { NetworkSet } from '../../../src/shared/network-set.js';

const OPTIONS = Buffer.from('OPTIONS sip:1000@127.0.0.1 SIP/2.0\r\n\r\n');
const RESPONSE = Buffer.from('SIP/2.0 200 OK\r\n\r\n');

const GUARD_OPTIONS: EdgeGuardOptions = {
  pike: { enabled: true, density: 16, windowMs: 2000, maxSources: 1000 },
  banMs: 300_000,
  maxBans: 1000,
  scanner: { enabled: true, agents: DEFAULT_SCANNER_AGENTS },
  scannerSilence: true,
  authban: { enabled: true, maxRetry: 5, windowMs: 60_000, banMs: 600_000 },
};

function guard(options: Partial<EdgeGuardOptions> = {}, exempt: (a: string) => boolean = () => false, shared?: SharedEdgeTables, clock = { now: 1_000 }) {
  const bans: Array<{ ban: Ban; method: string; address: string; port: number }> = [];
  const g = new EdgeGuard(
    { ...GUARD_OPTIONS, ...options },
    {
      now: () => clock.now,
      isExempt: exempt,
      onBan: (ban, method, address, port) => bans.push({ ban, method, address, port }),
      onAuthBan: (ban, address) => bans.push({ ban, method: 'auth', address, port: 0 }),
    },
    shared,
  );
  return { g, clock, bans };
}

describe('EdgeGuard: pike and bans', () => {
  it('lets 16 requests in 2 s through, bans on the 17th, and then silences the source', () => {
    const { g, clock, bans } = guard();
    for (let i = 0; i < 16; i++) {
      expect(g.checkBytes(OPTIONS, '127.0.0.66', 5060)).toBe('pass');
      clock.now += 100;
    }
    expect(g.checkBytes(OPTIONS, '127.0.0.66', 5060)).toBe('pike');
    expect(bans).toEqual([{ ban: expect.objectContaining({ key: '127.0.0.66', reason: 'pike' }), method: 'OPTIONS', address: '127.0.0.66', port: 5060 }]);
    expect(g.checkBytes(OPTIONS, '127.0.0.66', 5060)).toBe('banned');
    expect(g.checkBytes(RESPONSE, '127.0.0.66', 5060)).toBe('banned');
    expect(g.admitsConnection('127.0.0.66')).toBe(false);
    expect(g.checkBytes(OPTIONS, '127.0.0.67', 5060)).toBe('pass');
  });

  it('a steady 16 per 2 s is never banned (the window slides)', () => {
    const { g, clock } = guard();
    for (let i = 0; i < 1000; i++) {
      expect(g.checkBytes(OPTIONS, '127.0.0.5', 5060)).toBe('pass');
      clock.now += 125;
    }
  });

  it('the ban lifts exactly at its expiry, and the source starts clean', () => {
    const { g, clock } = guard({ banMs: 5000 });
    for (let i = 0; i < 17; i++) g.checkBytes(OPTIONS, '127.0.0.66', 5060);
    const until = clock.now + 5000;
    clock.now = until - 1;
    expect(g.checkBytes(OPTIONS, '127.0.0.66', 5060)).toBe('banned');
    clock.now = until;
    expect(g.checkBytes(OPTIONS, '127.0.0.66', 5060)).toBe('pass');
    expect(g.bans.active(clock.now)).toEqual([]);
  });

  it('htable.delete lifts a ban at once; flush lifts every ban', () => {
    const { g } = guard();
    for (let i = 0; i < 17; i++) g.checkBytes(OPTIONS, '127.0.0.66', 5060);
    for (let i = 0; i < 17; i++) g.checkBytes(OPTIONS, '127.0.0.67', 5060);
    expect(g.bans.delete('127.0.0.66')).toBe(true);
    expect(g.checkBytes(OPTIONS, '127.0.0.66', 5060)).toBe('pass');
    expect(g.bans.flush()).toBe(1);
    expect(g.checkBytes(OPTIONS, '127.0.0.67', 5060)).toBe('pass');
  });

  it('never bans an exempt source (the farm, a trusted carrier), whatever its rate', () => {
    const trusted = NetworkSet.parse(['127.0.0.10/32', '10.20.0.0/16']);
    if (!trusted.ok) throw new Error(trusted.error);
    const { g, bans } = guard({}, (a) => trusted.value.has(a));
    for (let i = 0; i < 20_000; i++) expect(g.checkBytes(OPTIONS, '127.0.0.10', 5060)).toBe('pass');
    expect(bans).toEqual([]);
  });

  it('does not count responses', () => {
    const { g } = guard();
    for (let i = 0; i < 100; i++) expect(g.checkBytes(RESPONSE, '127.0.0.66', 5060)).toBe('pass');
  });

  it('counts IPv6 sources by their /64', () => {
    expect(sourceKey('2001:db8:1:2:aaaa::1')).toBe(sourceKey('2001:db8:1:2:bbbb::2'));
    expect(sourceKey('2001:db8:1:3::1')).not.toBe(sourceKey('2001:db8:1:2::1'));
    expect(sourceKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
    const { g } = guard();
    for (let i = 0; i < 16; i++) g.checkBytes(OPTIONS, `2001:db8:1:2::${i + 1}`, 5060);
    expect(g.checkBytes(OPTIONS, '2001:db8:1:2:ffff::1', 5060)).toBe('pike');
  });

  it('stays bounded: a flood of distinct sources evicts the oldest, counted', () => {
    const { g } = guard({ pike: { enabled: true, density: 16, windowMs: 2000, maxSources: 100 } });
    for (let i = 0; i < 1000; i++) g.checkBytes(OPTIONS, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 5060);
    expect(g.trackedSources).toBe(100);
    expect(g.evictions).toBe(900);
  });

  it('off, counts nothing', () => {
    const { g } = guard({ pike: { enabled: false, density: 16, windowMs: 2000, maxSources: 100 } });
    for (let i = 0; i < 100; i++) expect(g.checkBytes(OPTIONS, '127.0.0.66', 5060)).toBe('pass');
  });
});

describe('EdgeGuard: scanners', () => {
  it.each(['friendly-scanner', 'sipvicious 0.3.4', 'SIPVicious', 'sipcli/v1.8', 'VaxSIPUserAgent/3.1', 'iWar', 'sip-scan'])('silences User-Agent %s', (ua) => {
    expect(guard().g.checkRequest({ method: 'INVITE', uri: 'sip:100@x', userAgent: ua }, '127.0.0.9')).toBe('scanner');
  });

  it('serves a normal UA', () => {
    expect(guard().g.checkRequest({ method: 'INVITE', uri: 'sip:100@x', userAgent: 'Yealink SIP-T46S' }, '127.0.0.9')).toBe('pass');
    expect(guard().g.checkRequest({ method: 'INVITE', uri: 'sip:100@x', userAgent: undefined }, '127.0.0.9')).toBe('pass');
  });

  it('silences an OPTIONS to no user from an untrusted source, not one to a user, nor from the farm', () => {
    const { g } = guard({}, (a) => a === '127.0.0.20');
    expect(g.checkRequest({ method: 'OPTIONS', uri: 'sip:127.0.0.1', userAgent: 'x' }, '127.0.0.9')).toBe('scanner');
    expect(g.checkRequest({ method: 'OPTIONS', uri: 'sip:100@127.0.0.1', userAgent: 'x' }, '127.0.0.9')).toBe('pass');
    expect(g.checkRequest({ method: 'OPTIONS', uri: 'sip:127.0.0.1', userAgent: 'x' }, '127.0.0.20')).toBe('pass');
    expect(guard({ scannerSilence: false }).g.checkRequest({ method: 'OPTIONS', uri: 'sip:127.0.0.1', userAgent: 'x' }, '127.0.0.9')).toBe('pass');
  });
});

describe('NetworkSet', () => {
  it('matches CIDRs and single addresses, v4 and v6, and names a bad entry', () => {
    const s = NetworkSet.parse(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32']);
    if (!s.ok) throw new Error(s.error);
    expect(['10.1.2.3', '192.0.2.7', '2001:db8:5::1', '::ffff:10.9.9.9'].map((a) => s.value.has(a))).toEqual([true, true, true, true]);
    expect(['11.0.0.1', '192.0.2.8', '2001:db9::1', 'garbage'].map((a) => s.value.has(a))).toEqual([false, false, false, false]);
    expect(NetworkSet.parse(['10.0.0.0/8', '10.0.0.0/99'])).toEqual({ ok: false, error: '"10.0.0.0/99" is not an IP address or CIDR network' });
  });
});

describe('EdgeGuard: auth-failure bans', () => {
  const INVITE = Buffer.from('INVITE sip:1@x SIP/2.0\r\n\r\n');

  it('bans after the 5th failure within the window: 403s and 401/407 to requests with credentials', () => {
    const { g, clock, bans } = guard();
    g.authAnswered('127.0.0.66', 403, false);
    g.authAnswered('127.0.0.66', 401, true);
    g.authAnswered('127.0.0.66', 407, true);
    g.authAnswered('127.0.0.66', 403, true);
    expect(g.checkBytes(INVITE, '127.0.0.66', 5060)).toBe('pass');
    clock.now += 1000;
    g.authAnswered('127.0.0.66', 401, true);
    expect(bans).toEqual([{ ban: expect.objectContaining({ key: '127.0.0.66', reason: 'authban', until: clock.now + 600_000 }), method: 'auth', address: '127.0.0.66', port: 0 }]);
    expect(g.checkBytes(INVITE, '127.0.0.66', 5060)).toBe('banned');
  });

  it('does not count a first challenge (401 without credentials), successes, or failures spread wider than the window', () => {
    const { g, clock, bans } = guard();
    for (let i = 0; i < 50; i++) g.authAnswered('127.0.0.67', 401, false);
    for (let i = 0; i < 50; i++) g.authAnswered('127.0.0.67', 200, true);
    for (let i = 0; i < 50; i++) {
      g.authAnswered('127.0.0.68', 403, true);
      clock.now += 15_001;
    }
    expect(bans).toEqual([]);
  });

  it('never bans a trusted source for auth failures', () => {
    const { g, bans } = guard({}, (a) => a === '127.0.0.10');
    for (let i = 0; i < 20; i++) g.authAnswered('127.0.0.10', 403, true);
    expect(bans).toEqual([]);
  });
});

describe('EdgeGuard: two threads on the shared tables (workers > 1)', () => {
  function twoThreads(exempt: (a: string) => boolean = () => false) {
    const clock = { now: 1_000 };
    const shared = { ...allocateEdgeTables(GUARD_OPTIONS, 0), originMs: 0 };
    return [guard({}, exempt, shared, clock), guard({}, exempt, shared, clock)] as const;
  }

  it('a source is banned after 16 requests in all, whichever thread read them, by one thread, and silenced by both', () => {
    const [a, b] = twoThreads();
    const verdicts = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).g.checkBytes(OPTIONS, '127.0.0.66', 5060));
    expect(verdicts.slice(0, 16).every((v) => v === 'pass')).toBe(true);
    expect(verdicts[16]).toBe('pike');
    // the other thread has not been told of the ban yet: the shared table holds the source
    expect(verdicts.slice(17)).toEqual(['banned', 'banned', 'banned']);
    expect(a.bans.length + b.bans.length).toBe(1);
  });

  it('auth failures from one source count together across threads', () => {
    const [a, b] = twoThreads();
    for (let i = 0; i < 4; i++) (i % 2 === 0 ? a : b).g.authAnswered('127.0.0.66', 403, false);
    expect(a.bans.length + b.bans.length).toBe(0);
    b.g.authAnswered('127.0.0.66', 403, false);
    expect(b.bans.map((x) => x.method)).toEqual(['auth']);
    a.g.authAnswered('127.0.0.66', 403, false);
    expect(a.bans).toHaveLength(0);
  });

  it('an exempt source (the farm) over the density passes in both threads, held or not', () => {
    const [a, b] = twoThreads((address) => address === '127.0.0.1');
    const verdicts = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).g.checkBytes(OPTIONS, '127.0.0.1', 5060));
    expect(verdicts.every((v) => v === 'pass')).toBe(true);
    expect(a.bans.length + b.bans.length).toBe(0);
  });
});
