/** A HEP collector for tests: a UDP socket on 127.0.0.1 that decodes every packet it gets. */
import dgram from 'node:dgram';
import { decodeHep3, type DecodedHep } from './hep-decoder.js';

export interface TestCollector {
  readonly port: number;
  readonly packets: DecodedHep[];
  /** Packets that did not decode (must stay empty). */
  readonly undecodable: Error[];
  close(): Promise<void>;
}

export async function startHepCollector(): Promise<TestCollector> {
  const socket = dgram.createSocket('udp4');
  const packets: DecodedHep[] = [];
  const undecodable: Error[] = [];
  socket.on('message', (msg) => {
    try {
      packets.push(decodeHep3(msg));
    } catch (e) {
      undecodable.push(e as Error);
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    packets,
    undecodable,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
