/**
 * SIP over WebSocket (RFC 7118), WS and WSS listeners: our own http/https server takes the
 * upgrade, checks it (the `sip` subprotocol, Origin, the per-IP cap, banned sources) and hands it
 * to `ws` in noServer mode. One SIP message per WebSocket message, text or binary. Our own
 * ping/pong keepalive ends dead connections. Browsers cannot be connected to, so a request goes
 * out only on an open connection: the one a flow token names, or the newest from that address.
 */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { publish, type WsRefusalReason } from '../shared/events.js';
import type { ListenSpec, Target } from '../shared/addresses.js';
import type { Logger } from '../shared/logger.js';
import type { Scheduler, TimerHandle } from '../shared/scheduler.js';
import type { BoundAddress } from './advertised-address.js';
import { ConnectionTable } from './connection-table.js';
import type { InboundFilter } from './inbound-filter.js';
import { formatListenSpec } from './listen-spec.js';
import type { MessageReceiver, Reply } from './message-receiver.js';
import { addressKey, normalizeAddress } from './socket-address.js';
import type { MessageSource } from './target.js';
import type { TlsContexts } from './tls-context.js';
import { tlsFailureReason } from './tls-failure.js';
import { sendFailed } from './transport-errors.js';
import { listenServer } from './server-listen.js';
import type { WireTap } from './wire-tap.js';

export interface WsTransportOptions {
  /** Allowed Origin header values of an upgrade; empty = any. */
  origins: readonly string[];
  /** Between our pings; 0 = no keepalive. */
  keepaliveIntervalMs: number;
  /** A ping unanswered this long ends the connection. */
  keepaliveTimeoutMs: number;
  /** The upgrade request must be complete within this. */
  headerTimeoutMs: number;
  /** WebSocket connections per source IP; 0 = no limit. */
  maxPerIp: number;
  /** WebSocket connections in all. */
  maxConnections: number;
  tap?: WireTap;
  filter?: InboundFilter;
}

/** One line of RPC `ws.dump`. */
export interface WsConnectionInfo {
  id: string;
  transport: 'ws' | 'wss';
  peer: string;
  local: string;
  origin: string | undefined;
  connectedAt: string;
  messagesIn: number;
  messagesOut: number;
}

export interface WsStats {
  connections: number;
  /** Of them, over wss (the rest are ws). */
  secure: number;
  accepted: number;
  refused: number;
  keepaliveClosed: number;
}

/** RFC 6455 §7.4.1: 1009 = message too big (ws closes with it over maxPayload). */
const MAX_PAYLOAD = 65535;

class WsConnection {
  alive = true;
  messagesIn = 0;
  messagesOut = 0;
  readonly connectedAt = new Date();
  readonly reply: Reply;

  constructor(
    readonly id: string,
    readonly key: string,
    readonly socket: WebSocket,
    readonly source: MessageSource,
    readonly origin: string | undefined,
    private readonly tap: WireTap | undefined,
  ) {
    this.reply = (bytes) => this.send(bytes);
  }

  send(bytes: Buffer, done?: (error?: Error) => void): void {
    this.messagesOut++;
    // text frames, as Kamailio and the browsers' SIP stacks send them
    this.socket.send(bytes, { binary: false }, done);
    this.tap?.captured(bytes, this.source.transport, this.source.local, this.source);
  }
}

export class WsTransport {
  private readonly table: ConnectionTable<WsConnection>;
  private readonly servers: Array<{ server: http.Server; transport: 'ws' | 'wss' }> = [];
  private readonly wss: WebSocketServer;
  private readonly perIp = new Map<string, number>();
  private readonly counts = { accepted: 0, refused: 0, keepaliveClosed: 0 };
  private seq = 0;
  private keepaliveTimer: TimerHandle | undefined;
  private closing = false;

  constructor(
    private readonly options: WsTransportOptions,
    private readonly scheduler: Scheduler,
    private readonly receiver: MessageReceiver,
    private readonly logger: Logger,
    private readonly tls: TlsContexts | undefined,
  ) {
    this.table = new ConnectionTable(options.maxConnections);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_PAYLOAD,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
    });
  }

  /** The WSS servers (their certificates are swapped on reload). */
  get tlsServers(): readonly tls.Server[] {
    return this.servers.filter((s) => s.transport === 'wss').map((s) => s.server as unknown as tls.Server);
  }

  /** Rejects with LISTEN_FAILED naming the address. */
  async listen(spec: ListenSpec): Promise<BoundAddress> {
    const transport = spec.transport === 'wss' ? 'wss' : 'ws';
    const timeouts = { headersTimeout: this.options.headerTimeoutMs, requestTimeout: this.options.headerTimeoutMs, connectionsCheckingInterval: Math.min(1000, this.options.headerTimeoutMs) };
    const server = transport === 'wss'
      ? https.createServer({ ...this.tls!.serverOptions(), ...timeouts })
      : http.createServer(timeouts);
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.upgrade(transport, req, socket, head));
    // Node reports a failed or timed-out handshake but leaves the socket open: close it, count it
    server.on('tlsClientError', (e: Error, socket: net.Socket) => {
      socket.destroy();
      publish('tls.failed', { direction: 'inbound', reason: tlsFailureReason(e) });
    });
    // a plain HTTP request: this port speaks SIP over WebSocket only
    server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeHead(426, { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Protocol': 'sip' });
      res.end();
    });
    await listenServer(server, spec);
    server.on('error', (e) => this.logger.warn({ err: e, listener: formatListenSpec(spec) }, 'WebSocket listener error'));
    this.servers.push({ server, transport });
    this.startKeepalive();
    const { address, port } = server.address() as net.AddressInfo;
    return { transport, address, port, family: spec.family, id: formatListenSpec({ transport, host: address, port }) };
  }

  /** On the named connection, else the newest to host:port; never a new one (a browser cannot be called). */
  send(bytes: Buffer, target: Target, onError?: (error: Error) => void): void {
    const connection = (target.connectionId !== undefined ? this.table.get(target.connectionId) : undefined) ?? this.table.find(addressKey(target.host, target.port));
    if (!connection) {
      if (onError) queueMicrotask(() => onError(sendFailed(target, new Error('no open WebSocket connection to this peer'))));
      return;
    }
    connection.send(bytes, onError && ((e) => {
      if (e) onError(sendFailed(target, e));
    }));
  }

  isOpen(connectionId: string): boolean {
    return this.table.get(connectionId) !== undefined;
  }

  dump(): WsConnectionInfo[] {
    const out: WsConnectionInfo[] = [];
    for (const c of this.table.values()) {
      out.push({
        id: c.id,
        transport: c.source.transport as 'ws' | 'wss',
        peer: c.key,
        local: addressKey(c.source.local.address, c.source.local.port),
        origin: c.origin,
        connectedAt: c.connectedAt.toISOString(),
        messagesIn: c.messagesIn,
        messagesOut: c.messagesOut,
      });
    }
    return out;
  }

  stats(): WsStats {
    let secure = 0;
    for (const c of this.table.values()) if (c.source.transport === 'wss') secure++;
    return { connections: this.table.size, secure, ...this.counts };
  }

  async close(): Promise<void> {
    this.closing = true;
    this.keepaliveTimer?.cancel();
    for (const c of [...this.table.values()]) c.socket.terminate();
    const servers = this.servers.splice(0);
    await Promise.all(servers.map(({ server }) => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    })));
  }

  private upgrade(transport: 'ws' | 'wss', req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const remote = req.socket.remoteAddress;
    if (this.closing || remote === undefined) {
      socket.destroy();
      return;
    }
    const address = normalizeAddress(remote);
    const { filter, origins, maxPerIp } = this.options;
    if (filter && !filter.admitsConnection(address)) {
      // banned: silence, as for every other transport
      this.refused(transport, 'banned');
      socket.destroy();
      return;
    }
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim().toLowerCase());
    if (req.headers.upgrade?.toLowerCase() !== 'websocket') return this.refuse(socket, transport, 'bad-request', 400, 'Bad Request');
    // RFC 7118 §4.1: the client MUST offer "sip"; ws alone would accept an upgrade without it
    if (!offered.includes('sip')) return this.refuse(socket, transport, 'subprotocol', 400, 'Bad Request: the sip subprotocol is required');
    const origin = req.headers.origin;
    if (origins.length > 0 && (origin === undefined || !origins.includes(origin))) return this.refuse(socket, transport, 'origin', 403, 'Forbidden');
    const open = this.perIp.get(address) ?? 0;
    if ((maxPerIp > 0 && open >= maxPerIp) || this.table.full) return this.refuse(socket, transport, 'limit', 503, 'Service Unavailable');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(transport, ws, req, address));
  }

  private refuse(socket: net.Socket, transport: 'ws' | 'wss', reason: WsRefusalReason, status: number, text: string): void {
    this.refused(transport, reason);
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  private refused(transport: 'ws' | 'wss', reason: WsRefusalReason): void {
    this.counts.refused++;
    publish('ws.refused', { transport, reason });
  }

  private open(transport: 'ws' | 'wss', ws: WebSocket, req: http.IncomingMessage, address: string): void {
    if (this.closing) {
      ws.terminate();
      return;
    }
    const s = req.socket;
    const port = s.remotePort ?? 0;
    const id = `${transport}#${++this.seq}`;
    const source: MessageSource = {
      transport,
      address,
      port,
      connectionId: id,
      local: { address: normalizeAddress(s.localAddress ?? ''), port: s.localPort ?? 0 },
    };
    const connection = new WsConnection(id, addressKey(address, port), ws, source, req.headers.origin, this.options.tap);
    this.table.add(connection);
    this.perIp.set(address, (this.perIp.get(address) ?? 0) + 1);
    this.counts.accepted++;
    ws.on('message', (data: RawData) => {
      connection.messagesIn++;
      this.receiver.receive(toBuffer(data), source, connection.reply);
    });
    ws.on('pong', () => (connection.alive = true));
    ws.on('error', (e) => this.logger.debug({ connection: id, err: e.message }, 'WebSocket error'));
    ws.on('close', (code) => this.forget(connection, code));
  }

  private forget(connection: WsConnection, code: number): void {
    this.table.delete(connection);
    const ip = connection.source.address;
    const left = (this.perIp.get(ip) ?? 1) - 1;
    if (left > 0) this.perIp.set(ip, left);
    else this.perIp.delete(ip);
    this.logger.debug({ connection: connection.id, peer: connection.key, code }, 'WebSocket closed');
  }

  /** One round for all connections: ping, and end those that did not answer the last round's ping in time. */
  private startKeepalive(): void {
    const { keepaliveIntervalMs, keepaliveTimeoutMs } = this.options;
    if (keepaliveIntervalMs <= 0 || this.keepaliveTimer) return;
    const round = (): void => {
      for (const c of this.table.values()) {
        c.alive = false;
        c.socket.ping();
      }
      this.keepaliveTimer = this.scheduler.setTimeout(() => {
        for (const c of [...this.table.values()]) {
          if (c.alive) continue;
          this.counts.keepaliveClosed++;
          c.socket.terminate();
        }
        this.keepaliveTimer = this.scheduler.setTimeout(round, Math.max(0, keepaliveIntervalMs - keepaliveTimeoutMs));
      }, keepaliveTimeoutMs);
    };
    this.keepaliveTimer = this.scheduler.setTimeout(round, keepaliveIntervalMs);
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
