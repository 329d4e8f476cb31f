/**
 * The TLS listener on 127.0.0.1: the TCP limits apply to it (tcp_accept_iplimit,
 * tcp_msg_read_timeout), a handshake that never comes is cut at handshake_timeout and counted,
 * and a listener without a certificate does not start.
 */
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TransportManager } from '../../../src/transport/transport-manager.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { systemScheduler } from '../../../src/shared/scheduler.js';
import { loopbackServer, makeCa, type CertFiles, type Issued } from '../../support/certs.js';
import { baseOptions, Harness, record, request, spec } from './support.js';

let ca: CertFiles;
let cert: Issued;
beforeAll(() => {
  ca = makeCa();
  cert = loopbackServer(ca);
});

const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.manager.close()));
});

async function start(tcp: Partial<typeof baseOptions.tcp> = {}, handshakeTimeoutMs = 10_000): Promise<Harness> {
  const harness = await Harness.start({
    listen: [spec('tls:127.0.0.1:0')],
    tcp: { ...baseOptions.tcp, ...tcp },
    tls: { ...baseOptions.tls, certificate: cert.cert, privateKey: cert.key, handshakeTimeoutMs },
  });
  harnesses.push(harness);
  return harness;
}

function connect(port: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(ca.caCert) });
    socket.once('secureConnect', () => resolve(socket)).once('error', reject);
  });
}

describe('TLS transport', () => {
  it('receives a message over TLS with the connection named for the reply', async () => {
    const harness = await start();
    const socket = await connect(harness.port('tls'));
    socket.write(request({ via: 'SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-tls1' }));
    const [got] = await harness.waitFor(1);
    expect(got!.source.transport).toBe('tls');
    expect(got!.source.connectionId).toMatch(/^tls#\d+$/);
    socket.destroy();
  });

  it('applies tcp_accept_iplimit to TLS connections', async () => {
    const harness = await start({ acceptIpLimit: 1 });
    const first = await connect(harness.port('tls'));
    const second = await connect(harness.port('tls')).catch(() => undefined);
    // the second one may finish its handshake, but sipdispatch closes it at once
    if (second) await new Promise((resolve) => second.once('close', resolve));
    expect(harness.manager.stats().tls!.refusedSources).toBe(1);
    expect(first.destroyed).toBe(false);
    first.destroy();
  });

  it('cuts a connection that never starts its handshake at handshake_timeout and counts the reason', async () => {
    const harness = await start({}, 300);
    const failures = record('tls.failed');
    try {
      const raw = net.connect(harness.port('tls'), '127.0.0.1');
      await new Promise((resolve) => raw.once('close', resolve));
      expect(failures.events).toContainEqual({ direction: 'inbound', reason: 'timeout' });
      expect(harness.manager.stats().tls!.handshakeFailures).toBeGreaterThanOrEqual(1);
    } finally {
      failures.stop();
    }
  });

  it('does not start a tls: listener without a certificate (TLS_CONFIG)', async () => {
    const manager = new TransportManager({ ...baseOptions, listen: [spec('tls:127.0.0.1:0')] }, { scheduler: systemScheduler, logger: silentLogger });
    await expect(manager.start()).rejects.toMatchObject({ code: 'TLS_CONFIG', message: expect.stringContaining('tls.certificate') });
  });
});
