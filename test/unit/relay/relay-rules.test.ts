import { describe, expect, it } from 'vitest';
import { nextMaxForwards } from '../../../src/relay/max-forwards.js';
import { isPrivateIPv4 } from '../../../src/relay/private-address.js';
import { matchRoute } from '../../../src/relay/route-table.js';
import type { RouteRule } from '../../../src/relay/relay-options.js';

describe('nextMaxForwards (mf_process_maxfwd_header semantics)', () => {
  it.each([
    [undefined, 70, { ok: true, value: 70 }],
    [undefined, 10, { ok: true, value: 10 }],
    [0, 70, { ok: false }],
    [1, 70, { ok: true, value: 0 }],
    [70, 70, { ok: true, value: 69 }],
    [200, 10, { ok: true, value: 10 }],
    [11, 10, { ok: true, value: 10 }],
    [10, 10, { ok: true, value: 9 }],
  ])('Max-Forwards %s with limit %s', (current, limit, want) => {
    expect(nextMaxForwards(current, limit)).toEqual(want);
  });
});

describe('isPrivateIPv4', () => {
  it.each(['10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.10', '100.64.0.1', '100.127.255.254'])('%s is private', (h) => {
    expect(isPrivateIPv4(h)).toBe(true);
  });
  it.each(['127.0.0.1', '172.32.0.1', '172.15.0.1', '8.8.8.8', '100.128.0.1', '192.169.0.1', 'example.com', '10.0.0', '10.0.0.256', '::1', '10.0.0.1.5', '10..0.1', '10.0.0.', '.10.0.0.1', '10.0.0.0001', '1000.0.0.1', '10.0.0.1 ', ''])(
    '%s is not private',
    (h) => {
      expect(isPrivateIPv4(h)).toBe(false);
    },
  );
});

describe('matchRoute', () => {
  const rule = (over: Partial<RouteRule>): RouteRule => ({
    methods: [],
    ruriUser: undefined,
    sourceGroup: undefined,
    onDeny: 'drop',
    set: 1,
    algorithm: 4,
    limit: 0,
    failoverOn: new Set([503]),
    maxTries: 3,
    hashValue: undefined,
    ...over,
  });
  const routes = [rule({ methods: ['REGISTER'], set: 2, algorithm: 2 }), rule({ ruriUser: /^\+44/, set: 3 }), rule({ set: 1 })];

  it('takes the first rule that fits', () => {
    expect(matchRoute(routes, 'REGISTER', '+4420')?.set).toBe(2);
    expect(matchRoute(routes, 'INVITE', '+4420')?.set).toBe(3);
    expect(matchRoute(routes, 'INVITE', '1000')?.set).toBe(1);
    expect(matchRoute(routes, 'INVITE', undefined)?.set).toBe(1);
  });

  it('returns undefined when nothing fits', () => {
    expect(matchRoute([rule({ methods: ['INVITE'] })], 'MESSAGE', 'x')).toBeUndefined();
  });
});
