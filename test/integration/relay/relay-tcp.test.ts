import { afterEach, describe, expect, it } from 'vitest';
import { SipPeer, responseTo } from '../../support/sip-peer.js';
import { startTestProxy, type TestProxy } from '../../support/test-proxy.js';

function invite(uac: SipPeer, callId: string): string {
  return [
    'INVITE sip:1000@example.com SIP/2.0',
    `Via: SIP/2.0/TCP 127.0.0.1:${uac.port};branch=z9hG4bK-tcp-${callId};rport`,
    'Max-Forwards: 70',
    '<sip:alice@example.com>;tag=t1'.replace(/^/, 'From: '),
    'To: <sip:1000@example.com>',
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:alice@127.0.0.1:${uac.port};transport=tcp>`,
    'Content-Type: application/sdp',
    'Content-Length: 4',
    '',
    'v=0\n',
  ].join('\r\n');
}

describe('relay over TCP', () => {
  let proxy: TestProxy;
  const peers: SipPeer[] = [];
  afterEach(async () => {
    await proxy?.stop();
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  it('frames a message split across writes and two pipelined ones, and double-Record-Routes to a UDP backend', async () => {
    const uac = await SipPeer.tcp();
    const uas = await SipPeer.udp();
    peers.push(uac, uas);
    uas.onRequest((req, from) => {
      if (req.method === 'INVITE') void uas.reply(from, responseTo(req, 200, 'OK', { toTag: 'u', contact: `<sip:fs@127.0.0.1:${uas.port}>` }));
    });
    proxy = await startTestProxy(`1 sip:127.0.0.1:${uas.port} 0 0\n`);
    const first = Buffer.from(invite(uac, 'split'), 'latin1');
    await uac.send(first.subarray(0, 100), proxy.tcpPort);
    await uac.send(first.subarray(100), proxy.tcpPort);
    await uac.send(Buffer.concat([Buffer.from(invite(uac, 'pipe-a'), 'latin1'), Buffer.from(invite(uac, 'pipe-b'), 'latin1')]), proxy.tcpPort);

    for (const id of ['split', 'pipe-a', 'pipe-b']) await uac.waitFor((r) => r.msg.kind === 'response' && r.msg.status === 200 && r.msg.callId === id);
    const got = await uas.request('INVITE');
    expect(got.msg.body.toString()).toBe('v=0\n');
    // The UAC side is reached over TCP, the backend over UDP: one Record-Route for each.
    expect(got.msg.recordRoute.map((r) => r.uri)).toEqual([`sip:127.0.0.1:${proxy.udpPort};lr`, `sip:127.0.0.1:${proxy.tcpPort};transport=tcp;lr`]);
    expect(uas.count((m) => m.kind === 'request' && m.method === 'INVITE')).toBe(3);
  });
});
