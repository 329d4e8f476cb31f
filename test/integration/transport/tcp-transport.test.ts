import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isSipDispatchError } from '../../../src/shared/errors.js';
import { ManualScheduler, type Scheduler } from '../../../src/shared/scheduler.js';
import { responseTarget } from '../../../src/transport/response-target.js';
import type { TransportManagerOptions } from '../../../src/transport/transport-manager.js';
import { Backend, Harness, TcpClient, baseOptions, closedPort, record, request, spec } from './support.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(tcp: Partial<TransportManagerOptions['tcp']> = {}, scheduler?: Scheduler, maxMessageSize?: number) {
  const options: Partial<TransportManagerOptions> = { listen: [spec('tcp:127.0.0.1:0')], tcp: { ...baseOptions.tcp, ...tcp } };
  if (maxMessageSize !== undefined) options.maxMessageSize = maxMessageSize;
  const harness = await Harness.start(options, scheduler);
  cleanups.push(() => harness.manager.close());
  return { harness, manager: harness.manager, port: harness.port('tcp') };
}

async function client(port: number): Promise<TcpClient> {
  const c = await TcpClient.connect(port);
  cleanups.push(() => c.destroy());
  return c;
}

async function backend(): Promise<Backend> {
  const b = await Backend.start();
  cleanups.push(() => b.close());
  return b;
}

const tcpVia = (port = 5099, branch = 'z9hG4bK-t') => `SIP/2.0/TCP 127.0.0.1:${port};branch=${branch};rport`;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TCP transport', () => {
  it('frames a message split across writes and two pipelined messages', async () => {
    const { harness, port } = await setup();
    const c = await client(port);
    const first = request({ via: tcpVia(), callId: 'split@test', method: 'MESSAGE', body: 'hello, split world' });
    const cuts = [0, 17, 90, first.length - 5, first.length];
    for (let i = 0; i + 1 < cuts.length; i++) {
      await c.write(first.subarray(cuts[i], cuts[i + 1]));
      await nextTurn();
    }
    // a framed but malformed message in the middle is answered 400 and the stream goes on
    const pipelined = [request({ via: tcpVia(), callId: 'pipe-1@test' }), request({ via: tcpVia(), callId: 'bad@test', cseq: 'x' }), request({ via: tcpVia(), callId: 'pipe-2@test' })];
    await c.write(Buffer.concat(pipelined));
    const got = await harness.waitFor(3);
    expect(await c.until((r) => r.includes('bad@test'))).toMatch(/^SIP\/2\.0 400 /);
    expect(got.map((r) => r.message.callId)).toEqual(['split@test', 'pipe-1@test', 'pipe-2@test']);
    expect(got[0]?.message.body.toString()).toBe('hello, split world');
    const ids = new Set(got.map((r) => r.source.connectionId));
    expect(ids.size).toBe(1);
    expect(got[0]?.source).toMatchObject({ transport: 'tcp', address: '127.0.0.1', port: c.socket.localPort, local: { address: '127.0.0.1', port } });
    expect(got[0]?.message.via[0]).toMatchObject({ received: '127.0.0.1', rport: c.socket.localPort });
  });

  it('answers a CRLFCRLF ping with a CRLF pong (RFC 5626)', async () => {
    const { port } = await setup();
    const c = await client(port);
    await c.write('\r\n\r\n');
    expect(await c.until((r) => r.length >= 2)).toBe('\r\n');
  });

  it('sends the response back on the connection the request came in on', async () => {
    const { harness, manager, port } = await setup();
    const c = await client(port);
    // the sent-by port has no listener: only connection reuse can deliver the answer
    await c.write(request({ via: tcpVia(await closedPort()) }));
    const [got] = await harness.waitFor(1);
    if (!got?.message.via[0]) throw new Error('no request');
    manager.send(Buffer.from('SIP/2.0 200 OK\r\n\r\n'), responseTarget(got.message.via[0], got.source));
    expect(await c.until((r) => r.includes('200 OK'))).toBe('SIP/2.0 200 OK\r\n\r\n');
    expect(manager.stats().tcp).toMatchObject({ connections: 1, accepted: 1, connected: 0 });
  });

  it('opens a connection to received and the sent-by port when the request connection is gone', async () => {
    const { harness, manager, port } = await setup();
    const b = await backend();
    const c = await client(port);
    await c.write(request({ via: tcpVia(b.port) }));
    const [got] = await harness.waitFor(1);
    if (!got?.message.via[0]) throw new Error('no request');
    c.destroy();
    await c.whenClosed();
    await new Promise<void>((resolve) => {
      const check = () => (manager.stats().tcp.connections === 0 ? resolve() : setImmediate(check));
      check();
    });
    manager.send(Buffer.from('SIP/2.0 200 OK\r\n\r\n'), responseTarget(got.message.via[0], got.source));
    expect(await b.until((r) => r.includes('200 OK'))).toBe('SIP/2.0 200 OK\r\n\r\n');
    expect(manager.stats().tcp.connected).toBe(1);
  });

  it('connects to a backend on demand and reuses the connection both ways', async () => {
    const { harness, manager } = await setup();
    const b = await backend();
    const target = { transport: 'tcp' as const, host: '127.0.0.1', port: b.port };
    manager.send(request({ via: tcpVia(), callId: 'out-1@test' }), target);
    manager.send(request({ via: tcpVia(), callId: 'out-2@test' }), target);
    await b.until((r) => r.includes('out-2@test'));
    expect(b.sockets).toHaveLength(1);
    // the backend answers on the same connection: it arrives like any message, with its connection id
    b.sockets[0]?.write('SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bK-t\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\nCall-ID: out-1@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
    const [got] = await harness.waitFor(1);
    expect(got?.message.kind).toBe('response');
    manager.send(request({ via: tcpVia(), callId: 'out-3@test' }), { ...target, connectionId: got?.source.connectionId });
    await b.until((r) => r.includes('out-3@test'));
    expect(b.sockets).toHaveLength(1);
    expect(manager.stats().tcp).toMatchObject({ connections: 1, connected: 1 });
  });

  it('reports a refused connect as SEND_FAILED to every send that waited on it', async () => {
    const { manager } = await setup();
    const target = { transport: 'tcp' as const, host: '127.0.0.1', port: await closedPort() };
    const errors = await Promise.all([1, 2].map(() => new Promise<Error>((resolve) => manager.send(request(), target, resolve))));
    for (const error of errors) {
      expect(isSipDispatchError(error) && error.code).toBe('SEND_FAILED');
      expect(isSipDispatchError(error) && error.context.errno).toBe('ECONNREFUSED');
    }
    expect(manager.stats().tcp).toMatchObject({ connections: 0, connectFailed: 1 });
  });

  it('gives up a connect that takes longer than the connect timeout', async () => {
    const scheduler = new ManualScheduler();
    const { manager } = await setup({ connectTimeoutMs: 1000 }, scheduler);
    const b = await backend();
    const failure = new Promise<Error>((resolve) => manager.send(request(), { transport: 'tcp', host: '127.0.0.1', port: b.port }, resolve));
    // time moves in the same turn as the connect call, before the loopback connect can complete
    scheduler.advance(1000);
    const error = await failure;
    expect(isSipDispatchError(error) && error.code).toBe('SEND_FAILED');
    expect(isSipDispatchError(error) && error.context.errno).toBe('ETIMEDOUT');
    expect(manager.stats().tcp).toMatchObject({ connections: 0, connectFailed: 1 });
  });

  it('closes a connection whose write buffer goes over the cap and reports the send', async () => {
    const { manager } = await setup({ maxBufferedBytes: 1000 });
    const b = await backend();
    const dropped = record('dropped');
    cleanups.push(dropped.stop);
    // queued while connecting, so the whole message counts against the cap
    const big = request({ via: tcpVia(), body: 'x'.repeat(2000) });
    const error = await new Promise<Error>((resolve) => manager.send(big, { transport: 'tcp', host: '127.0.0.1', port: b.port }, resolve));
    expect(isSipDispatchError(error) && error.code).toBe('SEND_FAILED');
    expect(manager.stats().tcp).toMatchObject({ connections: 0, overflowed: 1 });
    expect(dropped.events).toEqual([{ reason: 'overload', transport: 'tcp' }]);
  });

  it('caps the bytes queued over all connections (tcp_wq_max): the connection that goes over it is closed, the others carry on', async () => {
    const { manager } = await setup({ maxBufferedBytes: 1 << 20, maxQueuedTotal: 3000 });
    const [b1, b2] = [await backend(), await backend()];
    // queued while connecting, so each whole message counts towards the total
    const msg = (callId: string) => request({ via: tcpVia(), callId, body: 'x'.repeat(2000) });
    const errors: Error[] = [];
    manager.send(msg('first@test'), { transport: 'tcp', host: '127.0.0.1', port: b1.port }, (e) => errors.push(e));
    const second = new Promise<Error>((resolve) => manager.send(msg('second@test'), { transport: 'tcp', host: '127.0.0.1', port: b2.port }, resolve));
    const error = await second;
    expect(isSipDispatchError(error) && error.code).toBe('SEND_FAILED');
    expect(manager.stats().tcp).toMatchObject({ connections: 1, overflowed: 1 });
    // the first connects and flushes: its bytes leave the total
    for (let i = 0; i < 200 && manager.stats().tcp.queuedBytes !== 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(manager.stats().tcp.queuedBytes).toBe(0);
    expect(errors).toEqual([]);
  });

  it('closes an idle connection after the idle timeout, activity postponing it', async () => {
    const scheduler = new ManualScheduler();
    const { harness, manager, port } = await setup({ idleTimeoutMs: 10_000 }, scheduler);
    const c = await client(port);
    await c.write(request({ via: tcpVia(), callId: 'idle-1@test' }));
    await harness.waitFor(1);
    scheduler.advance(6_000);
    await c.write(request({ via: tcpVia(), callId: 'idle-2@test' }));
    await harness.waitFor(2);
    scheduler.advance(6_000);
    expect(manager.stats().tcp).toMatchObject({ connections: 1, idleClosed: 0 });
    scheduler.advance(3_999);
    expect(manager.stats().tcp.connections).toBe(1);
    scheduler.advance(1);
    expect(manager.stats().tcp).toMatchObject({ connections: 0, idleClosed: 1 });
    await c.whenClosed();
  });

  it('refuses connections over the cap and counts them', async () => {
    const { harness, manager, port } = await setup({ maxConnections: 2 });
    const dropped = record('dropped');
    cleanups.push(dropped.stop);
    const first = await client(port);
    const second = await client(port);
    await first.write(request({ via: tcpVia(), callId: 'cap-1@test' }));
    await second.write(request({ via: tcpVia(), callId: 'cap-2@test' }));
    await harness.waitFor(2);
    const third = await client(port);
    await third.whenClosed();
    expect(manager.stats().tcp).toMatchObject({ connections: 2, accepted: 2, rejected: 1 });
    expect(dropped.events).toEqual([{ reason: 'overload', transport: 'tcp' }]);
    // the refused one did not disturb the others
    await first.write(request({ via: tcpVia(), callId: 'cap-3@test' }));
    expect((await harness.waitFor(3))[2]?.message.callId).toBe('cap-3@test');
  });

  it('closes a connection sending an oversized message without disturbing another', async () => {
    const { harness, manager, port } = await setup({}, undefined, 1024);
    const bad = await client(port);
    const good = await client(port);
    await bad.write(request({ via: tcpVia(), callId: 'huge@test', body: 'x'.repeat(4096) }));
    await bad.whenClosed();
    expect(bad.received).toMatch(/^SIP\/2\.0 513 Message Too Large\r\n/);
    expect(bad.received.match(/^SIP\/2\.0 \d{3} /gm)).toHaveLength(1);
    expect(bad.received).toContain('Call-ID: huge@test');
    await good.write(request({ via: tcpVia(), callId: 'fine@test' }));
    const got = await harness.waitFor(1);
    expect(got.map((r) => r.message.callId)).toEqual(['fine@test']);
    expect(manager.stats().tcp).toMatchObject({ connections: 1, overflowed: 1 });
  });

  it('rejects a port in use with LISTEN_FAILED and releases the listeners it had opened', async () => {
    const squatter = net.createServer();
    squatter.listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    cleanups.push(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
    const port = (squatter.address() as net.AddressInfo).port;
    const udpPort = await closedPort();
    const failure = Harness.start({ listen: [spec(`udp:127.0.0.1:${udpPort}`), spec(`tcp:127.0.0.1:${port}`)] });
    await expect(failure).rejects.toMatchObject({ code: 'LISTEN_FAILED', message: `cannot listen on tcp:127.0.0.1:${port}: address already in use` });
    // the UDP listener opened first was closed again
    const probe = dgram.createSocket('udp4');
    probe.bind(udpPort, '127.0.0.1');
    await once(probe, 'listening');
    probe.close();
  });
});
