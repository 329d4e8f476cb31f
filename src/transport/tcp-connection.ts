/**
 * One TCP connection, accepted or opened: a StreamFramer cuts the byte stream into messages for
 * the MessageReceiver, CRLFCRLF pings get a CRLF pong (RFC 5626 §4.4.1), and the connection closes
 * itself when idle, when its peer stops reading (write buffer over the cap) or on a fatal framing
 * error. Whatever happens here stays on this connection.
 */
import type { Socket } from 'node:net';
import type { Scheduler, TimerHandle } from '../shared/scheduler.js';
import { StreamFramer } from '../sip/stream-framer.js';
import type { WireTap } from './wire-tap.js';
import type { MessageReceiver, Reply } from './message-receiver.js';
import { normalizeAddress } from './socket-address.js';
import type { MessageSource } from './target.js';

/** overflow: our write buffer (the peer is not reading); too-large: an incoming message. */
export type CloseReason = 'peer' | 'error' | 'connect-failed' | 'idle' | 'overflow' | 'too-large' | 'framing' | 'shutdown' | 'read-timeout';

/** What every connection of one transport shares. */
export interface TcpConnectionContext {
  /** tcp, or tls over it (the socket is then a TLSSocket). */
  transport: 'tcp' | 'tls';
  receiver: MessageReceiver;
  scheduler: Scheduler;
  idleTimeoutMs: number;
  /** Cap on bytes queued for writing; over it the peer is not reading and the connection goes. */
  maxBufferedBytes: number;
  /** Cap on one message, and so on the bytes the framer buffers for an incomplete one. */
  maxMessageSize: number;
  connectTimeoutMs: number;
  /**
   * tcp_msg_read_timeout: an accepted connection must complete each message within this many ms
   * of its first byte (and its first message within this of the accept); 0 = no limit. Stops
   * slowloris peers from holding connections with half a request line.
   */
  msgReadTimeoutMs: number;
  /** Told of every message written (once the local address is known). */
  tap?: WireTap;
  /**
   * Bytes waiting in our write buffers changed by `delta` (tcp_wq_max, the cap over all
   * connections); false when the total is over it, and the connection that pushed it over goes.
   */
  queued(delta: number): boolean;
  onClose(connection: TcpConnection, reason: CloseReason): void;
}

const PONG = Buffer.from('\r\n');

export class TcpConnection {
  /** Why the socket failed, reported as the cause of the sends it took down. */
  failure: Error | undefined;
  private source: MessageSource;
  /** A verified TLS client certificate's subject CN (tls.client_groups). */
  private readonly certSubject: string | undefined;
  private connected: boolean;
  private closed = false;
  private lastActivity: number;
  private idleTimer: TimerHandle;
  private connectTimer: TimerHandle | undefined;
  private readTimer: TimerHandle | undefined;
  private readonly framer: StreamFramer;
  private readonly reply: Reply = (bytes) => this.write(bytes);
  /** TLS, outbound: what was written before the handshake finished (sent or failed after it). */
  private handshaking: Array<{ bytes: Buffer; done?: (error: Error | null | undefined) => void }> | undefined;
  /** Written while connecting: captured once the socket knows its local address. */
  private uncaptured: Buffer[] | undefined;

  /** `peer` names the far end until the socket knows it (outbound, still connecting). */
  constructor(
    readonly id: string,
    readonly key: string,
    private readonly socket: Socket,
    private readonly context: TcpConnectionContext,
    peer: { address: string; port: number; certSubject?: string },
  ) {
    this.certSubject = peer.certSubject;
    this.framer = new StreamFramer({ maxMessageSize: context.maxMessageSize });
    this.connected = !socket.connecting;
    this.source = { transport: context.transport, address: peer.address, port: peer.port, connectionId: id, local: { address: '', port: 0 } };
    if (this.connected) this.describe();
    else {
      if (context.transport === 'tls') this.handshaking = [];
      // TLS: connected once the handshake is done, so a failed handshake counts as a failed connect
      socket.once(context.transport === 'tls' ? 'secureConnect' : 'connect', () => this.onConnect());
      this.connectTimer = context.scheduler.setTimeout(() => this.connectTimedOut(), context.connectTimeoutMs);
    }
    this.lastActivity = context.scheduler.now();
    this.idleTimer = context.scheduler.setTimeout(this.checkIdle, context.idleTimeoutMs);
    // accepted: the peer speaks first, so the first message is due within the read timeout
    if (this.connected) this.armReadTimer();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => {
      this.failure ??= e;
    });
    socket.on('close', () => this.close(this.failure ? 'error' : 'peer'));
  }

  /** Queues bytes (also while connecting); `done` gets the error if they never leave. */
  write(bytes: Buffer, done?: (error: Error | null | undefined) => void): void {
    this.lastActivity = this.context.scheduler.now();
    if (this.handshaking) {
      // a TLS socket drops what it buffered before the handshake without telling: we hold it
      this.handshaking.push({ bytes, done });
      return;
    }
    // Most writes go straight to the kernel; one behind a backlog (or before the connect) waits
    // in our buffer and counts towards the total over all connections until it is flushed.
    const backlogged = this.socket.connecting || this.socket.writableLength > 0;
    if (!backlogged) {
      this.socket.write(bytes, done);
    } else {
      const within = this.context.queued(bytes.length);
      this.socket.write(bytes, (e) => {
        this.context.queued(-bytes.length);
        done?.(e);
      });
      if (!within) {
        this.failure ??= new Error('TCP write queues over tcp_wq_max in total');
        this.close('overflow');
        return;
      }
    }
    if (this.context.tap) this.capture(bytes);
    if (this.socket.writableLength > this.context.maxBufferedBytes) {
      this.failure ??= new Error(`write buffer over ${this.context.maxBufferedBytes} bytes: the peer is not reading`);
      this.close('overflow');
    }
  }

  /** Idempotent; the table forgets the connection at once, the socket follows. */
  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.idleTimer.cancel();
    this.connectTimer?.cancel();
    this.readTimer?.cancel();
    // after a framing error the answer (400, 513) is still queued: flush it, then go
    if (reason === 'framing' || reason === 'too-large') this.socket.end(() => this.socket.destroy());
    else this.socket.destroy();
    const held = this.handshaking;
    this.handshaking = undefined;
    if (held) {
      const failure = this.failure ?? new Error(`connection closed (${reason}) before the TLS handshake finished`);
      for (const w of held) w.done?.(failure);
    }
    this.context.onClose(this, reason === 'error' && !this.connected ? 'connect-failed' : reason);
  }

  private onData(chunk: Buffer): void {
    this.lastActivity = this.context.scheduler.now();
    const items = this.framer.push(chunk);
    for (const item of items) {
      if (this.closed) return;
      if (item.kind === 'message') this.context.receiver.receive(item.bytes, this.source, this.reply);
      else if (item.kind === 'keepalive') this.socket.write(PONG);
      else {
        this.context.receiver.reject(item.error, this.source, this.reply);
        if (item.fatal) this.close(item.error.status === 513 ? 'too-large' : 'framing');
      }
    }
    if (this.closed) return;
    // a message completed: the clock restarts with the next one's first byte
    if (items.length > 0) this.disarmReadTimer();
    if (this.framer.buffered > 0) this.armReadTimer();
  }

  private armReadTimer(): void {
    if (this.readTimer !== undefined || this.context.msgReadTimeoutMs <= 0) return;
    this.readTimer = this.context.scheduler.setTimeout(this.readTimedOut, this.context.msgReadTimeoutMs);
  }

  private disarmReadTimer(): void {
    this.readTimer?.cancel();
    this.readTimer = undefined;
  }

  private readonly readTimedOut = (): void => {
    this.readTimer = undefined;
    this.close('read-timeout');
  };

  private onConnect(): void {
    this.connected = true;
    this.connectTimer?.cancel();
    this.connectTimer = undefined;
    this.describe();
    const pending = this.uncaptured;
    this.uncaptured = undefined;
    if (pending) for (const bytes of pending) this.capture(bytes);
    const held = this.handshaking;
    this.handshaking = undefined;
    if (held) for (const w of held) this.write(w.bytes, w.done);
  }

  private capture(bytes: Buffer): void {
    if (this.connected) this.context.tap!.captured(bytes, this.context.transport, this.source.local, this.source);
    else (this.uncaptured ??= []).push(bytes);
  }

  private connectTimedOut(): void {
    this.failure ??= Object.assign(new Error(`connect timed out after ${this.context.connectTimeoutMs} ms`), { code: 'ETIMEDOUT' });
    this.close('connect-failed');
  }

  /** The peer and local addresses as the socket reports them (once connected). */
  private describe(): void {
    const { remoteAddress, remotePort, localAddress, localPort } = this.socket;
    if (remoteAddress === undefined || localAddress === undefined) return;
    this.source = {
      transport: this.context.transport,
      address: normalizeAddress(remoteAddress),
      port: remotePort ?? 0,
      connectionId: this.id,
      local: { address: normalizeAddress(localAddress), port: localPort ?? 0 },
      certSubject: this.certSubject,
    };
  }

  private readonly checkIdle = (): void => {
    const idle = this.context.scheduler.now() - this.lastActivity;
    if (idle >= this.context.idleTimeoutMs) this.close('idle');
    else this.idleTimer = this.context.scheduler.setTimeout(this.checkIdle, this.context.idleTimeoutMs - idle);
  };
}
