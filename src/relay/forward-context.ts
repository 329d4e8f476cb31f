/**
 * One stateful forward: the response context of RFC 3261 §16 for one server transaction. Tries
 * the candidates one after another (serial forking), fails over on timeout, transport error or a
 * configured final code, picks the best response (§16.7 step 6) and answers upstream once.
 */
import { publish, type FailoverReason } from '../shared/events.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { buildResponse, newBranch } from '../sip/build.js';
import { popRecordRoute, popVia, prependRecordRoute, pushVia } from '../sip/edit.js';
import { cloneRequest } from '../sip/message-record.js';
import { parseMessage } from '../sip/parse-message.js';
import { serialize } from '../sip/serialize.js';
import type { ClientTransaction, ClientTransactionHandlers, ServerTransaction } from '../transaction/transactions.js';
import type { RelayCore } from './relay-core.js';
import type { Candidate, Source } from './relay-ports.js';

export interface ForwardPlan {
  candidates: readonly Candidate[];
  /** Final codes that move on to the next candidate. */
  failoverOn: ReadonlySet<number>;
  maxTries: number;
  /** Add our Record-Route (initial, dialog-forming requests). */
  recordRoute: boolean;
  /** Candidates came from the dispatcher (failures are reported, load is tracked). */
  dispatched: boolean;
}

export class ForwardContext implements ClientTransactionHandlers {
  private next = 0;
  private tries = 0;
  private current: ClientTransaction | undefined;
  private currentCandidate: Candidate | undefined;
  private best: SipResponse | undefined;
  /** The best response was made here (transport error), not received. */
  private bestLocal = false;
  private cancelled = false;
  private cancelSent = false;
  private done = false;
  /** Inside createClient: a synchronous send failure is handled once `current` is set. */
  private starting = false;
  /** The pressure epoch when the current branch was sent (a change by its timeout excuses it). */
  private sentEpoch = 0;
  /** The request to forward, parsed, until a branch carries it (see `template`). */
  private held: SipRequest | undefined;
  /** The last branch as sent, and how many Record-Route values it added to the request. */
  private sentBytes: Buffer | undefined;
  private addedRecordRoutes = 0;
  /** The request carried credentials (auth-failure bans count the farm's 401/407 to those). */
  private readonly credentials: boolean;

  /** Neither this context nor the relay reads a transaction's request after its final response. */
  readonly releasesRequest = true;

  constructor(
    private readonly core: RelayCore,
    readonly server: ServerTransaction,
    private readonly source: Source,
    private readonly plan: ForwardPlan,
    request: SipRequest,
  ) {
    this.held = request;
    this.credentials = hasCredentials(request);
  }

  get isInvite(): boolean {
    return this.server.kind === 'invite-server';
  }

  /**
   * The request being forwarded, as edited for the farm. Once a branch is sent, nothing parsed is
   * kept (a request pending toward a silent farm would hold its parsed form for fr_timer): the
   * rare paths that need it (failover, a local 408/487/503, their logs) parse the branch's bytes
   * again and take off what the branch added, its Via and Record-Routes. Read only until answered.
   */
  private get template(): SipRequest {
    if (this.held !== undefined) return this.held;
    const parsed = this.sentBytes && parseMessage(this.sentBytes, { maxSize: this.sentBytes.length });
    if (!parsed?.ok || parsed.message.kind !== 'request') throw new Error('forward context: the sent branch does not parse');
    const req = parsed.message;
    popVia(req);
    for (let i = 0; i < this.addedRecordRoutes; i++) popRecordRoute(req);
    return req;
  }

  start(): void {
    if (!this.tryNext()) this.finish();
  }

  /** The caller sent CANCEL (§16.10): cancel the pending branch, try nothing else. */
  cancel(): void {
    if (this.done) return;
    this.cancelled = true;
    const tx = this.current;
    if (tx?.kind === 'invite-client' && tx.state === 'proceeding') this.sendCancel(tx);
    else if (tx === undefined) this.finish();
    // In 'calling' the CANCEL waits for a provisional (§9.1); Timer B ends it otherwise.
  }

  onResponse(tx: ClientTransaction, res: SipResponse): void {
    const status = res.status;
    if (tx !== this.current) {
      // A branch we gave up on (Timer C), or a 2xx retransmission after the answer (RFC 6026).
      if (status >= 200 && status < 300) this.core.forwardStateless(res);
      return;
    }
    popVia(res);
    this.core.awaiting(this.server, false);
    if (status < 200) {
      if (this.cancelled) {
        if (tx.kind === 'invite-client') this.sendCancel(tx);
        return;
      }
      // §16.7 step 5: provisionals other than 100 are forwarded immediately.
      if (status > 100) this.core.respond(this.server, res, false);
      return;
    }
    this.current = undefined;
    if (status < 300) {
      if (this.plan.dispatched) this.core.dispatcher.trafficSuccess(this.currentCandidate!);
      this.answer(res, false);
      return;
    }
    this.remember(res, false);
    const c = this.currentCandidate!;
    const failover = !this.cancelled && status < 600 && this.plan.failoverOn.has(status);
    if (this.plan.dispatched) {
      if (status === 503 && !hasRetryAfter(res)) this.core.dispatcher.trafficFailure(c, 'response-503', false);
      else this.core.dispatcher.trafficSuccess(c);
    }
    if (failover && this.moveOn(c, 'response-5xx')) return;
    this.finish();
  }

  onTimeout(tx: ClientTransaction): void {
    if (tx !== this.current) return;
    const c = this.currentCandidate!;
    if (tx.kind === 'invite-client' && tx.state === 'proceeding') {
      // Timer C (fr_inv_timer): the callee rang too long. Cancel it and answer 408; another
      // destination would only ring again.
      this.current = undefined;
      this.sendCancel(tx);
      this.best = undefined;
      this.finish();
      return;
    }
    this.current = undefined;
    if (this.plan.dispatched) {
      const p = this.core.pressure;
      this.core.dispatcher.trafficFailure(c, 'timeout', p.pressured || p.epoch !== this.sentEpoch);
    }
    if (!this.cancelled && this.moveOn(c, 'timeout')) return;
    this.finish();
  }

  onTransportError(tx: ClientTransaction, err: Error): void {
    if (this.starting) {
      queueMicrotask(() => this.onTransportError(tx, err));
      return;
    }
    if (tx !== this.current) return;
    const c = this.currentCandidate!;
    this.current = undefined;
    this.core.log.debug({ callId: this.template.callId, uri: c.uri, err: err.message }, 'send failed');
    if (this.plan.dispatched) this.core.dispatcher.trafficFailure(c, 'transport-error', false);
    this.remember(buildResponse(this.template, 503, 'Service Unavailable'), true);
    if (!this.cancelled && this.moveOn(c, 'transport-error')) return;
    this.finish();
  }

  /** Reports the failover and tries the next candidate; false when none is left. */
  private moveOn(failed: Candidate, reason: FailoverReason): boolean {
    const nextCandidate = this.tries < this.plan.maxTries ? this.plan.candidates[this.next] : undefined;
    const callId = this.template.callId;
    // Logged once, from the event (stack/logging.ts; worker threads bridge it to the main thread).
    publish('failover', () => ({ set: String(failed.setId), uri: failed.uri, reason, callId, next: nextCandidate?.uri ?? null }));
    return nextCandidate !== undefined && this.tryNext();
  }

  private tryNext(): boolean {
    if (this.tries >= this.plan.maxTries) return false;
    const c = this.plan.candidates[this.next];
    if (c === undefined) return false;
    this.next++;
    this.tries++;
    this.currentCandidate = c;
    this.core.awaiting(this.server, true);
    if (this.tries > 1 && this.plan.dispatched && this.isInvite) this.core.dispatcher.callMoved(this.template.callId, c);
    const address = this.core.resolve(c.host);
    if (typeof address === 'string') {
      this.send(c, address);
    } else {
      address.then(
        (a) => this.send(c, a),
        (e: Error) => this.resolveFailed(c, e),
      );
    }
    return true;
  }

  private send(c: Candidate, address: string): void {
    if (this.done) return;
    if (this.cancelled) {
      this.finish();
      return;
    }
    const req = cloneRequest(this.template);
    const us = this.core.identity;
    const transport = this.transportFor(c, req);
    let added = 0;
    if (this.plan.recordRoute) {
      // Double Record-Route when the transport changes, so each side routes back on its own; an
      // entry that faces a flow (a WebSocket or TLS client) carries its token, whichever side it is on.
      const sourceToken = this.core.flowToken(req, this.source);
      const targetToken = c.flow && this.core.encodeFlow(c.flow);
      prependRecordRoute(req, us.recordRoute(this.source.transport, sourceToken));
      added = 1;
      if (sourceToken !== undefined || targetToken !== undefined || transport !== this.source.transport) {
        prependRecordRoute(req, us.recordRoute(transport, targetToken));
        added = 2;
      }
    }
    // with threads sharing the listeners, the farm answers this thread's own socket directly
    const own = transport === 'udp' && c.connectionId === undefined ? this.core.farmSocket(address, c.port) : undefined;
    pushVia(req, us.via(transport, newBranch(), own?.port));
    this.sentEpoch = this.core.pressure.epoch;
    this.starting = true;
    const tx = this.core.createClient(req, { transport, host: address, port: c.port, connectionId: own?.connectionId ?? c.connectionId }, this);
    this.current = tx;
    this.starting = false;
    this.sentBytes = tx.sentBytes;
    this.addedRecordRoutes = added;
    this.held = undefined;
    publish('request.relayed', () => ({ set: this.plan.dispatched ? String(c.setId) : '', uri: this.plan.dispatched ? c.uri : '', method: req.method, callId: req.callId }));
  }

  /**
   * udp_mtu_try_proto (RFC 3261 §18.1.1): a request that would not fit the MTU goes over TCP to
   * the same address. Measured with a Via of our own added, as it will be sent.
   */
  private transportFor(c: Candidate, req: SipRequest): Candidate['transport'] {
    const mtu = this.core.udpMtu;
    if (mtu <= 0 || c.transport !== 'udp' || c.connectionId !== undefined) return c.transport;
    return serialize(req).length + VIA_ALLOWANCE > mtu ? 'tcp' : 'udp';
  }

  private resolveFailed(c: Candidate, e: Error): void {
    if (this.done) return;
    this.core.log.info({ callId: this.template.callId, host: c.host, err: e.message }, 'cannot resolve destination');
    if (this.plan.dispatched) this.core.dispatcher.trafficFailure(c, 'transport-error', false);
    this.remember(buildResponse(this.template, 503, 'Service Unavailable'), true);
    if (!this.cancelled && this.moveOn(c, 'transport-error')) return;
    this.finish();
  }

  private sendCancel(tx: ClientTransaction): void {
    if (this.cancelSent || tx.kind !== 'invite-client') return;
    this.cancelSent = true;
    this.core.cancelBranch(tx);
  }

  /** §16.7 step 6: a 6xx wins; otherwise the lowest class, the first of it. */
  private remember(res: SipResponse, local: boolean): void {
    const b = this.best;
    if (b !== undefined && (b.status >= 600 || (res.status < 600 && Math.floor(res.status / 100) >= Math.floor(b.status / 100)))) return;
    this.best = res;
    this.bestLocal = local;
  }

  private finish(): void {
    if (this.done) return;
    if (this.best) this.answer(this.best, this.bestLocal);
    else if (this.cancelled) this.answer(buildResponse(this.template, 487, 'Request Terminated'), true);
    else if (this.tries === 0) this.answer(buildResponse(this.template, 503, 'Service Unavailable'), true);
    else this.answer(buildResponse(this.template, 408, 'Request Timeout'), true);
  }

  private answer(res: SipResponse, local: boolean): void {
    this.done = true;
    const status = res.status;
    if (!local && (status === 401 || status === 403 || status === 407)) this.core.authAnswers?.answered(this.source, status, this.credentials);
    this.best = undefined;
    this.held = undefined;
    this.sentBytes = undefined;
    this.core.respond(this.server, res, local);
    this.core.finished(this.server, status, res.callId);
  }
}

/** Bytes our Via and Record-Route add (an upper bound, so the check errs towards TCP). */
const VIA_ALLOWANCE = 200;

function hasCredentials(req: SipRequest): boolean {
  return req.headers.some((h) => h.key === 'authorization' || h.key === 'proxy-authorization');
}

function hasRetryAfter(res: SipResponse): boolean {
  return res.headers.some((h) => h.key === 'retry-after');
}

