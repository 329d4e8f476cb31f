/**
 * A scriptable SIP end point over UDP or TCP on 127.0.0.1 for integration tests: it sends raw
 * messages, waits (bounded) for the ones it expects, and answers requests from a handler.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { WebSocket } from 'ws';
import { parseMessage } from '../../src/sip/parse-message.js';
import { StreamFramer } from '../../src/sip/stream-framer.js';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message.js';

export interface Received {
  msg: SipMessage;
  from: { address: string; port: number };
}

type Waiter = { match: (r: Received) => boolean; resolve: (r: Received) => void };

export class SipPeer {
  readonly received: Received[] = [];
  private waiters: Waiter[] = [];
  private handler: ((req: SipRequest, from: Received['from']) => void) | undefined;
  private tcpConn: net.Socket | undefined;
  private readonly tcpConns = new Set<net.Socket>();
  /** TLS: how to connect out (the CA to trust, a client certificate). */
  private tlsClient: tls.ConnectionOptions | undefined;
  private ws: WebSocket | undefined;

  private constructor(
    readonly transport: 'udp' | 'tcp' | 'tls' | 'ws',
    private readonly udp: dgram.Socket | undefined,
    private readonly server: net.Server | undefined,
    readonly port: number,
  ) {}

  /** A TLS peer: listens with `server` (key, cert) and connects out trusting `client` (ca, and a certificate of its own). */
  static async tls(server: tls.TlsOptions, client: tls.ConnectionOptions): Promise<SipPeer> {
    const listener = tls.createServer(server);
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const peer = new SipPeer('tls', undefined, listener, (listener.address() as net.AddressInfo).port);
    peer.tlsClient = client;
    listener.on('secureConnection', (c) => peer.attach(c));
    listener.on('tlsClientError', () => {});
    return peer;
  }

  /** A WebSocket client (subprotocol sip) connected to `url`; `options` for wss (ca). */
  static async ws(url: string, options: { ca?: Buffer; origin?: string } = {}): Promise<SipPeer> {
    const socket = new WebSocket(url, 'sip', { ca: options.ca, origin: options.origin });
    await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
    const peer = new SipPeer('ws', undefined, undefined, 0);
    peer.ws = socket;
    const raw = (socket as unknown as { _socket: net.Socket })._socket;
    (peer as { port: number }).port = raw.localPort ?? 0;
    socket.on('message', (data) => peer.deliver(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), { address: '127.0.0.1', port: 0 }));
    socket.on('error', () => {});
    return peer;
  }

  /** WebSocket: closes the connection (the flow goes away). */
  disconnect(): void {
    this.ws?.terminate();
    this.tcpConn?.destroy();
  }

  static async udp(): Promise<SipPeer> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    const peer = new SipPeer('udp', sock, undefined, sock.address().port);
    sock.on('message', (buf, rinfo) => peer.deliver(buf, { address: rinfo.address, port: rinfo.port }));
    return peer;
  }

  /** A TCP peer: listens (for requests the proxy sends to it) and can connect out. */
  static async tcp(): Promise<SipPeer> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const peer = new SipPeer('tcp', undefined, server, (server.address() as net.AddressInfo).port);
    server.on('connection', (c) => peer.attach(c));
    return peer;
  }

  /** Answer requests with this handler (responses to them come back through `reply`). */
  onRequest(handler: (req: SipRequest, from: Received['from']) => void): void {
    this.handler = handler;
  }

  /** To `host` (127.0.0.1 unless given) on `port`; over a connection, the host is the one connected to. */
  async send(text: string | Buffer, port: number, host = '127.0.0.1'): Promise<void> {
    const bytes = typeof text === 'string' ? Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1') : text;
    if (this.udp) {
      await new Promise<void>((resolve, reject) => this.udp!.send(bytes, port, host, (e) => (e ? reject(e) : resolve())));
      return;
    }
    if (this.ws) {
      this.ws.send(bytes.toString('latin1'));
      return;
    }
    if (!this.tcpConn || this.tcpConn.destroyed) {
      const c = this.tlsClient ? tls.connect({ ...this.tlsClient, host: '127.0.0.1', port }) : net.connect(port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => c.once(this.tlsClient ? 'secureConnect' : 'connect', resolve).once('error', reject));
      this.attach(c);
      this.tcpConn = c;
    }
    this.tcpConn.write(bytes);
  }

  /** Sends a response to the address a request came from (UDP) or on its connection (TCP). */
  async reply(to: Received['from'], text: string): Promise<void> {
    const bytes = Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1');
    if (this.udp) {
      await new Promise<void>((resolve) => this.udp!.send(bytes, to.port, to.address, () => resolve()));
      return;
    }
    if (this.ws) {
      this.ws.send(bytes.toString('latin1'));
      return;
    }
    for (const c of this.tcpConns) if (c.remotePort === to.port) c.write(bytes);
  }

  /** Waits for a message matching `match` (already received or arriving), at most `ms`. */
  waitFor(match: (r: Received) => boolean, ms = 5000): Promise<Received> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { match, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${ms} ms waiting for a message; port ${this.port} got: ${this.summary()}`));
      }, ms).unref();
    });
  }

  response(status: number, method?: string, ms?: number): Promise<SipResponse> {
    return this.waitFor((r) => r.msg.kind === 'response' && r.msg.status === status && (!method || r.msg.cseq.method === method), ms).then((r) => r.msg as SipResponse);
  }

  request(method: string, ms?: number): Promise<Received & { msg: SipRequest }> {
    return this.waitFor((r) => r.msg.kind === 'request' && r.msg.method === method, ms) as Promise<Received & { msg: SipRequest }>;
  }

  /** What arrived so far, e.g. "INVITE, 100/INVITE, 180/INVITE" (for failure messages). */
  summary(): string {
    return this.received.map((r) => (r.msg.kind === 'request' ? r.msg.method : `${r.msg.status}/${r.msg.cseq.method}`)).join(', ') || 'nothing';
  }

  count(pred: (m: SipMessage) => boolean): number {
    return this.received.filter((r) => pred(r.msg)).length;
  }

  async close(): Promise<void> {
    this.ws?.terminate();
    for (const c of this.tcpConns) c.destroy();
    if (this.udp) await new Promise<void>((resolve) => this.udp!.close(() => resolve()));
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private attach(c: net.Socket): void {
    this.tcpConns.add(c);
    const framer = new StreamFramer({ maxMessageSize: 65536 });
    c.on('data', (chunk) => {
      for (const item of framer.push(chunk)) if (item.kind === 'message') this.deliver(item.bytes, { address: c.remoteAddress ?? '', port: c.remotePort ?? 0 });
    });
    c.on('error', () => {});
    c.on('close', () => this.tcpConns.delete(c));
  }

  private deliver(buf: Buffer, from: Received['from']): void {
    const r = parseMessage(buf);
    if (!r.ok) return;
    const rec = { msg: r.message, from };
    this.received.push(rec);
    for (const w of [...this.waiters]) {
      if (w.match(rec)) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(rec);
      }
    }
    if (r.message.kind === 'request' && this.handler) this.handler(r.message, from);
  }
}

/** The raw text of a header of `msg` (first value), for building replies. */
export function header(msg: SipMessage, name: string): string | undefined {
  return msg.headers.find((h) => h.key === name.toLowerCase() || h.name.toLowerCase() === name.toLowerCase())?.value;
}

/** A response to `req` copying Via (all), From, To (+tag), Call-ID, CSeq and Record-Route. */
export function responseTo(req: SipRequest, status: number, reason: string, opts: { toTag?: string; extra?: string[]; contact?: string } = {}): string {
  const vias = req.headers.filter((h) => h.key === 'via').map((h) => `Via: ${h.value}`);
  const rr = req.headers.filter((h) => h.key === 'record-route').map((h) => `Record-Route: ${h.value}`);
  const to = header(req, 'to')!;
  const toValue = /;tag=/.test(to) || opts.toTag === undefined ? to : `${to};tag=${opts.toTag}`;
  return [
    `SIP/2.0 ${status} ${reason}`,
    ...vias,
    ...(status > 100 ? rr : []),
    `From: ${header(req, 'from')}`,
    `To: ${toValue}`,
    `Call-ID: ${req.callId}`,
    `CSeq: ${req.cseq.seq} ${req.cseq.method}`,
    ...(opts.contact ? [`Contact: ${opts.contact}`] : []),
    ...(opts.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** A minimal UDP INVITE from a UAC on 127.0.0.1:`port` to sip:`user`@example.com, named by its Call-ID. */
export function inviteFrom(port: number, callId: string, user = 'service'): string {
  return [
    `INVITE sip:${user}@example.com SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-${callId};rport`,
    'Max-Forwards: 70',
    `From: <sip:alice@example.com>;tag=a-${callId}`,
    `To: <sip:${user}@example.com>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:alice@127.0.0.1:${port}>`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
