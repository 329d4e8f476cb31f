/**
 * Two DatagramHandoff ends (threads 0 and 1 of 2) joined by a real MessageChannel in one thread,
 * each feeding a real TransportManager on 127.0.0.1: what one end hands over arrives in the other
 * manager as if its own socket of that listener had received it.
 */
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { DatagramHandoff } from '../../../src/threads/datagram-handoff.js';
import { datagramOwner } from '../../../src/threads/thread-router.js';
import type { MessageSource } from '../../../src/transport/target.js';
import { Harness, request, spec } from '../transport/support.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A request whose Call-ID thread `thread` of 2 owns, the first from handoff-`from` on. */
function ownedBy(thread: number, from: number): Buffer {
  for (let n = from; ; n++) {
    const bytes = request({ callId: `handoff-${n}` });
    if (datagramOwner(bytes, 2) === thread) return bytes;
  }
}

async function setup() {
  const alive = new Int32Array(new SharedArrayBuffer(8));
  alive.fill(1);
  const harnesses = [await Harness.start({ listen: [spec('udp:127.0.0.1:0')] }), await Harness.start({ listen: [spec('udp:127.0.0.1:0')] })] as const;
  cleanups.push(() => Promise.all(harnesses.map((h) => h.manager.close())));
  const ends = [new DatagramHandoff(0, 2, alive), new DatagramHandoff(1, 2, alive)] as const;
  const { port1, port2 } = new MessageChannel();
  ends[0].connect(1, port1, harnesses[0].manager);
  ends[1].connect(0, port2, harnesses[1].manager);
  cleanups.push(() => ends.forEach((e) => e.close()));
  return { alive, harnesses, ends };
}

const source = (port: number): MessageSource => ({ transport: 'udp', address: '127.0.0.1', port, connectionId: 'elsewhere', local: { address: '127.0.0.1', port: 1 } });

describe('DatagramHandoff', () => {
  it('hands a datagram owned by the other thread over; it arrives there with its remote address', async () => {
    const { harnesses, ends } = await setup();
    const bytes = ownedBy(1, 0);
    expect(ends[0].route(bytes, 0, source(40001))).toBe(true);
    expect(ends[0].count).toBe(1);
    const [got] = await harnesses[1].waitFor(1);
    const local = harnesses[1].manager.addresses()[0]!;
    expect(got!.source).toEqual({ transport: 'udp', address: '127.0.0.1', port: 40001, connectionId: `udp:127.0.0.1:${local.port}`, local: { address: '127.0.0.1', port: local.port } });
    expect(got!.message.callId).toBe(/Call-ID: (\S+)/.exec(bytes.toString('latin1'))![1]);
  });

  it('keeps what this thread owns, and what a thread that is down owns', async () => {
    const { alive, ends } = await setup();
    expect(ends[0].route(ownedBy(0, 0), 0, source(40002))).toBe(false);
    alive[1] = 0;
    expect(ends[0].route(ownedBy(1, 0), 0, source(40003))).toBe(false);
    expect(ends[0].count).toBe(0);
  });

  it('posts the datagrams of one turn of the event loop together, in order, a slice of a larger buffer intact', async () => {
    const { harnesses, ends } = await setup();
    const first = ownedBy(0, 0);
    const second = ownedBy(0, Number(/handoff-(\d+)/.exec(first.toString('latin1'))![1]) + 1);
    const slab = Buffer.concat([Buffer.from('xxxx'), second, Buffer.from('yyyy')]);
    expect(ends[1].route(first, 0, source(40004))).toBe(true);
    expect(ends[1].route(slab.subarray(4, 4 + second.length), 0, source(40005))).toBe(true);
    const got = await harnesses[0].waitFor(2);
    expect(got.map((r) => r.source.port)).toEqual([40004, 40005]);
    expect(got[1]!.message.callId).toBe(/Call-ID: (\S+)/.exec(second.toString('latin1'))![1]);
    expect(slab.subarray(0, 4).toString()).toBe('xxxx');
  });
});
