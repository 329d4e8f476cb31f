/**
 * Route processing of RFC 3261 §16.4 and §16.6 steps 6-7 (Kamailio's loose_route): strip our own
 * Route entries, undo a strict router's rewrite, and find the next hop from the Route set or the
 * Request-URI. Mutates the request; does no I/O.
 */
import type { SipRequest, SipUri } from '../sip/message.js';
import { addHeader, popRoute, setRequestUri } from '../sip/edit.js';
import { parseUri } from '../sip/uri.js';
import type { FlowTokens } from './flow-token.js';
import type { LocalIdentity } from './local-identity.js';
import { nextHopOf, receivedHop, type NextHop } from './next-hop.js';

export type RouteOutcome =
  /** Forward to `hop`; `viaRoute` tells whether a Route header (not the R-URI) decided it. */
  | { kind: 'forward'; hop: NextHop; viaRoute: boolean; poppedOurs: boolean }
  /** The request is for us (no Route left and the R-URI is ours). */
  | { kind: 'local'; poppedOurs: boolean }
  | { kind: 'bad-uri' };

/** `parsed` is the Request-URI when the caller has already parsed it (the hot path parses it once). */
/**
 * `flows` reads flow tokens: when the last Route entry of ours that was removed carries one, the
 * hop is that flow's connection, whatever the Request-URI says (RFC 5626 §5.3).
 */
export function looseRoute(req: SipRequest, us: LocalIdentity, parsed: SipUri | undefined = parseUri(req.uri), flows?: FlowTokens): RouteOutcome {
  let ruri = parsed;
  if (!ruri) return { kind: 'bad-uri' };
  // §16.4: "If the Request-URI contains a value this proxy previously placed into a Record-Route
  // header field, the proxy MUST replace the Request-URI in the request with the last value from
  // the Route header field, and remove that value from the Route header field."
  if (us.isUs(ruri) && req.route.length > 0) {
    const last = req.route[req.route.length - 1]!;
    const lastUri = parseUri(last.uri);
    if (lastUri && !us.isUs(lastUri)) {
      removeLastRoute(req);
      setRequestUri(req, last.uri);
      ruri = lastUri;
    }
  }
  // §16.4: "If the first value in the Route header field indicates this proxy, the proxy MUST
  // remove that value from the request." Twice for a double Record-Route.
  let popped: ReturnType<typeof parseUri>;
  let poppedOurs = false;
  while (req.route.length > 0) {
    const top = parseUri(req.route[0]!.uri);
    if (!top || !us.isUs(top)) break;
    popRoute(req);
    popped = top;
    poppedOurs = true;
  }
  const flow = popped?.user && flows ? flows.decode(popped.user) : undefined;
  if (flow) return { kind: 'forward', hop: { transport: flow.transport, host: flow.address, port: flow.port, flow }, viaRoute: true, poppedOurs };
  const received = popped ? receivedHop(popped) : undefined;
  if (received) return { kind: 'forward', hop: received, viaRoute: true, poppedOurs };
  const first = req.route[0];
  if (first) {
    const routeUri = parseUri(first.uri);
    const hop = routeUri && nextHopOf(routeUri);
    if (!routeUri || !hop) return { kind: 'bad-uri' };
    if (!routeUri.params.has('lr')) {
      // §16.6 step 6: a strict router next: the R-URI goes to the end of the Route set and the
      // first Route value becomes the R-URI.
      addHeader(req, 'Route', `<${req.uri}>`);
      popRoute(req);
      setRequestUri(req, first.uri);
    }
    return { kind: 'forward', hop, viaRoute: true, poppedOurs };
  }
  if (us.isUs(ruri)) return { kind: 'local', poppedOurs };
  const hop = nextHopOf(ruri);
  return hop ? { kind: 'forward', hop, viaRoute: false, poppedOurs } : { kind: 'bad-uri' };
}

/** Drops the last Route value (a strict router's rewrite target). */
function removeLastRoute(req: SipRequest): void {
  const kept = req.route.slice(0, -1).map((r) => r.raw);
  while (req.route.length > 0) popRoute(req);
  for (const raw of kept) addHeader(req, 'Route', raw);
}
