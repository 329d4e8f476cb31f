/**
 * A listener on the wire: told of every SIP message as received (before parsing) and as sent,
 * with the addresses the socket saw. Declared here, where the bytes are; a capture exporter (HEP)
 * implements it. Absent, it costs one check per message.
 */
import type { Transport } from '../shared/events.js';
import type { SocketAddress } from './target.js';

export interface WireTap {
  /**
   * `from` and `to` as on the wire: for a received message the peer then our socket, for a sent
   * one our socket then the peer. Must not throw and must not keep `bytes` past the call.
   */
  captured(bytes: Buffer, transport: Transport, from: SocketAddress, to: SocketAddress): void;
}
