/**
 * Kamailio's siptrace in HEP mode: every message the transports report becomes one HEP v3 packet
 * handed to a sink (the collector client). Switchable at run time (`siptrace.status`) and
 * limitable to some methods. Never throws into the transport that reports a message.
 */
import type { Transport } from '../shared/events.js';
import { encodeHep3, HEP_PROTO_TCP, HEP_PROTO_UDP } from './hep-encoder.js';
import { sipMethodOf } from './sip-method.js';

export interface HepEndpointView {
  readonly address: string;
  readonly port: number;
}

/** Where encoded packets go; false when the packet was dropped (counted by the sink). */
export interface HepSink {
  send(packet: Buffer): boolean;
}

export interface HepCaptureOptions {
  captureId: number;
  authKey: string | undefined;
  nodeName: string | undefined;
  /** Upper-case methods to capture (a response by its CSeq method); empty = every message. */
  methods: readonly string[];
  /** Capture on at start. */
  enabled: boolean;
}

/** Microseconds since the epoch. */
export type MicroClock = () => number;

export const systemMicroClock: MicroClock = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

export class HepCapture {
  private on: boolean;
  private readonly methods: ReadonlySet<string> | undefined;
  private readonly authKey: Buffer | undefined;
  private readonly nodeName: Buffer | undefined;
  /** Messages that could not be encoded (larger than HEP's 64 KiB). */
  unencodable = 0;

  constructor(
    private readonly options: HepCaptureOptions,
    private readonly sink: HepSink,
    private readonly clock: MicroClock = systemMicroClock,
  ) {
    this.on = options.enabled;
    this.methods = options.methods.length > 0 ? new Set(options.methods) : undefined;
    this.authKey = options.authKey === undefined ? undefined : Buffer.from(options.authKey);
    this.nodeName = options.nodeName === undefined ? undefined : Buffer.from(options.nodeName);
  }

  get enabled(): boolean {
    return this.on;
  }

  /** `siptrace.status on|off`: takes effect for the next message. */
  setEnabled(on: boolean): void {
    this.on = on;
  }

  captured(bytes: Buffer, transport: Transport, from: HepEndpointView, to: HepEndpointView): void {
    if (!this.on) return;
    if (this.methods && !this.methods.has(sipMethodOf(bytes))) return;
    const now = this.clock();
    let packet: Buffer;
    try {
      packet = encodeHep3({
        protocol: transport === 'udp' ? HEP_PROTO_UDP : HEP_PROTO_TCP,
        source: from,
        destination: to,
        seconds: Math.floor(now / 1e6),
        micros: now % 1e6,
        captureId: this.options.captureId,
        authKey: this.authKey,
        nodeName: this.nodeName,
        payload: bytes,
      });
    } catch {
      this.unencodable++;
      return;
    }
    this.sink.send(packet);
  }
}
