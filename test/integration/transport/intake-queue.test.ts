/**
 * The UDP intake over real sockets: new initial requests that a listener reads wait for a later
 * turn of the event loop (the ManualTurns clock decides when), everything else is handed on as it
 * is read, a CANCEL first hands on what is held, and a request that waited too long is handed on late.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemScheduler } from '../../../src/shared/scheduler.js';
import { ManualTurns } from '../../support/manual-turns.js';
import { Harness, request, TcpClient, UdpClient } from './support.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const INTAKE = { methods: new Set(['INVITE', 'REGISTER']), maxDelayMs: 25, budgetMs: 1, capacity: 16 };

async function start(): Promise<{ harness: Harness; turns: ManualTurns; client: UdpClient; port: number }> {
  const turns = new ManualTurns();
  const harness = await Harness.start({ intake: INTAKE }, systemScheduler, undefined, turns);
  cleanups.push(() => harness.manager.close());
  const client = await UdpClient.open();
  cleanups.push(() => client.close());
  return { harness, turns, client, port: harness.port('udp') };
}

/** An in-dialog request (its To carries a tag): never held. */
function inDialog(method: string, callId: string): Buffer {
  return Buffer.from(request({ method, callId }).toString('latin1').replace('To: <sip:bob@example.com>', 'To: <sip:bob@example.com>;tag=b1'), 'latin1');
}

const seen = (harness: Harness): string[] => harness.received.map((r) => `${r.message.kind === 'request' ? r.message.method : 'response'} ${r.message.callId}${r.late ? ' late' : ''}`);

describe('the UDP intake queue of a listener', () => {
  it('holds a new INVITE for the next turn while a BYE read after it is handed on at once', async () => {
    const { harness, turns, client, port } = await start();
    await client.send(request({ method: 'INVITE', callId: 'new-1' }), port);
    await client.send(inDialog('BYE', 'old-1'), port);
    await harness.waitFor(1);
    expect(seen(harness)).toEqual(['BYE old-1']);
    expect(turns.pending).toBe(1);
    turns.turn();
    expect(seen(harness)).toEqual(['BYE old-1', 'INVITE new-1']);
  });

  it('hands on late a request that waited longer than overload_max_queue_delay', async () => {
    const { harness, turns, client, port } = await start();
    await client.send(request({ method: 'REGISTER', callId: 'reg-1' }), port);
    await client.send(inDialog('INVITE', 're-invite-1'), port);
    await harness.waitFor(1);
    turns.time += 26;
    turns.turn();
    expect(seen(harness)).toEqual(['INVITE re-invite-1', 'REGISTER reg-1 late']);
  });

  it('a CANCEL first hands on what is held, so it finds the INVITE it cancels', async () => {
    const { harness, turns, client, port } = await start();
    await client.send(request({ method: 'INVITE', callId: 'c-1' }), port);
    await client.send(request({ method: 'CANCEL', callId: 'c-1', cseq: '1 CANCEL' }), port);
    await harness.waitFor(2);
    expect(seen(harness)).toEqual(['INVITE c-1', 'CANCEL c-1']);
    expect(turns.pending).toBe(1);
    turns.turn();
    expect(harness.received).toHaveLength(2);
  });

  it('holds requests another thread read (injectDatagram) like its own', async () => {
    const { harness, turns, client } = await start();
    harness.manager.injectDatagram(request({ method: 'INVITE', callId: 'handed-1' }), 0, '127.0.0.1', client.port);
    expect(harness.received).toHaveLength(0);
    turns.turn();
    expect(seen(harness)).toEqual(['INVITE handed-1']);
  });

  it('holds nothing read from a stream: TCP keeps its order and its own flow control', async () => {
    const { harness, turns } = await start();
    const tcp = await TcpClient.connect(harness.port('tcp'));
    cleanups.push(() => tcp.socket.destroy());
    await tcp.write(request({ method: 'INVITE', callId: 'tcp-1', via: 'SIP/2.0/TCP 192.0.2.1:5099;branch=z9hG4bK-tcp' }));
    await harness.waitFor(1);
    expect(seen(harness)).toEqual(['INVITE tcp-1']);
    expect(turns.pending).toBe(0);
  });

  it('is not there without intake options: every datagram is handed on as it is read', async () => {
    const turns = new ManualTurns();
    const harness = await Harness.start({}, systemScheduler, undefined, turns);
    cleanups.push(() => harness.manager.close());
    const client = await UdpClient.open();
    cleanups.push(() => client.close());
    await client.send(request({ method: 'INVITE', callId: 'plain-1' }), harness.port('udp'));
    await harness.waitFor(1);
    expect(seen(harness)).toEqual(['INVITE plain-1']);
    expect(turns.pending).toBe(0);
  });
});
