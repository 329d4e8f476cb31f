/**
 * The prober's requests and schedule: the ping as sent, spreading over the interval, the p-queue
 * bound, no pile-up, the ping_active switch and stop().
 */
import { describe, expect, it } from 'vitest';
import { responseTo } from '../transaction/harness.js';
import { harnessPerTest } from './probe-harness.js';

const setup = harnessPerTest();

const header = (raw: string, name: string): string | undefined =>
  raw.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.slice(name.length + 1).trim();

const list = (n: number): string => Array.from({ length: n }, (_, i) => `1 sip:10.0.${Math.floor(i / 250)}.${(i % 250) + 1} 0`).join('\n');

describe('the ping request', () => {
  it('is an OPTIONS with R-URI = To = the destination, our Via, the From-tag, Max-Forwards 70, CSeq 1, no body', () => {
    const t = setup('1 sip:a.test:5070 0', { mode: 1 });
    t.prober.pingNow();
    const [ping] = t.pings();
    const raw = t.transport.sent[0]?.bytes.toString('latin1') ?? '';
    const d = t.destination('sip:a.test:5070');
    expect(raw.split('\r\n')[0]).toBe('OPTIONS sip:a.test:5070 SIP/2.0');
    expect(ping?.target).toEqual({ transport: 'udp', host: '192.0.2.1', port: 5070 });
    expect(header(raw, 'Via')).toMatch(/^SIP\/2\.0\/UDP 192\.0\.2\.100:5060;branch=z9hG4bK[0-9a-f]{32};rport$/);
    expect(header(raw, 'Max-Forwards')).toBe('70');
    expect(header(raw, 'To')).toBe('<sip:a.test:5070>');
    expect(header(raw, 'From')).toMatch(new RegExp(`^<sip:dispatcher@localhost>;tag=${d.iuid.replace(/\./g, '\\.')}-[a-z0-9]{4}$`));
    expect(header(raw, 'CSeq')).toBe('1 OPTIONS');
    expect(header(raw, 'Content-Length')).toBe('0');
    expect(header(raw, 'Call-ID')).toMatch(/\S{16,}/);
  });

  it('takes a fresh Call-ID, branch and tag suffix each time', async () => {
    const t = setup('1 sip:a.test 0', { mode: 1 });
    t.prober.pingNow();
    await t.reply('sip:a.test', 200);
    t.prober.pingNow();
    const [one, two] = t.pings();
    expect(one?.request.callId).not.toBe(two?.request.callId);
    expect(one?.request.via[0]?.branch).not.toBe(two?.request.via[0]?.branch);
    expect(one?.request.from.tag).not.toBe(two?.request.from.tag);
  });

  it('goes over TCP for ;transport=tcp, to the default port 5060, and uses the ping_from attribute', () => {
    const t = setup('1 sip:b.test;transport=tcp 0\n2 sip:c.test 0 0 ping_from=sip:probe@example.org', { mode: 1 });
    t.prober.pingNow();
    const byUri = new Map(t.pings().map((p) => [p.request.uri, p]));
    const tcp = byUri.get('sip:b.test;transport=tcp');
    expect(tcp?.target).toEqual({ transport: 'tcp', host: '192.0.2.2', port: 5060 });
    expect(tcp?.request.via[0]?.transport).toBe('TCP');
    expect(tcp?.request.to.uri).toBe('sip:b.test;transport=tcp');
    expect(byUri.get('sip:c.test')?.request.from.uri).toBe('sip:probe@example.org');
    expect(byUri.get('sip:c.test')?.target).toEqual({ transport: 'udp', host: '192.0.2.3', port: 5060 });
  });
});

describe('schedule', () => {
  it('spreads n destinations over the interval: destination i at i·interval/n, then every interval', async () => {
    const t = setup('1 sip:a.test 0\n1 sip:b.test 0\n1 sip:c.test 0\n1 sip:d.test 0', { mode: 1, intervalMs: 1000, frTimerMs: 200 });
    t.prober.start();
    for (let i = 0; i < 8; i++) await t.advance(250);
    const pings = t.pings();
    expect(pings.map((p) => p.at)).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000]);
    // the same order every round: each destination is pinged once per interval
    const order = pings.slice(0, 4).map((p) => p.request.uri);
    expect(pings.slice(4, 8).map((p) => p.request.uri)).toEqual(order);
    expect(new Set(order).size).toBe(4);
  });

  it('an interval of 0 sends no periodic ping', async () => {
    const t = setup('1 sip:a.test 0', { mode: 1, intervalMs: 0 });
    t.prober.start();
    await t.advance(60_000);
    expect(t.pings()).toEqual([]);
    expect(t.scheduler.pending).toBe(0);
  });

  it('never has more than ds_ping_concurrency pings in flight', async () => {
    const t = setup(list(100), { mode: 1, concurrency: 32 });
    expect(t.prober.pingNow()).toBe(100);
    await t.advance(0);
    const sent: number[] = [t.pings().length];
    for (let i = 0; i < 4; i++) {
      await t.advance(5000);
      sent.push(t.pings().length);
    }
    expect(sent).toEqual([32, 64, 96, 100, 100]);
    expect(t.results).toHaveLength(100);
  });

  it('starts the next queued ping as soon as one finishes', async () => {
    const t = setup('1 sip:a.test 0\n1 sip:b.test 0\n1 sip:c.test 0', { mode: 1, concurrency: 2 });
    t.prober.pingNow();
    expect(t.pings()).toHaveLength(2);
    await t.reply(t.pings()[0]?.request.uri ?? '', 200);
    expect(t.pings()).toHaveLength(3);
  });

  it('skips a ping while the previous one to the same destination is pending (no pile-up)', async () => {
    const t = setup('1 sip:a.test 0', { mode: 1, intervalMs: 1000, frTimerMs: 2500 });
    t.prober.start();
    for (let i = 0; i < 3; i++) await t.advance(1000);
    expect(t.pings().map((p) => p.at)).toEqual([0, 3000]);
    expect(t.prober.skipped).toBe(2);
    expect(t.prober.pingNow()).toBe(0);
  });

  it('lists the targets anew every round: in mode 2 a destination that recovered is no longer pinged', async () => {
    const t = setup('1 sip:a.test 9\n1 sip:b.test 9', { mode: 2, intervalMs: 1000, frTimerMs: 100 });
    t.prober.start();
    await t.advance(550);
    await t.reply('sip:a.test', 200);
    expect(t.letters('sip:a.test')).toBe('AX');
    await t.advance(1450);
    expect(t.pings().map((p) => `${p.at} ${p.request.uri}`)).toEqual(['0 sip:b.test', '500 sip:a.test', '1000 sip:b.test', '2000 sip:b.test']);
  });
});

describe('ping_active', () => {
  it('off: no ping is sent, by the rounds or pingNow; on again: pinging resumes', async () => {
    const t = setup('1 sip:a.test 0', { mode: 1, intervalMs: 1000, frTimerMs: 100 });
    t.prober.pingActive = false;
    expect(t.dispatcher.pingActive).toBe(false);
    t.prober.start();
    await t.advance(3000);
    expect(t.prober.pingNow()).toBe(0);
    expect(t.pings()).toEqual([]);
    t.prober.pingActive = true;
    await t.advance(1000);
    expect(t.pings().map((p) => p.at)).toEqual([4000]);
  });

  it('switched off mid-round: the pings not yet sent are dropped', async () => {
    const t = setup('1 sip:a.test 0\n1 sip:b.test 0', { mode: 1, intervalMs: 1000, frTimerMs: 100 });
    t.prober.start();
    await t.advance(100);
    t.prober.pingActive = false;
    await t.advance(1800);
    expect(t.pings().map((p) => p.at)).toEqual([0]);
  });
});

describe('stop', () => {
  it('cancels the rounds; waits for in-flight pings up to the bound, then abandons them', async () => {
    const t = setup('1 sip:a.test 0', { mode: 1, intervalMs: 1000 });
    t.prober.start();
    let stopped = false;
    const stopping = t.prober.stop(300).then(() => (stopped = true));
    await t.advance(299);
    expect(stopped).toBe(false);
    await t.advance(1);
    await stopping;
    expect(t.layer.receiveResponse(responseTo(t.ping('sip:a.test').request, 200, 'OK', 'uas'))).toBe(false);
    await t.advance(10_000);
    expect(t.pings()).toHaveLength(1);
    expect(t.results).toEqual([]);
    expect(t.scheduler.pending).toBe(0);
    expect(t.prober.pingNow()).toBe(0);
  });

  it('records a result that comes within the bound and returns without waiting for it', async () => {
    const t = setup('1 sip:a.test 0', { mode: 1, intervalMs: 1000 });
    t.prober.start();
    const stopping = t.prober.stop(300);
    await t.reply('sip:a.test', 200);
    await stopping;
    expect(t.results).toMatchObject([{ code: 200 }]);
    expect(t.scheduler.now()).toBe(0);
  });
});
