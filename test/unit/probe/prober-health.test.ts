/**
 * What the prober's outcomes do to destination health: who each probing mode pings, what a 200 /
 * 503 / timeout does, thresholds, reply-code rules, ds_ping_fr_timer, the From-tag with duplicate
 * URIs, and the replies that must be ignored.
 */
import { describe, expect, it } from 'vitest';
import type { ProbingMode } from '../../../src/dispatcher/health.js';
import { responseTo } from '../transaction/harness.js';
import { flush, harnessPerTest, tagId } from './probe-harness.js';

const MODES_LIST = [
  '1 sip:a.test 0', // AX
  '1 sip:b.test 8', // AP
  '1 sip:c.test 9', // IP
  '1 sip:d.test 4', // DX: never pinged
  '1 sip:e.test 32', // AN: never pinged
  '1 sip:f.test 24', // AP with no-DNS: never pinged
  '1 sip:g.test 1', // IX
].join('\n');

const setup = harnessPerTest();

describe('probing modes', () => {
  it.each([
    [0, ['sip:b.test', 'sip:c.test']],
    [1, ['sip:a.test', 'sip:b.test', 'sip:c.test', 'sip:g.test']],
    [2, ['sip:c.test']],
    [3, ['sip:b.test', 'sip:c.test']],
  ] as const)('mode %i pings %j', (mode, expected) => {
    const t = setup(MODES_LIST, { mode });
    expect(t.prober.pingNow()).toBe(expected.length);
    expect(t.pings().map((p) => p.request.uri).sort()).toEqual(expected);
  });

  // [mode, destination, outcome, letters after]
  it.each([
    [0, 'sip:b.test', 200, 'AX'],
    [0, 'sip:b.test', 503, 'IX'],
    [0, 'sip:b.test', 'timeout', 'IX'],
    [0, 'sip:c.test', 200, 'AX'],
    [1, 'sip:a.test', 200, 'AP'],
    [1, 'sip:a.test', 503, 'IP'],
    [1, 'sip:a.test', 'timeout', 'IP'],
    [1, 'sip:g.test', 200, 'AP'],
    [2, 'sip:c.test', 200, 'AX'],
    [2, 'sip:c.test', 503, 'IP'],
    [2, 'sip:c.test', 'timeout', 'IP'],
    [3, 'sip:b.test', 200, 'AP'],
    [3, 'sip:b.test', 503, 'IP'],
    [3, 'sip:b.test', 'timeout', 'IP'],
    [3, 'sip:c.test', 200, 'AP'],
  ] as const)('mode %i: %s answering %s becomes %s', async (mode: ProbingMode, uri, outcome, letters) => {
    const t = setup(MODES_LIST, { mode, frTimerMs: 1000 });
    t.prober.pingNow();
    if (outcome === 'timeout') await t.advance(1000);
    else await t.reply(uri, outcome);
    expect(t.letters(uri)).toBe(letters);
    const result = t.results.find((r) => r.uri === uri);
    expect(result).toMatchObject(
      outcome === 'timeout'
        ? { set: '1', ok: false, code: 408, reason: 'Request Timeout', timeout: true, durationMs: 1000 }
        : { set: '1', ok: outcome === 200, code: outcome, timeout: false },
    );
  });
});

describe('thresholds', () => {
  it('ds_probing_threshold 3 marks down after exactly 3 consecutive failures; ds_inactive_threshold 2 up after 2 successes', async () => {
    const t = setup('1 sip:a.test 0', { mode: 1, probingThreshold: 3, inactiveThreshold: 2, intervalMs: 1000 });
    t.prober.start();
    const seen: string[] = [];
    for (const status of [503, 503, 503, 200, 200]) {
      await t.reply('sip:a.test', status);
      seen.push(t.letters('sip:a.test'));
      await t.advance(1000);
    }
    expect(seen).toEqual(['TP', 'TP', 'IP', 'IP', 'AP']);
    expect(t.states.filter((e) => e.changed && !e.initial).map((e) => `${e.previous}>${e.state}`)).toEqual(['TP>IP', 'IP>AP']);
  });

  it('a success in between restarts the failure count', async () => {
    const t = setup('1 sip:a.test 0', { mode: 1, probingThreshold: 2, intervalMs: 1000 });
    t.prober.start();
    const seen: string[] = [];
    for (const status of [503, 200, 503, 503]) {
      await t.reply('sip:a.test', status);
      seen.push(t.letters('sip:a.test'));
      await t.advance(1000);
    }
    expect(seen).toEqual(['TP', 'AP', 'TP', 'IP']);
  });
});

describe('reply codes (ds_ping_reply_codes)', () => {
  it.each([
    ['', 202, true],
    ['', 404, false],
    ['class=4', 404, true],
    ['class=4', 403, true],
    ['class=4', 503, false],
    ['code=403', 403, true],
    ['code=403', 404, false],
    ['class=2;code=403;code=488', 488, true],
  ] as const)('rules %j: %i is ok=%s', async (rules, status, ok) => {
    const t = setup('1 sip:a.test 0', { mode: 1, replyCodes: rules });
    t.prober.pingNow();
    await t.reply('sip:a.test', status);
    expect(t.letters('sip:a.test')).toBe(ok ? 'AP' : 'IP');
    expect(t.results).toMatchObject([{ code: status, ok }]);
  });

  it('a timeout is a local 408: a failure, unless the rules accept it', async () => {
    const t = setup('1 sip:a.test 0', { mode: 1, replyCodes: 'code=408', frTimerMs: 500 });
    t.prober.pingNow();
    await t.advance(500);
    expect(t.letters('sip:a.test')).toBe('AP');
    expect(t.results).toMatchObject([{ code: 408, ok: true, timeout: true }]);
  });
});

describe('ping timeout', () => {
  it('ds_ping_fr_timer overrides fr_timer for the keepalive transaction', async () => {
    const t = setup('1 sip:a.test 0', { mode: 1, frTimerMs: 2000 });
    t.prober.pingNow();
    await t.advance(1999);
    expect(t.results).toEqual([]);
    await t.advance(1);
    expect(t.results).toMatchObject([{ code: 408, timeout: true, durationMs: 2000 }]);
    expect(t.letters('sip:a.test')).toBe('IP');
  });

  it('re-sends the OPTIONS while this thread is under pressure, so a lost first reply is not a timeout', async () => {
    const gauge = { pressured: true, shedding: true, shedShare: 1, epoch: 1 };
    const t = setup('1 sip:a.test 0', { mode: 1, frTimerMs: 2000, pressure: gauge });
    t.prober.pingNow();
    await t.advance(600);
    const sent = t.transport.sent.filter((s) => s.bytes.toString('latin1').startsWith('OPTIONS '));
    expect(sent).toHaveLength(2);
    await t.reply('sip:a.test', 200);
    expect(t.results).toMatchObject([{ code: 200, ok: true }]);
    expect(t.letters('sip:a.test')).toBe('AP');
  });

  it('ds_ping_fr_timer 0 waits for fr_timer (5 s here)', async () => {
    const t = setup('1 sip:a.test 0', { mode: 1, frTimerMs: 0 });
    t.prober.pingNow();
    await t.advance(4999);
    expect(t.results).toEqual([]);
    await t.advance(1);
    expect(t.results).toMatchObject([{ code: 408, durationMs: 5000 }]);
  });
});

describe('From-tag and matching', () => {
  it('carries the destination id, so the same URI in two sets gets its own result', async () => {
    const t = setup('1 sip:a.test 0\n2 sip:a.test 0', { mode: 1 });
    t.prober.pingNow();
    const pings = t.pings();
    expect(pings).toHaveLength(2);
    for (const p of pings) expect(p.request.from.tag).toMatch(/^[^-]+-[a-z0-9]{4}$/);
    expect(pings.map(tagId).sort()).toEqual([t.destination('sip:a.test', 1).iuid, t.destination('sip:a.test', 2).iuid].sort());
    await t.reply('sip:a.test', 503, 2);
    await t.reply('sip:a.test', 200, 1);
    expect([t.letters('sip:a.test', 1), t.letters('sip:a.test', 2)]).toEqual(['AP', 'IP']);
    expect(t.results.map((r) => `${r.set}:${r.code}`)).toEqual(['2:503', '1:200']);
  });

  it('ignores a reply whose From-tag names another entry, and does not block the next ping', async () => {
    const t = setup('1 sip:a.test 0', { mode: 1 });
    t.prober.pingNow();
    const { request } = t.ping('sip:a.test');
    const res = responseTo(request, 503, 'Failed', 'uas');
    res.from = { ...res.from, tag: '9.9.9-abcd' };
    expect(t.layer.receiveResponse(res)).toBe(true);
    expect(t.results).toEqual([]);
    expect(t.letters('sip:a.test')).toBe('AX');
    expect(t.prober.pingNow()).toBe(1);
  });
});

describe('ignored results', () => {
  it('a reply for a destination removed by a reload is ignored; a kept one still counts', async () => {
    const t = setup('1 sip:a.test 0\n1 sip:b.test 0', { mode: 1 });
    t.prober.pingNow();
    expect(t.dispatcher.reload('1 sip:a.test 0', 'test.list').ok).toBe(true);
    t.states.length = 0;
    await t.reply('sip:b.test', 503);
    await t.reply('sip:a.test', 503);
    expect(t.results.map((r) => r.uri)).toEqual(['sip:a.test']);
    expect(t.states.map((e) => e.uri)).toEqual(['sip:a.test']);
  });

  it('a reply for a destination disabled meanwhile is ignored', async () => {
    const t = setup('1 sip:a.test 0', { mode: 1 });
    t.prober.pingNow();
    expect(t.dispatcher.setState(1, { uri: 'sip:a.test' }, 'd').ok).toBe(true);
    await t.reply('sip:a.test', 503);
    expect(t.letters('sip:a.test')).toBe('DX');
    expect(t.results).toEqual([]);
  });

  it('mode 3: a reply for a destination whose P flag was removed meanwhile is ignored', async () => {
    const t = setup('1 sip:b.test 8', { mode: 3 });
    t.prober.pingNow();
    expect(t.dispatcher.setState(1, { uri: 'sip:b.test' }, 'a').ok).toBe(true);
    await t.reply('sip:b.test', 200);
    expect(t.letters('sip:b.test')).toBe('AX');
    expect(t.results).toEqual([]);
  });

  it('a queued ping whose destination was disabled before it could start is not sent', async () => {
    const t = setup('1 sip:a.test 0\n1 sip:b.test 0', { mode: 1, concurrency: 1 });
    expect(t.prober.pingNow()).toBe(2);
    const [first] = t.pings();
    const other = first?.request.uri === 'sip:a.test' ? 'sip:b.test' : 'sip:a.test';
    t.dispatcher.setState(1, { uri: other }, 'd');
    await t.reply(first?.request.uri ?? '', 200);
    expect(t.pings()).toHaveLength(1);
    expect(t.prober.pending).toBe(0);
  });
});

describe('send failures', () => {
  it('a name that does not resolve is a failure with code 500', async () => {
    const t = setup('1 sip:nx.test 0', { mode: 1 });
    t.prober.pingNow();
    await t.prober.idle();
    expect(t.pings()).toEqual([]);
    expect(t.results).toMatchObject([{ uri: 'sip:nx.test', ok: false, code: 500, reason: 'Sending keepalive failed', timeout: false }]);
    expect(t.letters('sip:nx.test')).toBe('IP');
  });

  it('an asynchronous resolver is awaited, and its rejection is a failure too', async () => {
    const t = setup('1 sip:a.test 0\n1 sip:nx.test 0', {
      mode: 1,
      resolve: async (host) => {
        await Promise.resolve();
        if (host !== 'a.test') throw new Error('SERVFAIL');
        return '192.0.2.1';
      },
    });
    t.prober.pingNow();
    await flush();
    expect(t.pings().map((p) => [p.request.uri, p.target.host])).toEqual([['sip:a.test', '192.0.2.1']]);
    expect(t.results).toMatchObject([{ uri: 'sip:nx.test', code: 500 }]);
  });

  it('a transport error is a failure with code 500', async () => {
    const t = setup('1 sip:a.test 0', { mode: 1 });
    t.prober.pingNow();
    t.transport.last().onError(new Error('ECONNREFUSED'));
    await t.prober.idle();
    expect(t.results).toMatchObject([{ code: 500, reason: 'Sending keepalive failed' }]);
    expect(t.letters('sip:a.test')).toBe('IP');
  });
});

describe('latency statistics', () => {
  it('records the round trip of replies (entries with P) and counts timeouts', async () => {
    const t = setup('1 sip:b.test 8', { mode: 1, frTimerMs: 1000, intervalMs: 2000 });
    t.prober.start();
    await t.advance(40);
    await t.reply('sip:b.test', 200);
    await t.advance(1960);
    await t.advance(1000);
    const view = t.dispatcher.list()[0]?.destinations[0];
    expect(view?.latency).toMatchObject({ count: 1, avg: 40, max: 40, timeout: 1 });
    expect(t.results.map((r) => [r.code, r.durationMs, r.timeout])).toEqual([
      [200, 40, false],
      [408, 1000, true],
    ]);
  });
});
