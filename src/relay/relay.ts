/**
 * The proxy logic: the transaction user that routes requests and responses, with the defaults of
 * the operators' kamailio.cfg (sanity, Max-Forwards, keepalive, loose routing, record_route,
 * ds_select_dst with failover, ds_is_from_list, add_path_received, fix_nated_contact).
 */
import { STATELESS_TAG } from '../sip/stateless-ack.js';
import { defaultPort } from '../sip/default-port.js';
import type { SelectionKey } from '../dispatcher/select.js';
import { publish } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import { NO_PRESSURE, type PressureGauge } from '../shared/pressure.js';
import type { SipMessage, SipRequest, SipResponse, SipUri } from '../sip/message.js';
import { buildResponse, newBranch } from '../sip/build.js';
import { addHeader, popVia, pushVia, replaceContactUri, setMaxForwards } from '../sip/edit.js';
import { serialize } from '../sip/serialize.js';
import { formatUri, parseUri } from '../sip/uri.js';
import { buildCancel } from '../transaction/hop-by-hop.js';
import type { InviteClientTransaction } from '../transaction/invite-client-transaction.js';
import type { ClientTransaction, ClientTransactionHandlers, ServerTransaction, ServerTransactionHandlers } from '../transaction/transactions.js';
import type { Target } from '../shared/addresses.js';
import { ForwardContext, type ForwardPlan } from './forward-context.js';
import { LocalIdentity } from './local-identity.js';
import { looseRoute } from './loose-route.js';
import { nextMaxForwards } from './max-forwards.js';
import { isPrivateIPv4 } from './private-address.js';
import type { RelayCore, RelayDeps } from './relay-core.js';
import type { RelayOptions } from './relay-options.js';
import type { AuthAnswers, Candidate, LocalSocket, RelayDispatcher, RelayTransactions, Source } from './relay-ports.js';
import { usesOutbound, type Flow, type FlowTokens } from './flow-token.js';
import type { NextHop } from './next-hop.js';
import { addContactAlias, takeRuriAlias } from './contact-alias.js';
import { matchRoute } from './route-table.js';

const ALL_CODES: ReadonlySet<number> = new Set();
/** Responses to our own CANCELs need no handling: the INVITE branch's final answer matters. */
const IGNORE: ClientTransactionHandlers = { onResponse() {}, onTimeout() {}, onTransportError() {}, releasesRequest: true };

export class Relay implements RelayCore {
  readonly identity: LocalIdentity;
  readonly pressure: PressureGauge;
  readonly authAnswers: AuthAnswers | undefined;
  readonly udpMtu: number;
  private readonly flows: FlowTokens | undefined;
  /** Some route names a source_group: initial requests are checked before a transaction exists. */
  private readonly guardedRoutes: boolean;
  private readonly byServer = new Map<ServerTransaction, ForwardContext>();
  /**
   * Requests being forwarded whose current branch has had no response at all, not even 100 Trying
   * (max_transactions counts these: a flood toward a silent farm piles them up). A healthy farm
   * answers within a round trip; answered requests wait out their timers and ringing calls wait
   * for fr_inv_timer, and neither is what the cap is for (1,000 calls/s ringing 20 s is 20,000).
   */
  private readonly unanswered = new Set<ServerTransaction>();
  /** Shutting down: new calls are refused, dialogs and transactions in flight carry on. */
  private draining = false;
  /** Load shedding: the share of the gauge, accumulated, sheds one request per whole unit; [0] other sources, [1] `trusted` ones (shed last). */
  private readonly shedCredit = [0, 0];
  private readonly serverHandlers: ServerTransactionHandlers = {
    // The request may be gone (releasesRequest): the key names the transaction.
    onTransportError: (tx: ServerTransaction, err: Error) => this.log.debug({ key: tx.key, err: err.message }, 'response send failed'),
    releasesRequest: true,
  };

  constructor(
    readonly deps: RelayDeps,
    private readonly transactions: RelayTransactions,
    private readonly options: RelayOptions,
    readonly log: Logger,
  ) {
    this.identity = new LocalIdentity(options.advertised, options.aliases);
    this.pressure = deps.pressure ?? NO_PRESSURE;
    this.authAnswers = deps.authAnswers;
    this.udpMtu = options.udpMtu;
    this.flows = deps.flows;
    this.guardedRoutes = options.routes.some((r) => r.sourceGroup !== undefined);
  }

  /** Refuse new initial requests with 503 from now on (graceful shutdown). */
  drain(): void {
    this.draining = true;
  }

  /**
   * Entry point for every parsed message the transports deliver. `late`: a new initial request that
   * waited in the UDP intake longer than overload_max_queue_delay; it is shed like one under pressure.
   */
  receive(msg: SipMessage, source: Source, late = false): void {
    if (msg.kind === 'response') this.receiveResponse(msg, source);
    else this.receiveRequest(msg, source, late);
  }

  // --- RelayCore ---

  get dispatcher(): RelayDispatcher {
    return this.deps.dispatcher;
  }

  resolve(host: string): string | Promise<string> {
    return this.deps.io.resolve(host);
  }

  farmSocket(address: string, port: number): LocalSocket | undefined {
    const io = this.deps.io;
    return io.farmSocket && this.deps.dispatcher.isFromDestination(address, port, 'udp') ? io.farmSocket(address) : undefined;
  }

  flowToken(req: SipRequest, source: Source): string | undefined {
    if (!this.flows || source.connectionId === undefined || !this.options.flows.transports.has(source.transport)) return undefined;
    const outbound = usesOutbound(req.contact.map((c) => c.raw), headerValues(req, 'supported'));
    return this.flows.encode({ transport: source.transport, connectionId: source.connectionId, address: source.address, port: source.port, outbound });
  }

  encodeFlow(flow: Flow): string | undefined {
    return this.flows?.encode(flow);
  }

  createClient(req: SipRequest, target: Target, handlers: ClientTransactionHandlers): ClientTransaction {
    return this.transactions.createClient(req, target, handlers);
  }

  cancelBranch(tx: InviteClientTransaction): void {
    this.transactions.createClient(buildCancel(tx.request), tx.peer, IGNORE);
  }

  respond(server: ServerTransaction, res: SipResponse, local: boolean): void {
    if (server.respond(res)) publish('response.sent', { status: res.status, local });
  }

  awaiting(server: ServerTransaction, silent: boolean): void {
    if (silent) this.unanswered.add(server);
    else this.unanswered.delete(server);
  }

  finished(server: ServerTransaction, status: number, callId: string): void {
    this.byServer.delete(server);
    this.unanswered.delete(server);
    if (server.kind === 'invite-server') {
      if (status >= 200 && status < 300) this.deps.dispatcher.callConfirmed(callId);
      else if (status >= 300) this.deps.dispatcher.callEnded(callId);
    }
  }

  // --- requests ---

  private receiveRequest(req: SipRequest, source: Source, late: boolean): void {
    publish('request.received', { method: req.method, transport: source.transport });
    const top = req.via[0]!;
    const responseTarget = this.deps.io.responseTarget(top, source);
    // Under pressure, or with the transaction table full, a new initial request costs one
    // stateless 503; everything else goes on.
    const cap = this.options.shedding.maxTransactions;
    // Trusted sources (a carrier's trunk) are not refused by the cap: it bounds what strangers pile up.
    const full = cap > 0 && this.unanswered.size >= cap && this.deps.trusted?.(source.address) !== true;
    if ((full || late || this.pressure.shedding) && this.shed(req, source, responseTarget, full, late)) return;
    if (this.guardedRoutes && this.denied(req, source, responseTarget)) return;
    const d = this.transactions.receiveRequest(req, responseTarget, this.serverHandlers);
    switch (d.kind) {
      case 'retransmission':
        return;
      case 'ack':
        if (!d.absorbed) this.routeAck(req, source);
        return;
      case 'cancel':
        if (d.tx) {
          this.byServer.get(d.tx)?.cancel();
        } else {
          this.sendStateless(buildResponse(req, 481, 'Call/Transaction Does Not Exist'), responseTarget);
        }
        return;
      case 'new':
        try {
          this.handleNew(d.tx, req, source);
        } catch (e) {
          // A bug must cost this request, not the transaction: the caller gets an answer.
          this.log.error({ err: e, callId: req.callId, method: req.method }, 'request handling failed');
          this.unanswered.delete(d.tx);
          this.respond(d.tx, buildResponse(req, 500, 'Server Internal Error'), true);
        }
    }
  }

  /**
   * Load shedding (Kamailio: pipelimit/ratelimit + sl_send_reply("503")): a new out-of-dialog
   * request of a shed method toward the farm is answered 503 with Retry-After at once, statelessly.
   * Never shed: ACK, CANCEL, in-dialog requests (BYE), retransmissions (they reach their
   * transaction), requests from the farm, and OPTIONS keepalives addressed to us.
   */
  private shed(req: SipRequest, source: Source, target: Target, full: boolean, late: boolean): boolean {
    const rules = this.options.shedding;
    if (req.to.tag !== undefined || !rules.methods.has(req.method) || req.method === 'ACK' || req.method === 'CANCEL') return false;
    if (this.transactions.hasServerFor(req)) return false;
    if (this.deps.dispatcher.isFromDestination(source.address, source.port, source.transport)) return false;
    if (req.method === 'OPTIONS') {
      const ruri = parseUri(req.uri);
      if (ruri && !ruri.user && this.identity.isUs(ruri)) return false;
    }
    // A share below 1 sheds evenly: 0.25 refuses every fourth request. The `trusted` networks (a
    // carrier's trunk; not every host of the farm) are shed last: none up to half the share, all
    // at the whole of it, and not for being late.
    const trusted = !full && this.deps.shedLast?.(source.address) === true;
    const share = full ? 1 : trusted ? Math.max(0, 2 * this.pressure.shedShare - 1) : late ? 1 : this.pressure.shedShare;
    if (share < 1) {
      const kind = trusted ? 1 : 0;
      const credit = this.shedCredit[kind]! + share;
      this.shedCredit[kind] = credit < 1 ? credit : credit - 1;
      if (credit < 1) return false;
    }
    const headers: Array<[string, string]> = rules.retryAfter > 0 ? [['Retry-After', String(rules.retryAfter)]] : [];
    this.sendStateless(buildResponse(req, 503, 'Service Unavailable', { headers, toTag: STATELESS_TAG }), target);
    publish('request.shed', { method: req.method, transport: source.transport, reason: full ? 'full' : late && !trusted ? 'late' : 'pressure' });
    return true;
  }

  /**
   * A route with a source_group (Kamailio: `allow_source_address(group)` before `ds_select_dst`):
   * a new out-of-dialog request that would take it from a source outside the group is dropped or
   * answered 403, statelessly, before any transaction exists. Requests from the farm are routed
   * back, never dispatched, so they are not asked.
   */
  private denied(req: SipRequest, source: Source, target: Target): boolean {
    if (req.to.tag !== undefined || req.method === 'ACK' || req.method === 'CANCEL') return false;
    const ruri = parseUri(req.uri);
    if (!ruri) return false;
    const rule = matchRoute(this.options.routes, req.method, ruri.user);
    if (!rule?.sourceGroup || this.deps.groups?.has(rule.sourceGroup, source.address)) return false;
    if (source.certSubject !== undefined && this.options.tlsClientGroups.get(source.certSubject) === rule.sourceGroup) return false;
    if (this.deps.dispatcher.isFromDestination(source.address, source.port, source.transport)) return false;
    if (rule.onDeny === 403) this.sendStateless(buildResponse(req, 403, 'Forbidden', { toTag: STATELESS_TAG }), target);
    else publish('dropped', { reason: 'acl', transport: source.transport });
    this.log.debug({ callId: req.callId, method: req.method, source: source.address, group: rule.sourceGroup }, 'source not in the route\'s group');
    return true;
  }

  private handleNew(tx: ServerTransaction, req: SipRequest, source: Source): void {
    const ruri = parseUri(req.uri);
    if (!ruri) return this.reply(tx, 416, 'Unsupported URI Scheme');
    if (req.proxyRequire.length > 0) return this.reply(tx, 420, 'Bad Extension', [['Unsupported', req.proxyRequire.join(', ')]]);
    const mf = nextMaxForwards(req.maxForwards, this.options.maxForwardsLimit);
    const forUs = this.identity.isUs(ruri) && req.route.length === 0;
    if (req.method === 'OPTIONS' && forUs && (!ruri.user || !mf.ok)) return this.reply(tx, 200, 'OK');
    if (!mf.ok) return this.reply(tx, 483, 'Too Many Hops');
    if (req.method === 'OPTIONS' && ruri.user === 'ping') return this.reply(tx, 200, 'OK');
    setMaxForwards(req, mf.value);
    const fromFarm = this.deps.dispatcher.isFromDestination(source.address, source.port, source.transport);
    if (this.options.fixNatedContact && !fromFarm && req.method !== 'REGISTER') fixNatedContact(req, source);
    if (this.options.contactAlias && !fromFarm && source.transport !== 'udp') addContactAlias(req, source);
    if (req.to.tag !== undefined) return this.routeInDialog(tx, req, source, ruri);
    if (this.draining) return this.reply(tx, 503, 'Shutting Down', [['Retry-After', String(this.options.noDestination.retryAfter)]]);
    if (fromFarm || req.route.length > 0) {
      // Calls from the farm (and pre-routed requests) follow their Route or R-URI, never the
      // dispatcher: Kamailio's ds_is_from_list() guard.
      const r = looseRoute(req, this.identity, ruri, this.flows);
      if (r.kind === 'forward' && (r.viaRoute || fromFarm)) return this.forwardTo(tx, req, source, this.aliasOr(req, r.hop), true);
      if (fromFarm) return this.reply(tx, r.kind === 'bad-uri' ? 400 : 404, r.kind === 'bad-uri' ? 'Bad Request-URI' : 'Not Here');
    }
    // A strict router's rewrite (loose routing above) may have replaced the Request-URI.
    this.dispatch(tx, req, source, req.uri === ruri.raw ? ruri : (parseUri(req.uri) ?? ruri));
  }

  private routeInDialog(tx: ServerTransaction, req: SipRequest, source: Source, ruri: SipUri): void {
    const r = looseRoute(req, this.identity, ruri, this.flows);
    if (r.kind === 'bad-uri') return this.reply(tx, 400, 'Bad Request-URI');
    if (r.kind === 'local') return this.reply(tx, 404, 'Not Here');
    if (req.method === 'BYE') this.deps.dispatcher.callEnded(req.callId);
    this.forwardTo(tx, req, source, this.aliasOr(req, r.hop), false);
  }

  private dispatch(tx: ServerTransaction, req: SipRequest, source: Source, ruri: SipUri): void {
    const rule = matchRoute(this.options.routes, req.method, ruri.user);
    const key = selectionKey(req);
    if (rule?.hashValue) key.hashValue = rule.hashValue(req, key, source);
    const candidates = rule ? this.deps.dispatcher.select(rule.set, rule.algorithm, key, rule.limit) : [];
    const set = rule ? String(rule.set) : '';
    if (!rule || candidates.length === 0) {
      publish('no-destination', { set, method: req.method, callId: req.callId });
      const nd = this.options.noDestination;
      return this.reply(tx, nd.status, nd.reason, nd.retryAfter > 0 ? [['Retry-After', String(nd.retryAfter)]] : []);
    }
    if (this.log.isLevelEnabled?.('debug') !== false) {
      this.log.debug({ callId: req.callId, method: req.method, set: rule.set, algorithm: rule.algorithm, uri: candidates[0]!.uri }, 'dispatching');
    }
    if (req.method === 'REGISTER') addHeader(req, 'Path', this.identity.path(candidates[0]!.transport, source, this.flowToken(req, source)));
    this.startForward(tx, req, source, {
      candidates,
      failoverOn: rule.failoverOn,
      maxTries: rule.maxTries,
      recordRoute: this.options.recordRoute && req.method !== 'REGISTER',
      dispatched: true,
    });
  }

  private forwardTo(tx: ServerTransaction, req: SipRequest, source: Source, hop: NextHop, recordRoute: boolean): void {
    const flow = hop.flow;
    if (flow && !this.deps.io.connectionOpen(flow.transport, flow.connectionId)) {
      // RFC 5626 §5.3: the flow is gone; say so at once instead of timing out.
      const status = flow.outbound ? 430 : 480;
      publish('flow.failed', { transport: flow.transport, status });
      return this.reply(tx, status, flow.outbound ? 'Flow Failed' : 'Temporarily Unavailable');
    }
    const c: Candidate = { setId: -1, uri: '', host: hop.host, port: hop.port, transport: hop.transport, duid: undefined, connectionId: flow?.connectionId, flow };
    this.startForward(tx, req, source, {
      candidates: [c],
      failoverOn: ALL_CODES,
      maxTries: 1,
      recordRoute: recordRoute && this.options.recordRoute && req.method !== 'REGISTER',
      dispatched: false,
    });
  }

  /** contact_alias: a Request-URI alias wins over the hop, unless a flow token chose it. */
  private aliasOr(req: SipRequest, hop: NextHop): NextHop {
    if (!this.options.contactAlias || hop.flow) return hop;
    return takeRuriAlias(req) ?? hop;
  }

  private startForward(tx: ServerTransaction, req: SipRequest, source: Source, plan: ForwardPlan): void {
    const ctx = new ForwardContext(this, tx, source, plan, req);
    if (tx.kind === 'invite-server') this.byServer.set(tx, ctx);
    ctx.start();
    // The context keeps what it needs of the request: the transaction need not hold it pending.
    tx.forgetRequest();
  }

  /** ACK for a 2xx: end to end, statelessly (§16.6, no transaction). */
  private routeAck(ack: SipRequest, source: Source): void {
    const mf = nextMaxForwards(ack.maxForwards, this.options.maxForwardsLimit);
    if (!mf.ok) return;
    setMaxForwards(ack, mf.value);
    const r = looseRoute(ack, this.identity, undefined, this.flows);
    if (r.kind !== 'forward') {
      publish('dropped', { reason: 'unroutable', transport: source.transport });
      return;
    }
    pushVia(ack, this.identity.via(r.hop.transport, newBranch()));
    const bytes = serialize(ack);
    const address = this.deps.io.resolve(r.hop.host);
    const connectionId = r.hop.flow?.connectionId;
    const send = (host: string) => this.deps.io.send(bytes, { transport: r.hop.transport, host, port: r.hop.port, connectionId });
    if (typeof address === 'string') send(address);
    else address.then(send, () => publish('dropped', { reason: 'unroutable', transport: source.transport }));
  }

  // --- responses ---

  private receiveResponse(res: SipResponse, source: Source): void {
    // The farm's own Contacts are left alone: asking first spares parsing Contact on most responses.
    if ((this.options.fixNatedContact || this.options.contactAlias) && !this.deps.dispatcher.isFromDestination(source.address, source.port, source.transport) && res.contact.length > 0) {
      if (this.options.fixNatedContact) fixNatedContact(res, source);
      if (this.options.contactAlias && source.transport !== 'udp') addContactAlias(res, source);
    }
    if (this.transactions.receiveResponse(res)) return;
    // §16.7: a 2xx retransmission after the transaction ended is still forwarded, statelessly.
    if (res.status >= 200 && res.status < 300 && res.cseq.method === 'INVITE') this.forwardStateless(res);
    else publish('dropped', { reason: 'no-transaction', transport: source.transport });
  }

  /** Pops our Via and sends the response to the next Via (RFC 3261 §16.7 step 9 / §18.2.2). */
  forwardStateless(res: SipResponse): void {
    const top = res.via[0];
    if (!top || !this.identity.isUsAddress(top.host, top.port) || res.via.length < 2) return;
    popVia(res);
    this.sendStateless(res, this.deps.io.responseTarget(res.via[0]!, undefined));
  }

  private sendStateless(res: SipResponse, target: Target): void {
    this.deps.io.send(serialize(res), target);
    publish('response.sent', { status: res.status, local: true });
  }

  private reply(tx: ServerTransaction, status: number, reason: string, headers: Array<[string, string]> = []): void {
    this.respond(tx, buildResponse(tx.request, status, reason, { headers }), true);
  }
}

/** Every value of a header, in order (headers the parser keeps raw). */
function headerValues(req: SipRequest, key: string): string[] {
  const values: string[] = [];
  for (const h of req.headers) if (h.key === key) values.push(h.value);
  return values;
}

/** The keys the hash algorithms read (Kamailio: Call-ID, From/To/R-URI, auth user). */
function selectionKey(req: SipRequest): SelectionKey {
  return { callId: req.callId, fromUri: req.from.uri, toUri: req.to.uri, ruri: req.uri, authUser: authUser(req), isInvite: req.method === 'INVITE' };
}

/** The digest username, from Proxy-Authorization first, else Authorization (ds alg 5). */
function authUser(req: SipRequest): string | undefined {
  let value: string | undefined;
  for (const h of req.headers) {
    if (h.key === 'proxy-authorization') {
      value = h.value;
      break;
    }
    if (h.key === 'authorization' && value === undefined) value = h.value;
  }
  if (value === undefined) return undefined;
  const m = /username\s*=\s*"([^"]*)"/i.exec(value) ?? /username\s*=\s*([^\s,]+)/i.exec(value);
  return m?.[1]?.split('@')[0]?.trim();
}

/**
 * Kamailio's nat_uac_test(19) + fix_nated_contact: a Contact with a private address that differs
 * from where the message came from is rewritten to the source address and port.
 */
function fixNatedContact(msg: SipMessage, source: Source): void {
  const first = msg.contact[0];
  const uri = first && parseUri(first.uri);
  if (!uri || (uri.scheme !== 'sip' && uri.scheme !== 'sips')) return;
  const port = uri.port ?? defaultPort(uri.scheme);
  if (!isPrivateIPv4(uri.host) || (uri.host === source.address && port === source.port)) return;
  const host = source.address.includes(':') ? `[${source.address}]` : source.address;
  replaceContactUri(msg, 0, formatUri({ ...uri, host, port: source.port }));
}
