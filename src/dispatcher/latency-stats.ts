/**
 * Per-destination keepalive latency, as Kamailio keeps it (latency_stats_update and
 * ds_update_latency, dispatch.c): count, min, max, Welford mean and standard deviation, an EWMA
 * estimate, the number of timeouts, and the congestion rule of `cc=1` that rewrites rweight.
 * Samples are milliseconds; Kamailio truncates them to integers, we keep what the prober measured.
 */

export interface LatencyStats {
  count: number;
  min: number;
  max: number;
  /** Welford running mean. */
  average: number;
  /** Welford running sum of squared differences. */
  m2: number;
  stdev: number;
  /** EWMA estimate: the mean while count < 10, then est = est·α + sample·(1 - α). */
  estimate: number;
  /** Keepalives that timed out (408). */
  timeout: number;
}

/** Beyond 2^21 samples the count stops and m2 decays, turning the mean into a weighted one. */
const COUNT_CAP = 2097152;
/** Count given to a trained estimator (a stable mean, or the `latency=` attribute). */
const TRAINED = 10000;

/** Fresh statistics, or statistics seeded as trained with the `latency=` attribute. */
export function createLatencyStats(initialMs?: number): LatencyStats {
  const v = initialMs ?? 0;
  return { count: initialMs === undefined ? 0 : TRAINED, min: v, max: v, average: v, m2: 0, stdev: 0, estimate: v, timeout: 0 };
}

/**
 * The statistics of every destination that has none yet, shared and frozen: a large list pays
 * for statistics only where keepalives measured something. Writers take ownLatency() first.
 */
export const NO_LATENCY: LatencyStats = Object.freeze(createLatencyStats());

/** Statistics for a destination: the shared NO_LATENCY unless `latency=` seeds them. */
export function initialLatency(initialMs: number | undefined): LatencyStats {
  return initialMs === undefined ? NO_LATENCY : createLatencyStats(initialMs);
}

/** The runtime's own statistics, replacing the shared NO_LATENCY before a write. */
export function ownLatency(runtime: { latency: LatencyStats }): LatencyStats {
  if (runtime.latency === NO_LATENCY) runtime.latency = createLatencyStats();
  return runtime.latency;
}

/**
 * Adds one round-trip time. `alpha` is ds_latency_estimator_alpha / 1000 (Kamailio's default 900
 * gives 0.9): the weight of the previous estimate, as in the module's code.
 */
export function recordLatency(s: LatencyStats, sampleMs: number, alpha: number): void {
  if (s.count < COUNT_CAP) s.count++;
  else s.m2 -= s.m2 / s.count;
  if (s.count === 1) {
    Object.assign(s, { min: sampleMs, max: sampleMs, average: sampleMs, estimate: sampleMs, m2: 0, stdev: 0 });
  }
  // a stable mean after 10 samples trains the estimator at once
  if (s.count > 10 && s.count < TRAINED && s.stdev < 0.5) s.count = TRAINED;
  if (sampleMs < s.min) s.min = sampleMs;
  if (sampleMs > s.max) s.max = sampleMs;
  if (s.count > 1) {
    const delta = sampleMs - s.average;
    s.average += delta / s.count;
    s.m2 += delta * (sampleMs - s.average);
    s.stdev = Math.sqrt(s.m2 / (s.count - 1));
  }
  s.estimate = s.count < 10 ? s.average : s.estimate * alpha + sampleMs * (1 - alpha);
}

export function recordTimeout(s: LatencyStats): void {
  s.timeout++;
}

/** How far the estimate runs above the mean, in whole ms (Kamailio's int arithmetic). */
export function congestionMs(s: LatencyStats): number {
  return Math.max(0, Math.trunc(s.estimate - s.average));
}

/** The figures of Kamailio's `LATENCY {AVG, STD, EST, MAX, TIMEOUT}` block, in ms. */
export interface LatencyReport {
  avg: number;
  std: number;
  est: number;
  max: number;
  min: number;
  count: number;
  timeout: number;
}

export function latencyReport(s: LatencyStats): LatencyReport {
  return { avg: s.average, std: s.stdev, est: s.estimate, max: s.max, min: s.min, count: s.count, timeout: s.timeout };
}

/** One destination of a set as the congestion rule sees it (a Destination fits). */
export interface CongestionMember {
  readonly attrs: { readonly weight: number; readonly congestionControl: boolean };
  readonly runtime: { readonly latency: LatencyStats; rweight: number };
}

/**
 * Kamailio's `cc=1` rule after a keepalive of `pinged`: its rweight becomes weight - congestion
 * (at least 0, "congested" at 0). When every cc member of the set is congested (more than one, none
 * normal), rweights become (Σ congestion · 16) / own congestion, so load follows the least
 * congested. Any member without cc disables the all-congested step. Returns true when an rweight
 * changed.
 */
export function applyCongestionControl(members: readonly CongestionMember[], pinged: CongestionMember): boolean {
  let congested = 0;
  let normal = 0;
  let total = 0;
  let enabled = true;
  let changed = false;
  for (const m of members) {
    if (!m.attrs.congestionControl) enabled = false;
    if (!m.attrs.congestionControl || m.attrs.weight <= 0) continue;
    const cms = congestionMs(m.runtime.latency);
    total += cms;
    const active = Math.max(0, m.attrs.weight - cms);
    if (active === 0) congested++;
    else normal++;
    if (m === pinged && m.runtime.rweight !== active) {
      m.runtime.rweight = active;
      changed = true;
    }
  }
  if (!enabled || congested <= 1 || normal > 0) return changed;
  for (const m of members) {
    const active = Math.max(0, Math.trunc((total * 16) / (congestionMs(m.runtime.latency) || 1)));
    if (m.runtime.rweight !== active) {
      m.runtime.rweight = active;
      changed = true;
    }
  }
  return changed;
}
