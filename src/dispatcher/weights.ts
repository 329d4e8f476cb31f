/**
 * Weighted selection. Algorithm 9 is Kamailio's shuffled 100-slot table (dp_init_weights), copied
 * exactly. Algorithm 11 is where we differ on purpose: Kamailio's 100-slot rwlist truncates
 * slices (issue 2698: beyond ~25 hosts one host takes most calls); we use smooth weighted round
 * robin over the live destinations, which gives exact proportions over every cycle of Σweights
 * picks and interleaves them (70/30 → A A B A A B A ... rather than 70 A then 30 B).
 */

/** Slots of Kamailio's weight table. */
export const WEIGHT_SLOTS = 100;

/** Fisher-Yates as shuffle_uint100array does it: k = j + rand % (100 - j). */
function shuffle(table: Uint32Array, random: () => number): void {
  for (let j = 0; j < table.length; j++) {
    const k = j + Math.floor(random() * (table.length - j));
    const t = table[j]!;
    table[j] = table[k]!;
    table[k] = t;
  }
}

/**
 * dp_init_weights: index i gets weights[i] slots, in array order, until 100 are used; when the
 * weights sum to less than 100 the last index fills the rest. Built only when the first entry has
 * a weight: otherwise every slot is 0, so algorithm 9 always starts at entry 0. The table is not
 * rebuilt on state changes: a down entry's slots fall through to its neighbour (Kamailio PR 219).
 */
export function buildWeightTable(weights: readonly number[], random: () => number): Uint32Array {
  const table = new Uint32Array(WEIGHT_SLOTS);
  if (weights.length === 0 || weights[0] === 0) return table;
  let t = 0;
  for (let j = 0; j < weights.length && t < WEIGHT_SLOTS; j++) {
    for (let k = 0; k < weights[j]! && t < WEIGHT_SLOTS; k++) table[t++] = j;
  }
  table.fill(weights.length - 1, t);
  shuffle(table, random);
  return table;
}

/**
 * Smooth weighted round robin (as in nginx): every eligible entry (weight > 0) gains its weight,
 * the richest is picked (the lowest index on ties) and pays back the total. `current` is the
 * per-set state kept between picks; an ineligible entry's credit is reset so it does not burst
 * when it comes back. Returns -1 when no entry has a weight.
 */
export function smoothWeightedPick(weights: ArrayLike<number>, current: Float64Array): number {
  let total = 0;
  let best = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (w <= 0) {
      current[i] = 0;
      continue;
    }
    total += w;
    const c = current[i]! + w;
    current[i] = c;
    if (best < 0 || c > current[best]!) best = i;
  }
  if (best >= 0) current[best]! -= total;
  return best;
}
