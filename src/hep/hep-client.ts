/**
 * The socket toward the HEP collector: UDP (connected, so an unreachable collector is noticed) or
 * TCP (reconnecting with a capped backoff). Fire and forget from a bounded window of packets in
 * flight: when the collector is slow, gone or unreachable, packets are dropped and counted, never
 * queued without bound, and the relay never waits.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../shared/logger.js';
import type { HepSink } from './hep-capture.js';

export interface HepCollector {
  transport: 'udp' | 'tcp';
  host: string;
  port: number;
}

export interface HepClientOptions {
  collector: HepCollector;
  /** Most packets handed to the socket and not yet written; more are dropped. */
  queueSize: number;
  logger: Logger;
}

export type HepDropReason = 'queue-full' | 'not-connected' | 'send-error';

export interface HepCounts {
  sent: number;
  dropped: Record<HepDropReason, number>;
}

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;

export class HepClient implements HepSink {
  readonly counts: HepCounts = { sent: 0, dropped: { 'queue-full': 0, 'not-connected': 0, 'send-error': 0 } };
  private inFlight = 0;
  private udp: dgram.Socket | undefined;
  private tcp: net.Socket | undefined;
  private connected = false;
  private closed = false;
  private backoff = RECONNECT_MIN_MS;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly options: HepClientOptions) {
    this.connect();
  }

  send(packet: Buffer): boolean {
    if (!this.connected) return this.drop('not-connected');
    if (this.inFlight >= this.options.queueSize) return this.drop('queue-full');
    this.inFlight++;
    if (this.udp) this.udp.send(packet, this.written);
    else this.tcp!.write(packet, this.written);
    return true;
  }

  /** Packets handed to the socket and not yet written. */
  get pending(): number {
    return this.inFlight;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.connected = false;
    this.udp?.close();
    this.tcp?.destroy();
  }

  private readonly written = (e: Error | null | undefined): void => {
    this.inFlight--;
    if (e) this.drop('send-error');
    else this.counts.sent++;
  };

  private drop(reason: HepDropReason): false {
    this.counts.dropped[reason]++;
    return false;
  }

  private connect(): void {
    const { host, port, transport } = this.options.collector;
    if (transport === 'udp') this.connectUdp(host, port);
    else this.connectTcp(host, port);
  }

  private connectUdp(host: string, port: number): void {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    this.udp = socket;
    // ICMP port unreachable surfaces as an error on the next send: counted there, logged here
    socket.on('error', (e) => this.options.logger.debug({ err: e }, 'HEP collector socket error'));
    socket.connect(port, host, () => {
      this.connected = true;
      this.options.logger.info({ collector: `udp:${host}:${port}` }, 'HEP capture to collector');
    });
  }

  private connectTcp(host: string, port: number): void {
    const socket = net.connect({ host, port, noDelay: true });
    this.tcp = socket;
    socket.on('connect', () => {
      this.connected = true;
      this.backoff = RECONNECT_MIN_MS;
      this.options.logger.info({ collector: `tcp:${host}:${port}` }, 'HEP capture to collector');
    });
    socket.on('data', () => undefined);
    socket.on('error', (e) => this.options.logger.debug({ err: e }, 'HEP collector connection error'));
    socket.on('close', () => {
      this.connected = false;
      if (this.closed) return;
      this.retry = setTimeout(() => this.connect(), this.backoff);
      this.retry.unref();
      this.backoff = Math.min(this.backoff * 2, RECONNECT_MAX_MS);
    });
  }
}
