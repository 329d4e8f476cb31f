/**
 * Flow tokens (RFC 5626 §5.2): the user part of our Record-Route and Path entries that face a
 * client connection (WebSocket, TLS), so a request the farm sends back reaches that exact
 * connection. The token names the connection and the peer and is signed with an HMAC over a
 * configured secret: a forged or altered token is refused, and tokens stay verifiable across
 * restarts (the connection is gone then, so the answer is 430, never a wrong peer).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Transport } from '../shared/events.js';

export interface Flow {
  transport: Transport;
  /** The transport's connection id. */
  connectionId: string;
  /** The peer, as the socket reported it. */
  address: string;
  port: number;
  /** The client asked for outbound (RFC 5626): a dead flow is answered 430, else 480. */
  outbound: boolean;
}

const MAC_BYTES = 12;
const SEPARATOR = '.';

export class FlowTokens {
  private readonly secret: Buffer;

  constructor(secret: string | Buffer) {
    this.secret = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  }

  /** URI-user safe: base64url and one dot. */
  encode(flow: Flow): string {
    const payload = Buffer.from(`${flow.transport}|${flow.connectionId}|${flow.address}|${flow.port}|${flow.outbound ? 1 : 0}`, 'utf8').toString('base64url');
    return `${payload}${SEPARATOR}${this.mac(payload).toString('base64url')}`;
  }

  /** The flow a token names; undefined when it is not ours (no token, forged, altered, malformed). */
  decode(token: string): Flow | undefined {
    const dot = token.indexOf(SEPARATOR);
    if (dot <= 0) return undefined;
    const payload = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    if (given.length !== MAC_BYTES || !timingSafeEqual(given, this.mac(payload))) return undefined;
    const fields = Buffer.from(payload, 'base64url').toString('utf8').split('|');
    if (fields.length !== 5) return undefined;
    const [transport, connectionId, address, port, outbound] = fields as [Transport, string, string, string, string];
    return { transport, connectionId, address, port: Number(port), outbound: outbound === '1' };
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.secret).update(payload).digest().subarray(0, MAC_BYTES);
  }
}

/** RFC 5626 §5.1: the UA uses outbound when its Contact has reg-id or `ob`, or it sends `Supported: outbound`. */
export function usesOutbound(contactRaw: readonly string[], supported: readonly string[]): boolean {
  if (supported.some((s) => s.split(',').some((t) => t.trim().toLowerCase() === 'outbound'))) return true;
  return contactRaw.some((c) => /;\s*(reg-id|ob)\b/i.test(c));
}
