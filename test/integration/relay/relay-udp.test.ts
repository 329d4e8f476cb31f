import { afterEach, describe, expect, it } from 'vitest';
import { SipPeer, header, responseTo } from '../../support/sip-peer.js';
import { startTestProxy, type TestProxy } from '../../support/test-proxy.js';
import type { SipRequest } from '../../../src/sip/message.js';

let seq = 0;
function request(
  method: string,
  uac: SipPeer,
  opts: { ruri?: string; branch?: string; callId?: string; cseq?: number; toTag?: string; route?: string[]; extra?: string[]; maxForwards?: number | null; transport?: string } = {},
): string {
  const n = ++seq;
  const tp = opts.transport ?? 'UDP';
  return [
    `${method} ${opts.ruri ?? 'sip:1000@example.com'} SIP/2.0`,
    `Via: SIP/2.0/${tp} 127.0.0.1:${uac.port};branch=${opts.branch ?? `z9hG4bK-uac-${n}`};rport`,
    ...(opts.maxForwards === null ? [] : [`Max-Forwards: ${opts.maxForwards ?? 70}`]),
    ...(opts.route ?? []).map((r) => `Route: ${r}`),
    `From: <sip:alice@example.com>;tag=uac${opts.callId ?? n}`,
    `To: <sip:1000@example.com>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${opts.callId ?? `call-${n}`}@test`,
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    `Contact: <sip:alice@127.0.0.1:${uac.port}>`,
    ...(opts.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const list = (...ports: number[]) => ports.map((p, i) => `1 sip:127.0.0.1:${p} 0 ${10 - i} duid=fs${i + 1}`).join('\n') + '\n';

/** A UAS that rings and answers every INVITE with `status`, and answers BYE/CANCEL. */
function answer(uas: SipPeer, status = 200, ring = true): void {
  uas.onRequest((req, from) => {
    if (req.method === 'INVITE') {
      if (ring) void uas.reply(from, responseTo(req, 180, 'Ringing', { toTag: 'uas' }));
      void uas.reply(from, responseTo(req, status, status === 200 ? 'OK' : 'Service Unavailable', { toTag: 'uas', contact: `<sip:fs@127.0.0.1:${uas.port}>` }));
    } else if (req.method !== 'ACK') {
      void uas.reply(from, responseTo(req, 200, 'OK'));
    }
  });
}

describe('relay over UDP', () => {
  let proxy: TestProxy;
  const peers: SipPeer[] = [];
  const peer = async () => {
    const p = await SipPeer.udp();
    peers.push(p);
    return p;
  };
  afterEach(async () => {
    await proxy?.stop();
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  it('relays INVITE/180/200, then ACK and BYE along the Record-Route', async () => {
    const [uac, uas] = [await peer(), await peer()];
    answer(uas);
    proxy = await startTestProxy(list(uas.port));
    await uac.send(request('INVITE', uac, { callId: 'flow' }), proxy.udpPort);

    const inv = await uas.request('INVITE');
    expect(inv.msg.via).toHaveLength(2);
    expect(inv.msg.maxForwards).toBe(69);
    expect(inv.msg.recordRoute[0]?.uri).toBe(`sip:127.0.0.1:${proxy.udpPort};lr`);
    expect(inv.msg.via[1]?.received).toBe('127.0.0.1');
    expect(inv.msg.via[1]?.rport).toBe(uac.port);

    expect((await uac.response(100)).via).toHaveLength(1);
    await uac.response(180);
    const ok = await uac.response(200, 'INVITE');
    expect(ok.via).toHaveLength(1);
    expect(ok.recordRoute[0]?.uri).toBe(`sip:127.0.0.1:${proxy.udpPort};lr`);

    const route = [`<sip:127.0.0.1:${proxy.udpPort};lr>`];
    const ruri = `sip:fs@127.0.0.1:${uas.port}`;
    await uac.send(request('ACK', uac, { callId: 'flow', ruri, toTag: 'uas', route }), proxy.udpPort);
    const ack = await uas.request('ACK');
    expect(ack.msg.route).toHaveLength(0);
    expect(ack.msg.uri).toBe(ruri);

    await uac.send(request('BYE', uac, { callId: 'flow', ruri, toTag: 'uas', route, cseq: 2 }), proxy.udpPort);
    await uas.request('BYE');
    await uac.response(200, 'BYE');
  });

  it('absorbs a retransmitted INVITE', async () => {
    const [uac, uas] = [await peer(), await peer()];
    uas.onRequest((req, from) => {
      if (req.method === 'INVITE') void uas.reply(from, responseTo(req, 180, 'Ringing', { toTag: 'x' }));
    });
    proxy = await startTestProxy(list(uas.port));
    const invite = request('INVITE', uac, { branch: 'z9hG4bK-retrans', callId: 'retrans' });
    await uac.send(invite, proxy.udpPort);
    await uac.response(180);
    await uac.send(invite, proxy.udpPort);
    // The retransmission is answered from the transaction with the last provisional.
    await uac.waitFor(() => uac.count((m) => m.kind === 'response' && m.status === 180) === 2);
    expect(uas.count((m) => m.kind === 'request' && m.method === 'INVITE')).toBe(1);
  });

  it('cancels a ringing call: 200 for the CANCEL, CANCEL downstream, 487 upstream', async () => {
    const [uac, uas] = [await peer(), await peer()];
    let pending: { req: SipRequest; from: { address: string; port: number } } | undefined;
    uas.onRequest((req, from) => {
      if (req.method === 'INVITE') {
        pending = { req, from };
        void uas.reply(from, responseTo(req, 180, 'Ringing', { toTag: 'ring' }));
      } else if (req.method === 'CANCEL') {
        void uas.reply(from, responseTo(req, 200, 'OK', { toTag: 'ring' }));
        void uas.reply(pending!.from, responseTo(pending!.req, 487, 'Request Terminated', { toTag: 'ring' }));
      }
    });
    proxy = await startTestProxy(list(uas.port));
    await uac.send(request('INVITE', uac, { branch: 'z9hG4bK-c1', callId: 'cancel' }), proxy.udpPort);
    await uac.response(180);
    await uac.send(request('CANCEL', uac, { branch: 'z9hG4bK-c1', callId: 'cancel' }), proxy.udpPort);
    await uac.response(200, 'CANCEL');
    const cancel = await uas.request('CANCEL');
    expect(cancel.msg.via[0]?.branch).toBe(pending!.req.via[0]?.branch);
    await uac.response(487, 'INVITE');
    // The 487 is acknowledged hop by hop.
    await uas.request('ACK');
  });

  it('fails over to the next destination on 503 and acknowledges the 503 itself', async () => {
    const [uac, busy, good] = [await peer(), await peer(), await peer()];
    answer(busy, 503, false);
    answer(good, 200);
    proxy = await startTestProxy(list(busy.port, good.port), { routes: [{ set: 1, algorithm: 8 }] });
    await uac.send(request('INVITE', uac, { callId: 'fo503' }), proxy.udpPort);
    await uac.response(200, 'INVITE');
    await busy.request('ACK');
    expect(uac.count((m) => m.kind === 'response' && m.status === 503)).toBe(0);
  });

  it('fails over on timeout and marks the silent destination', async () => {
    const [uac, silent, good] = [await peer(), await peer(), await peer()];
    answer(good, 200);
    // threshold 1: Kamailio's ds_mark_dst on the first timeout (the default 5 is covered by the unit tests)
    proxy = await startTestProxy(list(silent.port, good.port), { routes: [{ set: 1, algorithm: 8 }], fr_timer: 300, traffic_failure_threshold: 1 });
    await uac.send(request('INVITE', uac, { callId: 'foTimeout' }), proxy.udpPort);
    await uac.response(200, 'INVITE');
    expect(silent.count((m) => m.kind === 'request' && m.method === 'INVITE')).toBeGreaterThan(0);
    const view = proxy.core.dispatcher.list()[0]!.destinations.find((d) => d.uri.endsWith(`:${silent.port}`))!;
    expect(view.state).toBe('IP');
  });

  it('answers 503 with Retry-After when no destination is up', async () => {
    const uac = await peer();
    proxy = await startTestProxy('1 sip:127.0.0.1:9 4 0\n');
    await uac.send(request('INVITE', uac), proxy.udpPort);
    const r = await uac.response(503);
    expect(header(r, 'Retry-After')).toBe('30');
  });

  it('answers 483 to Max-Forwards 0, and 200 to OPTIONS for us even then', async () => {
    const uac = await peer();
    proxy = await startTestProxy('1 sip:127.0.0.1:9 0 0\n');
    await uac.send(request('INVITE', uac, { maxForwards: 0 }), proxy.udpPort);
    await uac.response(483);
    await uac.send(request('OPTIONS', uac, { ruri: `sip:127.0.0.1:${proxy.udpPort}`, maxForwards: 0 }), proxy.udpPort);
    await uac.response(200, 'OPTIONS');
  });

  it('answers keepalive OPTIONS locally, 420 to an unsupported Proxy-Require, 404 to an unroutable in-dialog request', async () => {
    const uac = await peer();
    proxy = await startTestProxy('1 sip:127.0.0.1:9 0 0\n');
    await uac.send(request('OPTIONS', uac, { ruri: 'sip:ping@example.com' }), proxy.udpPort);
    await uac.response(200, 'OPTIONS');
    await uac.send(request('INVITE', uac, { extra: ['Proxy-Require: foo'] }), proxy.udpPort);
    const r420 = await uac.response(420);
    expect(header(r420, 'Unsupported')).toBe('foo');
    await uac.send(request('BYE', uac, { ruri: `sip:127.0.0.1:${proxy.udpPort}`, toTag: 't' }), proxy.udpPort);
    await uac.response(404, 'BYE');
  });

  it('answers 500 when handling a request fails, and keeps working', async () => {
    const [uac, uas] = [await peer(), await peer()];
    answer(uas);
    proxy = await startTestProxy(list(uas.port));
    const select = proxy.core.dispatcher.select.bind(proxy.core.dispatcher);
    proxy.core.dispatcher.select = () => {
      throw new Error('selection bug');
    };
    await uac.send(request('INVITE', uac, { callId: 'bug' }), proxy.udpPort);
    await uac.response(500, 'INVITE');
    proxy.core.dispatcher.select = select;
    await uac.send(request('INVITE', uac, { callId: 'after-bug' }), proxy.udpPort);
    await uac.response(200, 'INVITE');
  });

  it('answers a malformed request 400 and keeps working', async () => {
    const [uac, uas] = [await peer(), await peer()];
    answer(uas);
    proxy = await startTestProxy(list(uas.port));
    await uac.send(request('INVITE', uac).replace('Content-Length: 0', 'Content-Length: abc'), proxy.udpPort);
    await uac.response(400);
    await uac.send(request('INVITE', uac), proxy.udpPort);
    await uac.response(200, 'INVITE');
  });

  it('forwards REGISTER with a Path, and routes a call from the farm back to the phone by it', async () => {
    const [phone, registrar] = [await peer(), await peer()];
    let path = '';
    registrar.onRequest((req, from) => {
      if (req.method === 'REGISTER') {
        path = header(req, 'Path')!;
        void registrar.reply(from, responseTo(req, 200, 'OK', { toTag: 'reg' }));
      }
    });
    proxy = await startTestProxy(list(registrar.port));
    // The phone's Contact names a private address it cannot be reached on.
    await phone.send(request('REGISTER', phone, { ruri: 'sip:example.com', extra: ['Expires: 60'] }).replace(/Contact: .*/, 'Contact: <sip:alice@192.168.1.20:5060>'), proxy.udpPort);
    await phone.response(200, 'REGISTER');
    expect(path).toMatch(new RegExp(`^<sip:127\\.0\\.0\\.1:${proxy.udpPort};lr;received=`));

    // The backend calls the registered contact through the Path.
    const invite = [
      'INVITE sip:alice@192.168.1.20:5060 SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.1:${registrar.port};branch=z9hG4bK-fromfarm;rport`,
      'Max-Forwards: 70',
      `Route: ${path}`,
      '<sip:fs@example.com>;tag=fs'.replace(/^/, 'From: '),
      'To: <sip:alice@example.com>',
      'Call-ID: back@test',
      'CSeq: 1 INVITE',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    await registrar.send(invite, proxy.udpPort);
    const got = await phone.request('INVITE');
    expect(got.msg.uri).toBe('sip:alice@192.168.1.20:5060');
    expect(got.msg.route).toHaveLength(0);
  });
});
