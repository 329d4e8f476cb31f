import dgram from 'node:dgram';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { isSipDispatchError } from '../../../src/shared/errors.js';
import { systemScheduler } from '../../../src/shared/scheduler.js';
import { serialize } from '../../../src/sip/serialize.js';
import { responseTarget } from '../../../src/transport/response-target.js';
import { findUdpSocketFd } from '../../../src/transport/socket-fd.js';
import { Harness, UdpClient, hasIpv6Loopback, record, request, spec } from './support.js';

const ipv6 = await hasIpv6Loopback();

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: Parameters<typeof Harness.start>[0] = {}) {
  const harness = await Harness.start({ listen: [spec('udp:127.0.0.1:0')], ...options });
  cleanups.push(() => harness.manager.close());
  const client = await UdpClient.open();
  cleanups.push(() => client.close());
  return { harness, client, port: harness.port('udp') };
}

describe('UDP transport', () => {
  it('delivers a parsed request with received and rport on its top Via', async () => {
    const { harness, client, port } = await setup();
    await client.send(request({ via: 'SIP/2.0/UDP 192.0.2.1:5099;branch=z9hG4bK-a;rport' }), port);
    const [got] = await harness.waitFor(1);
    expect(got?.message.kind).toBe('request');
    expect(got?.message.via[0]).toMatchObject({ host: '192.0.2.1', port: 5099, received: '127.0.0.1', rport: client.port });
    expect(got?.source).toEqual({
      transport: 'udp',
      address: '127.0.0.1',
      port: client.port,
      connectionId: `udp:127.0.0.1:${port}`,
      local: { address: '127.0.0.1', port },
    });
  });

  it('with forceRport fills rport although the client did not ask (Kamailio force_rport)', async () => {
    const { harness, client, port } = await setup({ forceRport: true });
    await client.send(request({ via: 'SIP/2.0/UDP 192.0.2.1:5099;branch=z9hG4bK-f, SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-g' }), port);
    const [got] = await harness.waitFor(1);
    expect(got?.message.via.map((v) => [v.host, v.branch, v.received, v.rport])).toEqual([
      ['192.0.2.1', 'z9hG4bK-f', '127.0.0.1', client.port],
      ['192.0.2.9', 'z9hG4bK-g', undefined, undefined],
    ]);
    expect(serialize(got!.message).toString('latin1')).toMatch(/\r\nVia: SIP\/2\.0\/UDP 192\.0\.2\.1:5099;branch=z9hG4bK-f;(rport=\d+;received=127\.0\.0\.1|received=127\.0\.0\.1;rport=\d+)\r\n/);
  });

  it('adds no rport when the client did not ask and forceRport is off', async () => {
    const { harness, client, port } = await setup({ forceRport: false });
    await client.send(request({ via: 'SIP/2.0/UDP 192.0.2.1:5099;branch=z9hG4bK-b' }), port);
    const [got] = await harness.waitFor(1);
    expect(got?.message.via[0]).toMatchObject({ received: '127.0.0.1', rport: undefined });
  });

  it('sends the response to received:rport, from the socket the request came in on', async () => {
    const { harness, client, port } = await setup();
    await client.send(request(), port);
    const [got] = await harness.waitFor(1);
    const top = got?.message.via[0];
    if (!got || !top) throw new Error('no request');
    const failures: Error[] = [];
    harness.manager.send(Buffer.from('SIP/2.0 200 OK\r\n\r\n'), responseTarget(top, got.source), (e) => failures.push(e));
    const [reply] = await client.waitFor(1);
    expect(reply?.toString()).toBe('SIP/2.0 200 OK\r\n\r\n');
    expect(failures).toEqual([]);
  });

  it('answers a malformed request with readable headers with 400 and publishes parse-error', async () => {
    const { client, port } = await setup();
    const parseErrors = record('parse-error');
    cleanups.push(parseErrors.stop);
    await client.send(request({ cseq: 'abc OPTIONS', callId: 'bad-cseq@test' }), port);
    const [reply] = await client.waitFor(1);
    const text = reply?.toString() ?? '';
    expect(text).toMatch(/^SIP\/2\.0 400 /);
    expect(text).toContain('bad-cseq@test');
    expect(parseErrors.events).toEqual([expect.objectContaining({ transport: 'udp', source: `127.0.0.1:${client.port}` })]);
  });

  it('drops garbage without readable headers, counts it, and ignores CRLF keepalives', async () => {
    const { client, port } = await setup();
    const parseErrors = record('parse-error');
    const dropped = record('dropped');
    cleanups.push(parseErrors.stop, dropped.stop);
    await client.send(Buffer.from([0x00, 0x01, 0xff, 0x13, 0x37]), port);
    await client.send(Buffer.from('\r\n\r\n'), port);
    // datagrams on loopback are handled in order: once this one is answered, the others were handled
    await client.send(request({ cseq: 'x', callId: 'marker@test' }), port);
    const replies = await client.waitFor(1);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.toString()).toContain('marker@test');
    expect(parseErrors.events).toHaveLength(2);
    expect(dropped.events).toEqual([{ reason: 'malformed', transport: 'udp' }]);
  });

  it('drops a malformed response without answering it', async () => {
    const { client, port } = await setup();
    const dropped = record('dropped');
    cleanups.push(dropped.stop);
    await client.send(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-r\r\nCSeq: nope\r\n\r\n'), port);
    await client.send(request({ cseq: 'x', callId: 'marker@test' }), port);
    const replies = await client.waitFor(1);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.toString()).toContain('marker@test');
    expect(dropped.events).toEqual([{ reason: 'malformed', transport: 'udp' }]);
  });

  it('keeps serving after a handler throws', async () => {
    const { harness, client, port } = await setup();
    const seen: string[] = [];
    const both = new Promise<void>((resolve) =>
      harness.manager.onMessage((message) => {
        seen.push(message.callId);
        if (seen.length === 2) resolve();
        if (seen.length === 1) throw new Error('bug upstream');
      }),
    );
    await client.send(request({ callId: 'first@test' }), port);
    await client.send(request({ callId: 'second@test' }), port);
    await both;
    expect(seen).toEqual(['first@test', 'second@test']);
  });

  it.skipIf(!ipv6)('serves IPv6 and IPv4 side by side, answering from the socket of the right family', async () => {
    const { harness, client } = await setup({ listen: [spec('udp:[::1]:0'), spec('udp:127.0.0.1:0')] });
    const [v6, v4] = harness.manager.addresses();
    if (!v6 || !v4) throw new Error('two listeners expected');
    expect([v6.family, v4.family]).toEqual([6, 4]);
    expect(harness.manager.localAddressFor('udp')).toEqual({ host: '[::1]', port: v6.port });
    const client6 = await UdpClient.open('::1');
    cleanups.push(() => client6.close());
    await client6.send(request({ via: 'SIP/2.0/UDP [::1]:5099;branch=z9hG4bK-6;rport' }), v6.port);
    const [got] = await harness.waitFor(1);
    if (!got?.message.via[0]) throw new Error('no request');
    expect(got.source).toMatchObject({ address: '::1', port: client6.port, connectionId: v6.id });
    expect(got.message.via[0]).toMatchObject({ received: '::1', rport: client6.port });
    harness.manager.send(Buffer.from('six'), responseTarget(got.message.via[0], got.source));
    expect((await client6.waitFor(1))[0]?.toString()).toBe('six');
    // an IPv4 destination named with the IPv6 socket's id leaves from the IPv4 socket
    harness.manager.send(Buffer.from('four'), { transport: 'udp', host: '127.0.0.1', port: client.port, connectionId: v6.id });
    expect((await client.waitFor(1))[0]?.toString()).toBe('four');
  });

  it('reports a send to an impossible port through onError with SEND_FAILED', async () => {
    const { harness } = await setup();
    const error = await new Promise<Error>((resolve) => harness.manager.send(Buffer.from('x'), { transport: 'udp', host: '127.0.0.1', port: 0 }, resolve));
    expect(isSipDispatchError(error) && error.code).toBe('SEND_FAILED');
  });

  it('reports SEND_FAILED when no UDP listener matches the address family', async () => {
    const { harness } = await setup();
    const error = await new Promise<Error>((resolve) => harness.manager.send(Buffer.from('x'), { transport: 'udp', host: '::1', port: 5060 }, resolve));
    expect(isSipDispatchError(error) && error.code).toBe('SEND_FAILED');
  });

  it('rejects a port in use with LISTEN_FAILED naming the address', async () => {
    const squatter = dgram.createSocket('udp4');
    squatter.bind(0, '127.0.0.1');
    await once(squatter, 'listening');
    cleanups.push(() => squatter.close());
    const port = squatter.address().port;
    const failure = Harness.start({ listen: [spec(`udp:127.0.0.1:${port}`)] });
    await expect(failure).rejects.toMatchObject({ code: 'LISTEN_FAILED', message: `cannot listen on udp:127.0.0.1:${port}: address already in use` });
  });

  it('finds the descriptor of its socket, which another thread opens and reads from: each datagram reaches one of them', async () => {
    const { harness, client, port } = await setup();
    const fd = findUdpSocketFd('127.0.0.1', port, 4);
    expect(fd).toBeGreaterThan(2);
    // the other thread reads the socket as a relay worker does (bind by fd) and answers with what it got
    const reader = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const s = require('node:dgram').createSocket('udp4');
       const got = [];
       s.on('message', (m) => got.push(/Call-ID: (\\S+)/.exec(m.toString())[1]));
       s.bind({ fd: workerData.fd }, () => parentPort.postMessage('ready'));
       parentPort.on('message', () => parentPort.postMessage(got));`,
      { eval: true, workerData: { fd } },
    );
    // ended before the harness closes the socket: its teardown closes the shared descriptor
    cleanups.push(() => reader.terminate());
    await once(reader, 'message');
    const count = 200;
    for (let i = 0; i < count; i++) await client.send(request({ callId: `shared-${i}` }), port);
    const readerGot = async (): Promise<string[]> => {
      reader.postMessage('report');
      const [got] = (await once(reader, 'message')) as [string[]];
      return got;
    };
    let other = await readerGot();
    while (harness.received.length + other.length < count) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      other = await readerGot();
    }
    const ids = [...harness.received.map((r) => r.message.callId), ...other].sort();
    expect(ids).toEqual(Array.from({ length: count }, (_, i) => `shared-${i}`).sort());
  });

  it('threadSockets: a socket of its own for the farm, on the listener address, read by this thread alone and watched for pressure', async () => {
    const routed: number[] = [];
    const harness = await Harness.start({ listen: [spec('udp:127.0.0.1:0')], threadSockets: true }, systemScheduler, () => {
      routed.push(1);
      return true;
    });
    cleanups.push(() => harness.manager.close());
    const own = harness.manager.farmSocket('127.0.0.1')!;
    const listener = harness.port('udp');
    expect(own.port).not.toBe(listener);
    expect(own.connectionId).toBe(`udp:127.0.0.1:${own.port}`);
    expect(harness.manager.udpPorts()).toEqual([listener, own.port]);
    const client = await UdpClient.open();
    cleanups.push(() => client.close());
    await client.send(request({ callId: 'to-own-socket' }), own.port);
    const [got] = await harness.waitFor(1);
    expect(got?.message.callId).toBe('to-own-socket');
    expect(got?.source.local).toEqual({ address: '127.0.0.1', port: own.port });
    expect(routed).toEqual([]);
  });

  it('no socket of its own without threadSockets, nor with advertise (a NAT would not map its port)', async () => {
    const plain = await Harness.start({ listen: [spec('udp:127.0.0.1:0')] });
    cleanups.push(() => plain.manager.close());
    expect(plain.manager.farmSocket('127.0.0.1')).toBeUndefined();
    const advertised = await Harness.start({ listen: [spec('udp:127.0.0.1:0')], threadSockets: true, advertise: { host: '192.0.2.7', port: undefined } });
    cleanups.push(() => advertised.manager.close());
    expect(advertised.manager.farmSocket('127.0.0.1')).toBeUndefined();
  });

  it('refuses to open by descriptor a socket this thread already reads, with LISTEN_FAILED', async () => {
    const { port } = await setup();
    const fd = findUdpSocketFd('127.0.0.1', port, 4);
    await expect(Harness.start({ listen: [{ ...spec(`udp:127.0.0.1:${port}`), fd }] })).rejects.toMatchObject({ code: 'LISTEN_FAILED' });
  });

  it('finds no descriptor where no socket of ours is bound', () => {
    expect(findUdpSocketFd('127.0.0.1', 9, 4)).toBeUndefined();
  });
});
