/**
 * Owns every listener and is the transport the transaction layer talks to: `send(bytes, target,
 * onError)` and `isReliable(target)` (src/transaction/transport.ts, satisfied structurally),
 * `onMessage(handler)` for what arrives, `addresses()` for what was bound and
 * `localAddressFor(transport)` for what we write in our Via and Record-Route.
 */
import { networkInterfaces } from 'node:os';
import { SipDispatchError } from '../shared/errors.js';
import { publish, TRANSPORTS, type Transport } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import type { Scheduler } from '../shared/scheduler.js';
import { InitialRequestScan, isCancel } from '../sip/initial-request.js';
import { isAckToStatelessReply } from '../sip/stateless-ack.js';
import { advertisedAddress, type BoundAddress } from './advertised-address.js';
import type { HostPort, ListenSpec } from '../shared/addresses.js';
import { MessageReceiver, type MessageHandler, type Reply } from './message-receiver.js';
import { familyOf, isWildcard } from './socket-address.js';
import { formatListenSpec } from './listen-spec.js';
import type { LocalAddress, Target } from '../shared/addresses.js';
import { isReliable } from './target.js';
import { TcpTransport, type TcpStats, type TcpTransportOptions } from './tcp-transport.js';
import { sendFailed } from './transport-errors.js';
import { UdpTransport, type DatagramHandler } from './udp-transport.js';
import type { MessageSource } from './target.js';
import type { WireTap } from './wire-tap.js';
import type { InboundFilter } from './inbound-filter.js';
import { IntakeQueue, systemIntakeClock, type IntakeClock, type IntakeOptions } from './intake-queue.js';
import { TlsContexts, type CertificateInfo, type TlsOptions } from './tls-context.js';
import { WsTransport, type WsConnectionInfo, type WsStats, type WsTransportOptions } from './ws-transport.js';

export interface TransportManagerOptions {
  listen: readonly ListenSpec[];
  /** `advertise` HOST[:PORT] for our Via and Record-Route; undefined = the bound address. */
  advertise: HostPort | undefined;
  /** Kamailio's force_rport: fill rport on every request, not only when the client asked. */
  forceRport: boolean;
  /** UDP socket buffers in bytes (udp_buffer_size). */
  udpBufferSize: number;
  /** Threads share the UDP listeners: this one binds its own socket for requests to the farm (farmSocket). */
  threadSockets?: boolean;
  /** Largest message accepted, datagram or stream (bigger ones get 513 or are dropped). */
  maxMessageSize: number;
  /** New initial requests of these methods on UDP listeners wait in the intake queue (intake-queue.ts); none: no queue. */
  intake?: IntakeOptions & { methods: ReadonlySet<string> };
  tcp: Omit<TcpTransportOptions, 'maxMessageSize' | 'transport' | 'tls'>;
  /** Certificates and peer verification for tls: and wss: listeners and TLS backends. */
  tls: TlsOptions;
  websocket: Omit<WsTransportOptions, 'maxConnections' | 'tap' | 'filter'>;
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
  /** The intake queue's clock (tests); setImmediate and performance.now() otherwise. */
  intakeClock?: IntakeClock;
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
  /** Built at start, once the certificates are read. */
  private tls: TcpTransport | undefined;
  private ws: WsTransport | undefined;
  private tlsContexts: TlsContexts | undefined;
  private readonly scheduler: Scheduler;
  private readonly filter: InboundFilter | undefined;
  private udp: UdpTransport[] = [];
  /** threadSockets: this thread's own UDP sockets (one per family), never shared. */
  private own: UdpTransport[] = [];
  private readonly udpById = new Map<string, UdpTransport>();
  private bound: BoundAddress[] = [];
  private local: Record<Transport, LocalAddress> | undefined;
  private readonly logger: Logger;
  private readonly router: DatagramRouter | undefined;
  private readonly tap: WireTap | undefined;
  private readonly intake: IntakeQueue | undefined;
  private readonly initialRequests: InitialRequestScan | undefined;

  constructor(private readonly options: TransportManagerOptions, deps: TransportDeps) {
    this.logger = deps.logger;
    this.router = deps.router;
    this.tap = deps.tap;
    this.scheduler = deps.scheduler;
    this.filter = deps.filter;
    this.receiver = new MessageReceiver({ maxMessageSize: options.maxMessageSize, forceRport: options.forceRport, logger: deps.logger, tap: deps.tap, filter: deps.filter });
    this.tcp = new TcpTransport({ ...options.tcp, transport: 'tcp', maxMessageSize: options.maxMessageSize, tap: deps.tap, filter: deps.filter }, deps.scheduler, this.receiver, deps.logger);
    if (options.intake) {
      this.initialRequests = new InitialRequestScan(options.intake.methods);
      this.intake = new IntakeQueue(options.intake, deps.intakeClock ?? systemIntakeClock, (bytes, source, reply, late) => this.receiver.receive(bytes, source, reply, late));
    }
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
      await this.startSecure();
      for (const spec of this.options.listen) await this.open(spec);
      if (this.options.threadSockets && !this.options.advertise) await this.openOwnSockets();
    } catch (e) {
      await this.close();
      throw e;
    }
    this.local = this.advertised();
  }

  /** `onError` is called at most once, asynchronously, with a SEND_FAILED error. */
  send(bytes: Buffer, target: Target, onError?: SendErrorHandler): void {
    switch (target.transport) {
      case 'udp':
        break;
      case 'tcp':
        return this.tcp.send(bytes, target, onError);
      case 'tls':
        if (this.tls) return this.tls.send(bytes, target, onError);
        return this.cannotSend(target, 'TLS is not started', onError);
      case 'ws':
      case 'wss':
        if (this.ws) return this.ws.send(bytes, target, onError);
        return this.cannotSend(target, 'no WebSocket listener', onError);
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
    this.accept(bytes, udp.sourceFor(address, port), udp.reply);
  }

  isReliable(target: Target): boolean {
    return isReliable(target);
  }

  /** Is this connection of `transport` still open? (a flow token names it) */
  connectionOpen(transport: Transport, connectionId: string): boolean {
    switch (transport) {
      case 'tcp':
        return this.tcp.isOpen(connectionId);
      case 'tls':
        return this.tls?.isOpen(connectionId) ?? false;
      case 'ws':
      case 'wss':
        return this.ws?.isOpen(connectionId) ?? false;
      default:
        return false;
    }
  }

  /**
   * RPC tls.reload: reads the certificate files again; new handshakes get the new ones, established
   * connections carry on. Rejects with TLS_CONFIG, the old certificates in force, on a bad file.
   */
  async reloadTls(): Promise<readonly CertificateInfo[]> {
    if (!this.tlsContexts) throw new SipDispatchError('TLS_CONFIG', 'TLS is not started');
    return this.tlsContexts.reload([...(this.tls?.tlsServers ?? []), ...(this.ws?.tlsServers ?? [])]);
  }

  /** The certificates in force (empty without TLS). */
  certificates(): readonly CertificateInfo[] {
    return this.tlsContexts?.certificates() ?? [];
  }

  /** RPC ws.dump. */
  wsConnections(): WsConnectionInfo[] {
    return this.ws?.dump() ?? [];
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

  /** This thread's own farm sockets (threadSockets), as bound: they name us in the Via of what goes to the farm. */
  farmAddresses(): readonly BoundAddress[] {
    return this.own.map((u) => u.bound);
  }

  /** The local ports of every UDP socket of this thread, its own farm sockets included: the pressure monitor's. */
  udpPorts(): number[] {
    return [...this.udp, ...this.own].map((u) => u.bound.port);
  }

  /** The longest a request waited in the intake queue since the last call, ms: the pressure monitor's. */
  takeIntakeWait(): number {
    return this.intake?.takeLongestWait() ?? 0;
  }

  /** The largest receive buffer of our UDP sockets, bytes (0 without UDP): the pressure monitor's capacity. */
  udpReceiveBufferSize(): number {
    let max = 0;
    for (const u of this.udp) max = Math.max(max, u.receiveBufferSize);
    return max;
  }

  stats(): { tcp: TcpStats; tls: TcpStats | undefined; ws: WsStats | undefined } {
    return { tcp: this.tcp.stats(), tls: this.tls?.stats(), ws: this.ws?.stats() };
  }

  /** Closes every socket and connection; idempotent. */
  async close(): Promise<void> {
    const udp = [...this.udp, ...this.own];
    this.udp = [];
    this.own = [];
    this.udpById.clear();
    this.bound = [];
    this.local = undefined;
    await Promise.all([...udp.map((u) => u.close()), this.tcp.close(), this.tls?.close(), this.ws?.close()]);
  }

  /**
   * Reads the certificates (a tls: or wss: listener needs one) and builds the TLS and WebSocket
   * transports. TLS toward backends works without a certificate of our own.
   */
  private async startSecure(): Promise<void> {
    const listen = this.options.listen;
    const secure = listen.filter((s) => s.transport === 'tls' || s.transport === 'wss');
    this.tlsContexts = await TlsContexts.load(this.options.tls);
    if (secure.length > 0 && !this.tlsContexts.hasCertificate) {
      throw new SipDispatchError('TLS_CONFIG', `listener ${formatListenSpec(secure[0]!)} needs tls.certificate and tls.private_key`);
    }
    const { tcp, maxMessageSize } = this.options;
    this.tls = new TcpTransport({ ...tcp, transport: 'tls', tls: this.tlsContexts, maxMessageSize, tap: this.tap, filter: this.filter }, this.scheduler, this.receiver, this.logger);
    if (listen.some((s) => s.transport === 'ws' || s.transport === 'wss')) {
      const options = { ...this.options.websocket, maxConnections: tcp.maxConnections, tap: this.tap, filter: this.filter };
      this.ws = new WsTransport(options, this.scheduler, this.receiver, this.logger, this.tlsContexts);
    }
  }

  private async open(spec: ListenSpec): Promise<void> {
    const bound = await this.openListener(spec);
    this.bound.push(bound);
    this.logger.info({ listen: bound.id }, 'listening');
  }

  private openListener(spec: ListenSpec): Promise<BoundAddress> {
    switch (spec.transport) {
      case 'udp':
        return this.openUdp(spec);
      case 'tcp':
        return this.tcp.listen(spec);
      case 'tls':
        return this.tls!.listen(spec);
      case 'ws':
      case 'wss':
        return this.ws!.listen(spec);
    }
  }

  private cannotSend(target: Target, why: string, onError: SendErrorHandler | undefined): void {
    if (onError) queueMicrotask(() => onError(sendFailed(target, new Error(why))));
  }

  /**
   * With threads reading the same listeners, each thread also binds a socket of its own on the
   * first UDP listener's address of each family (a free port): requests it sends to the farm
   * leave from there and name it in their Via, so the farm's answers reach this thread directly
   * (no handover, no other thread woken). Not with `advertise`: a NAT would not map the port.
   */
  private async openOwnSockets(): Promise<void> {
    const options = { bufferSize: this.options.udpBufferSize, logger: this.logger, tap: this.tap };
    const receive: DatagramHandler = (bytes, source, reply) => this.receiver.receive(bytes, source, reply);
    for (const family of [4, 6] as const) {
      const listener = this.udp.find((u) => u.family === family);
      if (!listener) continue;
      const socket = await UdpTransport.open({ transport: 'udp', host: listener.bound.address, port: 0, family }, options, receive);
      this.own.push(socket);
      this.udpById.set(socket.bound.id, socket);
    }
  }

  /** This thread's own UDP socket for requests to the farm at `address` (threadSockets), or none. */
  farmSocket(address: string): { port: number; connectionId: string } | undefined {
    const family = familyOf(address) || 4;
    const own = this.own.find((u) => u.family === family);
    return own && { port: own.bound.port, connectionId: own.bound.id };
  }

  private async openUdp(spec: ListenSpec): Promise<BoundAddress> {
    const options = { bufferSize: this.options.udpBufferSize, logger: this.logger, tap: this.tap };
    const socket = await UdpTransport.open(spec, options, this.datagramHandler(this.udp.length));
    this.udp.push(socket);
    this.udpById.set(socket.bound.id, socket);
    return socket.bound;
  }

  private datagramHandler(listener: number): DatagramHandler {
    const router = this.router;
    if (!router) return (bytes, source, reply) => this.accept(bytes, source, reply);
    // the ACK of a stateless reply is absorbed here, whichever thread's reply it was (one tag per
    // process): handing it to the owner of its Call-ID would cost more than it does
    return (bytes, source, reply) => {
      if (isAckToStatelessReply(bytes)) this.receiver.receive(bytes, source, reply);
      else if (!router(bytes, listener, source)) this.accept(bytes, source, reply);
    };
  }

  /** A datagram of a listener: new initial requests wait in the intake queue, the rest is handled now. */
  private accept(bytes: Buffer, source: MessageSource, reply: Reply): void {
    const intake = this.intake;
    if (intake) {
      if (this.initialRequests!.matches(bytes)) return intake.hold(bytes, source, reply);
      if (intake.length > 0 && isCancel(bytes)) intake.flush();
    }
    this.receiver.receive(bytes, source, reply);
  }

  /** Computed once at start: Via building must not walk the interfaces per request. */
  private advertised(): Record<Transport, LocalAddress> {
    const interfaces = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
    const wildcard = this.bound.filter((b) => isWildcard(b.address));
    if (wildcard.length > 0 && !this.options.advertise) {
      this.logger.warn({ listeners: wildcard.map((b) => b.id) }, 'wildcard listener without advertise: Via and Record-Route use the first interface address');
    }
    const local = {} as Record<Transport, LocalAddress>;
    for (const t of TRANSPORTS) {
      const a = advertisedAddress(t, this.bound, this.options.advertise, interfaces);
      if (!a) throw new SipDispatchError('LISTEN_FAILED', 'no listen address configured');
      local[t] = a;
    }
    return local;
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
