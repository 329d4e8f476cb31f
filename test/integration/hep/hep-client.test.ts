/** The collector client over real loopback sockets: delivery, and bounded drops when the collector is gone. */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HepClient } from '../../../src/hep/hep-client.js';
import { encodeHep3, HEP_PROTO_UDP } from '../../../src/hep/hep-encoder.js';
import { startHepCollector } from '../../support/hep-collector.js';
import { decodeHep3 } from '../../support/hep-decoder.js';
import { freeLoopbackPort } from '../../support/sipp.js';
import { waitFor } from '../../support/sipdispatch-process.js';

const silent = { fatal() {}, error() {}, warn() {}, info() {}, debug() {}, trace() {}, child() { return silent; } } as never;

const packet = (n: number) =>
  encodeHep3({ protocol: HEP_PROTO_UDP, source: { address: '127.0.0.1', port: 1 }, destination: { address: '127.0.0.1', port: 2 }, seconds: n, micros: 0, captureId: 1, payload: Buffer.from(`m${n}`) });

describe('HepClient', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0)) await f();
  });

  it('udp: every packet reaches the collector', async () => {
    const collector = await startHepCollector();
    cleanup.push(() => collector.close());
    const client = new HepClient({ collector: { transport: 'udp', host: '127.0.0.1', port: collector.port }, queueSize: 100, logger: silent });
    cleanup.push(() => client.close());
    await waitFor(() => client.send(packet(0)), undefined, 5000, () => 'never connected');
    for (let i = 1; i < 50; i++) client.send(packet(i));
    await waitFor(() => collector.packets.length === 50, undefined, 5000, () => `${collector.packets.length} packets`);
    expect(collector.packets.map((p) => p.seconds)).toEqual([...Array(50).keys()]);
    expect(client.counts).toMatchObject({ sent: 50, dropped: { 'queue-full': 0, 'send-error': 0 } });
  });

  it('udp: a collector that is not there costs drops, counted, and never more than queue_size pending', async () => {
    const port = await freeLoopbackPort();
    const client = new HepClient({ collector: { transport: 'udp', host: '127.0.0.1', port }, queueSize: 8, logger: silent });
    cleanup.push(() => client.close());
    await waitFor(() => client.send(packet(0)), undefined, 5000, () => 'never connected');
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 50; i++) {
        client.send(packet(i));
        expect(client.pending).toBeLessThanOrEqual(8);
      }
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => client.pending === 0, undefined, 5000, () => `${client.pending} pending`);
    const { sent, dropped } = client.counts;
    expect(sent + dropped['queue-full'] + dropped['send-error']).toBe(1001);
    // the port is closed: ICMP port unreachable turns later sends into counted errors
    expect(dropped['send-error'] + dropped['queue-full']).toBeGreaterThan(0);
  });

  it('tcp: packets arrive in order as a stream of HEP frames; with the collector gone they are dropped as not-connected', async () => {
    const received: Buffer[] = [];
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => {
      sockets.push(s);
      s.on('data', (d) => received.push(d));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const client = new HepClient({ collector: { transport: 'tcp', host: '127.0.0.1', port }, queueSize: 100, logger: silent });
    cleanup.push(() => client.close());
    await waitFor(() => client.send(packet(0)), undefined, 5000, () => 'never connected');
    for (let i = 1; i < 20; i++) client.send(packet(i));
    const expected = [...Array(20).keys()].reduce((sum, i) => sum + packet(i).length, 0);
    await waitFor(() => Buffer.concat(received).length === expected, undefined, 5000, () => `${Buffer.concat(received).length} bytes`);
    const stream = Buffer.concat(received);
    const frames: number[] = [];
    for (let at = 0; at < stream.length; ) {
      const length = stream.readUInt16BE(at + 4);
      frames.push(decodeHep3(stream.subarray(at, at + length)).seconds);
      at += length;
    }
    expect(frames).toEqual([...Array(20).keys()]);

    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    await waitFor(() => !client.send(packet(99)), undefined, 5000, () => 'still connected');
    expect(client.counts.dropped['not-connected']).toBeGreaterThan(0);
  });
});
