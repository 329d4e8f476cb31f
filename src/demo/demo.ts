/**
 * `sipdispatch demo`: a self-contained run on 127.0.0.1. Two simulated FreeSWITCH backends,
 * sipdispatch in front and a call generator; a live table every second; then backend fs2 is
 * stopped (it goes IP, its calls move to fs1) and restarted (back to AP); then a summary.
 */
import type { DestinationStream } from 'pino';
import { systemScheduler, type Scheduler, type TimerHandle } from '../shared/scheduler.js';
import { DemoBackend } from './demo-backend.js';
import { DemoCaller, type CallResult } from './demo-caller.js';
import { startDemoProxy, type DemoProxy } from './demo-proxy.js';
import { formatFrame, formatSummary, type DemoSummary, type FrameRow, type PhaseTally } from './demo-report.js';
import { DemoWatch } from './demo-watch.js';

export interface DemoOutput {
  write(text: string): unknown;
  /** The screen is cleared before each table only on a terminal. */
  isTTY?: boolean;
}

export interface DemoOptions {
  out: DemoOutput;
  /** Length of each phase: steady, fs2 down (from its detection), fs2 back (from its detection). */
  phaseMs: number;
  /** Calls placed per second. */
  rate: number;
  /** How long each call lasts between ACK and BYE. */
  holdMs: number;
  /** Interval of the live table. */
  tickMs: number;
  /** Longest wait for the dispatcher to notice that fs2 stopped or came back. */
  detectTimeoutMs: number;
  /** Admin API address; port 0 lets the system pick. */
  http: string;
  logLevel: string;
  /** Where the proxy's log lines go (stderr, away from the table). */
  logTo: DestinationStream;
  scheduler: Scheduler;
}

const DEMO_DEFAULTS: Omit<DemoOptions, 'out' | 'logTo'> = {
  phaseMs: 10_000,
  rate: 10,
  holdMs: 1000,
  tickMs: 1000,
  detectTimeoutMs: 10_000,
  http: '127.0.0.1:0',
  logLevel: 'warn',
  scheduler: systemScheduler,
};

/** Longest wait for the final response to an INVITE (fr_timer 1 s × 3 tries, with room) or a BYE. */
const CALL_TIMEOUT_MS = 8000;
const BACKENDS = ['fs1', 'fs2'] as const;
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

const sleep = (scheduler: Scheduler, ms: number) => new Promise<void>((resolve) => scheduler.setTimeout(resolve, ms));

/** The phases of the script, and the tally of the calls placed in each. */
class PhaseBook {
  readonly phases: Array<PhaseTally & { from: number }> = [];

  begin(name: string, at: number): void {
    this.phases.push({ name, from: at, placed: 0, succeeded: 0, failed: 0, answeredBy: {} });
  }

  get current(): string {
    return this.phases.at(-1)?.name ?? '';
  }

  record(call: CallResult): void {
    const phase = this.phases.findLast((p) => p.from <= call.startedAt) ?? this.phases[0];
    if (!phase) return;
    phase.placed++;
    if (call.ok) phase.succeeded++;
    else phase.failed++;
    if (call.backend !== undefined) phase.answeredBy[call.backend] = (phase.answeredBy[call.backend] ?? 0) + 1;
  }
}

const ms = (n: number) => `${(n / 1000).toFixed(2)} s`;

/** One run's state: the script, its phases and what the table needs between frames. */
class DemoRun {
  readonly book = new PhaseBook();
  private readonly log: string[] = [];
  private readonly shown = new Map<string, number>();
  private readonly startedAt: number;

  constructor(
    private readonly o: DemoOptions,
    private readonly proxy: DemoProxy,
    private readonly watch: DemoWatch,
  ) {
    this.startedAt = o.scheduler.now();
    this.book.begin('steady', this.startedAt);
  }

  /** Steady; stop `victim`, wait until it is seen down, a phase; restart it likewise; drain. */
  async script(caller: DemoCaller, victim: DemoBackend): Promise<DemoSummary> {
    const { scheduler, phaseMs, detectTimeoutMs } = this.o;
    const name = victim.name;
    const uri = this.proxy.uris.get(name)!;
    const within = `within ${ms(detectTimeoutMs)}`;
    await sleep(scheduler, phaseMs);

    this.say(`stopping ${name} (as if it crashed) …`);
    const inFlightAtStop = caller.inFlight;
    const detectDownMs = await this.transition(uri, false, `${name} down`, () => victim.stop());
    this.say(detectDownMs === undefined ? `${name} was not marked down ${within}` : `${name} marked down after ${ms(detectDownMs)}: new calls go to the others`);
    await sleep(scheduler, phaseMs);

    this.say(`restarting ${name} …`);
    const detectUpMs = await this.transition(uri, true, `${name} back`, () => victim.restart());
    this.say(detectUpMs === undefined ? `${name} was not marked up ${within}` : `${name} marked up after ${ms(detectUpMs)}: it takes calls again`);
    await sleep(scheduler, phaseMs);

    this.say(`stopping the call generator, waiting for ${caller.inFlight} calls in flight …`);
    caller.stopPlacing();
    await caller.idle();
    this.print(caller);
    const summary = this.summary(caller, { stopped: name, inFlightAtStop, detectDownMs, detectUpMs });
    this.o.out.write(formatSummary(summary, [...this.proxy.uris.keys()]));
    return summary;
  }

  /** Starts a phase with `action` (a stop or a restart); resolves with how long the dispatcher took to see `uri` go up or down. */
  private async transition(uri: string, up: boolean, phase: string, action: () => Promise<void>): Promise<number | undefined> {
    const seen = this.watch.next(uri, up, this.o.detectTimeoutMs);
    const at = this.o.scheduler.now();
    this.book.begin(phase, at);
    await action();
    const when = await seen;
    return when === undefined ? undefined : when - at;
  }

  /** A line about the script, kept above the table on a terminal. */
  say(line: string): void {
    this.log.push(line);
    this.o.out.write(`${line}\n`);
  }

  print(caller: DemoCaller): void {
    const rows: FrameRow[] = [];
    for (const set of this.proxy.app.core.dispatcher.list()) {
      for (const d of set.destinations) {
        const duid = d.attrs.duid ?? d.uri;
        const total = caller.answered.get(duid) ?? 0;
        rows.push({ duid, uri: d.uri, state: d.state, recent: total - (this.shown.get(duid) ?? 0), total, pingMs: d.latency.count > 0 ? d.latency.avg : undefined });
        this.shown.set(duid, total);
      }
    }
    // the list keeps Kamailio's order (reverse file order); fs1 above fs2 reads better
    rows.sort((a, b) => a.duid.localeCompare(b.duid));
    const frame = formatFrame({
      elapsedMs: this.o.scheduler.now() - this.startedAt,
      phase: this.book.current,
      placed: caller.placed,
      succeeded: caller.succeeded,
      failed: caller.failed,
      inFlight: caller.inFlight,
      failovers: this.watch.failovers,
      rows,
    });
    this.o.out.write(this.o.out.isTTY ? `${CLEAR_SCREEN}${this.log.join('\n')}\n\n${frame}` : `${frame}\n`);
  }

  private summary(caller: DemoCaller, outage: Pick<DemoSummary, 'stopped' | 'inFlightAtStop' | 'detectDownMs' | 'detectUpMs'>): DemoSummary {
    return {
      ...outage,
      durationMs: this.o.scheduler.now() - this.startedAt,
      placed: caller.placed,
      succeeded: caller.succeeded,
      failed: caller.failed,
      answeredBy: Object.fromEntries(caller.answered),
      phases: this.book.phases.map(({ from: _from, ...tally }) => tally),
      failovers: this.watch.failovers,
    };
  }
}

/** Runs the whole script and returns its summary; everything it started is stopped on return. */
export async function demo(given: Partial<DemoOptions> & Pick<DemoOptions, 'out'>): Promise<DemoSummary> {
  const o: DemoOptions = { ...DEMO_DEFAULTS, logTo: process.stderr, ...given };
  const watch = new DemoWatch(o.scheduler);
  const backends: DemoBackend[] = [];
  let proxy: DemoProxy | undefined;
  let caller: DemoCaller | undefined;
  let ticker: TimerHandle | undefined;
  try {
    for (const name of BACKENDS) backends.push(await DemoBackend.start(name));
    proxy = await startDemoProxy({ backends: backends.map((b) => ({ duid: b.name, port: b.port })), http: o.http, logLevel: o.logLevel, logTo: o.logTo });
    const run = new DemoRun(o, proxy, watch);
    run.say(
      `sipdispatch demo: proxy udp 127.0.0.1:${proxy.sipPort}, admin http://${proxy.app.http.host}:${proxy.app.http.port}` +
        ` (try: sipdispatch rpc dispatcher.list --http ${proxy.app.http.host}:${proxy.app.http.port}),` +
        ` backends ${backends.map((b) => `${b.name} 127.0.0.1:${b.port}`).join(', ')}, ${o.rate} calls/s`,
    );
    const calls = (caller = await DemoCaller.start({
      proxy: { host: '127.0.0.1', port: proxy.sipPort },
      rate: o.rate,
      holdMs: o.holdMs,
      // bounded whatever happens: the longest script plus one second
      maxCalls: Math.ceil((o.rate * (3 * o.phaseMs + 2 * o.detectTimeoutMs + 1000)) / 1000),
      timeoutMs: CALL_TIMEOUT_MS,
      scheduler: o.scheduler,
      onCallEnd: (call) => run.book.record(call),
    }));
    const tick = () => {
      run.print(calls);
      ticker = o.scheduler.setTimeout(tick, o.tickMs);
    };
    ticker = o.scheduler.setTimeout(tick, o.tickMs);
    return await run.script(calls, backends[1]!);
  } finally {
    ticker?.cancel();
    await caller?.close();
    await proxy?.stop();
    for (const b of backends) await b.stop();
    watch.close();
  }
}

/** What went against the script; empty when the product behaved. */
export function demoProblems(s: DemoSummary): string[] {
  const problems: string[] = [];
  if (s.succeeded === 0) problems.push('no call succeeded');
  if (s.detectDownMs === undefined) problems.push(`${s.stopped} was stopped but never marked down`);
  if (s.detectUpMs === undefined) problems.push(`${s.stopped} was restarted but never marked up`);
  const late = s.phases.slice(1).reduce((n, p) => n + p.failed, 0);
  if (late > 0) problems.push(`${late} calls placed after ${s.stopped} stopped failed`);
  return problems;
}

/** The CLI entry: the full-length script on stdout; exit code 1 when the product misbehaved. */
export async function runDemo(flags: Record<string, unknown>): Promise<number> {
  const summary = await demo({
    out: process.stdout,
    http: typeof flags.http === 'string' ? flags.http : DEMO_DEFAULTS.http,
    logLevel: typeof flags.log_level === 'string' ? flags.log_level : DEMO_DEFAULTS.logLevel,
  });
  const problems = demoProblems(summary);
  for (const p of problems) process.stderr.write(`sipdispatch demo: ${p}\n`);
  return problems.length === 0 ? 0 : 1;
}
