/** Shared helpers of the transport integration tests: a manager on 127.0.0.1 port 0, SIP text, waiting. */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { subscribe, type EventName, type EventPayloads, type Transport } from '../../../src/shared/events.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { systemScheduler, type Scheduler } from '../../../src/shared/scheduler.js';
import type { SipMessage } from '../../../src/sip/message.js';
import { parseListenSpec } from '../../../src/config/listen-spec.js';
import type { ListenSpec } from '../../../src/shared/addresses.js';
import type { IntakeClock } from '../../../src/transport/intake-queue.js';
import type { MessageSource } from '../../../src/transport/target.js';
import { TransportManager, type DatagramRouter, type TransportManagerOptions } from '../../../src/transport/transport-manager.js';

export function spec(text: string): ListenSpec {
  const parsed = parseListenSpec(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

export const baseOptions: TransportManagerOptions = {
  listen: [spec('udp:127.0.0.1:0'), spec('tcp:127.0.0.1:0')],
  advertise: undefined,
  forceRport: true,
  udpBufferSize: 1 << 20,
  maxMessageSize: 65536,
  tcp: { idleTimeoutMs: 120_000, maxConnections: 64, maxBufferedBytes: 1 << 20, connectTimeoutMs: 10_000, msgReadTimeoutMs: 0, acceptIpLimit: 0, maxQueuedTotal: 0 },
  tls: { certificate: undefined, privateKey: undefined, caList: undefined, serverNames: [], verifyClient: 'off', verifyServer: true, minVersion: 'TLSv1.2', handshakeTimeoutMs: 10_000 },
  websocket: { origins: [], keepaliveIntervalMs: 30_000, keepaliveTimeoutMs: 10_000, headerTimeoutMs: 5_000, maxPerIp: 0 },
};

export interface Received {
  message: SipMessage;
  source: MessageSource;
  /** Handed on late by the intake queue. */
  late: boolean;
}

/** A started manager whose messages queue up for `next()`. */
export class Harness {
  readonly received: Received[] = [];
  private waiters: Array<() => void> = [];

  constructor(readonly manager: TransportManager) {
    manager.onMessage((message, source, late) => {
      this.received.push({ message, source, late });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** `router`: the worker threads' datagram router (true: handed to another thread). */
  static async start(options: Partial<TransportManagerOptions> = {}, scheduler: Scheduler = systemScheduler, router?: DatagramRouter, intakeClock?: IntakeClock): Promise<Harness> {
    const harness = new Harness(new TransportManager({ ...baseOptions, ...options }, { scheduler, logger: silentLogger, router, intakeClock }));
    await harness.manager.start();
    return harness;
  }

  /** Resolves once `count` messages have arrived in total. */
  async waitFor(count: number): Promise<Received[]> {
    while (this.received.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.received;
  }

  port(transport: Transport): number {
    const bound = this.manager.addresses().find((a) => a.transport === transport);
    if (!bound) throw new Error(`no ${transport} listener`);
    return bound.port;
  }
}

export function request(opts: { via?: string; callId?: string; method?: string; cseq?: string; body?: string } = {}): Buffer {
  const method = opts.method ?? 'OPTIONS';
  const body = opts.body ?? '';
  return Buffer.from(
    `${method} sip:ping@127.0.0.1 SIP/2.0\r\n` +
      `Via: ${opts.via ?? 'SIP/2.0/UDP 192.0.2.1:5099;branch=z9hG4bK-t1;rport'}\r\n` +
      'Max-Forwards: 70\r\n' +
      'From: <sip:alice@example.com>;tag=a1\r\n' +
      'To: <sip:bob@example.com>\r\n' +
      `Call-ID: ${opts.callId ?? 'call-1@test'}\r\n` +
      `CSeq: ${opts.cseq ?? `1 ${method}`}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Records every payload of one event while the test runs; call the result to stop. */
export function record<N extends EventName>(name: N): { events: EventPayloads[N][]; stop: () => void } {
  const events: EventPayloads[N][] = [];
  const stop = subscribe(name, (payload) => events.push(payload));
  return { events, stop };
}

/** A UDP client on 127.0.0.1 that queues what it receives. */
export class UdpClient {
  readonly inbox: Buffer[] = [];
  private waiters: Array<() => void> = [];

  private constructor(
    readonly socket: dgram.Socket,
    private readonly host: string,
  ) {
    socket.on('message', (bytes) => {
      this.inbox.push(bytes);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(host = '127.0.0.1'): Promise<UdpClient> {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.bind(0, host);
    await once(socket, 'listening');
    return new UdpClient(socket, host);
  }

  get port(): number {
    return this.socket.address().port;
  }

  async send(bytes: Buffer, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => this.socket.send(bytes, port, this.host, (e) => (e ? reject(e) : resolve())));
  }

  async waitFor(count: number): Promise<Buffer[]> {
    while (this.inbox.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.inbox;
  }

  close(): void {
    this.socket.close();
  }
}

/** A TCP client on 127.0.0.1 that accumulates what it receives and notes when it is closed. */
export class TcpClient {
  private data = '';
  private ended = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.data += chunk.toString('latin1');
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  static async connect(port: number): Promise<TcpClient> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new TcpClient(socket);
  }

  get received(): string {
    return this.data;
  }

  get closed(): boolean {
    return this.ended;
  }

  async write(bytes: Buffer | string): Promise<void> {
    await new Promise<void>((resolve, reject) => this.socket.write(bytes, (e) => (e ? reject(e) : resolve())));
  }

  /** Resolves once the received text satisfies `done`. */
  async until(done: (received: string) => boolean): Promise<string> {
    while (!done(this.data)) {
      if (this.ended) throw new Error(`connection closed; received ${JSON.stringify(this.data)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.data;
  }

  /** Resolves once the server has closed the connection. */
  async whenClosed(): Promise<void> {
    while (!this.ended) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/** A plain TCP server standing in for a backend: counts connections, keeps what it reads. */
export class Backend {
  readonly sockets: net.Socket[] = [];
  private data = '';
  private waiters: Array<() => void> = [];

  private constructor(readonly server: net.Server) {
    server.on('connection', (socket) => {
      this.sockets.push(socket);
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        this.data += chunk.toString('latin1');
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  static async start(): Promise<Backend> {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new Backend(server);
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get received(): string {
    return this.data;
  }

  async until(done: (received: string) => boolean): Promise<string> {
    while (!done(this.data)) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.data;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether this machine has a usable IPv6 loopback (some CI containers do not). */
export async function hasIpv6Loopback(): Promise<boolean> {
  const socket = dgram.createSocket('udp6');
  try {
    socket.bind(0, '::1');
    await once(socket, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    socket.close();
  }
}
