/**
 * Kamailio's add_contact_alias / handle_ruri_alias (nathelper), the `contact_alias` switch: the
 * first Contact of a message from a client connection gets `;alias=ADDR~PORT~PROTO` naming where
 * it really came from, and a request whose Request-URI carries an alias goes there (the parameter
 * is removed first). PROTO is Kamailio's number: 1 udp, 2 tcp, 3 tls, 5 ws, 6 wss.
 */
import type { Transport } from '../shared/events.js';
import type { SipMessage, SipRequest } from '../sip/message.js';
import { replaceContactUri, setRequestUri } from '../sip/edit.js';
import { formatUri, parseUri } from '../sip/uri.js';
import { unbracket, type NextHop } from './next-hop.js';
import type { Source } from './relay-ports.js';

const PROTO: Record<Transport, number> = { udp: 1, tcp: 2, tls: 3, ws: 5, wss: 6 };
const BY_NUMBER = new Map<string, Transport>(Object.entries(PROTO).map(([t, n]) => [String(n), t as Transport]));

export function addContactAlias(msg: SipMessage, source: Source): void {
  const first = msg.contact[0];
  const uri = first && parseUri(first.uri);
  if (!uri || uri.scheme === 'tel' || uri.params.has('alias')) return;
  const params = new Map(uri.params);
  params.set('alias', `${source.address}~${source.port}~${PROTO[source.transport]}`);
  replaceContactUri(msg, 0, formatUri({ ...uri, params }));
}

/** The hop an alias in the Request-URI names (removed from it); undefined without a valid one. */
export function takeRuriAlias(req: SipRequest): NextHop | undefined {
  const uri = parseUri(req.uri);
  const alias = uri?.params.get('alias');
  if (!uri || !alias) return undefined;
  const [address, port, proto] = alias.split('~');
  const transport = proto === undefined ? undefined : BY_NUMBER.get(proto);
  const portNumber = Number(port);
  if (!address || !transport || !Number.isInteger(portNumber) || portNumber <= 0 || portNumber > 65535) return undefined;
  const params = new Map(uri.params);
  params.delete('alias');
  setRequestUri(req, formatUri({ ...uri, params }));
  return { transport, host: unbracket(address), port: portNumber };
}
