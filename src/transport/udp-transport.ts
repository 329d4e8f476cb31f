/**
 * One UDP socket per listen spec: datagrams in (keepalive CRLFs skipped), datagrams out. What a
 * datagram means is MessageReceiver's business; this file only owns the socket.
 */
import dgram from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import type { Logger } from '../shared/logger.js';
import type { BoundAddress } from './advertised-address.js';
import type { ListenSpec } from '../shared/addresses.js';
import { formatListenSpec } from './listen-spec.js';
import { listenFailed } from './transport-errors.js';
import { familyOf, normalizeAddress } from './socket-address.js';
import type { Reply } from './message-receiver.js';
import type { MessageSource, SocketAddress } from './target.js';
import type { WireTap } from './wire-tap.js';

export type DatagramHandler = (bytes: Buffer, source: MessageSource, reply: Reply) => void;

export interface UdpTransportOptions {
  /**
   * SO_RCVBUF / SO_SNDBUF in bytes (the kernel caps them at net.core.rmem_max / wmem_max): the
   * default ~200 KB overflows in a burst of a few hundred datagrams while the event loop is busy.
   */
  bufferSize: number;
  logger: Logger;
  /** Told of every datagram sent. */
  tap?: WireTap;
}

export class UdpTransport {
  readonly bound: BoundAddress;
  private readonly local: SocketAddress;

  private constructor(
    private readonly socket: dgram.Socket,
    spec: ListenSpec,
    private readonly logger: Logger,
    onDatagram: DatagramHandler,
    private readonly tap: WireTap | undefined,
  ) {
    const { address, port } = socket.address();
    this.local = { address, port };
    this.bound = { transport: 'udp', address, port, family: spec.family, id: formatListenSpec({ transport: 'udp', host: address, port }) };
    socket.on('message', (bytes, rinfo) => {
      if (isKeepalive(bytes)) return;
      onDatagram(bytes, this.sourceFor(normalizeAddress(rinfo.address), rinfo.port), this.reply);
    });
  }

  /** Where a datagram from `address`:`port` to this socket came from (also one another thread received). */
  sourceFor(address: string, port: number): MessageSource {
    return { transport: 'udp', address, port, connectionId: this.bound.id, local: this.local };
  }

  /**
   * Binds; rejects with LISTEN_FAILED (never throws, never leaves a socket open). With `spec.fd`
   * (a worker thread) it opens the socket the main thread bound instead: both read from it.
   */
  static async open(spec: ListenSpec, options: UdpTransportOptions, onDatagram: DatagramHandler): Promise<UdpTransport> {
    const socketOptions: dgram.SocketOptions = {
      type: spec.family === 6 ? 'udp6' : 'udp4',
      recvBufferSize: options.bufferSize,
      sendBufferSize: options.bufferSize,
      lookup: literalLookup,
    };
    const socket = dgram.createSocket(socketOptions);
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => {
        socket.close();
        reject(listenFailed(spec, e));
      };
      socket.once('error', onError);
      const bound = (): void => {
        socket.off('error', onError);
        resolve();
      };
      if (spec.fd === undefined) socket.bind({ address: spec.host, port: spec.port, exclusive: true }, bound);
      else {
        // opening a descriptor this thread's loop already watches throws EEXIST at once
        try {
          socket.bind({ fd: spec.fd }, bound);
        } catch (e) {
          onError(e as Error);
        }
      }
    });
    // after bind, a socket error (ICMP on some systems, send errors) is logged, never thrown
    socket.on('error', (e) => options.logger.warn({ err: e, listener: spec }, 'UDP socket error'));
    return new UdpTransport(socket, spec, options.logger, onDatagram, options.tap);
  }

  /** Answers go back from this socket; a failed answer is only logged (nobody waits for it). */
  readonly reply: Reply = (bytes, to) =>
    this.send(bytes, to.address, to.port, (e) => {
      if (e) this.logger.debug({ err: e, to: to.address }, 'UDP reply failed');
    });

  /** SO_RCVBUF as the kernel set it (Linux doubles the asked size, capped by net.core.rmem_max). */
  get receiveBufferSize(): number {
    try {
      return this.socket.getRecvBufferSize();
    } catch {
      return 0;
    }
  }

  get family(): 4 | 6 {
    return this.bound.family;
  }

  /** Whether this socket can reach `host` (an IPv6 wildcard socket also reaches IPv4, mapped). */
  canReach(host: string): boolean {
    const family = familyOf(host) || 4;
    return family === this.family || (family === 4 && this.bound.address === '::');
  }

  /** `done` is called once, with the error when the datagram could not be sent. */
  send(bytes: Buffer, host: string, port: number, done: (error: Error | null) => void): void {
    const to = this.family === 6 && familyOf(host) === 4 ? `::ffff:${host}` : host;
    try {
      this.socket.send(bytes, port, to, done);
      this.tap?.captured(bytes, 'udp', this.local, { address: host, port });
    } catch (e) {
      // bad port, closed socket: report like any other send failure, asynchronously
      queueMicrotask(() => done(e as Error));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * dgram resolves the address of every send; an IP literal (all the relay sends to) is answered at
 * once instead of through dns.lookup and an extra tick per datagram.
 */
function literalLookup(host: string, options: unknown, callback: LookupCallback): void {
  const family = isIP(host);
  if (family !== 0) callback(null, host, family);
  else dnsLookup(host, typeof options === 'number' ? { family: options } : (options as object), callback as never);
}

/** A datagram of only CR/LF: a NAT keepalive some UAs send over UDP; it gets no answer. */
function isKeepalive(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}
