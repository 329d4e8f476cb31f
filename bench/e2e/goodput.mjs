// Goodput of an overload step (overload.mjs), kept apart so the unit tests can reach it.

/**
 * Goodput as successful calls per second while the UAC was offering: over the span from its first
 * to its last new call (calls / achieved rate), never shorter than the step. A UAC that fell
 * behind offered its calls over more seconds, and they must not count as if offered in fewer.
 * @param {{ successful: number, calls: number, achievedRate: number }} row
 * @param {number} seconds  the step's nominal length
 */
export function goodputOf(row, seconds) {
  const offeringS = row.achievedRate > 0 ? row.calls / row.achievedRate : seconds;
  return row.successful / Math.max(seconds, offeringS);
}
