/**
 * The demo's call generator: a UDP user agent client on 127.0.0.1 that places calls at a steady
 * rate through the proxy. Each call is INVITE → 200 → ACK → hold → BYE → 200; ACK and BYE follow
 * the route set of the 200's Record-Route (RFC 3261 §12.1.2), so they cross the proxy too. It
 * counts successes, failures and which backend answered (the Contact's user part).
 */
import dgram from 'node:dgram';
import { systemScheduler, type Scheduler, type TimerHandle } from '../shared/scheduler.js';
import { buildRequest, newBranch, newCallId, newTag } from '../sip/build.js';
import type { NameAddr, SipRequest, SipResponse } from '../sip/message.js';
import { parseMessage } from '../sip/parse-message.js';
import { serialize } from '../sip/serialize.js';
import { parseUri } from '../sip/uri.js';
import { buildAck } from '../transaction/hop-by-hop.js';

export interface DemoCallerOptions {
  /** Where INVITEs go (the proxy's UDP listener). */
  proxy: { host: string; port: number };
  /** Calls placed per second. */
  rate: number;
  /** Time between the ACK and the BYE. */
  holdMs: number;
  /** No more calls than this, whatever happens. */
  maxCalls: number;
  /** Longest wait for the final response to an INVITE or a BYE. */
  timeoutMs: number;
  scheduler?: Scheduler;
  onCallEnd?: (call: CallResult) => void;
}

export interface CallResult {
  callId: string;
  /** Scheduler time the INVITE was sent. */
  startedAt: number;
  /** Who answered (Contact user part); undefined when nobody did. */
  backend: string | undefined;
  ok: boolean;
  /** Why a call failed; status 0 means no final response within the timeout. */
  failure: { stage: 'invite' | 'bye'; status: number } | undefined;
}

interface Call {
  readonly invite: SipRequest;
  readonly startedAt: number;
  stage: 'inviting' | 'holding' | 'leaving';
  timer: TimerHandle | undefined;
  backend: string | undefined;
  /** The ACK for the 2xx, re-sent if the 2xx is retransmitted. */
  ack: Buffer | undefined;
  /** Dialog state from the 2xx: remote target, To with tag, route set. */
  dialog: { target: string; to: string; route: NameAddr[] } | undefined;
}

export class DemoCaller {
  /** The local UDP port (in Via and Contact). */
  readonly port: number;
  placed = 0;
  succeeded = 0;
  failed = 0;
  /** Calls answered 200 per backend. */
  readonly answered = new Map<string, number>();
  private readonly calls = new Map<string, Call>();
  private readonly scheduler: Scheduler;
  private pacer: TimerHandle | undefined;
  private placing = true;
  private startedAt = 0;
  private idleWaiters: Array<() => void> = [];

  private constructor(
    private readonly options: DemoCallerOptions,
    private readonly socket: dgram.Socket,
  ) {
    this.scheduler = options.scheduler ?? systemScheduler;
    this.port = socket.address().port;
  }

  /** Binds 127.0.0.1 on a port the system picks and starts placing calls. */
  static async start(options: DemoCallerOptions): Promise<DemoCaller> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => {});
    const caller = new DemoCaller(options, socket);
    socket.on('message', (buf) => caller.receive(buf));
    caller.startedAt = caller.scheduler.now();
    caller.schedule();
    return caller;
  }

  get inFlight(): number {
    return this.calls.size;
  }

  /** Places no more calls; the ones in flight carry on. */
  stopPlacing(): void {
    this.placing = false;
    this.pacer?.cancel();
    this.pacer = undefined;
    this.notifyIdle();
  }

  /** Resolves once placing has stopped and every call has ended (each is bounded by the timeouts). */
  idle(): Promise<void> {
    if (!this.placing && this.calls.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops everything at once: calls in flight are dropped uncounted. */
  async close(): Promise<void> {
    this.stopPlacing();
    for (const call of this.calls.values()) call.timer?.cancel();
    this.calls.clear();
    this.notifyIdle();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  /** Paces calls on a fixed grid from the start, so a late timer does not slow the rate down. */
  private schedule(): void {
    if (!this.placing) return;
    if (this.placed >= this.options.maxCalls) return this.stopPlacing();
    const due = this.startedAt + (this.placed * 1000) / this.options.rate;
    this.pacer = this.scheduler.setTimeout(() => {
      this.place();
      this.schedule();
    }, Math.max(0, due - this.scheduler.now()));
  }

  private place(): void {
    const { host, port } = this.options.proxy;
    const local = `127.0.0.1:${this.port}`;
    const invite = buildRequest({
      method: 'INVITE',
      uri: `sip:1000@${host}:${port}`,
      via: [`SIP/2.0/UDP ${local};branch=${newBranch()};rport`],
      from: `<sip:demo@${local}>;tag=${newTag()}`,
      to: `<sip:1000@${host}:${port}>`,
      callId: newCallId(),
      cseq: 1,
      headers: [['Contact', `<sip:demo@${local}>`]],
    });
    const call: Call = { invite, startedAt: this.scheduler.now(), stage: 'inviting', timer: undefined, backend: undefined, ack: undefined, dialog: undefined };
    this.calls.set(invite.callId, call);
    this.placed++;
    call.timer = this.scheduler.setTimeout(() => this.end(call, { stage: 'invite', status: 0 }), this.options.timeoutMs);
    this.send(serialize(invite), host, port);
  }

  private receive(buf: Buffer): void {
    const r = parseMessage(buf);
    if (!r.ok || r.message.kind !== 'response') return;
    const res = r.message;
    const call = this.calls.get(res.callId);
    if (!call || res.status < 200) return;
    if (res.cseq.method === 'INVITE') this.inviteAnswered(call, res);
    else if (res.cseq.method === 'BYE' && call.stage === 'leaving') this.end(call, res.status < 300 ? undefined : { stage: 'bye', status: res.status });
  }

  private inviteAnswered(call: Call, res: SipResponse): void {
    if (res.status >= 300) {
      // §17.1.1.3: a non-2xx final is acknowledged hop by hop, to where the INVITE went.
      this.send(buildAck(call.invite, res), this.options.proxy.host, this.options.proxy.port);
      if (call.stage === 'inviting') this.end(call, { stage: 'invite', status: res.status });
      return;
    }
    if (call.stage !== 'inviting') {
      if (call.ack) this.sendInDialog(call, call.ack);
      return;
    }
    const contact = res.contact[0];
    if (!contact) return this.end(call, { stage: 'invite', status: res.status });
    // §12.1.2: the route set is the Record-Route in reverse order; the Contact is the remote target.
    call.dialog = { target: contact.uri, to: res.to.raw, route: res.recordRoute.slice().reverse() };
    call.backend = parseUri(contact.uri)?.user ?? contact.uri;
    this.answered.set(call.backend, (this.answered.get(call.backend) ?? 0) + 1);
    call.ack = serialize(this.inDialog(call, 'ACK', call.invite.cseq.seq));
    this.sendInDialog(call, call.ack);
    call.stage = 'holding';
    call.timer?.cancel();
    call.timer = this.scheduler.setTimeout(() => this.hangUp(call), this.options.holdMs);
  }

  private hangUp(call: Call): void {
    call.stage = 'leaving';
    call.timer = this.scheduler.setTimeout(() => this.end(call, { stage: 'bye', status: 0 }), this.options.timeoutMs);
    this.sendInDialog(call, serialize(this.inDialog(call, 'BYE', call.invite.cseq.seq + 1)));
  }

  private inDialog(call: Call, method: 'ACK' | 'BYE', cseq: number): SipRequest {
    const dialog = call.dialog!;
    return buildRequest({
      method,
      uri: dialog.target,
      via: [`SIP/2.0/UDP 127.0.0.1:${this.port};branch=${newBranch()};rport`],
      from: call.invite.from.raw,
      to: dialog.to,
      callId: call.invite.callId,
      cseq,
      headers: dialog.route.map((r) => ['Route', r.raw]),
    });
  }

  /** In-dialog requests go to the first Route (loose routing), else to the remote target. */
  private sendInDialog(call: Call, bytes: Buffer): void {
    const dialog = call.dialog!;
    const hop = parseUri(dialog.route[0]?.uri ?? dialog.target);
    if (hop) this.send(bytes, hop.host, hop.port ?? 5060);
  }

  private end(call: Call, failure: CallResult['failure']): void {
    call.timer?.cancel();
    if (!this.calls.delete(call.invite.callId)) return;
    if (failure) this.failed++;
    else this.succeeded++;
    this.options.onCallEnd?.({ callId: call.invite.callId, startedAt: call.startedAt, backend: call.backend, ok: !failure, failure });
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.placing || this.calls.size > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private send(bytes: Buffer, host: string, port: number): void {
    this.socket.send(bytes, port, host);
  }
}
