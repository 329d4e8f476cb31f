/**
 * Where a response to a request goes: RFC 3261 §18.2.2 with RFC 3581 §4. Pure, so the app can
 * hand it to the transaction layer and the rules are unit-tested without sockets.
 */
import { defaultPort } from '../sip/default-port.js';
import type { Via } from '../sip/message.js';
import { unbracket } from './socket-address.js';
import type { Target } from '../shared/addresses.js';
import type { MessageSource } from './target.js';

/**
 * `via` is the top Via of the response (the request's top Via as received, so carrying the
 * received/rport this layer added); `source` is where the request came from.
 */
export function responseTarget(via: Via, source: MessageSource): Target {
  const sentByPort = via.port ?? defaultPort('sip');
  const connectionId = source.connectionId;
  if (source.transport !== 'udp') {
    // "If the 'sent-protocol' is a reliable transport protocol such as TCP or SCTP, or TLS over
    // those, the response MUST be sent using the existing connection to the source of the original
    // request ... If that connection is no longer open, the server SHOULD open a connection to the
    // IP address in the 'received' parameter, if present, using the port in the 'sent-by' value".
    return { transport: source.transport, host: unbracket(via.received ?? via.host), port: sentByPort, connectionId };
  }
  // "Otherwise, if the Via header field value contains a 'maddr' parameter, the response MUST be
  // forwarded to the address listed there, using the port indicated in 'sent-by'".
  if (via.maddr !== undefined) return { transport: 'udp', host: unbracket(via.maddr), port: sentByPort, connectionId };
  // RFC 3581: with no maddr and both received and rport, send to received:rport. RFC 3261:
  // otherwise to received (sent-by port), otherwise to the sent-by host and port.
  const host = unbracket(via.received ?? via.host);
  const port = typeof via.rport === 'number' ? via.rport : sentByPort;
  return { transport: 'udp', host, port, connectionId };
}
