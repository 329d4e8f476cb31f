// Medians over repeated sweeps (--runs N): one row per target, scenario and rate, each numeric
// figure the median over the runs that reached that step, with how many passed.

/** @typedef {import('./report.mjs').Row} Row */
/**
 * figures: the median of every numeric column of the rows (ring/bye NaN for OPTIONS).
 * @typedef {{ target: string, scenario: string, rate: number, runs: number, reached: number, passed: number,
 *   busyBefore: number, figures: Record<string, number> }} MedianRow
 */

/**
 * @param {readonly Row[]} rows  the rows of every run
 * @param {number} runs
 * @returns {MedianRow[]}  in sweep order: target and scenario as first run, then rate
 */
export function medianRows(rows, runs) {
  /** @type {Map<string, Row[]>} */
  const steps = new Map();
  /** @type {Map<string, number>} */
  const sweepOrder = new Map();
  for (const row of rows) {
    const sweep = `${row.target} ${row.scenario}`;
    if (!sweepOrder.has(sweep)) sweepOrder.set(sweep, sweepOrder.size);
    const key = `${sweep} ${row.rate}`;
    const step = steps.get(key);
    if (step) step.push(row);
    else steps.set(key, [row]);
  }
  const order = (/** @type {Row} */ row) => sweepOrder.get(`${row.target} ${row.scenario}`) ?? 0;
  return [...steps.values()]
    .sort((a, b) => order(a[0]) - order(b[0]) || a[0].rate - b[0].rate)
    .map((step) => medianOfStep(step, runs));
}

/**
 * @param {Row[]} step  one step's rows, one per run that reached it @param {number} runs
 * @returns {MedianRow}
 */
function medianOfStep(step, runs) {
  const first = /** @type {Row} */ (step[0]);
  /** @type {Record<string, number>} */
  const figures = {};
  for (const [key, value] of Object.entries(first)) {
    if (typeof value === 'number' && key !== 'run') figures[key] = median(step.map((row) => /** @type {Record<string, unknown>} */ (row)[key]));
  }
  return {
    target: first.target,
    scenario: first.scenario,
    rate: first.rate,
    runs,
    reached: step.length,
    passed: step.filter((row) => row.pass).length,
    busyBefore: step.filter((row) => !row.quietBefore).length,
    figures,
  };
}

/**
 * Median of the finite values (mean of the middle two for an even count); NaN when there are none.
 * @param {readonly unknown[]} values
 */
export function median(values) {
  const sorted = Float64Array.from(/** @type {number[]} */ (values.filter(Number.isFinite))).sort();
  const middle = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
