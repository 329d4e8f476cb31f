/**
 * TCP: listeners, outbound connections made on demand, and the table that lets both be reused
 * (RFC 3261 §18.2.2 for responses, one connection per backend for requests). Bounded in the
 * number of connections and in the bytes each may buffer; every refusal and forced close counted.
 */
import net from 'node:net';
import tls from 'node:tls';
import { publish } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import type { Scheduler } from '../shared/scheduler.js';
import type { BoundAddress } from './advertised-address.js';
import { ConnectionTable } from './connection-table.js';
import type { ListenSpec } from '../shared/addresses.js';
import { formatListenSpec } from './listen-spec.js';
import { sendFailed } from './transport-errors.js';
import { listenServer } from './server-listen.js';
import type { MessageReceiver } from './message-receiver.js';
import { addressKey, normalizeAddress, unbracket } from './socket-address.js';
import type { Target } from '../shared/addresses.js';
import type { WireTap } from './wire-tap.js';
import type { InboundFilter } from './inbound-filter.js';
import { TcpConnection, type CloseReason, type TcpConnectionContext } from './tcp-connection.js';
import type { TlsContexts } from './tls-context.js';
import { tlsFailureReason } from './tls-failure.js';

export interface TcpTransportOptions {
  /** tcp, or tls with `tls` giving the certificates and the verification policy. */
  transport: 'tcp' | 'tls';
  tls?: TlsContexts;
  idleTimeoutMs: number;
  /** Accepted plus outbound. */
  maxConnections: number;
  maxBufferedBytes: number;
  maxMessageSize: number;
  connectTimeoutMs: number;
  /** Told of every message written (HEP capture). */
  tap?: WireTap;
  /** tcp_msg_read_timeout in ms (0 = none): see TcpConnectionContext. */
  msgReadTimeoutMs: number;
  /** tcp_wq_max: bytes queued for writing over all connections (0 = no limit). */
  maxQueuedTotal: number;
  /** tcp_accept_iplimit: accepted connections per source IP (0 = no limit). */
  acceptIpLimit: number;
  /** Edge security: banned sources are not accepted. */
  filter?: InboundFilter;
}

export interface TcpStats {
  connections: number;
  accepted: number;
  connected: number;
  /** Refused because the table was full (inbound and outbound). */
  rejected: number;
  /** Closed for buffering more than allowed (a message too large, or a peer not reading). */
  overflowed: number;
  /** Bytes queued for writing over all connections. */
  queuedBytes: number;
  /** Refused by tcp_accept_iplimit or because the source is banned. */
  refusedSources: number;
  /** Closed by tcp_msg_read_timeout (a message not completed in time). */
  readTimeouts: number;
  /** TLS handshakes that failed, accepted and outbound. */
  handshakeFailures: number;
  idleClosed: number;
  connectFailed: number;
}

export type SendFailure = (error: Error) => void;

export class TcpTransport {
  private readonly table: ConnectionTable<TcpConnection>;
  private readonly context: TcpConnectionContext;
  private readonly servers: net.Server[] = [];
  private readonly counts = { accepted: 0, connected: 0, rejected: 0, overflowed: 0, idleClosed: 0, connectFailed: 0, refusedSources: 0, readTimeouts: 0, handshakeFailures: 0 };
  /** Accepted connections open per source IP, and which IP each accepted connection counts for. */
  private readonly perIp = new Map<string, number>();
  private readonly inbound = new Map<TcpConnection, string>();
  private seq = 0;
  private closing = false;

  constructor(private readonly options: TcpTransportOptions, scheduler: Scheduler, receiver: MessageReceiver, private readonly logger: Logger) {
    this.table = new ConnectionTable(options.maxConnections);
    this.context = { ...options, scheduler, receiver, onClose: (c, reason) => this.forget(c, reason), queued: (delta) => this.queue(delta) };
  }

  /** The TLS servers (their certificates are swapped on reload). */
  get tlsServers(): readonly tls.Server[] {
    return this.options.transport === 'tls' ? (this.servers as tls.Server[]) : [];
  }

  /** Rejects with LISTEN_FAILED naming the address. */
  async listen(spec: ListenSpec): Promise<BoundAddress> {
    const server = this.createServer();
    await listenServer(server, spec);
    server.on('error', (e) => this.logger.warn({ err: e, listener: formatListenSpec(spec) }, 'TCP listener error'));
    this.servers.push(server);
    const { address, port } = server.address() as net.AddressInfo;
    const transport = this.options.transport;
    return { transport, address, port, family: spec.family, id: formatListenSpec({ transport, host: address, port }) };
  }

  /** Is this connection still open? (a flow token names it) */
  isOpen(connectionId: string): boolean {
    return this.table.get(connectionId) !== undefined;
  }

  private createServer(): net.Server {
    const contexts = this.options.tls;
    if (this.options.transport === 'tcp' || !contexts) {
      const server = net.createServer({ noDelay: true });
      server.on('connection', (socket) => this.accept(socket));
      return server;
    }
    const server = tls.createServer(contexts.serverOptions());
    server.on('secureConnection', (socket) => {
      socket.setNoDelay(true);
      if (!contexts.accepts(socket)) {
        this.handshakeFailed('inbound', Object.assign(new Error('client certificate did not verify'), { code: 'CERT_UNTRUSTED' }));
        socket.destroy();
        return;
      }
      this.accept(socket);
    });
    server.on('tlsClientError', (e, socket) => {
      // Node reports a handshake timeout but leaves the socket open: the holder must not keep it
      socket.destroy();
      this.handshakeFailed('inbound', e);
    });
    return server;
  }

  private handshakeFailed(direction: 'inbound' | 'outbound', e: Error): void {
    this.counts.handshakeFailures++;
    publish('tls.failed', { direction, reason: tlsFailureReason(e) });
    this.logger.debug({ err: e.message, direction }, 'TLS handshake failed');
  }

  /** On the named connection if open, else any connection to host:port, else a new one. */
  send(bytes: Buffer, target: Target, onError?: SendFailure): void {
    const connection = this.connectionFor(target);
    if (connection instanceof Error) {
      if (onError) queueMicrotask(() => onError(sendFailed(target, connection)));
      return;
    }
    connection.write(bytes, onError && ((e) => {
      if (e) onError(sendFailed(target, connection.failure ?? e));
    }));
  }

  /** Bytes queued for writing over all connections (tcp_wq_max). */
  private queuedTotal = 0;

  private queue(delta: number): boolean {
    this.queuedTotal += delta;
    return this.options.maxQueuedTotal <= 0 || this.queuedTotal <= this.options.maxQueuedTotal;
  }

  stats(): TcpStats {
    return { connections: this.table.size, queuedBytes: this.queuedTotal, ...this.counts };
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    this.closing = true;
    for (const connection of [...this.table.values()]) connection.close('shutdown');
    const servers = this.servers.splice(0);
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private accept(socket: net.Socket): void {
    const { remoteAddress, remotePort } = socket;
    if (this.closing || remoteAddress === undefined || remotePort === undefined) {
      socket.destroy();
      return;
    }
    if (this.table.full) {
      socket.destroy();
      this.refuse();
      return;
    }
    const address = normalizeAddress(remoteAddress);
    const open = this.perIp.get(address) ?? 0;
    const { acceptIpLimit, filter } = this.options;
    if ((acceptIpLimit > 0 && open >= acceptIpLimit) || (filter && !filter.admitsConnection(address))) {
      socket.destroy();
      this.counts.refusedSources++;
      publish('dropped', { reason: 'limit', transport: this.options.transport });
      return;
    }
    this.counts.accepted++;
    const connection = this.open(socket, addressKey(address, remotePort), { address, port: remotePort, certSubject: subjectOf(socket) });
    this.perIp.set(address, open + 1);
    this.inbound.set(connection, address);
  }

  private connectionFor(target: Target): TcpConnection | Error {
    if (target.connectionId !== undefined) {
      const named = this.table.get(target.connectionId);
      if (named) return named;
    }
    const key = addressKey(target.host, target.port);
    const existing = this.table.find(key);
    if (existing) return existing;
    if (this.closing) return new Error('transport is closing');
    if (this.table.full) {
      this.refuse();
      return new Error(`TCP connection limit (${this.table.capacity}) reached`);
    }
    try {
      const host = unbracket(target.host);
      const contexts = this.options.tls;
      let socket: net.Socket;
      if (this.options.transport === 'tls' && contexts) {
        const secure = tls.connect(contexts.clientOptions(host, target.port));
        secure.setNoDelay(true);
        // between the TCP connect and the end of the handshake, an error is the handshake's
        let stage: 'connecting' | 'handshake' | 'secure' = 'connecting';
        secure.once('connect', () => (stage = 'handshake'));
        secure.once('secureConnect', () => (stage = 'secure'));
        secure.on('error', (e) => {
          if (stage === 'handshake') this.handshakeFailed('outbound', e);
        });
        socket = secure;
      } else {
        socket = net.connect({ host, port: target.port, noDelay: true });
      }
      this.counts.connected++;
      return this.open(socket, key, { address: host, port: target.port });
    } catch (e) {
      return e as Error; // a bad port or host throws synchronously
    }
  }

  private open(socket: net.Socket, key: string, peer: { address: string; port: number; certSubject?: string }): TcpConnection {
    const connection = new TcpConnection(`${this.options.transport}#${++this.seq}`, key, socket, this.context, peer);
    this.table.add(connection);
    return connection;
  }

  private refuse(): void {
    this.counts.rejected++;
    publish('dropped', { reason: 'overload', transport: this.options.transport });
  }

  private forget(connection: TcpConnection, reason: CloseReason): void {
    this.table.delete(connection);
    const ip = this.inbound.get(connection);
    if (ip !== undefined) {
      this.inbound.delete(connection);
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left > 0) this.perIp.set(ip, left);
      else this.perIp.delete(ip);
    }
    if (reason === 'read-timeout') this.counts.readTimeouts++;
    if (reason === 'overflow' || reason === 'too-large') this.counts.overflowed++;
    // the buffered messages are lost; a too-large one was already counted by the receiver
    if (reason === 'overflow') publish('dropped', { reason: 'overload', transport: this.options.transport });
    else if (reason === 'idle') this.counts.idleClosed++;
    else if (reason === 'connect-failed') this.counts.connectFailed++;
    this.logger.debug({ connection: connection.id, peer: connection.key, reason }, 'connection closed');
  }
}

/** The subject CN of a verified TLS client certificate. */
function subjectOf(socket: net.Socket): string | undefined {
  if (!(socket instanceof tls.TLSSocket) || !socket.authorized) return undefined;
  const cn = socket.getPeerCertificate().subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}
