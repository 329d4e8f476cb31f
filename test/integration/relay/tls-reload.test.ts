/**
 * Certificate renewal without a restart: while a TLS client keeps calling, the certificate files
 * are replaced and reloaded (tls.reload, /reload). New handshakes get the new certificate, the
 * established connection carries on, every call is answered, and a bad file keeps the old one.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { SipPeer, responseTo } from '../../support/sip-peer.js';
import { startTestProxy, type TestProxy } from '../../support/test-proxy.js';
import { loopbackServer, makeCa } from '../../support/certs.js';

function options(callId: string, port: number): string {
  return [
    'OPTIONS sip:1000@example.com SIP/2.0',
    `Via: SIP/2.0/TLS 127.0.0.1:${port};branch=z9hG4bK-${callId};rport`,
    'Max-Forwards: 70',
    `From: <sip:alice@example.com>;tag=${callId}`,
    'To: <sip:1000@example.com>',
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** The subject CN the listener shows to a new handshake. */
async function servedCn(port: number, ca: Buffer): Promise<string> {
  const socket = tls.connect({ host: '127.0.0.1', port, ca });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', () => resolve()).once('error', reject));
  const cn = socket.getPeerCertificate().subject.CN;
  socket.destroy();
  return String(Array.isArray(cn) ? cn[0] : cn);
}

describe('TLS certificate reload under traffic', () => {
  let proxy: TestProxy | undefined;
  const peers: SipPeer[] = [];
  afterEach(async () => {
    await proxy?.stop();
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  it('swaps the certificate for new handshakes, keeps established connections and calls, and keeps the old one on a bad file', async () => {
    const ca = makeCa();
    const first = loopbackServer(ca, 'first.sipdispatch.test');
    const second = loopbackServer(ca, 'second.sipdispatch.test');
    const cert = path.join(ca.dir, 'live.pem');
    const key = path.join(ca.dir, 'live.key');
    copyFileSync(first.cert, cert);
    copyFileSync(first.key, key);
    const caPem = readFileSync(ca.caCert);

    const uas = await SipPeer.udp();
    peers.push(uas);
    uas.onRequest((req, from) => void uas.reply(from, responseTo(req, 200, 'OK')));
    proxy = await startTestProxy(`1 sip:127.0.0.1:${uas.port} 0 0\n`, { listen: ['udp:127.0.0.1:0', 'tls:127.0.0.1:0'], tls: { certificate: cert, private_key: key } });
    const tlsPort = proxy.core.transport.addresses().find((a) => a.transport === 'tls')!.port;
    const phone = await SipPeer.tls({ key: readFileSync(first.key), cert: readFileSync(first.cert) }, { ca: caPem });
    peers.push(phone);
    expect(await servedCn(tlsPort, caPem)).toBe('first.sipdispatch.test');

    // calls keep flowing on the phone's one connection while the certificate is renewed twice
    let answered = 0;
    const calls = async (prefix: string, n: number) => {
      for (let i = 0; i < n; i++) {
        await phone.send(options(`${prefix}-${i}`, phone.port), tlsPort);
        await phone.waitFor((r) => r.msg.kind === 'response' && r.msg.status === 200 && r.msg.callId === `${prefix}-${i}`);
        answered++;
      }
    };
    const traffic = calls('before', 50);
    copyFileSync(second.cert, cert);
    copyFileSync(second.key, key);
    const info = await proxy.core.transport.reloadTls();
    expect(info[0]!.subject).toContain('second.sipdispatch.test');
    await traffic;
    expect(await servedCn(tlsPort, caPem)).toBe('second.sipdispatch.test');

    // a broken file: the reload fails with TLS_CONFIG and the second certificate stays in force
    writeFileSync(cert, 'not a certificate');
    await expect(proxy.core.transport.reloadTls()).rejects.toMatchObject({ code: 'TLS_CONFIG' });
    await calls('after-bad', 20);
    expect(await servedCn(tlsPort, caPem)).toBe('second.sipdispatch.test');
    // /reload renews certificates too, and logs (not fails) a bad one: the list reload still succeeds
    const outcome = await proxy.core.reload();
    expect(outcome.ok).toBe(true);
    expect(answered).toBe(70);
  });
});
