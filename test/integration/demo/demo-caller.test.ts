import { afterEach, describe, expect, it } from 'vitest';
import { DemoBackend } from '../../../src/demo/demo-backend.js';
import { DemoCaller, type CallResult, type DemoCallerOptions } from '../../../src/demo/demo-caller.js';
import { ManualScheduler } from '../../../src/shared/scheduler.js';
import { SipPeer, responseTo } from '../../support/sip-peer.js';

describe('DemoCaller', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  const peer = async () => {
    const p = await SipPeer.udp();
    closers.push(() => p.close());
    return p;
  };
  const caller = async (port: number, extra: Partial<DemoCallerOptions> = {}) => {
    const ended: CallResult[] = [];
    const c = await DemoCaller.start({ proxy: { host: '127.0.0.1', port }, rate: 100, holdMs: 10, maxCalls: 3, timeoutMs: 5000, onCallEnd: (r) => ended.push(r), ...extra });
    closers.push(() => c.close());
    return { c, ended };
  };

  it('completes INVITE/200/ACK/BYE/200 calls with a backend and counts who answered', async () => {
    const backend = await DemoBackend.start('fs7');
    closers.push(() => backend.stop());
    const { c, ended } = await caller(backend.port);
    await c.idle();
    expect({ placed: c.placed, succeeded: c.succeeded, failed: c.failed }).toEqual({ placed: 3, succeeded: 3, failed: 0 });
    expect(c.answered.get('fs7')).toBe(3);
    expect(ended.every((r) => r.ok && r.backend === 'fs7')).toBe(true);
  });

  it('sends ACK and BYE along the route set from the Record-Route, to the remote target', async () => {
    const proxy = await peer();
    proxy.onRequest((req, from) => {
      const rr = `Record-Route: <sip:127.0.0.1:${proxy.port};lr>`;
      if (req.method === 'INVITE') void proxy.reply(from, responseTo(req, 200, 'OK', { toTag: 'uas', contact: '<sip:fs9@127.0.0.1:9>', extra: [rr] }));
      if (req.method === 'BYE') void proxy.reply(from, responseTo(req, 200, 'OK'));
    });
    const { c, ended } = await caller(proxy.port, { maxCalls: 1 });
    await c.idle();
    const ack = await proxy.request('ACK');
    const bye = await proxy.request('BYE');
    for (const r of [ack, bye]) {
      expect(r.msg.uri).toBe('sip:fs9@127.0.0.1:9');
      expect(r.msg.route.map((x) => x.uri)).toEqual([`sip:127.0.0.1:${proxy.port};lr`]);
      expect(r.msg.to.tag).toBe('uas');
    }
    expect(bye.msg.cseq).toEqual({ seq: 2, method: 'BYE' });
    expect(ended).toMatchObject([{ ok: true, backend: 'fs9', failure: undefined }]);
  });

  it('acknowledges a failure response hop by hop and counts the call failed', async () => {
    const proxy = await peer();
    proxy.onRequest((req, from) => {
      if (req.method === 'INVITE') void proxy.reply(from, responseTo(req, 503, 'Service Unavailable', { toTag: 'x' }));
    });
    const { c, ended } = await caller(proxy.port, { maxCalls: 1 });
    await c.idle();
    const ack = await proxy.request('ACK');
    expect(ack.msg.via[0]?.branch).toBe((await proxy.request('INVITE')).msg.via[0]?.branch);
    expect(c.failed).toBe(1);
    expect(ended).toMatchObject([{ ok: false, backend: undefined, failure: { stage: 'invite', status: 503 } }]);
  });

  it('gives up on a call nobody answers after its timeout, on the injected clock', async () => {
    const silent = await peer();
    const scheduler = new ManualScheduler();
    const { c, ended } = await caller(silent.port, { maxCalls: 1, scheduler, timeoutMs: 4000 });
    scheduler.advance(0);
    await silent.request('INVITE');
    scheduler.advance(3999);
    expect(c.inFlight).toBe(1);
    scheduler.advance(1);
    await c.idle();
    expect(ended).toMatchObject([{ ok: false, failure: { stage: 'invite', status: 0 } }]);
  });

  it('paces calls at the rate and stops at maxCalls', async () => {
    const silent = await peer();
    const scheduler = new ManualScheduler();
    const { c } = await caller(silent.port, { rate: 10, maxCalls: 5, scheduler });
    scheduler.advance(0);
    expect(c.placed).toBe(1);
    scheduler.advance(250);
    expect(c.placed).toBe(3);
    scheduler.advance(10_000);
    expect(c.placed).toBe(5);
  });
});
