/** The demo's plain-text output: the table printed every second and the closing summary. */

export interface FrameRow {
  duid: string;
  uri: string;
  /** Kamailio's state letters (AP, IP...). */
  state: string;
  /** Calls this destination answered since the previous frame. */
  recent: number;
  /** Calls it answered in all. */
  total: number;
  /** Average keepalive round trip; undefined before the first reply. */
  pingMs: number | undefined;
}

export interface Frame {
  elapsedMs: number;
  phase: string;
  placed: number;
  succeeded: number;
  failed: number;
  inFlight: number;
  failovers: number;
  rows: FrameRow[];
}

/** The calls placed during one phase of the script, as they ended. */
export interface PhaseTally {
  name: string;
  placed: number;
  succeeded: number;
  failed: number;
  /** Calls answered per backend (duid). */
  answeredBy: Record<string, number>;
}

export interface DemoSummary {
  durationMs: number;
  /** The backend the script stopped and restarted. */
  stopped: string;
  placed: number;
  succeeded: number;
  failed: number;
  answeredBy: Record<string, number>;
  phases: PhaseTally[];
  /** Calls in progress when the backend was stopped: the only ones that may fail. */
  inFlightAtStop: number;
  /** INVITEs the relay moved on to another destination. */
  failovers: number;
  /** From stopping the backend to the dispatcher marking it down; undefined when it never did. */
  detectDownMs: number | undefined;
  /** From restarting the backend to the dispatcher marking it up again. */
  detectUpMs: number | undefined;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
const cell = (v: string | number, width: number): string => String(v).padStart(width);

/** One frame of the live table. */
export function formatFrame(f: Frame): string {
  const head = `[${seconds(f.elapsedMs).padStart(6)}] ${f.phase.padEnd(12)} placed ${cell(f.placed, 4)}  ok ${cell(f.succeeded, 4)}  failed ${cell(f.failed, 3)}  in flight ${cell(f.inFlight, 3)}  failovers ${cell(f.failovers, 3)}`;
  const uriWidth = Math.max(3, ...f.rows.map((r) => r.uri.length));
  const lines = [head, `  ${'DEST'.padEnd(6)}${'URI'.padEnd(uriWidth)}  STATE  LAST 1s  TOTAL  PING ms`];
  for (const r of f.rows) {
    const ping = r.pingMs === undefined ? '-' : r.pingMs.toFixed(2);
    lines.push(`  ${r.duid.padEnd(6)}${r.uri.padEnd(uriWidth)}  ${r.state.padEnd(5)}  ${cell(r.recent, 7)}  ${cell(r.total, 5)}  ${cell(ping, 7)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The closing summary, with one line per phase. */
export function formatSummary(s: DemoSummary, backends: readonly string[]): string {
  const detect = (ms: number | undefined) => (ms === undefined ? 'not seen' : `after ${(ms / 1000).toFixed(2)} s`);
  const lines = [
    `Summary (${seconds(s.durationMs)})`,
    `  calls placed ${s.placed}, succeeded ${s.succeeded}, failed ${s.failed} (${s.inFlightAtStop} were in progress when ${s.stopped} stopped)`,
    `  answered by ${backends.map((b) => `${b} ${s.answeredBy[b] ?? 0}`).join(', ')}; INVITEs failed over by the relay ${s.failovers}`,
    `  ${s.stopped} seen down ${detect(s.detectDownMs)}, back up ${detect(s.detectUpMs)}`,
    `  ${'PHASE'.padEnd(12)}  PLACED      OK  FAILED${backends.map((b) => cell(b, 7)).join('')}`,
  ];
  for (const p of s.phases) {
    const by = backends.map((b) => cell(p.answeredBy[b] ?? 0, 7)).join('');
    lines.push(`  ${p.name.padEnd(12)}  ${cell(p.placed, 6)}  ${cell(p.succeeded, 6)}  ${cell(p.failed, 6)}${by}`);
  }
  return `${lines.join('\n')}\n`;
}
