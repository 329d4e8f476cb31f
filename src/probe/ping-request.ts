/**
 * The keepalive request as Kamailio's ds_ping_set builds it: R-URI = To = the destination URI,
 * From = ping_from or ds_ping_from with the tag `<destination id>-<4 random [a-z0-9]>` (so a reply
 * names its exact entry even when a URI repeats), Max-Forwards 70, a fresh Call-ID, CSeq 1, no
 * body. Also where it goes: the URI's host (or maddr), port and transport.
 */
import { uriPort, uriTransport } from '../sip/uri-transport.js';
import type { Transport } from '../shared/events.js';
import type { SipRequest, SipUri } from '../sip/message.js';
import { buildRequest, newBranch, newCallId } from '../sip/build.js';

/** Where a destination URI points, before name resolution. */
export interface PingHop {
  readonly transport: Transport;
  /** Host name or IP literal, IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
}

/** RFC 3263 without DNS SRV: `;transport=`, maddr, default ports; undefined when unreachable. */
export function pingHop(uri: SipUri): PingHop | undefined {
  if (uri.scheme === 'tel') return undefined;
  // probing runs over the destination's own transport, as the relay sends to it
  const transport = uriTransport(uri);
  if (transport === undefined) return undefined;
  const host = uri.params.get('maddr') ?? uri.host;
  if (!host) return undefined;
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return { transport, host: bare, port: uriPort(uri, transport) };
}

const TAG_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const SUFFIX_LENGTH = 4;

/** `<id>-<4 random [a-z0-9]>`; `random` returns [0, 1). */
export function pingTag(destinationId: string, random: () => number): string {
  let suffix = '';
  for (let i = 0; i < SUFFIX_LENGTH; i++) suffix += TAG_CHARS.charAt(Math.floor(random() * TAG_CHARS.length));
  return `${destinationId}-${suffix}`;
}

/** The destination id a ping From-tag carries, or undefined when the tag is not one of ours. */
export function tagDestinationId(tag: string | undefined): string | undefined {
  if (tag === undefined || tag.length <= SUFFIX_LENGTH + 1 || tag.charAt(tag.length - SUFFIX_LENGTH - 1) !== '-') return undefined;
  return tag.slice(0, -SUFFIX_LENGTH - 1);
}

export interface PingSpec {
  readonly method: string;
  /** The destination URI: Request-URI and To. */
  readonly uri: string;
  /** The From URI (ping_from attribute or ds_ping_from). */
  readonly from: string;
  readonly tag: string;
}

export interface Ping {
  readonly request: SipRequest;
  readonly branch: string;
}

/** The ping request; `localVia` prints our Via for the transport with the fresh branch. */
export function buildPing(spec: PingSpec, transport: Transport, localVia: (transport: Transport, branch: string) => string): Ping {
  const branch = newBranch();
  const request = buildRequest({
    method: spec.method,
    uri: spec.uri,
    via: [localVia(transport, branch)],
    from: `<${spec.from}>;tag=${spec.tag}`,
    to: `<${spec.uri}>`,
    callId: newCallId(),
    cseq: 1,
    maxForwards: 70,
  });
  return { request, branch };
}
