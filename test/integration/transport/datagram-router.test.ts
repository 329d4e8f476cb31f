/**
 * The worker-thread hooks of TransportManager: a router sees every UDP datagram (with its listener
 * index) before parsing and may take it; injectDatagram() handles bytes another thread received as
 * if this manager's socket of that listener had, answers leaving from that socket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/shared/logger.js';
import { systemScheduler } from '../../../src/shared/scheduler.js';
import { STATELESS_TAG } from '../../../src/sip/stateless-ack.js';
import type { MessageSource } from '../../../src/transport/target.js';
import { TransportManager, type DatagramRouter } from '../../../src/transport/transport-manager.js';
import { baseOptions, Harness, record, request, spec, UdpClient } from './support.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(router?: DatagramRouter): Promise<Harness> {
  const manager = new TransportManager(
    { ...baseOptions, listen: [spec('udp:127.0.0.1:0'), spec('tcp:127.0.0.1:0'), spec('udp:127.0.0.1:0')] },
    { scheduler: systemScheduler, logger: silentLogger, router },
  );
  const harness = new Harness(manager);
  await manager.start();
  cleanups.push(() => manager.close());
  return harness;
}

async function client(): Promise<UdpClient> {
  const c = await UdpClient.open();
  cleanups.push(() => c.close());
  return c;
}

describe('TransportManager datagram router', () => {
  it('passes each datagram with its UDP listener index; a datagram it takes is not handled here', async () => {
    const seen: Array<{ listener: number; callId: string; source: MessageSource }> = [];
    const harness = await start((bytes, listener, source) => {
      const callId = /Call-ID: (\S+)/.exec(bytes.toString('latin1'))![1]!;
      seen.push({ listener, callId, source });
      return callId.startsWith('taken');
    });
    const [first, , second] = harness.manager.addresses();
    const c = await client();
    await c.send(request({ callId: 'taken-1' }), first!.port);
    await c.send(request({ callId: 'kept-0' }), first!.port);
    await c.send(request({ callId: 'kept-1' }), second!.port);
    await harness.waitFor(2);
    expect(harness.received.map((r) => r.message.callId).sort()).toEqual(['kept-0', 'kept-1']);
    expect(seen.map((s) => `${s.listener} ${s.callId}`).sort()).toEqual(['0 kept-0', '0 taken-1', '1 kept-1']);
    expect(seen.find((s) => s.callId === 'kept-1')!.source).toMatchObject({ address: '127.0.0.1', port: c.port, connectionId: `udp:127.0.0.1:${second!.port}` });
  });
});

describe('the ACK of a stateless reply with a router', () => {
  it('is absorbed by the thread that read it, never offered to the router (one tag per process)', async () => {
    const routed: string[] = [];
    const harness = await start((bytes) => {
      routed.push(bytes.toString('latin1').split(' ')[0]!);
      return false;
    });
    const [first] = harness.manager.addresses();
    const c = await client();
    const ack = request({ method: 'ACK', callId: 'shed-1' }).toString('latin1').replace('To: <sip:bob@example.com>', `To: <sip:bob@example.com>;tag=${STATELESS_TAG}`);
    await c.send(Buffer.from(ack, 'latin1'), first!.port);
    // an OPTIONS after it, routed and handled: the ACK before it was absorbed, not queued
    await c.send(request({ callId: 'after-1' }), first!.port);
    await harness.waitFor(1);
    expect(routed).toEqual(['OPTIONS']);
    expect(harness.received.map((r) => r.message.callId)).toEqual(['after-1']);
  });
});

describe('TransportManager.injectDatagram', () => {
  it('handles the bytes as received on that listener from that address, and answers from its socket', async () => {
    const harness = await start();
    const [, , second] = harness.manager.addresses();
    const c = await client();
    harness.manager.injectDatagram(request({ callId: 'injected-1', via: 'SIP/2.0/UDP 192.0.2.1:5099;branch=z9hG4bK-i;rport' }), 1, '127.0.0.1', c.port);
    const [got] = await harness.waitFor(1);
    expect(got!.message.callId).toBe('injected-1');
    expect(got!.source).toEqual({ transport: 'udp', address: '127.0.0.1', port: c.port, connectionId: `udp:127.0.0.1:${second!.port}`, local: { address: '127.0.0.1', port: second!.port } });
    expect(got!.message.via[0]).toMatchObject({ received: '127.0.0.1', rport: c.port });
    // a request that does not parse is answered 400 from the listener's socket
    harness.manager.injectDatagram(request({ cseq: 'abc OPTIONS', callId: 'bad-cseq' }), 1, '127.0.0.1', c.port);
    await c.waitFor(1);
    expect(c.inbox[0]!.toString('latin1')).toMatch(/^SIP\/2\.0 400 /);
  });

  it('drops (and counts) what arrives for a listener that is gone', async () => {
    const harness = await start();
    const dropped = record('dropped');
    cleanups.push(dropped.stop);
    await harness.manager.close();
    harness.manager.injectDatagram(request(), 0, '127.0.0.1', 5060);
    expect(dropped.events).toEqual([{ reason: 'shutting-down', transport: 'udp' }]);
  });
});
