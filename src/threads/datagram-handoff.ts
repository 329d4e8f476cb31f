/**
 * One thread's end of the datagram exchange: as the transport's router it hands each UDP datagram
 * that another live thread owns (thread-router.ts) to that thread over their MessagePort, and it
 * feeds what other threads hand over into this thread's transport as if received here. Datagrams
 * for one thread are posted together once per turn of the event loop (setImmediate): one message
 * and one wake-up of the owner for all a poll phase read, instead of one per datagram.
 */
import type { MessagePort } from 'node:worker_threads';
import type { DatagramRouter, TransportManager } from '../transport/transport-manager.js';
import { datagramOwner, NO_OWNER } from './thread-router.js';
import type { HandoffMessage } from './worker-messages.js';

/** Do these listeners hold flows (TLS, WebSocket) whose requests the main thread must take? */
export function hasFlowListeners(listen: ReadonlyArray<{ transport: string }>): boolean {
  return listen.some((s) => s.transport === 'tls' || s.transport === 'ws' || s.transport === 'wss');
}

export class DatagramHandoff {
  private handedOff = 0;
  private readonly ports: Array<MessagePort | undefined>;
  /** Per owner: datagrams waiting for the end of this turn, and the buffers they move. */
  private readonly queued: HandoffMessage[][];
  private readonly transfers: ArrayBuffer[][];
  private flushQueued = false;

  /** `alive`: an Int32 per thread, 1 while that thread takes datagrams. */
  constructor(
    private readonly index: number,
    private readonly threads: number,
    private readonly alive: Int32Array,
    /** TLS/WebSocket listeners: requests for their flows go to the main thread (thread-router.ts). */
    private readonly flowsOnMain = false,
  ) {
    this.ports = new Array<MessagePort | undefined>(threads).fill(undefined);
    this.queued = Array.from({ length: threads }, () => []);
    this.transfers = Array.from({ length: threads }, () => []);
  }

  /** Datagrams this thread received and handed to another one. */
  get count(): number {
    return this.handedOff;
  }

  readonly route: DatagramRouter = (bytes, listener, source) => {
    const owner = datagramOwner(bytes, this.threads, this.flowsOnMain);
    if (owner === NO_OWNER || owner === this.index || Atomics.load(this.alive, owner) !== 1) return false;
    if (!this.ports[owner]) return false;
    // A datagram alone in its ArrayBuffer (dgram allocates one per datagram) moves without a copy;
    // a slice of a larger one is copied first, or the clone would carry the whole buffer.
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
    this.queued[owner]!.push([own, listener, source.address, source.port]);
    this.transfers[owner]!.push(own.buffer as ArrayBuffer);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(this.flush);
    }
    this.handedOff++;
    return true;
  };

  private readonly flush = (): void => {
    this.flushQueued = false;
    for (let owner = 0; owner < this.threads; owner++) {
      const batch = this.queued[owner]!;
      if (batch.length === 0) continue;
      this.ports[owner]?.postMessage(batch, this.transfers[owner]);
      this.queued[owner] = [];
      this.transfers[owner] = [];
    }
  };

  /** What thread `peer` hands over arrives on `port` and goes into `transport`. */
  connect(peer: number, port: MessagePort, transport: TransportManager): void {
    this.ports[peer]?.close();
    this.ports[peer] = port;
    port.on('message', (batch: HandoffMessage[]) => {
      for (const m of batch) {
        const bytes = m[0];
        transport.injectDatagram(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), m[1], m[2], m[3]);
      }
    });
  }

  close(): void {
    this.flush();
    for (const port of this.ports) port?.close();
    this.ports.fill(undefined);
  }
}
