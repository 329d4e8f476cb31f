/**
 * The prober on the real transaction layer and dispatcher, over the transaction tests' recording
 * transport and a manual clock: what the probe tests drive. Replies are built from the recorded
 * requests and handed to the layer, as the app does with every incoming response.
 */
import { afterEach } from 'vitest';
import { Dispatcher } from '../../../src/dispatcher/dispatcher.js';
import type { HealthConfig, ProbingMode } from '../../../src/dispatcher/health.js';
import { parseReplyCodes } from '../../../src/shared/reply-codes.js';
import type { Destination } from '../../../src/dispatcher/snapshot.js';
import { Prober, type ProberOptions } from '../../../src/probe/prober.js';
import { subscribe, type DestinationStateEvent, type EventPayloads } from '../../../src/shared/events.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { ManualScheduler } from '../../../src/shared/scheduler.js';
import type { SipRequest } from '../../../src/sip/message.js';
import type { Target } from '../../../src/shared/addresses.js';
import type { PressureGauge } from '../../../src/shared/pressure.js';
import { TransactionLayer } from '../../../src/transaction/transaction-layer.js';
import { seeded } from '../dispatcher/helpers.js';
import { FakeTransport, parse, responseTo, testTimers } from '../transaction/harness.js';

/** Names the tests' resolver knows; any other name fails like NXDOMAIN. */
export const HOSTS: Readonly<Record<string, string>> = {
  'a.test': '192.0.2.1',
  'b.test': '192.0.2.2',
  'c.test': '192.0.2.3',
  'd.test': '192.0.2.4',
  'e.test': '192.0.2.5',
  'f.test': '192.0.2.6',
  'g.test': '192.0.2.7',
  'h.test': '192.0.2.8',
};

export function resolveHost(host: string): string {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return host;
  const address = HOSTS[host];
  if (address === undefined) throw new Error(`${host}: NXDOMAIN`);
  return address;
}

export interface SetupOptions {
  mode?: ProbingMode;
  probingThreshold?: number;
  inactiveThreshold?: number;
  replyCodes?: string;
  intervalMs?: number;
  frTimerMs?: number;
  concurrency?: number;
  resolve?: (host: string) => string | Promise<string>;
  /** This thread's pressure as the transaction layer sees it (never pressured by default). */
  pressure?: PressureGauge;
}

/** One ping as sent (retransmissions folded into the first send). */
export interface SentPing {
  at: number;
  request: SipRequest;
  target: Target;
}

export class ProbeHarness {
  readonly scheduler = new ManualScheduler();
  readonly transport = new FakeTransport(this.scheduler);
  readonly layer: TransactionLayer;
  readonly dispatcher: Dispatcher;
  readonly prober: Prober;
  readonly health: HealthConfig;
  readonly results: EventPayloads['probe.result'][] = [];
  readonly states: DestinationStateEvent[] = [];
  private readonly unsubscribers: Array<() => void> = [];

  constructor(list: string, o: SetupOptions = {}) {
    this.layer = new TransactionLayer({ transport: this.transport, scheduler: this.scheduler, timers: testTimers(), logger: silentLogger, pressure: o.pressure });
    this.health = {
      probingMode: o.mode ?? 1,
      probingThreshold: o.probingThreshold ?? 1,
      inactiveThreshold: o.inactiveThreshold ?? 1,
      replyCodes: parseReplyCodes(o.replyCodes ?? '').rules,
    };
    this.dispatcher = new Dispatcher({
      listMode: 'strict',
      keepStateOnReload: true,
      health: this.health,
      latency: { enabled: true, alpha: 0.9 },
      traffic: { threshold: 5, maxEjectionPercent: 50 },
      callLoad: { expireMs: 60_000, initExpireMs: 10_000 },
      pingActive: true,
      now: () => this.scheduler.now(),
      random: seeded(1),
    });
    const loaded = this.dispatcher.load(list, 'test.list');
    if (!loaded.ok) throw new Error(loaded.error.errors.join('\n'));
    const options: ProberOptions = {
      intervalMs: o.intervalMs ?? 10_000,
      method: 'OPTIONS',
      from: 'sip:dispatcher@localhost',
      frTimerMs: o.frTimerMs ?? 0,
      concurrency: o.concurrency ?? 32,
      health: this.health,
    };
    this.prober = new Prober(options, {
      dispatcher: this.dispatcher,
      transactions: this.layer,
      scheduler: this.scheduler,
      localVia: (t, branch) => `SIP/2.0/${t.toUpperCase()} 192.0.2.100:5060;branch=${branch};rport`,
      resolve: o.resolve ?? resolveHost,
      logger: silentLogger,
      random: seeded(7),
    });
    this.unsubscribers.push(
      subscribe('probe.result', (e) => this.results.push(e)),
      subscribe('destination.state', (e) => this.states.push(e)),
    );
  }

  close(): void {
    for (const u of this.unsubscribers.splice(0)) u();
  }

  /** Every ping sent so far, in send order (one entry per Call-ID). */
  pings(): SentPing[] {
    const seen = new Map<string, SentPing>();
    for (const s of this.transport.sent) {
      const msg = parse(s.bytes);
      if (msg.kind === 'request' && !seen.has(msg.callId)) seen.set(msg.callId, { at: s.at, request: msg, target: s.target });
    }
    return [...seen.values()];
  }

  /** `set:uri` of every ping so far, in send order, the set found through the From-tag's id. */
  pinged(): string[] {
    return this.pings().map((p) => `${this.dispatcher.snapshot.byIuid.get(tagId(p))?.setId ?? '?'}:${p.request.uri}`);
  }

  /** The latest ping to `uri` (in `set` when given). */
  ping(uri: string, set?: number): SentPing {
    const found = this.pings().filter((p) => p.request.uri === uri && (set === undefined || this.destination(uri, set).iuid === tagId(p)));
    const last = found.at(-1);
    if (last === undefined) throw new Error(`no ping to ${uri}`);
    return last;
  }

  /** Answers the latest ping to `uri` as its UAS would, and lets the queue move on. */
  async reply(uri: string, status: number, set?: number): Promise<void> {
    const res = responseTo(this.ping(uri, set).request, status, status === 200 ? 'OK' : 'Failed', 'uas');
    this.layer.receiveResponse(res);
    await flush();
  }

  /** Moves the clock, then lets queued tasks run. */
  async advance(ms: number): Promise<void> {
    this.scheduler.advance(ms);
    await flush();
  }

  destination(uri: string, set = 1): Destination {
    const d = this.dispatcher.snapshot.sets.get(set)?.destinations.find((x) => x.uri === uri);
    if (d === undefined) throw new Error(`no ${uri} in set ${set}`);
    return d;
  }

  /** Kamailio letters of `uri` in `set`. */
  letters(uri: string, set = 1): string {
    return this.dispatcher.list().find((s) => s.id === set)?.destinations.find((x) => x.uri === uri)?.state ?? '?';
  }
}

export const tagId = (p: SentPing): string => p.request.from.tag?.slice(0, -5) ?? '';

/** Lets promise chains (p-queue starts the next task in a microtask) run to completion. */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A `setup(list, options)` for a test file: each test's harness is closed after it. */
export function harnessPerTest(): (list: string, options?: SetupOptions) => ProbeHarness {
  let h: ProbeHarness | undefined;
  afterEach(() => {
    h?.close();
    h = undefined;
  });
  return (list, options = {}) => (h = new ProbeHarness(list, options));
}
