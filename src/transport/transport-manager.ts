/**
 * Owns every listener and is the transport the transaction layer talks to: `send(bytes, target,
 * onError)` and `isReliable(target)` (src/transaction/transport.ts, satisfied structurally),
 * `onMessage(handler)` for what arrives, `addresses()` for what was bound and
 * `localAddressFor(transport)` for what we write in our Via and Record-Route.
 */
import { networkInterfaces } from 'node:os';
import { SipDispatchError } from '../shared/errors.js';
import { publish, type Transport } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import type { Scheduler } from '../shared/scheduler.js';
import { advertisedAddress, type BoundAddress } from './advertised-address.js';
import type { HostPort, ListenSpec } from '../shared/addresses.js';
import { MessageReceiver, type MessageHandler } from './message-receiver.js';
import { isWildcard } from './socket-address.js';
import type { LocalAddress, Target } from '../shared/addresses.js';
import { isReliable } from './target.js';
import { TcpTransport, type TcpStats, type TcpTransportOptions } from './tcp-transport.js';
import { sendFailed } from './transport-errors.js';
import { UdpTransport, type DatagramHandler } from './udp-transport.js';
import type { MessageSource } from './target.js';
import type { WireTap } from './wire-tap.js';
import type { InboundFilter } from './inbound-filter.js';

export interface TransportManagerOptions {
  listen: readonly ListenSpec[];
  /** `advertise` HOST[:PORT] for our Via and Record-Route; undefined = the bound address. */
  advertise: HostPort | undefined;
  /** Kamailio's force_rport: fill rport on every request, not only when the client asked. */
  forceRport: boolean;
  /** SO_REUSEPORT on UDP where Node and the OS support it (worker threads). */
  reusePort: boolean;
  /** UDP socket buffers in bytes (udp_buffer_size). */
  udpBufferSize: number;
  /** Largest message accepted, datagram or stream (bigger ones get 513 or are dropped). */
  maxMessageSize: number;
  tcp: Omit<TcpTransportOptions, 'maxMessageSize'>;
}

export interface TransportDeps {
  scheduler: Scheduler;
  logger: Logger;
  /** Worker threads: asked about every UDP datagram before it is parsed. */
  router?: DatagramRouter;
  /** Told of every message received and sent (HEP capture). */
  tap?: WireTap;
  /** Edge security: what to silence before and after parsing, and which connections to refuse. */
  filter?: InboundFilter;
}

/**
 * True when another thread takes the datagram that UDP listener `listener` (index among the UDP
 * listen specs, the same in every thread) received; false to handle it here.
 */
export type DatagramRouter = (bytes: Buffer, listener: number, source: MessageSource) => boolean;

export type SendErrorHandler = (error: Error) => void;

export class TransportManager {
  private readonly receiver: MessageReceiver;
  private readonly tcp: TcpTransport;
  private udp: UdpTransport[] = [];
  private readonly udpById = new Map<string, UdpTransport>();
  private bound: BoundAddress[] = [];
  private local: Record<Transport, LocalAddress> | undefined;
  private readonly logger: Logger;
  private readonly router: DatagramRouter | undefined;
  private readonly tap: WireTap | undefined;

  constructor(private readonly options: TransportManagerOptions, deps: TransportDeps) {
    this.logger = deps.logger;
    this.router = deps.router;
    this.tap = deps.tap;
    this.receiver = new MessageReceiver({ maxMessageSize: options.maxMessageSize, forceRport: options.forceRport, logger: deps.logger, tap: deps.tap, filter: deps.filter });
    this.tcp = new TcpTransport({ ...options.tcp, maxMessageSize: options.maxMessageSize, tap: deps.tap, filter: deps.filter }, deps.scheduler, this.receiver, deps.logger);
  }

  /** Every parsed message, with its top Via already carrying received/rport. Set before start(). */
  onMessage(handler: MessageHandler): void {
    this.receiver.setHandler(handler);
  }

  /**
   * Opens every listener. Rejects with LISTEN_FAILED naming the address (port in use, no
   * permission, address not local), after closing whatever had opened.
   */
  async start(): Promise<void> {
    try {
      for (const spec of this.options.listen) await this.open(spec);
    } catch (e) {
      await this.close();
      throw e;
    }
    this.local = this.advertised();
  }

  /** `onError` is called at most once, asynchronously, with a SEND_FAILED error. */
  send(bytes: Buffer, target: Target, onError?: SendErrorHandler): void {
    if (target.transport === 'tcp') {
      this.tcp.send(bytes, target, onError);
      return;
    }
    const socket = this.udpFor(target);
    if (!socket) {
      if (onError) queueMicrotask(() => onError(sendFailed(target, new Error('no UDP listener for this address family'))));
      return;
    }
    socket.send(bytes, target.host, target.port, onError ? (e) => e && onError(sendFailed(target, e)) : this.logSendError);
  }

  /**
   * A datagram another thread received on UDP listener `listener` from `address`:`port`, handled
   * as if this thread's socket of that listener had received it (answers leave from that socket).
   */
  injectDatagram(bytes: Buffer, listener: number, address: string, port: number): void {
    const udp = this.udp[listener];
    if (!udp) {
      publish('dropped', { reason: 'shutting-down', transport: 'udp' });
      return;
    }
    this.receiver.receive(bytes, udp.sourceFor(address, port), udp.reply);
  }

  isReliable(target: Target): boolean {
    return isReliable(target);
  }

  /** The host (IPv6 in brackets) and port for our Via and Record-Route over `transport`. */
  localAddressFor(transport: Transport): LocalAddress {
    if (!this.local) throw new Error('localAddressFor() called before start()');
    return this.local[transport];
  }

  /** What was actually bound (port 0 resolved), in listen order. */
  addresses(): readonly BoundAddress[] {
    return this.bound;
  }

  /** The largest receive buffer of our UDP sockets, bytes (0 without UDP): the pressure monitor's capacity. */
  udpReceiveBufferSize(): number {
    let max = 0;
    for (const u of this.udp) max = Math.max(max, u.receiveBufferSize);
    return max;
  }

  stats(): { tcp: TcpStats } {
    return { tcp: this.tcp.stats() };
  }

  /** Closes every socket and connection; idempotent. */
  async close(): Promise<void> {
    const udp = this.udp;
    this.udp = [];
    this.udpById.clear();
    this.bound = [];
    this.local = undefined;
    await Promise.all([...udp.map((u) => u.close()), this.tcp.close()]);
  }

  private async open(spec: ListenSpec): Promise<void> {
    const bound = spec.transport === 'tcp' ? await this.tcp.listen(spec) : await this.openUdp(spec);
    this.bound.push(bound);
    this.logger.info({ listen: bound.id }, 'listening');
  }

  private async openUdp(spec: ListenSpec): Promise<BoundAddress> {
    const options = { reusePort: this.options.reusePort, bufferSize: this.options.udpBufferSize, logger: this.logger, tap: this.tap };
    const socket = await UdpTransport.open(spec, options, this.datagramHandler(this.udp.length));
    this.udp.push(socket);
    this.udpById.set(socket.bound.id, socket);
    return socket.bound;
  }

  private datagramHandler(listener: number): DatagramHandler {
    const router = this.router;
    if (!router) return (bytes, source, reply) => this.receiver.receive(bytes, source, reply);
    return (bytes, source, reply) => {
      if (!router(bytes, listener, source)) this.receiver.receive(bytes, source, reply);
    };
  }

  /** Computed once at start: Via building must not walk the interfaces per request. */
  private advertised(): Record<Transport, LocalAddress> {
    const interfaces = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
    const wildcard = this.bound.filter((b) => isWildcard(b.address));
    if (wildcard.length > 0 && !this.options.advertise) {
      this.logger.warn({ listeners: wildcard.map((b) => b.id) }, 'wildcard listener without advertise: Via and Record-Route use the first interface address');
    }
    const udp = advertisedAddress('udp', this.bound, this.options.advertise, interfaces);
    const tcp = advertisedAddress('tcp', this.bound, this.options.advertise, interfaces);
    if (!udp || !tcp) throw new SipDispatchError('LISTEN_FAILED', 'no listen address configured');
    return { udp, tcp };
  }

  /** The socket the request came in on when it can reach the target, else one of its family. */
  private udpFor(target: Target): UdpTransport | undefined {
    if (target.connectionId !== undefined) {
      const named = this.udpById.get(target.connectionId);
      if (named?.canReach(target.host)) return named;
    }
    return this.udp.find((u) => u.canReach(target.host));
  }

  private readonly logSendError = (e: Error | null): void => {
    if (e) this.logger.debug({ err: e }, 'UDP send failed');
  };
}
