import { afterEach, describe, expect, it } from 'vitest';
import { DemoBackend } from '../../../src/demo/demo-backend.js';
import { SipPeer } from '../../support/sip-peer.js';

function request(method: string, peer: SipPeer, opts: { callId: string; cseq?: number; toTag?: string; extra?: string[] }): string {
  return [
    `${method} sip:1000@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-${method}-${opts.callId}-${opts.cseq ?? 1}`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    `To: <sip:1000@example.com>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${opts.callId}`,
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    ...(opts.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('DemoBackend', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  const setup = async () => {
    const backend = await DemoBackend.start('fs1');
    const peer = await SipPeer.udp();
    closers.push(() => backend.stop(), () => peer.close());
    return { backend, peer };
  };

  it('answers an INVITE 100/180/200 with its Contact and the Record-Route copied, and a retransmission alike', async () => {
    const { backend, peer } = await setup();
    const invite = request('INVITE', peer, { callId: 'c1', extra: ['Record-Route: <sip:127.0.0.1:5999;lr>, <sip:10.0.0.1;lr>'] });
    await peer.send(invite, backend.port);
    await peer.response(100, 'INVITE');
    await peer.response(180, 'INVITE');
    const ok = await peer.response(200, 'INVITE');
    expect(ok.contact[0]?.uri).toBe(`sip:fs1@127.0.0.1:${backend.port}`);
    expect(ok.recordRoute.map((r) => r.uri)).toEqual(['sip:127.0.0.1:5999;lr', 'sip:10.0.0.1;lr']);
    expect(ok.to.tag).toBeDefined();

    await peer.send(invite, backend.port);
    await peer.waitFor(() => peer.count((m) => m.kind === 'response' && m.status === 200) === 2);
    const oks = peer.received.filter((r) => r.msg.kind === 'response' && r.msg.status === 200);
    expect(oks[1]?.msg.to.tag).toBe(ok.to.tag);
    expect(backend.answered).toBe(1);
  });

  it('answers BYE 200 inside its dialog and 481 outside, OPTIONS 200, other methods 501', async () => {
    const { backend, peer } = await setup();
    await peer.send(request('INVITE', peer, { callId: 'c2' }), backend.port);
    const ok = await peer.response(200, 'INVITE');
    await peer.send(request('BYE', peer, { callId: 'c2', cseq: 2, toTag: ok.to.tag }), backend.port);
    await peer.response(200, 'BYE');
    await peer.send(request('BYE', peer, { callId: 'c2', cseq: 3, toTag: ok.to.tag }), backend.port);
    await peer.response(481, 'BYE');
    await peer.send(request('OPTIONS', peer, { callId: 'o1' }), backend.port);
    await peer.response(200, 'OPTIONS');
    await peer.send(request('MESSAGE', peer, { callId: 'm1' }), backend.port);
    await peer.response(501, 'MESSAGE');
  });

  it('goes silent when stopped and answers again on the same port when restarted', async () => {
    const { backend, peer } = await setup();
    const port = backend.port;
    await backend.stop();
    expect(backend.running).toBe(false);
    await peer.send(request('OPTIONS', peer, { callId: 'gone' }), port);
    await backend.restart();
    expect(backend.port).toBe(port);
    await peer.send(request('OPTIONS', peer, { callId: 'back' }), port);
    const r = await peer.waitFor((x) => x.msg.kind === 'response' && x.msg.callId === 'back');
    expect(r.msg.kind === 'response' && r.msg.status).toBe(200);
    // The OPTIONS sent while it was stopped was never answered.
    expect(peer.count((m) => m.callId === 'gone')).toBe(0);
  });
});
