/**
 * TLS and WebSocket clients through the real stack to a UDP farm, and TLS toward a backend:
 * flow tokens in Record-Route and Path bring the farm's requests back on the client's own
 * connection, and a flow that is gone gets 430 at once.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { SipPeer, responseTo } from '../../support/sip-peer.js';
import { startTestProxy, type TestProxy } from '../../support/test-proxy.js';
import { issue, loopbackServer, makeCa, type CertFiles, type Issued } from '../../support/certs.js';

let ca: CertFiles;
let server: Issued;

beforeAll(() => {
  ca = makeCa();
  server = loopbackServer(ca);
});

const tlsConfig = () => ({ certificate: server.cert, private_key: server.key, ca_list: ca.caCert });

function portOf(proxy: TestProxy, transport: string): number {
  return proxy.core.transport.addresses().find((a) => a.transport === transport)!.port;
}

function request(method: string, opts: { transport: string; port: number; callId: string; uri?: string; contact?: string; extra?: string[]; cseq?: number; toTag?: string; route?: string[] }): string {
  const host = opts.transport === 'WS' || opts.transport === 'WSS' ? 'df7jal23ls0d.invalid' : '127.0.0.1';
  return [
    `${method} ${opts.uri ?? 'sip:1000@example.com'} SIP/2.0`,
    `Via: SIP/2.0/${opts.transport} ${host}:${opts.port};branch=z9hG4bK-${method}-${opts.callId}-${opts.cseq ?? 1};rport`,
    'Max-Forwards: 70',
    `From: <sip:alice@example.com>;tag=a-${opts.callId}`,
    `To: <sip:1000@example.com>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${opts.callId}`,
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    ...(opts.route ?? []).map((r) => `Route: ${r}`),
    ...(opts.contact ? [`Contact: ${opts.contact}`] : []),
    ...(opts.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('TLS and WebSocket clients through sipdispatch to a UDP farm', () => {
  let proxy: TestProxy | undefined;
  const peers: SipPeer[] = [];
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  it('a TLS phone calls the farm, and the farm\'s in-dialog request comes back on its TLS connection', async () => {
    const uas = await SipPeer.udp();
    const phone = await SipPeer.tls({ key: readFileSync(server.key), cert: readFileSync(server.cert) }, { ca: readFileSync(ca.caCert) });
    peers.push(uas, phone);
    uas.onRequest((req, from) => {
      if (req.method === 'INVITE') void uas.reply(from, responseTo(req, 200, 'OK', { toTag: 'fs', contact: `<sip:fs@127.0.0.1:${uas.port}>` }));
      if (req.method === 'BYE') void uas.reply(from, responseTo(req, 200, 'OK'));
    });
    proxy = await startTestProxy(`1 sip:127.0.0.1:${uas.port} 0 0\n`, { listen: ['udp:127.0.0.1:0', 'tls:127.0.0.1:0'], tls: tlsConfig() });
    const tlsPort = portOf(proxy, 'tls');
    await phone.send(request('INVITE', { transport: 'TLS', port: phone.port, callId: 'tls-1', contact: `<sip:alice@10.1.2.3:5061;transport=tls>` }), tlsPort);
    const ok = await phone.response(200, 'INVITE');
    const invite = await uas.request('INVITE');
    const rr = invite.msg.recordRoute.map((r) => r.uri);
    // farm-facing entry first, then the client-facing one with the flow token
    expect(rr[0]).toBe(`sip:127.0.0.1:${portOf(proxy, 'udp')};lr`);
    expect(rr[1]).toMatch(new RegExp(`^sip:[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+@127\\.0\\.0\\.1:${tlsPort};transport=tls;lr;ob$`));
    expect(ok.recordRoute.length).toBe(2);

    // the farm hangs up: Route = the Record-Route set, R-URI = the phone's (unreachable) Contact
    await uas.send(request('BYE', { transport: 'UDP', port: uas.port, callId: 'tls-1', uri: 'sip:alice@10.1.2.3:5061;transport=tls', toTag: 'a-tls-1', cseq: 2, route: rr.map((u) => `<${u}>`) }), portOf(proxy, 'udp'));
    const bye = await phone.request('BYE');
    expect(bye.msg.callId).toBe('tls-1');
  });

  it('a WebSocket client registers with a flow token in Path, is called by the farm on its connection, and a closed flow gets 430', async () => {
    const registrar = await SipPeer.udp();
    peers.push(registrar);
    let path: string | undefined;
    registrar.onRequest((req, from) => {
      if (req.method === 'REGISTER') {
        path = req.headers.find((h) => h.key === 'path')?.value;
        void registrar.reply(from, responseTo(req, 200, 'OK', { extra: [`Contact: ${req.contact[0]!.raw};expires=600`] }));
      }
    });
    proxy = await startTestProxy(`1 sip:127.0.0.1:${registrar.port} 0 0\n`, { listen: ['udp:127.0.0.1:0', 'ws:127.0.0.1:0'] });
    const wsPort = portOf(proxy, 'ws');
    const browser = await SipPeer.ws(`ws://127.0.0.1:${wsPort}`);
    peers.push(browser);
    const contact = '<sip:k3l2@df7jal23ls0d.invalid;transport=ws;ob>;reg-id=1;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000000000001>"';
    await browser.send(request('REGISTER', { transport: 'WS', port: 0, callId: 'ws-reg', uri: 'sip:example.com', contact, extra: ['Supported: path, outbound'] }), 0);
    await browser.response(200, 'REGISTER');
    expect(path).toMatch(new RegExp(`^<sip:[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+@127\\.0\\.0\\.1:${portOf(proxy, 'udp')};lr;ob>$`));

    // the farm calls the browser: R-URI = its *.invalid Contact, Route = the Path
    browser.onRequest((req) => {
      if (req.method === 'INVITE') void browser.reply({ address: '', port: 0 }, responseTo(req, 200, 'OK', { toTag: 'b', contact: '<sip:k3l2@df7jal23ls0d.invalid;transport=ws;ob>' }));
      if (req.method === 'BYE') void browser.reply({ address: '', port: 0 }, responseTo(req, 200, 'OK'));
    });
    const udpPort = portOf(proxy, 'udp');
    const pathUri = path!.slice(1, -1);
    await registrar.send(request('INVITE', { transport: 'UDP', port: registrar.port, callId: 'to-browser', uri: 'sip:k3l2@df7jal23ls0d.invalid;transport=ws', route: [`<${pathUri}>`], contact: `<sip:fs@127.0.0.1:${registrar.port}>` }), udpPort);
    const inv = await browser.request('INVITE');
    expect(inv.msg.via[0]!.transport).toBe('WS');
    const answered = (await registrar.waitFor((r) => r.msg.kind === 'response' && r.msg.status === 200 && r.msg.callId === 'to-browser')).msg;
    // the farm is the caller: its route set is the Record-Route reversed; the browser-facing entry carries the flow token
    const routeSet = answered.recordRoute.map((r) => `<${r.uri}>`).reverse();
    expect(answered.recordRoute[0]!.uri).toMatch(/^sip:[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+@127\.0\.0\.1:\d+;transport=ws;lr;ob$/);
    await registrar.send(request('BYE', { transport: 'UDP', port: registrar.port, callId: 'to-browser', uri: 'sip:k3l2@df7jal23ls0d.invalid;transport=ws;ob', route: routeSet, cseq: 2, toTag: 'b' }), udpPort);
    await browser.request('BYE');
    await registrar.waitFor((r) => r.msg.kind === 'response' && r.msg.status === 200 && r.msg.callId === 'to-browser' && r.msg.cseq.method === 'BYE');

    // the browser goes away: the next call for its flow is answered 430 at once
    browser.disconnect();
    await expect.poll(() => proxy!.core.transport.wsConnections().length, { timeout: 5000 }).toBe(0);
    await registrar.send(request('INVITE', { transport: 'UDP', port: registrar.port, callId: 'gone', uri: 'sip:k3l2@df7jal23ls0d.invalid;transport=ws', route: [`<${pathUri}>`] }), udpPort);
    await registrar.waitFor((r) => r.msg.kind === 'response' && r.msg.status === 430 && r.msg.callId === 'gone');
  });

  it('a forged flow token is not followed', async () => {
    const uas = await SipPeer.udp();
    peers.push(uas);
    proxy = await startTestProxy(`1 sip:127.0.0.1:${uas.port} 0 0\n`, { listen: ['udp:127.0.0.1:0', 'ws:127.0.0.1:0'] });
    const udpPort = portOf(proxy, 'udp');
    const forged = `${Buffer.from('ws|ws#1|127.0.0.1|1|1').toString('base64url')}.AAAAAAAAAAAAAAAA`;
    await uas.send(request('INVITE', { transport: 'UDP', port: uas.port, callId: 'forged', uri: `sip:bob@127.0.0.1:${uas.port}`, route: [`<sip:${forged}@127.0.0.1:${udpPort};lr>`] }), udpPort);
    // not a flow: routed by the Request-URI, back to the sender, never to a WebSocket
    await uas.request('INVITE');
  });

  it('TLS toward a backend: a sips destination is reached over TLS with its certificate verified, and a wrong CA fails the handshake', async () => {
    const uac = await SipPeer.udp();
    const backend = await SipPeer.tls({ key: readFileSync(server.key), cert: readFileSync(server.cert) }, { ca: readFileSync(ca.caCert) });
    peers.push(uac, backend);
    backend.onRequest((req, from) => {
      if (req.method === 'INVITE') void backend.reply(from, responseTo(req, 200, 'OK', { toTag: 'b', contact: '<sip:fs@127.0.0.1>' }));
    });
    proxy = await startTestProxy(`1 sip:127.0.0.1:${backend.port};transport=tls 0 0\n`, { tls: { ca_list: ca.caCert } });
    await uac.send(request('INVITE', { transport: 'UDP', port: uac.port, callId: 'to-tls', contact: `<sip:alice@127.0.0.1:${uac.port}>` }), proxy.udpPort);
    await uac.response(200, 'INVITE');
    const got = await backend.request('INVITE');
    expect(got.msg.via[0]!.transport).toBe('TLS');
    await proxy.stop();

    // another CA: the backend's certificate does not verify, the call fails over to nothing
    const other = makeCa('another CA');
    proxy = await startTestProxy(`1 sip:127.0.0.1:${backend.port};transport=tls 0 0\n`, { tls: { ca_list: other.caCert } });
    await uac.send(request('INVITE', { transport: 'UDP', port: uac.port, callId: 'bad-ca', contact: `<sip:alice@127.0.0.1:${uac.port}>` }), proxy.udpPort);
    await uac.waitFor((r) => r.msg.kind === 'response' && r.msg.status === 503 && r.msg.callId === 'bad-ca', 10_000);
    expect(proxy.core.transport.stats().tls!.handshakeFailures).toBeGreaterThan(0);
  });

  it('tls_verify_client on: a client without a certificate is refused, one with a certificate from the CA gets in', async () => {
    const uas = await SipPeer.udp();
    peers.push(uas);
    uas.onRequest((req, from) => {
      if (req.method === 'OPTIONS') void uas.reply(from, responseTo(req, 200, 'OK'));
    });
    proxy = await startTestProxy(`1 sip:127.0.0.1:${uas.port} 0 0\n`, { listen: ['udp:127.0.0.1:0', 'tls:127.0.0.1:0'], tls: { ...tlsConfig(), verify_client: 'on' } });
    const tlsPort = portOf(proxy, 'tls');
    const anonymous = await SipPeer.tls({ key: readFileSync(server.key), cert: readFileSync(server.cert) }, { ca: readFileSync(ca.caCert) });
    peers.push(anonymous);
    await expect(anonymous.send(request('OPTIONS', { transport: 'TLS', port: 1, callId: 'anon', uri: 'sip:ping@example.com' }), tlsPort).then(() => anonymous.response(200, 'OPTIONS', 2000))).rejects.toThrow();
    const client = issue(ca, 'trunk-a', [], 'client');
    const trunk = await SipPeer.tls({ key: readFileSync(server.key), cert: readFileSync(server.cert) }, { ca: readFileSync(ca.caCert), key: readFileSync(client.key), cert: readFileSync(client.cert) });
    peers.push(trunk);
    await trunk.send(request('OPTIONS', { transport: 'TLS', port: 1, callId: 'trunk', uri: 'sip:ping@example.com' }), tlsPort);
    await trunk.response(200, 'OPTIONS');
  });

  it('a flow of a client that did not use outbound gets 480 once it is gone', async () => {
    const registrar = await SipPeer.udp();
    peers.push(registrar);
    let path = '';
    registrar.onRequest((req, from) => {
      path = req.headers.find((h) => h.key === 'path')?.value ?? '';
      void registrar.reply(from, responseTo(req, 200, 'OK'));
    });
    proxy = await startTestProxy(`1 sip:127.0.0.1:${registrar.port} 0 0\n`, { listen: ['udp:127.0.0.1:0', 'ws:127.0.0.1:0'] });
    const browser = await SipPeer.ws(`ws://127.0.0.1:${portOf(proxy, 'ws')}`);
    peers.push(browser);
    await browser.send(request('REGISTER', { transport: 'WS', port: 0, callId: 'plain-reg', uri: 'sip:example.com', contact: '<sip:k9@x1.invalid;transport=ws>' }), 0);
    await browser.response(200, 'REGISTER');
    browser.disconnect();
    await expect.poll(() => proxy!.core.transport.wsConnections().length, { timeout: 5000 }).toBe(0);
    await registrar.send(request('INVITE', { transport: 'UDP', port: registrar.port, callId: 'gone-480', uri: 'sip:k9@x1.invalid;transport=ws', route: [path] }), portOf(proxy, 'udp'));
    await registrar.waitFor((r) => r.msg.kind === 'response' && r.msg.status === 480 && r.msg.callId === 'gone-480');
  });

  it('udp_mtu: a request too big for the MTU goes to a UDP destination over TCP instead', async () => {
    const uac = await SipPeer.udp();
    const backend = await SipPeer.tcp();
    peers.push(uac, backend);
    proxy = await startTestProxy(`1 sip:127.0.0.1:${backend.port} 0 0\n`, { udp_mtu: 1300 });
    const sdp = `X-Padding: ${'a'.repeat(1400)}`;
    await uac.send(request('INVITE', { transport: 'UDP', port: uac.port, callId: 'big', contact: `<sip:alice@127.0.0.1:${uac.port}>`, extra: [sdp] }), proxy.udpPort);
    const got = await backend.request('INVITE');
    expect(got.msg.via[0]!.transport).toBe('TCP');
  });

  it('contact_alias: a WebSocket client\'s Contact gets ;alias, and the farm\'s request to it follows the alias', async () => {
    const registrar = await SipPeer.udp();
    peers.push(registrar);
    let contact = '';
    registrar.onRequest((req, from) => {
      contact = req.contact[0]!.uri;
      void registrar.reply(from, responseTo(req, 200, 'OK'));
    });
    proxy = await startTestProxy(`1 sip:127.0.0.1:${registrar.port} 0 0\n`, { listen: ['udp:127.0.0.1:0', 'ws:127.0.0.1:0'], contact_alias: true, flow_transports: [] });
    const browser = await SipPeer.ws(`ws://127.0.0.1:${portOf(proxy, 'ws')}`);
    peers.push(browser);
    await browser.send(request('REGISTER', { transport: 'WS', port: 0, callId: 'alias-reg', uri: 'sip:example.com', contact: '<sip:k7@a1.invalid;transport=ws>' }), 0);
    await browser.response(200, 'REGISTER');
    expect(contact).toMatch(/^sip:k7@a1\.invalid;transport=ws;alias=127\.0\.0\.1~\d+~5$/);
    // no Path token (flow_transports: []): the farm sends to the aliased Contact, via sipdispatch
    const udpPort = portOf(proxy, 'udp');
    await registrar.send(request('MESSAGE', { transport: 'UDP', port: registrar.port, callId: 'alias-msg', uri: contact, route: [`<sip:127.0.0.1:${udpPort};lr>`] }), udpPort);
    const got = await browser.request('MESSAGE');
    expect(got.msg.uri).toBe('sip:k7@a1.invalid;transport=ws');
  });

  it('client_groups: a trunk is admitted to a source_group route by its verified certificate, a client without one is not', async () => {
    const uas = await SipPeer.udp();
    peers.push(uas);
    uas.onRequest((req, from) => {
      if (req.method === 'INVITE') void uas.reply(from, responseTo(req, 200, 'OK', { toTag: 'u', contact: `<sip:fs@127.0.0.1:${uas.port}>` }));
    });
    proxy = await startTestProxy(`1 sip:127.0.0.1:${uas.port} 0 0\n`, {
      listen: ['udp:127.0.0.1:0', 'tls:127.0.0.1:0'],
      tls: { ...tlsConfig(), verify_client: 'optional', client_groups: { 'trunk-b': 'carriers' } },
      address_groups: { carriers: ['192.0.2.0/24'] },
      routes: [{ match: { method: 'INVITE' }, set: 1, source_group: 'carriers', on_deny: '403' }],
    });
    const tlsPort = portOf(proxy, 'tls');
    const client = issue(ca, 'trunk-b', [], 'client');
    const serverSide = { key: readFileSync(server.key), cert: readFileSync(server.cert) };
    const trunk = await SipPeer.tls(serverSide, { ca: readFileSync(ca.caCert), key: readFileSync(client.key), cert: readFileSync(client.cert) });
    const phone = await SipPeer.tls(serverSide, { ca: readFileSync(ca.caCert) });
    peers.push(trunk, phone);
    await trunk.send(request('INVITE', { transport: 'TLS', port: trunk.port, callId: 'by-cert', contact: `<sip:t@127.0.0.1:${trunk.port};transport=tls>` }), tlsPort);
    await trunk.response(200, 'INVITE');
    // 127.0.0.1 is not in carriers and the phone shows no certificate (optional lets it connect)
    await phone.send(request('INVITE', { transport: 'TLS', port: phone.port, callId: 'no-cert', contact: `<sip:p@127.0.0.1:${phone.port};transport=tls>` }), tlsPort);
    await phone.response(403, 'INVITE');
  });

  it('a flow closed mid-dialog: the farm\'s in-dialog BYE gets 430 at once', async () => {
    const uas = await SipPeer.udp();
    peers.push(uas);
    uas.onRequest((req, from) => {
      if (req.method === 'INVITE') void uas.reply(from, responseTo(req, 200, 'OK', { toTag: 'fs', contact: `<sip:fs@127.0.0.1:${uas.port}>` }));
    });
    proxy = await startTestProxy(`1 sip:127.0.0.1:${uas.port} 0 0\n`, { listen: ['udp:127.0.0.1:0', 'ws:127.0.0.1:0'] });
    const browser = await SipPeer.ws(`ws://127.0.0.1:${portOf(proxy, 'ws')}`);
    peers.push(browser);
    await browser.send(request('INVITE', { transport: 'WS', port: 0, callId: 'mid-dialog', contact: '<sip:m1@b2.invalid;transport=ws;ob>' }), 0);
    await browser.response(200, 'INVITE');
    const invite = await uas.request('INVITE');
    const routeSet = invite.msg.recordRoute.map((r) => `<${r.uri}>`);
    browser.disconnect();
    await expect.poll(() => proxy!.core.transport.wsConnections().length, { timeout: 5000 }).toBe(0);
    await uas.send(request('BYE', { transport: 'UDP', port: uas.port, callId: 'mid-dialog', uri: 'sip:m1@b2.invalid;transport=ws;ob', route: routeSet, cseq: 2, toTag: 'a-mid-dialog' }), portOf(proxy, 'udp'));
    await uas.waitFor((r) => r.msg.kind === 'response' && r.msg.status === 430 && r.msg.cseq.method === 'BYE');
  });
});
