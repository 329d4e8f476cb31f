import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TlsContexts } from '../../../src/transport/tls-context.js';
import { loopbackServer, makeCa } from '../../support/certs.js';
import { rpc, testAdmin, type TestAdmin } from './admin-fixture.js';

describe('RPC tls.reload and ws.dump (Kamailio names)', () => {
  let t: TestAdmin;
  afterEach(() => t.close());

  it('tls.reload answers the certificates in force, and an error that keeps them on a bad file', async () => {
    const ca = makeCa();
    const first = loopbackServer(ca, 'one.test');
    const second = loopbackServer(ca, 'two.test');
    const cert = path.join(ca.dir, 'rpc.pem');
    const key = path.join(ca.dir, 'rpc.key');
    copyFileSync(first.cert, cert);
    copyFileSync(first.key, key);
    const contexts = await TlsContexts.load({ certificate: cert, privateKey: key, caList: undefined, serverNames: [], verifyClient: 'off', verifyServer: true, minVersion: 'TLSv1.2', handshakeTimeoutMs: 10_000 });
    const connections = [{ id: 'ws#1', transport: 'ws', peer: '127.0.0.1:40000' }];
    t = testAdmin({ transport: { reloadTls: () => contexts.reload([]), wsConnections: () => connections } });

    copyFileSync(second.cert, cert);
    copyFileSync(second.key, key);
    const ok = (await rpc(t, 'tls.reload', [])).body.result as { result: string; certificates: Array<{ subject: string }> };
    expect(ok.result).toBe('Ok. TLS configuration reloaded.');
    expect(ok.certificates[0]!.subject).toContain('CN=two.test');

    // a key that does not match the certificate: refused, the second pair stays
    copyFileSync(first.key, key);
    const bad = (await rpc(t, 'tls.reload', [])).body.error as { code: number; message: string };
    expect(bad.code).toBe(500);
    expect(bad.message).toContain('old one stays in force');
    expect(bad.message).toContain(key);
    expect(contexts.certificates()[0]!.subject).toContain('CN=two.test');
    writeFileSync(cert, 'garbage');
    expect(((await rpc(t, 'tls.reload', [])).body.error as { message: string }).message).toContain('not PEM');

    expect((await rpc(t, 'ws.dump', [])).body.result).toEqual({ connections });
  });
});
