/**
 * The relay over a real TransactionLayer, a fake transport, the ManualScheduler and a fake
 * dispatcher: no sockets, no sleeps. A test feeds parsed messages to `relay.receive`, moves time
 * with `advance`, and reads what left: downstream requests per destination, upstream answers.
 */
import { compileHashValue } from '../../../src/relay/hash-value.js';
import { Relay } from '../../../src/relay/relay.js';
import type { RouteRule } from '../../../src/relay/relay-options.js';
import type { Candidate, RelayDispatcher, RelayIo, Source } from '../../../src/relay/relay-ports.js';
import type { SelectionKey } from '../../../src/dispatcher/select.js';
import type { Target } from '../../../src/shared/addresses.js';
import { parseHashTemplate, type HashPart } from '../../../src/shared/hash-template.js';
import type { TrafficFailureCause } from '../../../src/shared/events.js';
import type { Logger } from '../../../src/shared/logger.js';
import { ManualScheduler } from '../../../src/shared/scheduler.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message.js';
import { TransactionLayer } from '../../../src/transaction/transaction-layer.js';
import { FakeTransport, parse, testTimers } from '../transaction/harness.js';

export const PROXY = { host: '192.0.2.1', port: 5060 };
export const CALLER: Source = { transport: 'udp', address: '192.0.2.10', port: 5062 };
/** The default route's failover codes (the config's default). */
export const FAILOVER_ON = [408, 500, 502, 503, 504];

/** A destination of set 1 named `name`, at 198.51.100.<n> (or a host name to resolve). */
export function candidate(name: string, n: number, host = `198.51.100.${n}`): Candidate {
  return { setId: 1, uri: `sip:${name}@${host}:5080`, host, port: 5080, transport: 'udp', duid: name };
}

/** Records what the relay asks and reports; hands out the candidates the test set. */
export class FakeDispatcher implements RelayDispatcher {
  candidates: Candidate[] = [];
  readonly keys: SelectionKey[] = [];
  readonly failures: string[] = [];
  readonly successes: string[] = [];
  readonly calls: string[] = [];

  select(_setId: number, _algorithm: number, key: SelectionKey, limit: number): Candidate[] {
    this.keys.push({ ...key });
    return limit > 0 ? this.candidates.slice(0, limit) : [...this.candidates];
  }

  trafficSuccess(c: Candidate): void {
    this.successes.push(c.duid ?? c.uri);
  }

  trafficFailure(c: Candidate, cause: TrafficFailureCause, ownPressure: boolean): void {
    this.failures.push(`${c.duid} ${cause}${ownPressure ? ' (own pressure)' : ''}`);
  }

  isDestinationHost(address: string): boolean {
    return this.candidates.some((c) => c.host === address);
  }

  isFromDestination(address: string): boolean {
    return this.candidates.some((c) => c.host === address);
  }

  callMoved(callId: string, c: Candidate): void {
    this.calls.push(`moved ${callId} ${c.duid}`);
  }

  callConfirmed(callId: string): void {
    this.calls.push(`confirmed ${callId}`);
  }

  callEnded(callId: string): void {
    this.calls.push(`ended ${callId}`);
  }
}

/** One log line as the relay wrote it. */
export interface LogLine {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** A Logger that keeps every line (the relay's, and the event logging's when attached). */
export function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (a: Record<string, unknown> | string, msg?: string): void => {
      lines.push(typeof a === 'string' ? { level, msg: a, fields: {} } : { level, msg: msg ?? '', fields: a });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger, isLevelEnabled: () => true };
  return logger;
}

/** Name resolution the test controls: a name maps to an address, a rejection, or a pending promise. */
export class FakeResolver {
  readonly pending = new Map<string, { resolve: (a: string) => void; reject: (e: Error) => void }>();
  readonly failing = new Set<string>();
  readonly held = new Set<string>();

  resolve = (host: string): string | Promise<string> => {
    if (/^[\d.]+$/.test(host)) return host;
    if (this.failing.has(host)) return Promise.reject(new Error(`queryA ENOTFOUND ${host}`));
    if (this.held.has(host)) return new Promise((resolve, reject) => this.pending.set(host, { resolve, reject }));
    return '203.0.113.50';
  };
}

export interface RouteOverrides {
  algorithm?: number;
  failoverOn?: number[];
  maxTries?: number;
  limit?: number;
  hashValue?: string;
}

export class RelayHarness {
  readonly scheduler = new ManualScheduler();
  readonly transport = new FakeTransport(this.scheduler);
  readonly dispatcher = new FakeDispatcher();
  readonly resolver = new FakeResolver();
  readonly log: LogLine[] = [];
  /** Stateless sends (ACK for 2xx, stray 2xx): the relay's io.send. */
  readonly stateless: Array<{ bytes: Buffer; target: Target }> = [];
  readonly layer: TransactionLayer;
  readonly relay: Relay;
  private seq = 0;

  /** `farmSocket`: the thread's own UDP socket the relay asks for (threads sharing the listeners). */
  constructor(route: RouteOverrides = {}, farmSocket?: RelayIo['farmSocket']) {
    const logger = recordingLogger(this.log);
    this.layer = new TransactionLayer({ transport: this.transport, scheduler: this.scheduler, timers: testTimers(), logger });
    const rule: RouteRule = {
      methods: [],
      ruriUser: undefined,
      sourceGroup: undefined,
      onDeny: 'drop',
      set: 1,
      algorithm: route.algorithm ?? 4,
      limit: route.limit ?? 0,
      failoverOn: new Set(route.failoverOn ?? FAILOVER_ON),
      maxTries: route.maxTries ?? 3,
      hashValue: route.hashValue === undefined ? undefined : compileHashValue(templateOf(route.hashValue)),
    };
    this.relay = new Relay(
      {
        dispatcher: this.dispatcher,
        io: {
          send: (bytes, target) => this.stateless.push({ bytes, target }),
          responseTarget: (via, source) => (source ? { transport: source.transport, host: source.address, port: source.port } : { transport: 'udp', host: via.host, port: via.port ?? 5060 }),
          resolve: this.resolver.resolve,
          connectionOpen: () => true,
          farmSocket,
        },
        pressure: { pressured: false, shedding: false, shedShare: 0, epoch: 0 },
      },
      this.layer,
      {
        advertised: { udp: PROXY },
        aliases: [],
        routes: [rule],
        recordRoute: true,
        maxForwardsLimit: 70,
        fixNatedContact: false,
        noDestination: { status: 503, reason: 'Service Unavailable', retryAfter: 0 },
        shedding: { methods: new Set(['INVITE']), retryAfter: 5, maxTransactions: 0 },
        flows: { transports: new Set() },
        tlsClientGroups: new Map(),
        udpMtu: 0,
        contactAlias: false,
      },
      logger,
    );
  }

  /** An initial INVITE from the caller, as received (a new Call-ID unless given). */
  invite(options: { callId?: string; from?: string; headers?: string[] } = {}): SipRequest {
    const n = ++this.seq;
    const callId = options.callId ?? `call-${n}@192.0.2.10`;
    const req = message([
      'INVITE sip:1000@192.0.2.1 SIP/2.0',
      `Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-caller-${n}`,
      'Max-Forwards: 70',
      `From: <${options.from ?? 'sip:alice@192.0.2.10'}>;tag=caller-${n}`,
      'To: <sip:1000@192.0.2.1>',
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      'Contact: <sip:alice@192.0.2.10:5062>',
      ...(options.headers ?? []),
    ]) as SipRequest;
    this.relay.receive(req, CALLER);
    return req;
  }

  /** The caller's CANCEL for `invite` (same branch, §9.1). */
  cancel(invite: SipRequest): void {
    const top = invite.via[0]!;
    this.relay.receive(
      message([
        'CANCEL sip:1000@192.0.2.1 SIP/2.0',
        `Via: SIP/2.0/UDP 192.0.2.10:5062;branch=${top.branch}`,
        'Max-Forwards: 70',
        `From: ${invite.from.raw}`,
        'To: <sip:1000@192.0.2.1>',
        `Call-ID: ${invite.callId}`,
        'CSeq: 1 CANCEL',
      ]),
      CALLER,
    );
  }

  /** Requests sent downstream, in order, with where they went. */
  downstream(method?: string): Array<{ req: SipRequest; target: Target }> {
    return this.transport.sent
      .filter((s) => s.target.host !== CALLER.address)
      .map((s) => ({ req: parse(s.bytes), target: s.target }))
      .filter((x): x is { req: SipRequest; target: Target } => x.req.kind === 'request' && (method === undefined || x.req.method === method));
  }

  /** The hosts each downstream `method` went to, first sends only (retransmissions left out). */
  tried(method = 'INVITE'): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const { req, target } of this.downstream(method)) {
      const branch = req.via[0]!.branch ?? '';
      if (seen.has(branch)) continue;
      seen.add(branch);
      out.push(target.host);
    }
    return out;
  }

  /**
   * Status codes answered to the caller for `method`, in order, retransmissions left out. 100
   * Trying is left out too: the INVITE server transaction sends it from a queue of its own.
   */
  upstream(method = 'INVITE'): number[] {
    const out: number[] = [];
    const seen = new Set<string>();
    for (const s of this.transport.sent.filter((x) => x.target.host === CALLER.address)) {
      const text = s.bytes.toString('latin1');
      if (seen.has(text)) continue;
      seen.add(text);
      const msg = parse(s.bytes);
      if (msg.kind === 'response' && msg.status > 100 && msg.cseq.method === method) out.push(msg.status);
    }
    return out;
  }

  /** The backend at `host` answers the latest request it got with `status`. */
  answer(host: string, status: number, method = 'INVITE', extra: string[] = []): void {
    const got = this.downstream(method).filter((x) => x.target.host === host).at(-1);
    if (!got) throw new Error(`${host} got no ${method}`);
    this.relay.receive(responseTo(got.req, status, extra), { transport: 'udp', address: host, port: got.target.port });
  }

  advance(ms: number): void {
    this.scheduler.advance(ms);
  }

  /** Lets promise callbacks (name resolution) and queued microtasks run. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

function templateOf(text: string): readonly HashPart[] {
  const r = parseHashTemplate(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function message(lines: string[]): SipMessage {
  return parse(Buffer.from([...lines, 'Content-Length: 0', '', ''].join('\r\n'), 'latin1'));
}

const REASONS: Record<number, string> = { 100: 'Trying', 180: 'Ringing', 200: 'OK', 404: 'Not Found', 408: 'Request Timeout', 486: 'Busy Here', 487: 'Request Terminated', 500: 'Server Internal Error', 503: 'Service Unavailable', 603: 'Decline' };

/** What a UAS answers (§8.2.6): Vias, From, To (with a tag past 100), Call-ID and CSeq copied. */
export function responseTo(req: SipRequest, status: number, extra: string[] = []): SipResponse {
  const to = status > 100 && req.to.tag === undefined ? `${req.to.raw};tag=uas-${status}` : req.to.raw;
  const msg = message([
    `SIP/2.0 ${status} ${REASONS[status] ?? 'Whatever'}`,
    ...req.via.map((v) => `Via: ${v.raw}`),
    `From: ${req.from.raw}`,
    `To: ${to}`,
    `Call-ID: ${req.callId}`,
    `CSeq: ${req.cseq.seq} ${req.cseq.method}`,
    ...extra,
  ]);
  if (msg.kind !== 'response') throw new Error('not a response');
  return msg;
}
